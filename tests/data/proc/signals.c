/* Signals within one process: handlers, masks, waits, timers, faults and the alternate stack.
 * Prints one "ok" line per behaviour, the same natively and under Kernite; exits non-zero at the
 * first behaviour that differs from Linux. With an argument it instead dies by that signal. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void check(int cond, const char* what) {
    if (!cond) {
        printf("FAIL %s (errno %d)\n", what, errno);
        exit(1);
    }
}

static void ok(const char* what) {
    printf("ok %s\n", what);
    fflush(stdout);
}

static volatile sig_atomic_t g_hits;
static volatile int g_last_signo;
static volatile int g_last_code;
static volatile pid_t g_last_pid;
static volatile int g_last_value;

static void on_signal(int signo, siginfo_t* info, void* uc) {
    g_hits++;
    g_last_signo = signo;
    g_last_code = info->si_code;
    g_last_pid = info->si_pid;
    g_last_value = info->si_value.sival_int;
}

static void set_handler(int signo, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | flags;
    check(sigaction(signo, &sa, NULL) == 0, "sigaction");
}

static void test_handler_runs_with_siginfo(void) {
    set_handler(SIGUSR1, 0);
    g_hits = 0;
    check(raise(SIGUSR1) == 0, "raise");
    check(g_hits == 1 && g_last_signo == SIGUSR1, "handler ran once");
    check(g_last_code == SI_TKILL, "raise() is tgkill: SI_TKILL");
    check(kill(getpid(), SIGUSR1) == 0 && g_hits == 2, "kill to self runs the handler");
    check(g_last_code == SI_USER && g_last_pid == getpid(), "kill: SI_USER from our pid");
    union sigval v = {.sival_int = 42};
    check(sigqueue(getpid(), SIGUSR1, v) == 0 && g_hits == 3, "sigqueue");
    check(g_last_code == SI_QUEUE && g_last_value == 42, "sigqueue carries its value");
    check(kill(getpid(), 0) == 0, "signal 0 checks the target");
    errno = 0;
    check(kill(getpid(), 65) == -1 && errno == EINVAL, "signal 65 is EINVAL");
    errno = 0;
    check(sigaction(SIGKILL, &(struct sigaction){0}, NULL) == -1 && errno == EINVAL,
          "SIGKILL's action cannot change");
    ok("handlers with siginfo for raise, kill and sigqueue");
}

static void test_mask_pending_unblock(void) {
    sigset_t set, old, pend;
    set_handler(SIGUSR2, 0);
    g_hits = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    check(sigprocmask(SIG_BLOCK, &set, &old) == 0, "block");
    raise(SIGUSR2);
    raise(SIGUSR2);
    check(g_hits == 0, "a blocked signal waits");
    check(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2), "and shows as pending");
    check(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "unblock");
    check(g_hits == 1, "standard signals coalesce and arrive on unblock");
    sigpending(&pend);
    check(!sigismember(&pend, SIGUSR2), "no longer pending");

    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    check(!sigismember(&pend, SIGUSR2), "setting SIG_IGN discards a pending signal");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    ok("mask, pending set, unblock, and SIG_IGN discarding");
}

static volatile int g_depth, g_max_depth, g_calls;

/* Raises its own signal twice more in all; reports how deep the handlers nested. */
static void on_nested(int signo) {
    g_depth++;
    g_calls++;
    if (g_depth > g_max_depth)
        g_max_depth = g_depth;
    if (g_calls < 3)
        raise(signo);
    g_depth--;
}

static void test_nested_mask_and_nodefer(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_nested;
    sigaction(SIGUSR1, &sa, NULL);
    g_depth = g_max_depth = g_calls = 0;
    raise(SIGUSR1);
    check(g_max_depth == 1 && g_calls == 3, "a signal is blocked inside its own handler");
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    g_depth = g_max_depth = g_calls = 0;
    raise(SIGUSR1);
    check(g_max_depth == 3 && g_calls == 3, "SA_NODEFER lets it nest");
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    g_calls = 2;
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    check(now.sa_handler == SIG_DFL, "SA_RESETHAND resets the action");
    ok("handler masks its signal; SA_NODEFER; SA_RESETHAND");
}

static void on_alarm(int signo) {
    g_hits++;
}

static void test_alarm_interrupts_sleep_and_pause(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    g_hits = 0;

    struct itimerval it = {{0, 0}, {0, 50000}};
    check(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    struct timespec req = {5, 0}, rem = {0, 0};
    errno = 0;
    check(nanosleep(&req, &rem) == -1 && errno == EINTR, "nanosleep interrupted: EINTR");
    check(g_hits == 1, "the alarm handler ran");
    check(rem.tv_sec >= 3 && rem.tv_sec <= 5, "remaining time reported");

    alarm(1);
    check(alarm(0) == 1, "alarm returns the seconds left");

    it.it_value.tv_usec = 30000;
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    check(pause() == -1 && errno == EINTR && g_hits == 2, "pause returns after a handler");

    it = (struct itimerval){{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (g_hits < 6)
        pause();
    struct itimerval cur;
    check(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 20000,
          "getitimer shows the interval");
    it = (struct itimerval){0};
    setitimer(ITIMER_REAL, &it, NULL);
    ok("interval timer: interrupts nanosleep and pause, repeats, alarm()");
}

static void test_sigsuspend_and_sigtimedwait(void) {
    sigset_t set, old, waitset;
    set_handler(SIGUSR1, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, &old);

    g_hits = 0;
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    sigset_t during = old;
    errno = 0;
    check(sigsuspend(&during) == -1 && errno == EINTR, "sigsuspend returns EINTR");
    check(g_hits == 1, "the handler ran during sigsuspend");
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    check(sigismember(&now, SIGALRM), "sigsuspend restores the mask");

    sigemptyset(&waitset);
    sigaddset(&waitset, SIGUSR1);
    raise(SIGUSR1);
    siginfo_t info;
    check(sigwaitinfo(&waitset, &info) == SIGUSR1 && info.si_signo == SIGUSR1,
          "sigwaitinfo takes a blocked pending signal");
    struct timespec ts = {0, 20000000};
    errno = 0;
    check(sigtimedwait(&waitset, &info, &ts) == -1 && errno == EAGAIN,
          "sigtimedwait times out with EAGAIN");
    check(g_hits == 1, "no handler ran for waited signals");
    sigprocmask(SIG_SETMASK, &old, NULL);
    ok("sigsuspend and sigtimedwait");
}

static atomic_int g_thread_ready;
static volatile pid_t g_handler_tid;
static pid_t g_worker_tid;

static void on_usr2_tid(int signo) {
    g_handler_tid = gettid();
}

static void* sleeper(void* arg) {
    g_worker_tid = gettid();
    atomic_store(&g_thread_ready, 1);
    while (g_handler_tid == 0)
        usleep(1000);
    return NULL;
}

static void* spinner(void* arg) {
    g_worker_tid = gettid();
    atomic_store(&g_thread_ready, 1);
    while (g_handler_tid == 0)
        ; /* no syscalls: the signal must still arrive */
    return NULL;
}

static void run_tgkill_case(void* (*fn)(void*)) {
    pthread_t th;
    g_handler_tid = 0;
    atomic_store(&g_thread_ready, 0);
    pthread_create(&th, NULL, fn, NULL);
    while (!atomic_load(&g_thread_ready))
        sched_yield();
    check(syscall(SYS_tgkill, getpid(), g_worker_tid, SIGUSR2) == 0, "tgkill");
    pthread_join(th, NULL);
    check(g_handler_tid == g_worker_tid, "the handler ran on the target thread");
}

static void test_thread_directed_signals(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr2_tid;
    sigaction(SIGUSR2, &sa, NULL);
    run_tgkill_case(sleeper);
    run_tgkill_case(spinner);
    errno = 0;
    check(syscall(SYS_tgkill, getpid(), 999999, SIGUSR2) == -1 && errno == ESRCH,
          "tgkill to no such thread: ESRCH");

    /* A process-directed signal goes to a thread that does not block it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_t th;
    g_handler_tid = 0;
    atomic_store(&g_thread_ready, 0);
    pthread_create(&th, NULL, sleeper, NULL);
    while (!atomic_load(&g_thread_ready))
        sched_yield();
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR2);
    pthread_join(th, NULL);
    check(g_handler_tid == g_worker_tid, "kill() picks the thread that does not block it");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    ok("tgkill to sleeping and spinning threads; kill picks an unblocked thread");
}

static sigjmp_buf g_jump;
static volatile void* g_fault_addr;
static volatile int g_fault_code;

static void on_fault(int signo, siginfo_t* info, void* uc) {
    g_last_signo = signo;
    g_fault_addr = info->si_addr;
    g_fault_code = info->si_code;
    siglongjmp(g_jump, 1);
}

static void test_synchronous_faults(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    volatile uintptr_t bad = 0x10;
    if (!sigsetjmp(g_jump, 1))
        *(volatile int*)bad = 1;
    check(g_last_signo == SIGSEGV && g_fault_addr == (void*)0x10, "SIGSEGV with si_addr");
    check(g_fault_code == SEGV_MAPERR, "SEGV_MAPERR for an unmapped address");

    static const char ro[4096] __attribute__((aligned(4096))) = "x";
    if (!sigsetjmp(g_jump, 1))
        *(volatile char*)ro = 1;
    check(g_last_signo == SIGSEGV && g_fault_code == SEGV_ACCERR, "SEGV_ACCERR for read-only");

    if (!sigsetjmp(g_jump, 1))
        __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcltd\n\tidiv %%ecx"
                         ::: "eax", "ecx", "edx");
    check(g_last_signo == SIGFPE && g_fault_code == FPE_INTDIV, "SIGFPE FPE_INTDIV");

    if (!sigsetjmp(g_jump, 1))
        __asm__ volatile("ud2");
    check(g_last_signo == SIGILL && g_fault_code == ILL_ILLOPN, "SIGILL ILL_ILLOPN");

    if (!sigsetjmp(g_jump, 1))
        __asm__ volatile("int3");
    check(g_last_signo == SIGTRAP, "SIGTRAP from int3");
    ok("SIGSEGV, SIGFPE, SIGILL and SIGTRAP reach handlers with si_addr and si_code");
}

static volatile uintptr_t g_handler_sp;
static char g_altstack[65536] __attribute__((aligned(16)));

static void on_altstack(int signo) {
    int here;
    g_handler_sp = (uintptr_t)&here;
}

static void test_sigaltstack(void) {
    stack_t ss = {.ss_sp = g_altstack, .ss_size = sizeof(g_altstack), .ss_flags = 0}, old;
    check(sigaltstack(&ss, &old) == 0, "sigaltstack");
    check(old.ss_flags == SS_DISABLE, "no alternate stack before");
    struct sigaction sa = {0};
    sa.sa_handler = on_altstack;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check(g_handler_sp > (uintptr_t)g_altstack &&
          g_handler_sp < (uintptr_t)g_altstack + sizeof(g_altstack), "handler on the alt stack");
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check(!(g_handler_sp > (uintptr_t)g_altstack &&
            g_handler_sp < (uintptr_t)g_altstack + sizeof(g_altstack)),
          "without SA_ONSTACK the handler uses the normal stack");
    ss.ss_size = 100;
    errno = 0;
    check(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM, "a tiny alt stack is ENOMEM");
    ss.ss_flags = SS_DISABLE;
    check(sigaltstack(&ss, NULL) == 0, "disable");
    ok("sigaltstack with SA_ONSTACK");
}

static volatile double g_handler_math;

static void on_fpu(int signo) {
    volatile double x = 3.0;
    for (int i = 0; i < 10; i++)
        x = x * 1.5 + 0.25;
    g_handler_math = x;
}

static void test_fpu_state_survives_handler(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_fpu;
    sigaction(SIGUSR1, &sa, NULL);
    double a = 1.0;
    for (int i = 0; i < 1000; i++) {
        double before = a * 1.000001;
        raise(SIGUSR1);
        a = before;
    }
    check(a > 1.0010004 && a < 1.0010006, "floating-point values survive handlers");
    check(g_handler_math > 100.0, "the handler computed too");
    ok("FPU state is preserved across a handler");
}

static void* late_writer(void* arg) {
    usleep(150000);
    check(write(*(int*)arg, "z", 1) == 1, "write to the pipe");
    return NULL;
}

static void test_sa_restart_versus_eintr(void) {
    int fds[2];
    char c;
    check(pipe(fds) == 0, "pipe");
    set_handler(SIGALRM, 0);
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    check(read(fds[0], &c, 1) == -1 && errno == EINTR, "read without SA_RESTART: EINTR");

    set_handler(SIGALRM, SA_RESTART);
    g_hits = 0;
    pthread_t th;
    pthread_create(&th, NULL, late_writer, &fds[1]);
    setitimer(ITIMER_REAL, &it, NULL);
    check(read(fds[0], &c, 1) == 1 && c == 'z', "with SA_RESTART the read resumes");
    check(g_hits == 1, "SA_RESTART handler ran");
    pthread_join(th, NULL);
    close(fds[0]);
    close(fds[1]);
    ok("a blocking read returns EINTR without SA_RESTART and resumes with it");
}

static void die_by(int signo) {
    signal(signo, SIG_DFL);
    raise(signo);
    printf("FAIL still alive after signal %d\n", signo);
    exit(1);
}

int main(int argc, char** argv) {
    if (argc > 1)
        die_by(atoi(argv[1]));
    test_handler_runs_with_siginfo();
    test_mask_pending_unblock();
    test_nested_mask_and_nodefer();
    test_alarm_interrupts_sleep_and_pause();
    test_sigsuspend_and_sigtimedwait();
    test_thread_directed_signals();
    test_synchronous_faults();
    test_sigaltstack();
    test_fpu_state_survives_handler();
    test_sa_restart_versus_eintr();
    printf("all ok\n");
    return 0;
}
