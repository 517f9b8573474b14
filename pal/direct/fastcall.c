/* The syscall fast path: calls from rewritten app syscall sites, and how host signals that
 * arrive meanwhile are held back until the call has returned. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "pal_direct.h"
#include "rt.h"

#define HOST_SI_KERNEL 0x80
#define HOST_SIGCHLD   17

_Static_assert(offsetof(struct pal_tcb, fast_stack_top) == 56, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_app_rsp) == 64, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_app_ret) == 72, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_active) == 80, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_slow_exit) == 84, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_deferred) == 88, "fastcall.S offsets");
_Static_assert(offsetof(struct pal_tcb, fast_deferred_guest) == 96, "fastcall.S offsets");

extern char pal_fast_entry[], pal_fast_exit_window[], pal_fast_exit_jump[], pal_fast_slow_trap[],
    pal_fast_exit_window_end[];

/* pal_fast_entry's frame, from the stack pointer of its exit window, in 8-byte words. */
#define FRAME_RESULT (256 / 8)
#define FRAME_FLAGS  (312 / 8)
/* The flags the exit puts back, in the window: CF PF AF ZF SF DF OF. */
#define FRAME_FLAGS_RESTORED 0xcd5UL

/* Called by pal_fast_entry. */
pal_fast_syscall_fn pal_fast_handler;
static pal_fast_exit_fn g_fast_exit;
static int g_self_mem_fd = -1;

static inline struct pal_tcb* current_tcb(void) {
    struct pal_tcb* tcb;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(tcb));
    return tcb;
}

void pal_set_fast_syscall_handlers(pal_fast_syscall_fn call, pal_fast_exit_fn exit) {
    pal_fast_handler = call;
    g_fast_exit = exit;
}

uint64_t pal_fast_entry_address(void) {
    return (uint64_t)pal_fast_entry;
}

/* The return to the app after a fast call, done from a host signal handler with the app's
 * complete state in ctx: what a trap would have given the library OS. */
static void fast_finish(struct pal_tcb* tcb, struct pal_context* ctx) {
    struct pal_deferred_signals sigs = {
        .host = __atomic_exchange_n(&tcb->fast_deferred, 0, __ATOMIC_ACQ_REL),
        .guest = __atomic_exchange_n(&tcb->fast_deferred_guest, 0, __ATOMIC_ACQ_REL),
        .host_kernel = __atomic_exchange_n(&tcb->fast_deferred_kernel, 0, __ATOMIC_ACQ_REL),
        .child_code = tcb->fast_deferred_child[0],
        .child_host_pid = tcb->fast_deferred_child[1],
        .child_status = tcb->fast_deferred_child[2],
    };

    if (ctx->rip != (uint64_t)pal_fast_exit_jump) {
        const uint64_t* frame = (const uint64_t*)ctx->rsp;
        ctx->rax = frame[FRAME_RESULT];
        ctx->r11 = frame[FRAME_FLAGS];
        ctx->eflags =
            (ctx->eflags & ~FRAME_FLAGS_RESTORED) | (frame[FRAME_FLAGS] & FRAME_FLAGS_RESTORED);
        ctx->rcx = tcb->fast_app_ret;
        ctx->rsp = tcb->fast_app_rsp;
    }
    ctx->rip = ctx->rcx;
    tcb->fast_slow_exit = 0;
    tcb->fast_active = 0;
    g_fast_exit(ctx, &sigs);
}

/* The slow return of a fast call: true if the trap at ctx was it. */
bool pal_fast_handle_trap(int signo, struct pal_context* ctx) {
    struct pal_tcb* tcb = current_tcb();

    if (!tcb || !tcb->fast_active || signo != 4 /* SIGILL */ ||
        ctx->rip != (uint64_t)pal_fast_slow_trap)
        return false;
    fast_finish(tcb, ctx);
    return true;
}

/* An asynchronous signal (signo as the guest will see it) that interrupted library OS code of
 * a fast call is held back until the call returns, with what the library OS needs of its
 * siginfo: whether the kernel raised it, and a SIGCHLD's child and status. In the exit window,
 * where only rip is not the app's, the return is finished here. Returns false if no fast call
 * was interrupted. */
bool pal_fast_handle_async(const struct pal_event_info* info, struct pal_context* ctx) {
    struct pal_tcb* tcb = current_tcb();
    uint64_t rip = ctx->rip;
    int signo = info->signo;

    if (!tcb || !tcb->fast_active || !info->in_pal)
        return false;
    if (signo > 0 && signo <= 64 && signo != PAL_SIGNAL_INTERRUPT) {
        uint64_t bit = 1ULL << (signo - 1);
        if (!info->from_process && info->code == HOST_SI_KERNEL)
            __atomic_fetch_or(&tcb->fast_deferred_kernel, bit, __ATOMIC_ACQ_REL);
        if (!info->from_process && signo == HOST_SIGCHLD) {
            tcb->fast_deferred_child[0] = info->code;
            tcb->fast_deferred_child[1] = info->sender_pid;
            tcb->fast_deferred_child[2] = info->status;
        }
        __atomic_fetch_or(info->from_process ? &tcb->fast_deferred_guest : &tcb->fast_deferred,
                          bit, __ATOMIC_ACQ_REL);
    }
    if (rip >= (uint64_t)pal_fast_exit_window && rip < (uint64_t)pal_fast_exit_window_end) {
        fast_finish(tcb, ctx);
        return true;
    }
    tcb->interrupted = 1;
    tcb->fast_slow_exit = 1;
    return true;
}

bool pal_fast_active(void) {
    struct pal_tcb* tcb = current_tcb();
    return tcb && tcb->fast_active;
}

/* KERNITE_SYSCALL_REWRITING=0 in the host environment withholds code writing, which turns
 * the rewriting off in every process of the app, children included. */
static bool rewriting_withheld(char** envp) {
    static const char name[] = "KERNITE_SYSCALL_REWRITING=";

    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], name, sizeof(name) - 1))
            return !strcmp(envp[i] + sizeof(name) - 1, "0");
    }
    return false;
}

/* The fast exit puts the flags back with sahf, which a few early x86-64 CPUs lack in 64-bit
 * mode (CPUID 0x80000001, ECX bit 0). */
static bool cpu_has_sahf(void) {
    uint32_t eax = 0x80000000, ebx, ecx, edx;

    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (eax < 0x80000001)
        return false;
    eax = 0x80000001;
    ecx = 0;
    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    return ecx & 1;
}

int pal_fast_init(char** envp) {
    if (rewriting_withheld(envp) || !cpu_has_sahf())
        return -ENOSYS;
    long fd = HOST_SYSCALL4(__NR_openat, AT_FDCWD, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    g_self_mem_fd = (int)fd;
    return 0;
}

int pal_code_write(uint64_t addr, const void* bytes, size_t size) {
    if (g_self_mem_fd < 0)
        return -ENOSYS;
    if (addr + size < addr || (addr < (uint64_t)_end && addr + size > (uint64_t)__executable_start))
        return -EINVAL;
    for (size_t done = 0; done < size;) {
        long n = HOST_SYSCALL4(__NR_pwrite64, g_self_mem_fd, (const char*)bytes + done,
                               size - done, addr + done);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return n ? (int)n : -EIO;
        done += n;
    }
    return 0;
}
