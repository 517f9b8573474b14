/* Host signals become upcalls: trapped syscalls, faults, interrupts and signals from the host. */
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/errno.h>

#include "log.h"
#include "pal_direct.h"
#include "rt.h"

pal_event_handler_t g_event_handler;

/* The kernel's struct sigaction for rt_sigaction. */
struct host_sigaction {
    void (*handler)(int, void*, void*);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#define HOST_SA_SIGINFO  0x4
#define HOST_SA_ONSTACK  0x08000000
#define HOST_SA_RESTORER 0x04000000

struct host_siginfo {
    int32_t signo;
    int32_t err;
    int32_t code;
    int32_t pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
        } kill;
        struct {
            uint64_t addr;
        } fault;
        struct {
            int32_t pid;
            uint32_t uid;
            uint64_t value;
        } queue;
        struct {
            int32_t pid;
            uint32_t uid;
            int32_t status;
        } child;
        struct {
            uint64_t call_addr;
            int32_t syscall;
            uint32_t arch;
        } sys;
    };
};

struct host_ucontext {
    uint64_t flags;
    uint64_t link;
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
    struct pal_context mcontext;
    uint64_t sigmask;
};

#define SIGBIT(sig) (1ULL << ((sig) - 1))

/* Signals the kernel raises for what an instruction did; they cannot wait. */
static const uint64_t g_sync_signals = SIGBIT(4) | SIGBIT(5) | SIGBIT(7) | SIGBIT(8) |
                                       SIGBIT(11) | SIGBIT(31);

/* Host signals turned into upcalls; everything else keeps its host meaning. SIGPIPE is
 * ignored so that writes report EPIPE and the library OS raises the guest's SIGPIPE itself.
 * SIGTSTP (a terminal's Ctrl-Z) is an upcall so that the library OS, not the host, decides
 * which guest process stops. */
static const struct {
    int signo;
    enum pal_event event;
} g_host_signals[] = {
    {31, PAL_EVENT_SYSCALL},  {11, PAL_EVENT_MEMFAULT},     {7, PAL_EVENT_MEMFAULT},
    {8, PAL_EVENT_ARITH},     {4, PAL_EVENT_ILLEGAL},       {5, PAL_EVENT_TRAP},
    {PAL_SIGNAL_INTERRUPT, PAL_EVENT_INTERRUPT},
    {1, PAL_EVENT_HOST_SIGNAL},  {2, PAL_EVENT_HOST_SIGNAL},  {3, PAL_EVENT_HOST_SIGNAL},
    {10, PAL_EVENT_HOST_SIGNAL}, {12, PAL_EVENT_HOST_SIGNAL}, {14, PAL_EVENT_HOST_SIGNAL},
    {15, PAL_EVENT_HOST_SIGNAL}, {28, PAL_EVENT_HOST_SIGNAL}, {20, PAL_EVENT_HOST_SIGNAL},
    {17, PAL_EVENT_HOST_SIGNAL}, {PAL_SIGNAL_GUEST, PAL_EVENT_HOST_SIGNAL},
};

extern char gate_interruptible_check[], gate_interruptible_syscall[], gate_interruptible_eintr[];
extern char pal_user_access_start[], pal_user_access_end[], pal_user_access_fault[];
extern void pal_signal_restorer(void);
extern void gate_sigreturn_jump(void* ucontext) __attribute__((noreturn));
extern long gate_syscall_interruptible(long nr, long a1, long a2, long a3, long a4, long a5,
                                       long a6, volatile int* interrupted);

static inline struct pal_tcb* current_tcb(void) {
    struct pal_tcb* tcb;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(tcb));
    return tcb;
}

static uint64_t async_signal_mask(void) {
    return ~g_sync_signals;
}

void pal_async_signals_block(bool block) {
    uint64_t mask = async_signal_mask();
    HOST_SYSCALL4(__NR_rt_sigprocmask, block ? 0 /* SIG_BLOCK */ : 1 /* SIG_UNBLOCK */, &mask,
                  NULL, sizeof(mask));
}

static bool in_pal_code(uint64_t rip) {
    return rip >= (uint64_t)__executable_start && rip < (uint64_t)_end;
}

/* A thread caught just before its blocking call returns -EINTR instead of making it. */
static void skip_pending_blocking_call(struct pal_context* ctx) {
    if (ctx->rip >= (uint64_t)gate_interruptible_check &&
        ctx->rip <= (uint64_t)gate_interruptible_syscall)
        ctx->rip = (uint64_t)gate_interruptible_eintr;
}

static enum pal_event event_of_signal(int signo) {
    for (size_t i = 0; i < sizeof(g_host_signals) / sizeof(g_host_signals[0]); i++) {
        if (g_host_signals[i].signo == signo)
            return g_host_signals[i].event;
    }
    return PAL_EVENT_HOST_SIGNAL;
}

/* A 32-bit call (int $0x80) is not one the library OS answers: the process ends by SIGSYS, as
 * under a filter that lets only the 64-bit ABI through, without a core file of Kernite. */
static __attribute__((noreturn)) void end_for_foreign_syscall(int nr, uint64_t rip) {
    struct host_sigaction dfl = {
        .handler = NULL, .flags = HOST_SA_RESTORER, .restorer = pal_signal_restorer};
    uint64_t no_core[2] = {0, 0};
    uint64_t sigsys = SIGBIT(31);

    log_error("32-bit system call %d (int $0x80) at %p: Kernite answers 64-bit calls only", nr,
              (void*)rip);
    HOST_SYSCALL4(__NR_prlimit64, 0, 4 /* RLIMIT_CORE */, no_core, NULL);
    HOST_SYSCALL4(__NR_rt_sigaction, 31, &dfl, NULL, 8);
    HOST_SYSCALL3(__NR_tgkill, g_host_pid, HOST_SYSCALL0(__NR_gettid), 31);
    HOST_SYSCALL4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &sigsys, NULL, sizeof(sigsys));
    pal_process_exit(128 + 31);
}

/* A fault inside pal_user_copy or pal_user_zero makes the call return -EFAULT. */
static bool user_access_fixup(struct pal_context* ctx) {
    if (ctx->rip < (uint64_t)pal_user_access_start || ctx->rip >= (uint64_t)pal_user_access_end)
        return false;
    ctx->rip = (uint64_t)pal_user_access_fault;
    return true;
}

static void host_signal_handler(int signo, void* siginfo, void* ucontext) {
    struct host_siginfo* si = siginfo;
    struct host_ucontext* uc = ucontext;
    struct pal_context* ctx = &uc->mcontext;
    struct pal_tcb* tcb = current_tcb();
    struct pal_event_info info = {
        .signo = signo,
        .code = si->code,
        .in_pal = in_pal_code(ctx->rip),
    };
    enum pal_event ev = event_of_signal(signo);

    /* A fast call's flag stays set until the next trap; only library OS code running for one
     * is in a fast call. */
    if (tcb && !info.in_pal)
        tcb->fast_active = 0;

    switch (ev) {
        case PAL_EVENT_SYSCALL:
            if (si->code != pal_syscall_filter_sigsys_code() || info.in_pal)
                pal_fatal("SIGSYS not raised by the syscall filter for app code");
            if (si->sys.arch != AUDIT_ARCH_X86_64)
                end_for_foreign_syscall(si->sys.syscall, ctx->rip);
            info.syscall = si->sys.syscall;
            break;
        case PAL_EVENT_MEMFAULT:
        case PAL_EVENT_ARITH:
        case PAL_EVENT_ILLEGAL:
        case PAL_EVENT_TRAP:
            info.addr = si->fault.addr;
            if (info.in_pal && pal_fast_handle_trap(signo, ctx))
                return;
            if (info.in_pal && ev == PAL_EVENT_MEMFAULT && user_access_fixup(ctx))
                return;
            if (info.in_pal) {
                log_error("fault (host signal %d) at %p in the library OS, address %p", signo,
                          (void*)ctx->rip, (void*)info.addr);
                pal_fatal("internal fault");
            }
            break;
        case PAL_EVENT_INTERRUPT:
        case PAL_EVENT_HOST_SIGNAL:
            info.sender_pid = si->kill.pid;
            if (signo == PAL_SIGNAL_GUEST) {
                /* Only a sigqueue from a process of the same user can carry this code. */
                if (si->code != -1 /* SI_QUEUE */)
                    return;
                info.signo = (int)(si->queue.value & 0xff);
                info.sender_value = (int)(si->queue.value >> 32);
                info.from_process = true;
            }
            if (signo == 17 /* SIGCHLD */)
                info.status = si->child.status;
            if (pal_fast_handle_async(&info, ctx)) {
                skip_pending_blocking_call(ctx);
                return;
            }
            if (tcb)
                tcb->interrupted = 1;
            if (info.in_pal) {
                skip_pending_blocking_call(ctx);
                if (ev == PAL_EVENT_INTERRUPT)
                    return;
            }
            break;
    }
    if (!tcb || !g_event_handler)
        pal_fatal("event before the library OS was ready");
    g_event_handler(ev, &info, ctx);
}

void pal_set_event_handler(pal_event_handler_t handler) {
    g_event_handler = handler;
}

int pal_signals_init(void) {
    struct host_sigaction sa = {
        .handler = host_signal_handler,
        .flags = HOST_SA_SIGINFO | HOST_SA_ONSTACK | HOST_SA_RESTORER,
        .restorer = pal_signal_restorer,
        .mask = async_signal_mask(),
    };
    struct host_sigaction ignore = {.handler = (void*)1, .flags = HOST_SA_RESTORER,
                                     .restorer = pal_signal_restorer};

    for (size_t i = 0; i < sizeof(g_host_signals) / sizeof(g_host_signals[0]); i++) {
        long ret = HOST_SYSCALL4(__NR_rt_sigaction, g_host_signals[i].signo, &sa, NULL, 8);
        if (ret < 0)
            return (int)ret;
    }
    return (int)HOST_SYSCALL4(__NR_rt_sigaction, 13 /* SIGPIPE */, &ignore, NULL, 8);
}

long host_syscall_blocking(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    struct pal_tcb* tcb = current_tcb();
    long ret;

    if (!tcb)
        return host_syscall(nr, a1, a2, a3, a4, a5, a6);
    /* A fast call runs with host signals unblocked already, as the app does. */
    if (tcb->fast_active)
        return gate_syscall_interruptible(nr, a1, a2, a3, a4, a5, a6, &tcb->interrupted);
    pal_async_signals_block(false);
    ret = gate_syscall_interruptible(nr, a1, a2, a3, a4, a5, a6, &tcb->interrupted);
    pal_async_signals_block(true);
    return ret;
}

int pal_thread_interrupt(struct pal_tcb* tcb) {
    tcb->interrupted = 1;
    return (int)HOST_SYSCALL3(__NR_tgkill, g_host_pid, tcb->host_tid, PAL_SIGNAL_INTERRUPT);
}

void pal_thread_clear_interrupt(void) {
    struct pal_tcb* tcb = current_tcb();
    if (tcb)
        tcb->interrupted = 0;
}

/* Starts the context through rt_sigreturn, which sets every register and the FPU state in one
 * step (the image ctx->fpstate points to, or a fresh one), with all host signals unblocked as
 * app code expects. */
void pal_context_jump(const struct pal_context* ctx) {
    struct pal_tcb* tcb = current_tcb();
    struct {
        uint64_t pretcode;
        struct host_ucontext uc;
        struct host_siginfo info;
        uint8_t pad[128];
    } __attribute__((aligned(16))) frame;

    memset(&frame, 0, sizeof(frame));
    frame.uc.mcontext = *ctx;
    frame.uc.mcontext.fpstate = ctx->fpstate;
    frame.uc.mcontext.cs = 0x33;
    frame.uc.mcontext.ss = 0x2b;
    if (!frame.uc.mcontext.eflags)
        frame.uc.mcontext.eflags = 0x202;
    frame.uc.ss_sp = (uint64_t)tcb->signal_stack;
    frame.uc.ss_size = tcb->signal_stack_size;
    frame.uc.sigmask = 0;
    gate_sigreturn_jump(&frame.uc);
}
