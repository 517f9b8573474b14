/* The Linux x86-64 signal frame on the app stack: building it, rt_sigreturn, and sigaltstack. */
#include "libos.h"
#include "proc.h"

#include <stddef.h>

#define REDZONE_SIZE         128
#define UC_FP_XSTATE         0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4

/* Flags a handler may change in the interrupted context: the arithmetic flags, direction,
 * trap, alignment check and resume. The rest (IOPL, interrupts, ...) stay the host's. */
#define EFLAGS_USER_CHANGEABLE 0x50dd5

/* The flags Linux clears on entry to a handler: trap, direction and resume. */
#define EFLAGS_HANDLER_CLEAR 0x10500

/* The frame the kernel pushes for a handler: the return address (the restorer), the ucontext,
 * the siginfo; the FPU state sits above it, 64-byte aligned. */
struct rt_sigframe {
    uint64_t pretcode;
    struct linux_ucontext uc;
    struct linux_siginfo info;
};

_Static_assert(sizeof(struct pal_context) == sizeof(((struct linux_ucontext*)0)->uc_mcontext),
               "struct pal_context has the layout of struct sigcontext");
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo is 128 bytes");
_Static_assert(offsetof(struct rt_sigframe, uc) == 8, "ucontext right after the return address");

static bool altstack_contains(const struct libos_thread* t, uint64_t sp) {
    return sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
}

/* With SS_AUTODISARM the stack counts as not in use, so that nested handlers may switch to it. */
static bool altstack_on(const struct libos_thread* t, uint64_t sp) {
    if (t->altstack_flags & LINUX_SS_AUTODISARM)
        return false;
    return altstack_contains(t, sp);
}

static int altstack_state(const struct libos_thread* t, uint64_t sp) {
    if (!t->altstack_size)
        return LINUX_SS_DISABLE;
    return altstack_on(t, sp) ? LINUX_SS_ONSTACK : 0;
}

static void altstack_reset(struct libos_thread* t) {
    t->altstack_sp = 0;
    t->altstack_size = 0;
    t->altstack_flags = LINUX_SS_DISABLE;
}

int sigframe_push(struct pal_context* ctx, int signo, const struct linux_siginfo* info,
                  const struct libos_sigaction* act, sigset64_t saved_mask) {
    struct libos_thread* t = libos_current();
    struct rt_sigframe frame;

    /* Without a restorer there is nowhere to return to; Linux fails the delivery too. */
    if (!(act->flags & LINUX_SA_RESTORER))
        return -EFAULT;

    uint64_t sp = ctx->rsp - REDZONE_SIZE;
    bool nested = altstack_on(t, ctx->rsp);
    bool entering = false;
    if ((act->flags & LINUX_SA_ONSTACK) && altstack_state(t, sp) == 0) {
        sp = t->altstack_sp + t->altstack_size;
        entering = true;
    }
    size_t fp_size = ctx->fpstate ? fpstate_size(ctx->fpstate) : 0;
    uint64_t fp_addr = 0;
    if (fp_size) {
        sp = (sp - fp_size) & ~63ULL;
        fp_addr = sp;
    }
    sp -= sizeof(frame);
    /* As after a call: (sp + 8) is 16-byte aligned at the handler's first instruction. */
    sp = (sp & ~15ULL) - 8;
    if ((nested || entering) && !altstack_contains(t, sp))
        return -EFAULT;

    memset(&frame, 0, sizeof(frame));
    frame.pretcode = act->restorer;
    frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    if (fp_size > 512)
        frame.uc.uc_flags |= UC_FP_XSTATE;
    frame.uc.uc_stack.ss_sp = t->altstack_sp;
    frame.uc.uc_stack.ss_flags = t->altstack_flags;
    frame.uc.uc_stack.ss_size = t->altstack_size;
    struct pal_context mc = *ctx;
    mc.fpstate = (void*)fp_addr;
    mc.oldmask = saved_mask;
    memset(mc.reserved, 0, sizeof(mc.reserved));
    memcpy(frame.uc.uc_mcontext, &mc, sizeof(mc));
    frame.uc.uc_sigmask = saved_mask;
    frame.info = *info;

    if (fp_size && copy_to_app((void*)fp_addr, ctx->fpstate, fp_size) < 0)
        return -EFAULT;
    if (copy_to_app((void*)sp, &frame, sizeof(frame)) < 0)
        return -EFAULT;

    if (entering && (t->altstack_flags & LINUX_SS_AUTODISARM))
        altstack_reset(t);
    /* The handler starts with a clean FPU, as on Linux; rt_sigreturn brings the old one back. */
    if (ctx->fpstate)
        fpstate_reset(ctx->fpstate);
    ctx->rip = act->handler;
    ctx->rdi = (uint64_t)signo;
    ctx->rsi = sp + offsetof(struct rt_sigframe, info);
    ctx->rdx = sp + offsetof(struct rt_sigframe, uc);
    ctx->rsp = sp;
    ctx->rax = 0;
    ctx->eflags &= ~(uint64_t)EFLAGS_HANDLER_CLEAR;
    return 0;
}

/* Changes the thread's alternate stack as sigaltstack(2) would, given the app's stack pointer.
 * Not while running on it; sizes below MINSIGSTKSZ are refused. */
int signal_sigaltstack_apply(struct libos_thread* t, const struct linux_stack_t* ss,
                             uint64_t app_sp) {
    int mode = ss->ss_flags & ~(int)LINUX_SS_AUTODISARM;

    if (altstack_on(t, app_sp))
        return -EPERM;
    if (mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK && mode != 0)
        return -EINVAL;
    if (mode == LINUX_SS_DISABLE) {
        altstack_reset(t);
        return 0;
    }
    if (ss->ss_size < LINUX_MINSIGSTKSZ)
        return -ENOMEM;
    t->altstack_sp = ss->ss_sp;
    t->altstack_size = ss->ss_size;
    t->altstack_flags = ss->ss_flags;
    return 0;
}

long sys_sigaltstack(const struct linux_stack_t* uss, struct linux_stack_t* uoss) {
    struct libos_thread* t = libos_current();
    uint64_t sp = t->ctx ? t->ctx->rsp : 0;
    struct linux_stack_t old = {
        .ss_sp = t->altstack_sp,
        .ss_flags = altstack_state(t, sp) | (t->altstack_flags & (int)LINUX_SS_AUTODISARM),
        .ss_size = t->altstack_size,
    };

    if (uss) {
        struct linux_stack_t ss;
        if (copy_from_app(&ss, uss, sizeof(ss)) < 0)
            return -EFAULT;
        int ret = signal_sigaltstack_apply(t, &ss, sp);
        if (ret < 0)
            return ret;
    }
    if (uoss && copy_to_app(uoss, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

/* Restores the FPU state the frame names; a NULL pointer means "initial state", as on Linux. */
static int sigreturn_restore_fpu(struct pal_context* ctx, uint64_t app_fp) {
    if (!ctx->fpstate)
        return 0;
    if (!app_fp) {
        fpstate_reset(ctx->fpstate);
        return 0;
    }
    size_t size = fpstate_size(ctx->fpstate);
    void* copy = malloc(size);
    if (!copy)
        return -ENOMEM;
    int ret = copy_from_app(copy, (const void*)app_fp, size);
    if (ret == 0)
        fpstate_restore_checked(ctx->fpstate, copy, size);
    free(copy);
    return ret;
}

/* Returns from a handler: the frame sits where the handler's return popped the restorer's
 * address, at the app's stack pointer. Everything in it is the app's and is checked. */
long sys_rt_sigreturn(void) {
    struct libos_thread* t = libos_current();
    struct pal_context* ctx = t->ctx;
    struct linux_ucontext uc;
    struct pal_context mc;

    if (copy_from_app(&uc, (const void*)ctx->rsp, sizeof(uc)) < 0)
        goto bad_frame;
    memcpy(&mc, uc.uc_mcontext, sizeof(mc));
    if (sigreturn_restore_fpu(ctx, (uint64_t)mc.fpstate) < 0)
        goto bad_frame;

    ctx->r8 = mc.r8;
    ctx->r9 = mc.r9;
    ctx->r10 = mc.r10;
    ctx->r11 = mc.r11;
    ctx->r12 = mc.r12;
    ctx->r13 = mc.r13;
    ctx->r14 = mc.r14;
    ctx->r15 = mc.r15;
    ctx->rdi = mc.rdi;
    ctx->rsi = mc.rsi;
    ctx->rbp = mc.rbp;
    ctx->rbx = mc.rbx;
    ctx->rdx = mc.rdx;
    ctx->rax = mc.rax;
    ctx->rcx = mc.rcx;
    ctx->rsp = mc.rsp;
    ctx->rip = mc.rip;
    ctx->eflags =
        (ctx->eflags & ~(uint64_t)EFLAGS_USER_CHANGEABLE) | (mc.eflags & EFLAGS_USER_CHANGEABLE);

    signal_set_mask(uc.uc_sigmask);
    /* Fails harmlessly while still on the alternate stack; re-arms an SS_AUTODISARM one. */
    signal_sigaltstack_apply(t, &uc.uc_stack, ctx->rsp);

    /* The restored rax is a register value, not a syscall result to restart. */
    t->syscall_nr = -1;
    return (long)ctx->rax;

bad_frame:
    log_debug("rt_sigreturn: bad frame at 0x%lx", (unsigned long)ctx->rsp);
    process_die_by_signal(LINUX_SIGSEGV);
}
