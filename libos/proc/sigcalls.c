/* The signal syscalls: actions, masks, waiting for signals, and sending them within the process. */
#include "libos.h"
#include "proc.h"
#include "process.h"

#define NSEC_PER_SEC 1000000000LL

static bool signo_valid(int signo) {
    return signo >= 1 && signo < LIBOS_NSIG;
}

long sys_rt_sigaction(int signo, const struct libos_sigaction* act, struct libos_sigaction* oact,
                      size_t sigsetsize) {
    struct libos_sigaction new, old;

    if (sigsetsize != sizeof(sigset64_t) || !signo_valid(signo))
        return -EINVAL;
    if (act && (signo == LINUX_SIGKILL || signo == LINUX_SIGSTOP))
        return -EINVAL;
    if (act && copy_from_app(&new, act, sizeof(new)) < 0)
        return -EFAULT;

    spinlock_lock(&g_process.lock);
    old = g_process.sigactions[signo];
    if (act) {
        new.mask &= ~SIG_UNBLOCKABLE;
        g_process.sigactions[signo] = new;
        /* POSIX: a pending signal whose action becomes "ignore" is discarded, blocked or not. */
        if (signal_action_ignores_locked(signo))
            signal_flush_locked(signo);
    }
    spinlock_unlock(&g_process.lock);

    if (oact && copy_to_app(oact, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigprocmask(int how, const sigset64_t* set, sigset64_t* oset, size_t sigsetsize) {
    struct libos_thread* t = libos_current();
    sigset64_t new, old = t->sigmask;

    if (sigsetsize != sizeof(sigset64_t))
        return -EINVAL;
    if (set) {
        if (copy_from_app(&new, set, sizeof(new)) < 0)
            return -EFAULT;
        switch (how) {
            case LINUX_SIG_BLOCK:
                new |= old;
                break;
            case LINUX_SIG_UNBLOCK:
                new = old & ~new;
                break;
            case LINUX_SIG_SETMASK:
                break;
            default:
                return -EINVAL;
        }
        signal_set_mask(new);
    }
    if (oset && copy_to_app(oset, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

/* Pending and blocked signals, for the thread and the process together. */
long sys_rt_sigpending(sigset64_t* set, size_t sigsetsize) {
    struct libos_thread* t = libos_current();

    if (sigsetsize > sizeof(sigset64_t))
        return -EINVAL;
    spinlock_lock(&g_process.lock);
    sigset64_t pending = (t->pending | g_process.pending) & t->sigmask;
    spinlock_unlock(&g_process.lock);
    return copy_to_app(set, &pending, sigsetsize);
}

long sys_rt_sigsuspend(const sigset64_t* mask, size_t sigsetsize) {
    sigset64_t new;

    if (sigsetsize != sizeof(sigset64_t))
        return -EINVAL;
    if (copy_from_app(&new, mask, sizeof(new)) < 0)
        return -EFAULT;
    signal_mask_temporarily(new);
    signal_wait(-1);
    return -ERESTARTNOHAND;
}

long sys_pause(void) {
    signal_wait(-1);
    return -ERESTARTNOHAND;
}

static long sigtimedwait_take(sigset64_t set, struct linux_siginfo* info) {
    struct libos_thread* t = libos_current();

    spinlock_lock(&g_process.lock);
    int signo = signal_dequeue_locked(t, set, info);
    spinlock_unlock(&g_process.lock);
    return signo;
}

/* True if a signal outside set would interrupt the caller. */
static bool sigtimedwait_interrupted(sigset64_t set) {
    struct libos_thread* t = libos_current();
    sigset64_t pending = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
                         __atomic_load_n(&g_process.pending, __ATOMIC_ACQUIRE);
    return pending & ~t->sigmask & ~set;
}

/* Blocks until a signal of set can be taken (its number), another signal is deliverable
 * (-EINTR) or timeout_ns passes (-EAGAIN; < 0 waits forever). */
static long sigtimedwait_block(sigset64_t set, int64_t timeout_ns, struct linux_siginfo* info) {
    uint64_t start, now;

    pal_clock_get(PAL_CLOCK_MONOTONIC, &start);
    for (;;) {
        int64_t left = -1;
        if (timeout_ns >= 0) {
            pal_clock_get(PAL_CLOCK_MONOTONIC, &now);
            left = timeout_ns - (int64_t)(now - start);
            if (left <= 0)
                return -EAGAIN;
        }
        signal_wait(left);
        long signo = sigtimedwait_take(set, info);
        if (signo)
            return signo;
        if (sigtimedwait_interrupted(set))
            return -EINTR;
    }
}

/* Waits for a signal of set, blocked or not, and takes it without running a handler. Another
 * deliverable signal ends the wait with EINTR. Only the waiting thread's view changes: it is
 * marked as wanting set, so a process-directed signal of set is steered to it. */
long sys_rt_sigtimedwait(const sigset64_t* uset, struct linux_siginfo* uinfo,
                         const struct linux_timespec* utimeout, size_t sigsetsize) {
    struct proc_thread* pt = proc_current();
    struct linux_siginfo info;
    struct linux_timespec ts;
    sigset64_t set;
    int64_t timeout = -1;

    if (sigsetsize != sizeof(sigset64_t))
        return -EINVAL;
    if (copy_from_app(&set, uset, sizeof(set)) < 0)
        return -EFAULT;
    set &= ~SIG_UNBLOCKABLE;
    if (utimeout) {
        if (copy_from_app(&ts, utimeout, sizeof(ts)) < 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
            return -EINVAL;
        timeout = ts.tv_sec > INT64_MAX / NSEC_PER_SEC - 1 ? INT64_MAX
                                                            : ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
    }

    long signo = sigtimedwait_take(set, &info);
    if (!signo && timeout != 0) {
        spinlock_lock(&g_process.lock);
        pt->sigwaiting = set;
        signal_retarget_locked();
        spinlock_unlock(&g_process.lock);

        signo = sigtimedwait_block(set, timeout, &info);

        spinlock_lock(&g_process.lock);
        pt->sigwaiting = 0;
        signal_retarget_locked();
        spinlock_unlock(&g_process.lock);
        if (signo < 0)
            return signo;
    }
    if (!signo)
        return -EAGAIN;
    if (uinfo && copy_to_app(uinfo, &info, sizeof(info)) < 0)
        return -EFAULT;
    return signo;
}

/* The sender's identity for kill-like calls. */
static struct linux_siginfo siginfo_from_self(int signo, int code) {
    struct linux_siginfo info = {.signo = signo, .code = code};
    info.kill.pid = g_process.pid;
    info.kill.uid = g_process.uid;
    return info;
}

/* Until there are other processes, every pid but our own names nobody. kill(-1) reaches every
 * process but the caller, which here is none. */
long sys_kill(int pid, int signo) {
    if (signo < 0 || signo >= LIBOS_NSIG)
        return -EINVAL;
    if (pid != g_process.pid)
        return process_kill(pid, signo); /* groups, which may hold the caller, too */
    struct linux_siginfo info = siginfo_from_self(signo, LINUX_SI_USER);
    return signal_send(0, signo, &info);
}

long sys_tgkill(int tgid, int tid, int signo) {
    if (tgid <= 0 || tid <= 0 || signo < 0 || signo >= LIBOS_NSIG)
        return -EINVAL;
    if (tgid != g_process.pid)
        return -ESRCH;
    struct linux_siginfo info = siginfo_from_self(signo, LINUX_SI_TKILL);
    return signal_send(tid, signo, &info);
}

long sys_tkill(int tid, int signo) {
    if (tid <= 0 || signo < 0 || signo >= LIBOS_NSIG)
        return -EINVAL;
    struct linux_siginfo info = siginfo_from_self(signo, LINUX_SI_TKILL);
    return signal_send(tid, signo, &info);
}

static long sigqueue_common(int tgid, int tid, int signo, const struct linux_siginfo* uinfo) {
    struct linux_siginfo info;

    /* Linux copies the siginfo in before it looks at the signal or the target. */
    if (copy_from_app(&info, uinfo, sizeof(info)) < 0)
        return -EFAULT;
    if (!signo_valid(signo) && signo != 0)
        return -EINVAL;
    if (tgid != g_process.pid)
        return -ESRCH;
    /* Codes >= 0 and SI_TKILL claim to come from the kernel or kill(); Linux allows them only
     * when a process signals itself, which is always the case here. */
    info.signo = signo;
    return signal_send(tid, signo, &info);
}

long sys_rt_sigqueueinfo(int tgid, int signo, const struct linux_siginfo* uinfo) {
    return sigqueue_common(tgid, 0, signo, uinfo);
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int signo, const struct linux_siginfo* uinfo) {
    if (tid <= 0)
        return -EINVAL;
    return sigqueue_common(tgid, tid, signo, uinfo);
}

/* A syscall restarted after a handler that is not SA_RESTART-safe ends up here on Linux; the
 * library OS never asks for it, so an app calling it directly just gets EINTR. */
long sys_restart_syscall(void) {
    return -EINTR;
}
