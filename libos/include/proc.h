/* Threads, futexes, signals and time: what libos/proc/ offers the rest of the library OS. */
#ifndef KERNITE_PROC_H
#define KERNITE_PROC_H

#include "libos.h"

/* Signal-related values the shared ABI header does not carry. */
#define LINUX_SS_AUTODISARM (1U << 31)
#define LINUX_MINSIGSTKSZ   2048
#define LINUX_SI_TIMER      (-2)
#define LINUX_SEGV_MAPERR   1
#define LINUX_SEGV_ACCERR   2

#define SIG_UNBLOCKABLE (SIGBIT(LINUX_SIGKILL) | SIGBIT(LINUX_SIGSTOP))

/* The library OS's per-thread state: the shared part (struct libos_thread) first, then what only
 * libos/proc/ uses. Every thread the library OS knows, app thread or helper, is one of these, so
 * libos_current() can be converted with proc_thread_of(). */
struct proc_thread {
    struct libos_thread base;     /* must stay first */
    struct pal_context start_ctx; /* registers a new thread enters app code with */
    uint64_t start_fs;            /* its FS base (the app's thread pointer) */
    sigset64_t sigwaiting;        /* signals rt_sigtimedwait is waiting for, blocked or not */
    char name[16];                /* prctl(PR_SET_NAME), /proc/self/comm */
    int pdeathsig;
    bool helper;                   /* a library OS thread that never runs app code */
    bool exec_doomed;              /* another thread runs execve: this one ends at once */
    struct proc_thread* dead_next; /* exited, waiting for the host thread to be gone */
};

static inline struct proc_thread* proc_thread_of(struct libos_thread* t) {
    return (struct proc_thread*)t;
}

static inline struct proc_thread* proc_current(void) {
    return proc_thread_of(libos_current());
}

/* The event entry for everything except PAL_EVENT_SYSCALL: faults, host signals and
 * interrupts. Delivers pending signals into ctx when it is app code. */
void proc_handle_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx);

/* Futex operations on app words, for the library OS's own use (thread exit, robust lists). */
int futex_wake(uint32_t* addr, int count, uint32_t bitset);

/* For calls that take a signal mask for their duration (ppoll, pselect6, epoll_pwait): installs
 * mask now. signal_deliver_pending puts the old mask back when the call returns: into the
 * handler's frame when a signal interrupts the call, else at once. signal_mask_restore does
 * the latter early. */
void signal_mask_temporarily(sigset64_t mask);
void signal_mask_restore(void);

/* The thread's name as prctl(PR_GET_NAME) reports it; buf holds at least 16 bytes. */
void thread_get_name(struct libos_thread* t, char* buf, size_t size);

/* Per-process resource limit (RLIMIT_*), as getrlimit would report it. */
int proc_rlimit_get(int resource, struct linux_rlimit* out);

/* Nanoseconds on a Linux clock id (CLOCK_REALTIME, CLOCK_MONOTONIC, ...), or -EINVAL. */
int time_clock_get_ns(int clockid, uint64_t* ns);

struct linux_rusage {
    struct linux_timeval utime;
    struct linux_timeval stime;
    int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
        nsignals, nvcsw, nivcsw;
};
/* Fills a Linux struct rusage from what the host measured. */
void time_rusage_from_pal(const struct pal_usage* u, struct linux_rusage* ru);

/* Size of an XSAVE area as the kernel lays it out in a signal frame (512 if legacy only). */
size_t fpstate_size(const void* fpstate);
/* Copies an app-provided FPU state (from a signal frame) over dst, keeping what XRSTOR would
 * fault on or what the host needs (format words, reserved bits) from dst itself. */
void fpstate_restore_checked(void* dst, const void* app_copy, size_t app_size);
/* Puts dst into the state a fresh process starts with. */
void fpstate_reset(void* dst);

/* Helpers shared by the files of libos/proc/; not for other subsystems. */
void thread_reap_dead(void);
/* Ends the calling thread because another one runs execve (exec.c waits for that). */
__attribute__((noreturn)) void thread_exit_for_exec(void);
int sigframe_push(struct pal_context* ctx, int signo, const struct linux_siginfo* info,
                  const struct libos_sigaction* act, sigset64_t saved_mask);
int signal_dequeue_locked(struct libos_thread* t, sigset64_t allowed, struct linux_siginfo* info);
void signal_flush_locked(int signo);
bool signal_action_ignores_locked(int signo);
void signal_set_mask(sigset64_t mask);
/* Blocks until a signal is pending (-EINTR) or timeout_ns passes (0); < 0 waits forever. */
int signal_wait(int64_t timeout_ns);
void signal_retarget_locked(void);
bool signal_thread_wants_locked(struct libos_thread* t, int signo);
int signal_sigaltstack_apply(struct libos_thread* t, const struct linux_stack_t* ss,
                             uint64_t app_sp);
void proc_identity_init(void);
int creds_keep_caps(int set); /* set < 0: only report */
bool creds_cap_bounded(int cap);
void proc_rlimit_init(void);

#endif
