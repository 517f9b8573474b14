/* A storm of signals (SIGALRM from a 100 us timer, SIGUSR1 from a child, SIGCHLD from the
 * children that end) while the program forks, execs, waits, splices and waits on futexes. Every
 * step must finish; the program prints what it did, the same each run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 100

static atomic_long g_alarms, g_usr1, g_chld;
static uint32_t g_word;

static void on_signal(int signo) {
    if (signo == SIGALRM)
        g_alarms++;
    else if (signo == SIGUSR1)
        g_usr1++;
    else
        g_chld++;
}

static void* futex_waker(void* arg) {
    (void)arg;
    for (;;) {
        __atomic_store_n(&g_word, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &g_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        usleep(200);
    }
    return NULL;
}

/* Retries a call the storm interrupted, as a careful program does. */
#define RETRY(call)                                                                                \
    ({                                                                                             \
        long r_;                                                                                   \
        while ((r_ = (long)(call)) < 0 && errno == EINTR)                                          \
            ;                                                                                      \
        r_;                                                                                        \
    })

int main(void) {
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    struct itimerval tv = {{0, 100}, {0, 100}};
    int ok = 0;

    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    setitimer(ITIMER_REAL, &tv, NULL);

    pid_t parent = getpid();
    pid_t pester = fork();
    if (pester == 0) {
        for (;;) {
            if (kill(parent, SIGUSR1) < 0)
                _exit(0);
            usleep(300);
        }
    }
    pthread_t waker;
    pthread_create(&waker, NULL, futex_waker, NULL);

    for (int i = 0; i < ROUNDS; i++) {
        int p[2], q[2], status = -1;
        if (pipe(p) < 0 || pipe(q) < 0)
            return 2;

        pid_t child = fork();
        if (child == 0) {
            close(p[0]);
            dup2(p[1], 1);
            execl("/usr/bin/echo", "echo", "storm", (char*)NULL);
            _exit(127);
        }
        close(p[1]);
        long moved = RETRY(splice(p[0], NULL, q[1], NULL, 64, 0));
        char buf[64] = {0};
        long got = moved > 0 ? RETRY(read(q[0], buf, sizeof(buf) - 1)) : 0;
        RETRY(waitpid(child, &status, 0));

        __atomic_store_n(&g_word, 0, __ATOMIC_SEQ_CST);
        struct timespec ts = {0, 2000000};
        long w = syscall(SYS_futex, &g_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
        bool futex_ok = w == 0 || errno == EAGAIN || errno == EINTR || errno == ETIMEDOUT;

        if (moved == 6 && got == 6 && !strcmp(buf, "storm\n") && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0 && futex_ok)
            ok++;
        close(p[0]);
        close(q[0]);
        close(q[1]);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    kill(pester, SIGKILL);
    RETRY(waitpid(pester, NULL, 0));
    printf("%d of %d rounds; alarms %s, SIGUSR1 %s, SIGCHLD %s\n", ok, ROUNDS,
           g_alarms > 0 ? "seen" : "none", g_usr1 > 0 ? "seen" : "none",
           g_chld > 0 ? "seen" : "none");
    return 0;
}
