/* Events from the PAL other than syscalls: faults in app code, host signals, interrupts. */
#include "libos.h"
#include "manifest.h"
#include "proc.h"
#include "process.h"

#define CLD_STOPPED   5
#define CLD_CONTINUED 6

/* Host signals that become guest signals to the process. SIGTERM only when the manifest
 * enables sys.enable_sigterm_injection, as in Gramine (otherwise it ends the process); any other
 * host signal is dropped. */
struct host_signal_row {
    int signo;
    bool needs_sigterm_injection;
};

static const struct host_signal_row g_host_signals[] = {
    {LINUX_SIGHUP, false},  {LINUX_SIGINT, false},  {LINUX_SIGQUIT, false},
    {LINUX_SIGUSR1, false}, {LINUX_SIGUSR2, false}, {LINUX_SIGWINCH, false},
    {LINUX_SIGTERM, true},  {LINUX_SIGCHLD, false}, {LINUX_SIGTSTP, false},
};

static bool host_signal_forwarded(int signo) {
    for (size_t i = 0; i < sizeof(g_host_signals) / sizeof(g_host_signals[0]); i++) {
        if (g_host_signals[i].signo != signo)
            continue;
        if (!g_host_signals[i].needs_sigterm_injection)
            return true;
        return g_process.manifest && g_process.manifest->enable_sigterm_injection;
    }
    return false;
}

/* The guest signal each fault event raises. */
static int fault_signal(enum pal_event ev, const struct pal_event_info* info) {
    switch (ev) {
        case PAL_EVENT_MEMFAULT:
            return info->signo == LINUX_SIGBUS ? LINUX_SIGBUS : LINUX_SIGSEGV;
        case PAL_EVENT_ARITH:
            return LINUX_SIGFPE;
        case PAL_EVENT_ILLEGAL:
            return LINUX_SIGILL;
        default:
            return LINUX_SIGTRAP;
    }
}

static void handle_fault(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx) {
    int signo = fault_signal(ev, info);

    if (info->in_pal) {
        log_error("fatal: signal %d (code %d) inside the library OS at rip 0x%lx, address 0x%lx",
                  signo, info->code, (unsigned long)ctx->rip, (unsigned long)info->addr);
        process_die_by_signal(signo);
    }
    signal_handle_fault(signo, info->code, info->addr, ctx);
}

/* A child's host process ended, stopped or continued: SIGCHLD names the guest child, unless it
 * only stopped or continued and the handler asks for no such news (SA_NOCLDSTOP). */
static void handle_child_signal(struct pal_event_info* info, struct pal_context* ctx) {
    struct linux_siginfo si = {.signo = LINUX_SIGCHLD, .code = info->code};

    process_note_child_event();
    if (info->code == CLD_STOPPED || info->code == CLD_CONTINUED) {
        spinlock_lock(&g_process.lock);
        bool quiet = g_process.sigactions[LINUX_SIGCHLD].flags & LINUX_SA_NOCLDSTOP;
        spinlock_unlock(&g_process.lock);
        if (quiet)
            return;
    }
    si.kill.pid = process_child_pid_of_host(info->sender_pid);
    si.kill.uid = g_process.uid;
    si.kill.status = info->status;
    /* Every stop is a host SIGSTOP; the leader knows the guest signal that caused it. */
    if (info->code == CLD_STOPPED && si.kill.pid > 0) {
        int signo = leader_stop_signal(si.kill.pid);
        if (signo > 0)
            si.kill.status = signo;
    }
    signal_send(0, LINUX_SIGCHLD, &si);
    if (!info->in_pal)
        signal_deliver_pending(ctx, NULL);
}

static void handle_host_signal(struct pal_event_info* info, struct pal_context* ctx) {
    if (!info->from_process && !host_signal_forwarded(info->signo)) {
        /* Without injection the app never sees the host's SIGTERM, but the host still ends
         * the process with it: a supervisor's kill or timeout must not be ignored. */
        if (info->signo == LINUX_SIGTERM) {
            log_debug("host SIGTERM: ending the process (sys.enable_sigterm_injection is off)");
            process_die_by_signal(LINUX_SIGTERM);
        }
        log_debug("host signal %d dropped", info->signo);
        return;
    }
    /* Raised by the terminal: only the guest foreground group takes it (see leader.c). */
    if (!info->from_process && info->code == LINUX_SI_KERNEL) {
        process_note_tty_signal(info->signo);
        if (!info->in_pal) {
            process_settle_tty_signals();
            signal_deliver_pending(ctx, NULL);
        }
        return;
    }
    if (!info->from_process && info->signo == LINUX_SIGCHLD) {
        handle_child_signal(info, ctx);
        return;
    }
    /* The sender is outside the guest's world: it shows as pid 0, like a kernel sender. */
    struct linux_siginfo si = {.signo = info->signo, .code = LINUX_SI_USER};
    if (info->from_process)
        si.kill.pid = info->sender_value; /* another guest process: its guest pid */
    if (info->from_process && info->signo == LINUX_SIGCONT)
        leader_note_continued();
    signal_send(0, info->signo, &si);
    if (!info->in_pal)
        signal_deliver_pending(ctx, NULL);
}

void proc_handle_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx) {
    struct libos_thread* t = libos_current();

    /* In app code, ctx is the app's state; inside a blocking PAL call it is not, and the call
     * itself returns -EINTR for the signal to be seen on the way out of the syscall. */
    if (!info->in_pal && !proc_thread_of(t)->helper)
        t->ctx = ctx;

    switch (ev) {
        case PAL_EVENT_MEMFAULT:
        case PAL_EVENT_ARITH:
        case PAL_EVENT_ILLEGAL:
        case PAL_EVENT_TRAP:
            handle_fault(ev, info, ctx);
            break;
        case PAL_EVENT_HOST_SIGNAL:
            handle_host_signal(info, ctx);
            break;
        case PAL_EVENT_INTERRUPT:
            if (!info->in_pal)
                signal_deliver_pending(ctx, NULL);
            break;
        case PAL_EVENT_SYSCALL:
            break;
    }
}
