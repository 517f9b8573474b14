/* The randomness source, secure wiping and constant-time comparison. */
#include <linux/errno.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "rt.h"

static crypto_random_fn g_random_fn;
static void* g_random_ctx;

void crypto_set_random(crypto_random_fn fn, void* ctx) {
    g_random_ctx = ctx;
    __atomic_store_n(&g_random_fn, fn, __ATOMIC_RELEASE);
}

int crypto_random(void* buf, size_t size) {
    crypto_random_fn fn = __atomic_load_n(&g_random_fn, __ATOMIC_ACQUIRE);

    if (!fn)
        return -ENOSYS;
    return fn(g_random_ctx, buf, size);
}

/* The form mbedTLS asks for: 0 or a nonzero error, which it passes back up to us. */
int crypto_mbedtls_rng(void* ctx, unsigned char* buf, size_t size) {
    return crypto_random(buf, size) < 0 ? CRYPTO_MBEDTLS_RNG_FAILED : 0;
}

void crypto_wipe(void* buf, size_t size) {
    volatile uint8_t* p = buf;

    while (size--)
        *p++ = 0;
    __asm__ volatile("" : : "r"(buf) : "memory");
}

bool crypto_equal(const void* a, const void* b, size_t size) {
    const volatile uint8_t* x = a;
    const volatile uint8_t* y = b;
    uint8_t diff = 0;

    for (size_t i = 0; i < size; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
