/* Stop and continue, group waits and resource usage of children; prints what it sees.
 * Usage: jobs stop|waitid|sigchld|orphan|groups|rusage|termcont */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_pipe[2];

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void* ticker(void* arg) {
    char c = *(char*)arg;
    for (;;) {
        if (write(g_pipe[1], &c, 1) < 0)
            _exit(3);
        sleep_ms(10);
    }
    return NULL;
}

/* A child in its own group whose two threads each write a byte every 10 ms. */
static pid_t start_ticker(void) {
    pid_t pid = fork();
    if (pid == 0) {
        static char a = 'a', b = 'b';
        pthread_t t;
        setpgid(0, 0);
        pthread_create(&t, NULL, ticker, &b);
        ticker(&a);
    }
    setpgid(pid, pid);
    return pid;
}

static int drain(void) {
    char buf[256];
    int total = 0, n;
    while ((n = read(g_pipe[0], buf, sizeof(buf))) > 0)
        total += n;
    return total;
}

static void report(const char* what, int st) {
    if (WIFSTOPPED(st))
        printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        printf("%s: continued\n", what);
    else if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
    else
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

/* Checks the ticker makes no progress while stopped and resumes after SIGCONT. */
static void check_stopped(void) {
    sleep_ms(30);
    drain();
    sleep_ms(250);
    printf("bytes while stopped: %d\n", drain());
}

static void check_running(void) {
    int flags = fcntl(g_pipe[0], F_GETFL);
    char c;
    fcntl(g_pipe[0], F_SETFL, flags & ~O_NONBLOCK);
    printf("progress after continue: %s\n", read(g_pipe[0], &c, 1) == 1 ? "yes" : "no");
    fcntl(g_pipe[0], F_SETFL, flags);
}

static int mode_stop(void) {
    int st;
    pid_t pid = start_ticker();

    sleep_ms(50);
    kill(pid, SIGSTOP);
    report("SIGSTOP", (waitpid(pid, &st, WUNTRACED), st));
    check_stopped();
    printf("WNOHANG again: %d\n", waitpid(pid, &st, WNOHANG | WUNTRACED));
    kill(pid, SIGCONT);
    report("SIGCONT", (waitpid(pid, &st, WCONTINUED), st));
    check_running();
    kill(pid, SIGTSTP);
    report("SIGTSTP", (waitpid(pid, &st, WUNTRACED), st));
    check_stopped();
    kill(pid, SIGTERM); /* stays pending while stopped */
    sleep_ms(100);
    printf("SIGTERM while stopped, WNOHANG: %d\n", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGCONT);
    report("after SIGCONT", (waitpid(pid, &st, 0), st));

    pid = start_ticker();
    kill(pid, SIGTTIN);
    report("SIGTTIN", (waitpid(pid, &st, WUNTRACED), st));
    kill(pid, SIGKILL);
    report("SIGKILL while stopped", (waitpid(pid, &st, 0), st));
    return 0;
}

static int mode_waitid(void) {
    siginfo_t si;
    pid_t pid = start_ticker();

    kill(pid, SIGTSTP);
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT);
    printf("WNOWAIT: code %s, status %s, pid ok %d\n",
           si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "?", strsignal(si.si_status),
           si.si_pid == pid);
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, WSTOPPED);
    printf("again: code %s, status %s\n", si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "?",
           strsignal(si.si_status));
    memset(&si, 0, sizeof(si));
    printf("consumed: %d, pid %d\n", waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), si.si_pid);
    kill(pid, SIGCONT);
    memset(&si, 0, sizeof(si));
    waitid(P_PGID, pid, &si, WCONTINUED);
    printf("continued: code %s, status %s\n", si.si_code == CLD_CONTINUED ? "CLD_CONTINUED" : "?",
           strsignal(si.si_status));
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof(si));
    waitid(P_ALL, 0, &si, WEXITED);
    printf("killed: code %s, status %s\n", si.si_code == CLD_KILLED ? "CLD_KILLED" : "?",
           strsignal(si.si_status));
    return 0;
}

static volatile sig_atomic_t g_chld_count, g_chld_code, g_chld_status, g_chld_pid;

static void on_chld(int sig, siginfo_t* si, void* uc) {
    g_chld_count++;
    g_chld_code = si->si_code;
    g_chld_status = si->si_status;
    g_chld_pid = si->si_pid;
}

static volatile sig_atomic_t g_conts;

static void on_cont(int sig) {
    g_conts++;
}

static const char* code_name(int code) {
    switch (code) {
        case CLD_EXITED:
            return "CLD_EXITED";
        case CLD_KILLED:
            return "CLD_KILLED";
        case CLD_STOPPED:
            return "CLD_STOPPED";
        case CLD_CONTINUED:
            return "CLD_CONTINUED";
        default:
            return "other";
    }
}

/* Waits up to a second for the next SIGCHLD and reports it. */
static void await_chld(const char* what, int before) {
    for (int i = 0; i < 100 && g_chld_count == before; i++)
        sleep_ms(10);
    if (g_chld_count == before) {
        printf("%s: no SIGCHLD\n", what);
        return;
    }
    printf("%s: SIGCHLD %s, status %s\n", what, code_name(g_chld_code),
           g_chld_code == CLD_EXITED ? "exit" : strsignal(g_chld_status));
}

static int mode_sigchld(void) {
    struct sigaction sa = {0};
    int st, n;
    pid_t pid;

    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    n = g_chld_count;
    pid = fork();
    if (pid == 0) {
        signal(SIGCONT, on_cont);
        setpgid(0, 0);
        raise(SIGTSTP); /* stops itself */
        sleep_ms(300);
        raise(SIGSTOP);
        sleep_ms(600);
        _exit(20 + g_conts); /* the SIGCONT handler's runs */
    }
    setpgid(pid, pid);
    await_chld("raise(SIGTSTP)", n);
    printf("si_pid is the child: %d\n", g_chld_pid == pid);
    report("wait", (waitpid(pid, &st, WUNTRACED), st));
    n = g_chld_count;
    kill(pid, SIGCONT);
    await_chld("SIGCONT", n);
    n = g_chld_count;
    await_chld("raise(SIGSTOP)", n);
    report("wait", (waitpid(pid, &st, WUNTRACED | WCONTINUED), st));

    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    n = g_chld_count;
    kill(pid, SIGCONT);
    sleep_ms(300);
    printf("SA_NOCLDSTOP: SIGCHLD on continue: %d\n", g_chld_count != n);
    await_chld("exit", n);
    report("wait", (waitpid(pid, &st, 0), st));
    return 0;
}

/* A stop other than SIGSTOP is discarded in an orphaned group: here a new session. */
static int mode_orphan(void) {
    int st;
    pid_t pid = fork();

    if (pid == 0) {
        setsid();
        raise(SIGTSTP);
        raise(SIGTTOU);
        _exit(5);
    }
    report("orphaned group after SIGTSTP and SIGTTOU", (waitpid(pid, &st, WUNTRACED), st));
    return 0;
}

static pid_t child_exiting_after(int ms, int code, bool own_group) {
    pid_t pid = fork();
    if (pid == 0) {
        if (own_group)
            setpgid(0, 0);
        sleep_ms(ms);
        _exit(code);
    }
    if (own_group)
        setpgid(pid, pid);
    return pid;
}

static int mode_groups(void) {
    int st;
    pid_t a = child_exiting_after(300, 1, true);
    pid_t b = child_exiting_after(0, 2, true);

    sleep_ms(100); /* b is a zombie by now */
    printf("WNOHANG on a's group: %d\n", waitpid(-a, &st, WNOHANG));
    pid_t got = waitpid(-a, &st, 0);
    printf("waitpid(-a): a %d, exit %d\n", got == a, WEXITSTATUS(st));
    got = waitpid(-b, &st, 0);
    printf("waitpid(-b): b %d, exit %d\n", got == b, WEXITSTATUS(st));

    pid_t c = child_exiting_after(300, 3, false);
    pid_t d = child_exiting_after(0, 4, true);
    sleep_ms(100);
    got = waitpid(0, &st, 0);
    printf("waitpid(0): same-group child %d, exit %d\n", got == c, WEXITSTATUS(st));
    got = waitpid(0, &st, WNOHANG);
    printf("waitpid(0) again: %d, errno %s\n", got, got < 0 ? strerror(errno) : "-");
    got = waitpid(-1, &st, 0);
    printf("waitpid(-1): other child %d, exit %d\n", got == d, WEXITSTATUS(st));
    got = waitpid(-12345, &st, 0);
    printf("unknown group: %d, errno %s\n", got, strerror(errno));
    return 0;
}

static double tv_s(struct timeval tv) {
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static void burn(double seconds) {
    volatile unsigned long x = 0;
    struct timespec ts;
    double end;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    end = ts.tv_sec + ts.tv_nsec / 1e9 + seconds;
    do {
        for (int i = 0; i < 100000; i++)
            x += i;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    } while (ts.tv_sec + ts.tv_nsec / 1e9 < end);
}

/* The CPU time of /proc/self/stat (utime + stime, in ticks). */
static long stat_ticks(void) {
    char buf[1024];
    unsigned long ut = 0, stt = 0;
    FILE* f = fopen("/proc/self/stat", "r");
    if (!f || !fgets(buf, sizeof(buf), f))
        return -1;
    fclose(f);
    char* p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2)
        return -1;
    return (long)(ut + stt);
}

static void plausible(const char* what, double cpu, double low, double high) {
    printf("%s: %s\n", what, cpu >= low && cpu <= high ? "plausible" : "implausible");
    if (cpu < low || cpu > high)
        printf("  %.3f s not within [%.3f, %.3f]\n", cpu, low, high);
}

static int mode_rusage(void) {
    struct rusage ru;
    struct tms t;
    long hz = sysconf(_SC_CLK_TCK);
    int st;
    double start = now_s();
    pid_t pid = fork();

    if (pid == 0) {
        double wall0 = now_s();
        char* mem = malloc(32 << 20);
        memset(mem, 1, 32 << 20);
        burn(0.2);
        double wall = now_s() - wall0;
        getrusage(RUSAGE_SELF, &ru);
        double self = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
        plausible("child RUSAGE_SELF", self, 0.18, wall + 0.05);
        printf("child maxrss covers 32 MB: %d\n", ru.ru_maxrss >= 32 * 1024);
        getrusage(RUSAGE_THREAD, &ru);
        plausible("child RUSAGE_THREAD", tv_s(ru.ru_utime) + tv_s(ru.ru_stime), 0.18, self + 0.01);
        times(&t);
        double ticks = (double)(t.tms_utime + t.tms_stime) / hz;
        printf("times() agrees with getrusage: %d\n", ticks > self - 0.03 && ticks < self + 0.03);
        double stat = (double)stat_ticks() / hz;
        printf("/proc/self/stat agrees with getrusage: %d\n",
               stat > self - 0.05 && stat < self + 0.05);
        _exit(mem[12345]);
    }
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("RUSAGE_CHILDREN before the wait: %d\n", tv_s(ru.ru_utime) + tv_s(ru.ru_stime) < 0.05);
    wait4(pid, &st, 0, &ru);
    double wall = now_s() - start;
    double child = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
    report("child", st);
    plausible("wait4 rusage", child, 0.18, wall + 0.05);
    printf("wait4 maxrss covers 32 MB: %d\n", ru.ru_maxrss >= 32 * 1024);
    getrusage(RUSAGE_CHILDREN, &ru);
    double children = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
    printf("RUSAGE_CHILDREN equals wait4's: %d\n",
           children > child - 0.01 && children < child + 0.01);
    times(&t);
    double cticks = (double)(t.tms_cutime + t.tms_cstime) / hz;
    printf("times() children agree: %d\n", cticks > children - 0.03 && cticks < children + 0.03);
    getrusage(RUSAGE_SELF, &ru);
    plausible("parent RUSAGE_SELF", tv_s(ru.ru_utime) + tv_s(ru.ru_stime), 0.0, 0.15);
    return 0;
}

/* A stopped child sent SIGTERM and at once SIGCONT, as a shell's kill does to a stopped job,
 * must end by the SIGTERM every time, never stay stopped or exit by itself. Half the children
 * stop themselves, the others are stopped by a SIGTSTP while they sleep, as Ctrl-Z does; odd
 * rounds signal the child's group, as a shell does. */
static int mode_termcont(void) {
    int by_term = 0, other = 0;

    for (int round = 0; round < 200; round++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            setpgid(0, 0);
            if (round % 4 < 2)
                raise(SIGSTOP);
            for (int i = 0; i < 100; i++)
                sleep_ms(50);
            _exit(7);
        }
        setpgid(pid, pid);
        if (round % 4 >= 2)
            kill(pid, SIGTSTP);
        int st;
        if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
            return 1;
        pid_t target = round % 2 ? -pid : pid;
        kill(target, SIGTERM);
        kill(target, SIGCONT);
        if (waitpid(pid, &st, 0) != pid)
            return 1;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
            by_term++;
        else if (other++ == 0)
            printf("round %d: status %#x\n", round, st);
    }
    printf("ended by SIGTERM: %d of 200\n", by_term);
    return 0;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe2(g_pipe, O_NONBLOCK) < 0)
        return 1;
    if (argc != 2)
        return 2;
    if (!strcmp(argv[1], "stop"))
        return mode_stop();
    if (!strcmp(argv[1], "waitid"))
        return mode_waitid();
    if (!strcmp(argv[1], "sigchld"))
        return mode_sigchld();
    if (!strcmp(argv[1], "orphan"))
        return mode_orphan();
    if (!strcmp(argv[1], "groups"))
        return mode_groups();
    if (!strcmp(argv[1], "rusage"))
        return mode_rusage();
    if (!strcmp(argv[1], "termcont"))
        return mode_termcont();
    return 2;
}
