/* Guest signals: queueing, choosing the thread that takes one, default actions and delivery. */
#include "libos.h"
#include "proc.h"
#include "process.h"

/* What a signal does when its handler is SIG_DFL. */
enum signal_default {
    SIGDFL_TERM = 0, /* the zero value: real-time signals terminate too */
    SIGDFL_CORE,
    SIGDFL_IGNORE,
    SIGDFL_STOP, /* the whole process stops until SIGCONT (see signal_stop) */
};

static const uint8_t g_default_actions[LIBOS_NSIG] = {
    [LINUX_SIGQUIT] = SIGDFL_CORE,   [LINUX_SIGILL] = SIGDFL_CORE,
    [LINUX_SIGTRAP] = SIGDFL_CORE,   [LINUX_SIGABRT] = SIGDFL_CORE,
    [LINUX_SIGBUS] = SIGDFL_CORE,    [LINUX_SIGFPE] = SIGDFL_CORE,
    [LINUX_SIGSEGV] = SIGDFL_CORE,   [LINUX_SIGXCPU] = SIGDFL_CORE,
    [LINUX_SIGXFSZ] = SIGDFL_CORE,   [LINUX_SIGSYS] = SIGDFL_CORE,
    [LINUX_SIGCHLD] = SIGDFL_IGNORE, [LINUX_SIGCONT] = SIGDFL_IGNORE,
    [LINUX_SIGURG] = SIGDFL_IGNORE,  [LINUX_SIGWINCH] = SIGDFL_IGNORE,
    [LINUX_SIGSTOP] = SIGDFL_STOP,   [LINUX_SIGTSTP] = SIGDFL_STOP,
    [LINUX_SIGTTIN] = SIGDFL_STOP,   [LINUX_SIGTTOU] = SIGDFL_STOP,
};

/* Signals raised by a faulting instruction are taken before any other pending one, as Linux
 * does, so that the handler sees the fault that happened. */
#define SIG_SYNCHRONOUS                                                                            \
    (SIGBIT(LINUX_SIGSEGV) | SIGBIT(LINUX_SIGBUS) | SIGBIT(LINUX_SIGILL) | SIGBIT(LINUX_SIGTRAP) | \
     SIGBIT(LINUX_SIGFPE) | SIGBIT(LINUX_SIGSYS))

#define SIG_STOPS                                                                                  \
    (SIGBIT(LINUX_SIGSTOP) | SIGBIT(LINUX_SIGTSTP) | SIGBIT(LINUX_SIGTTIN) | SIGBIT(LINUX_SIGTTOU))

static bool signal_default_stops(int signo) {
    return g_default_actions[signo] == SIGDFL_STOP;
}

/* As the init of a pid namespace, pid 1 never stops: a stop with the default action is
 * ignored there. */
static bool signal_default_ignored(int signo) {
    return g_default_actions[signo] == SIGDFL_IGNORE ||
           (signal_default_stops(signo) && g_process.pid == 1);
}

/* True if receiving signo would do nothing, now. */
bool signal_action_ignores_locked(int signo) {
    uint64_t handler = g_process.sigactions[signo].handler;
    return handler == LINUX_SIG_IGN || (handler == LINUX_SIG_DFL && signal_default_ignored(signo));
}

bool signal_thread_wants_locked(struct libos_thread* t, int signo) {
    sigset64_t bit = SIGBIT(signo);
    return !t->exiting && (!(t->sigmask & bit) || (proc_thread_of(t)->sigwaiting & bit));
}

static void signal_interrupt_locked(struct libos_thread* t) {
    if (t != libos_current())
        pal_thread_interrupt(&t->pal);
}

/* Makes a thread that can take one of the process-directed pending signals notice it. The
 * calling thread is preferred: it checks for signals on its way back to the app anyway. */
void signal_retarget_locked(void) {
    sigset64_t left = g_process.pending;
    struct libos_thread* self = libos_current();

    if (!left)
        return;
    if (!proc_thread_of(self)->helper) {
        for (int sig = 1; sig < LIBOS_NSIG; sig++) {
            if ((left & SIGBIT(sig)) && signal_thread_wants_locked(self, sig))
                left &= ~SIGBIT(sig);
        }
    }
    for (struct libos_thread* t = g_process.threads; t && left; t = t->next) {
        sigset64_t taken = 0;
        for (int sig = 1; sig < LIBOS_NSIG; sig++) {
            if ((left & SIGBIT(sig)) && signal_thread_wants_locked(t, sig))
                taken |= SIGBIT(sig);
        }
        if (taken) {
            signal_interrupt_locked(t);
            left &= ~taken;
        }
    }
}

/* A signal that would be ignored is dropped when sent, unless it is blocked (then it stays
 * pending: the action may change, or rt_sigtimedwait may take it). For a process-directed
 * signal "blocked" means blocked by every thread. */
static bool signal_drop_on_send_locked(struct libos_thread* target, int signo) {
    if (!signal_action_ignores_locked(signo))
        return false;
    if (target)
        return !(target->sigmask & SIGBIT(signo));
    for (struct libos_thread* t = g_process.threads; t; t = t->next) {
        if (!(t->sigmask & SIGBIT(signo)))
            return true;
    }
    return false;
}

/* Standard signals coalesce, as on Linux. Real-time signals coalesce too: Kernite keeps one
 * instance of each pending signal (Linux would queue every instance). */
static void signal_queue_locked(sigset64_t* pending, struct linux_siginfo* infos, int signo,
                                const struct linux_siginfo* info) {
    if (*pending & SIGBIT(signo))
        return;
    infos[signo] = *info;
    infos[signo].signo = signo;
    __atomic_or_fetch(pending, SIGBIT(signo), __ATOMIC_RELEASE);
}

int signal_send(int tid, int signo, const struct linux_siginfo* info) {
    struct linux_siginfo kernel_info = {.signo = signo, .code = LINUX_SI_KERNEL};
    int ret = 0;

    if (signo < 0 || signo >= LIBOS_NSIG)
        return -EINVAL;
    if (!info)
        info = &kernel_info;

    spinlock_lock(&g_process.lock);
    struct libos_thread* target = tid ? thread_lookup(tid) : NULL;
    if (tid && !target) {
        ret = -ESRCH;
        goto out;
    }
    if (signo == 0)
        goto out;
    if (signo == LINUX_SIGKILL) {
        spinlock_unlock(&g_process.lock);
        process_die_by_signal(LINUX_SIGKILL);
    }
    /* A SIGCONT discards pending stops, and a stop discards a pending SIGCONT. */
    if (signo == LINUX_SIGCONT) {
        for (int sig = 1; sig < LIBOS_NSIG; sig++) {
            if (SIG_STOPS & SIGBIT(sig))
                signal_flush_locked(sig);
        }
    } else if (SIG_STOPS & SIGBIT(signo)) {
        signal_flush_locked(LINUX_SIGCONT);
    }
    if (signal_drop_on_send_locked(target, signo))
        goto out;

    if (target) {
        signal_queue_locked(&target->pending, target->pending_info, signo, info);
        if (signal_thread_wants_locked(target, signo))
            signal_interrupt_locked(target);
    } else {
        signal_queue_locked(&g_process.pending, g_process.pending_info, signo, info);
        signal_retarget_locked();
    }
out:
    spinlock_unlock(&g_process.lock);
    return ret;
}

static sigset64_t signal_pending_set(struct libos_thread* t) {
    return __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
           __atomic_load_n(&g_process.pending, __ATOMIC_ACQUIRE);
}

/* Carries out the default action of a stop signal: the whole process stops, all its threads
 * at once (a host stop), until a SIGCONT. The leader does the stopping, so that it is ordered
 * with the SIGCONTs sent through it; a process without a leader stops itself. */
static void signal_stop(int signo) {
    log_debug("signal %d: the process stops", signo);
    if (leader_stop(signo) == -ENOSYS)
        pal_process_signal(0, LINUX_SIGSTOP, g_process.pid);
}

/* Takes the unblocked pending stop signals whose action is the default one and stops for
 * them. A blocking call that checks signal_pending so goes on after the stop, as on Linux. */
static void signal_take_stops(struct libos_thread* t) {
    for (int round = 0; round < 4; round++) {
        int signo = 0;
        struct linux_siginfo info;

        spinlock_lock(&g_process.lock);
        sigset64_t stops = signal_pending_set(t) & ~t->sigmask & SIG_STOPS;
        for (int sig = 1; sig < LIBOS_NSIG && !signo; sig++) {
            if ((stops & SIGBIT(sig)) && g_process.sigactions[sig].handler == LINUX_SIG_DFL)
                signo = signal_dequeue_locked(t, SIGBIT(sig), &info);
        }
        spinlock_unlock(&g_process.lock);
        if (!signo)
            return;
        if (signal_default_stops(signo) && g_process.pid != 1)
            signal_stop(signo);
    }
}

bool signal_pending(void) {
    struct libos_thread* t = libos_current();
    struct proc_thread* pt = proc_thread_of(t);

    if (pt->helper)
        return false;
    if (pt->exec_doomed)
        return true; /* leave the blocking call: it ends */
    /* A signal that came during a fast call (from a rewritten syscall site) is recorded only
     * when the call returns: a blocking call must end for it all the same, or a wait that
     * retries after -EINTR (futex) would sleep through it. */
    if (t->pal.fast_active && (t->pal.fast_deferred | t->pal.fast_deferred_guest))
        return true;
    if (process_tty_signal_noted())
        process_settle_tty_signals();
    sigset64_t pending = signal_pending_set(t);
    if (pending & ~t->sigmask & SIG_STOPS) {
        signal_take_stops(t);
        pending = signal_pending_set(t);
    }
    return pending & (~t->sigmask | pt->sigwaiting);
}

static int signal_pick(sigset64_t set) {
    sigset64_t sync = set & SIG_SYNCHRONOUS;
    return __builtin_ctzll(sync ? sync : set) + 1;
}

/* Takes the next pending signal among allowed: the thread's own first, then the process's. */
int signal_dequeue_locked(struct libos_thread* t, sigset64_t allowed, struct linux_siginfo* info) {
    sigset64_t* pending = &t->pending;
    struct linux_siginfo* infos = t->pending_info;
    sigset64_t set = t->pending & allowed;

    if (!set) {
        pending = &g_process.pending;
        infos = g_process.pending_info;
        set = g_process.pending & allowed;
    }
    if (!set)
        return 0;
    int signo = signal_pick(set);
    *info = infos[signo];
    __atomic_and_fetch(pending, ~SIGBIT(signo), __ATOMIC_RELEASE);
    return signo;
}

/* Discards pending instances of signo everywhere (its action became "ignore"). */
void signal_flush_locked(int signo) {
    __atomic_and_fetch(&g_process.pending, ~SIGBIT(signo), __ATOMIC_RELEASE);
    for (struct libos_thread* t = g_process.threads; t; t = t->next)
        __atomic_and_fetch(&t->pending, ~SIGBIT(signo), __ATOMIC_RELEASE);
}

/* Carries out a SIG_DFL action that is not "ignore": the process ends by the signal. */
__attribute__((noreturn)) static void signal_default_fatal(int signo) {
    log_debug("signal %d: default action ends the process", signo);
    process_die_by_signal(signo);
}

/*
 * Linux's rules for a syscall interrupted by a signal: with a handler about to run, ERESTARTSYS
 * restarts only under SA_RESTART, ERESTARTNOINTR always, ERESTARTNOHAND never; with no handler
 * all three restart. A restart re-executes the syscall instruction with the original number.
 */
static void signal_fix_syscall_result(struct pal_context* ctx, long result, bool handler,
                                      uint64_t sa_flags) {
    bool restart;

    switch (result) {
        case -ERESTARTSYS:
            restart = !handler || (sa_flags & LINUX_SA_RESTART);
            break;
        case -ERESTARTNOINTR:
            restart = true;
            break;
        case -ERESTARTNOHAND:
            restart = !handler;
            break;
        default:
            ctx->rax = (uint64_t)result;
            return;
    }
    /* The interrupt that ended the call has served: left set, it would end the next call too,
     * and a non-blocking one (which never clears it) would restart forever. */
    pal_thread_clear_interrupt();
    if (restart) {
        ctx->rip -= 2;
        ctx->rax = (uint64_t)libos_current()->syscall_nr;
    } else {
        ctx->rax = (uint64_t)-EINTR;
    }
}

/* Enters the handler for signo: pushes the frame and blocks what the action asks. */
static void signal_run_handler(struct pal_context* ctx, int signo, const struct linux_siginfo* info,
                               const struct libos_sigaction* act) {
    struct libos_thread* t = libos_current();
    sigset64_t saved = t->sigsuspend_restore ? t->sigmask_saved : t->sigmask;

    if (sigframe_push(ctx, signo, info, act, saved) < 0) {
        log_debug("signal %d: cannot build the frame on the app stack", signo);
        process_die_by_signal(LINUX_SIGSEGV);
    }

    spinlock_lock(&g_process.lock);
    t->sigsuspend_restore = false;
    sigset64_t mask = t->sigmask | act->mask;
    if (!(act->flags & LINUX_SA_NODEFER))
        mask |= SIGBIT(signo);
    t->sigmask = mask & ~SIG_UNBLOCKABLE;
    signal_retarget_locked();
    spinlock_unlock(&g_process.lock);
}

/* Dequeues the next deliverable signal and its action (resetting a SA_RESETHAND one). */
static int signal_next(struct libos_thread* t, struct linux_siginfo* info,
                       struct libos_sigaction* act) {
    spinlock_lock(&g_process.lock);
    int signo = signal_dequeue_locked(t, ~t->sigmask, info);
    if (signo) {
        struct libos_sigaction* a = &g_process.sigactions[signo];
        *act = *a;
        if ((a->flags & LINUX_SA_RESETHAND) && a->handler > LINUX_SIG_IGN)
            a->handler = LINUX_SIG_DFL;
    }
    spinlock_unlock(&g_process.lock);
    return signo;
}

void signal_deliver_pending(struct pal_context* ctx, long* syscall_result) {
    struct libos_thread* t = libos_current();
    bool in_syscall = syscall_result && t->syscall_nr >= 0;
    bool handled = false;

    if (proc_thread_of(t)->helper)
        return;
    if (proc_thread_of(t)->exec_doomed)
        thread_exit_for_exec();
    process_settle_tty_signals();
    /* Every host signal that came in so far is a pending guest signal by now, or was dropped.
     * A request to interrupt left standing would fail the next blocking host call with EINTR
     * and, with nothing to deliver, restart it forever. Host signals are blocked here, so none
     * can slip in between clearing and the look at what is pending. */
    pal_thread_clear_interrupt();
    /* The common case takes no lock. A signal queued right after this check interrupts the
     * thread, which then takes it as soon as it is back in app code. */
    sigset64_t deliverable = (__atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
                              __atomic_load_n(&g_process.pending, __ATOMIC_ACQUIRE)) &
                             ~t->sigmask;
    /* Every deliverable signal gets its frame, stacked, as Linux does before returning to the
     * app; the loop ends because each handler blocks its own signal or dequeues it. */
    for (int round = 0; deliverable && round < LIBOS_NSIG; round++) {
        struct linux_siginfo info;
        struct libos_sigaction act;
        int signo = signal_next(t, &info, &act);
        if (!signo)
            break;
        if (act.handler == LINUX_SIG_IGN)
            continue;
        if (act.handler == LINUX_SIG_DFL) {
            if (signal_default_ignored(signo))
                continue;
            if (signal_default_stops(signo)) {
                signal_stop(signo);
                continue;
            }
            signal_default_fatal(signo);
        }
        if (in_syscall && !handled)
            signal_fix_syscall_result(ctx, *syscall_result, true, act.flags);
        handled = true;
        signal_run_handler(ctx, signo, &info, &act);
    }

    if (in_syscall && !handled)
        signal_fix_syscall_result(ctx, *syscall_result, false, 0);
    else if (syscall_result && !in_syscall && !handled)
        ctx->rax = (uint64_t)*syscall_result;
    if (t->sigsuspend_restore)
        signal_mask_restore();
}

void signal_handle_fault(int signo, int code, uint64_t addr, struct pal_context* ctx) {
    struct libos_thread* t = libos_current();
    struct linux_siginfo info = {.signo = signo, .code = code};
    struct libos_sigaction act;

    info.fault.addr = addr;
    spinlock_lock(&g_process.lock);
    act = g_process.sigactions[signo];
    bool blocked = t->sigmask & SIGBIT(signo);
    if ((act.flags & LINUX_SA_RESETHAND) && act.handler > LINUX_SIG_IGN)
        g_process.sigactions[signo].handler = LINUX_SIG_DFL;
    spinlock_unlock(&g_process.lock);

    /* A fault that cannot reach a handler ends the process, as Linux forces it to. */
    if (blocked || act.handler <= LINUX_SIG_IGN) {
        log_debug("signal %d (code %d) at 0x%lx, rip 0x%lx: no handler", signo, code,
                  (unsigned long)addr, (unsigned long)ctx->rip);
        process_die_by_signal(signo);
    }
    if (signo == LINUX_SIGSEGV || signo == LINUX_SIGBUS)
        ctx->cr2 = addr;
    signal_run_handler(ctx, signo, &info, &act);
    signal_deliver_pending(ctx, NULL);
}

void signal_mask_temporarily(sigset64_t mask) {
    struct libos_thread* t = libos_current();

    spinlock_lock(&g_process.lock);
    t->sigmask_saved = t->sigmask;
    t->sigsuspend_restore = true;
    t->sigmask = mask & ~SIG_UNBLOCKABLE;
    signal_retarget_locked();
    spinlock_unlock(&g_process.lock);
}

void signal_mask_restore(void) {
    struct libos_thread* t = libos_current();

    spinlock_lock(&g_process.lock);
    if (t->sigsuspend_restore) {
        t->sigmask = t->sigmask_saved;
        t->sigsuspend_restore = false;
        signal_retarget_locked();
    }
    spinlock_unlock(&g_process.lock);
}

void signal_set_mask(sigset64_t mask) {
    struct libos_thread* t = libos_current();

    spinlock_lock(&g_process.lock);
    t->sigmask = mask & ~SIG_UNBLOCKABLE;
    signal_retarget_locked();
    spinlock_unlock(&g_process.lock);
}

/* Blocks until a signal is pending for the caller or timeout_ns passes (< 0: no limit).
 * Returns -EINTR when a signal is pending, 0 on timeout. */
int signal_wait(int64_t timeout_ns) {
    uint64_t start, now, left;
    /* An hour at a time: long enough to cost nothing, short enough for any host. */
    const uint64_t forever_step = 3600ULL * 1000000000ULL;

    pal_clock_get(PAL_CLOCK_MONOTONIC, &start);
    for (;;) {
        pal_thread_clear_interrupt();
        if (signal_pending())
            return -EINTR;
        uint64_t step = forever_step;
        if (timeout_ns >= 0) {
            pal_clock_get(PAL_CLOCK_MONOTONIC, &now);
            if (now - start >= (uint64_t)timeout_ns)
                return 0;
            step = (uint64_t)timeout_ns - (now - start);
        }
        pal_sleep(step, &left);
    }
}
