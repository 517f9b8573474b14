/* Runs library-OS calls into mbedTLS with a valid stack-protector word at %fs:0x28. */
#include "crypto.h"
#include "protected.h"

/* mbedTLS only ever reads %fs:0x28 (checked over the whole of Debian's libmbedcrypto.a: no other
 * FS-relative access), so one block, never written after it is set up, serves every thread at
 * once. Word 0 points at the block itself, as a thread control block's does. */
static struct { uint64_t words[8]; } g_guard_block __attribute__((aligned(64)));
static int g_guard_ready; /* 0, 1 while being set up, 2 when ready */

static int guard_random(void* ctx, void* buf, size_t size) {
    return pal_random(buf, size);
}

static void guard_setup(void) {
    int expected = 0;

    if (__atomic_load_n(&g_guard_ready, __ATOMIC_ACQUIRE) == 2)
        return;
    if (!__atomic_compare_exchange_n(&g_guard_ready, &expected, 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED)) {
        while (__atomic_load_n(&g_guard_ready, __ATOMIC_ACQUIRE) != 2)
            __builtin_ia32_pause();
        return;
    }
    g_guard_block.words[0] = (uint64_t)&g_guard_block;
    /* Without host randomness the word is a fixed one: it still works, only guessably. */
    if (pal_random(&g_guard_block.words[5], sizeof(uint64_t)) < 0)
        g_guard_block.words[5] = 0x6b65726e69746500ULL;
    /* glibc keeps the low byte zero so that string overflows stop at the canary. */
    g_guard_block.words[5] &= ~0xffULL;
    crypto_set_random(guard_random, NULL);
    __atomic_store_n(&g_guard_ready, 2, __ATOMIC_RELEASE);
}

/* Costs two host calls (read FS, set it) on entry and one on exit when FS must change: about
 * a microsecond per protected-file operation, whatever its size, on the direct backend. */
uint64_t crypto_enter(void) {
    uint64_t fs;

    guard_setup();
    fs = pal_thread_get_fs();
    if (fs != (uint64_t)&g_guard_block)
        pal_thread_set_fs((uint64_t)&g_guard_block);
    return fs;
}

void crypto_leave(uint64_t saved_fs) {
    if (saved_fs != (uint64_t)&g_guard_block)
        pal_thread_set_fs(saved_fs);
}
