/* fork in the situations that break naive checkpointing: other threads running, a big touched
 * heap, zombies and orphans. Each mode prints what a Linux process would see. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int wait_exit_code(pid_t pid) {
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static volatile int g_stop;

static void* spin_and_allocate(void* arg) {
    while (!g_stop) {
        free(malloc(64 + (uintptr_t)arg));
        sched_yield();
    }
    return NULL;
}

/* Other threads keep allocating while the main thread forks; the child has one thread, can use
 * malloc and stdio, and its copy of the parent's data is intact. */
static int mode_threads(void) {
    pthread_t threads[4];
    int shared_value = 4242;

    for (long i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, spin_and_allocate, (void*)i);
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            char* p = malloc(1000);
            snprintf(p, 1000, "%d", shared_value + round);
            _exit(strtol(p, NULL, 10) == 4242 + round ? 0 : 1);
        }
        if (pid < 0 || wait_exit_code(pid) != 0) {
            printf("round %d failed\n", round);
            return 1;
        }
    }
    g_stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    printf("20 forks with 4 threads running: children ok\n");
    return 0;
}

/* 100 MB of distinct content: the child checks every page and changes some, which the parent
 * must not see. */
static int mode_bigmem(void) {
    size_t size = 100u << 20;
    uint64_t* mem = malloc(size);
    size_t words = size / sizeof(uint64_t);

    for (size_t i = 0; i < words; i++)
        mem[i] = i * 0x9e3779b97f4a7c15ULL;
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < words; i++) {
            if (mem[i] != i * 0x9e3779b97f4a7c15ULL)
                _exit(1);
        }
        for (size_t i = 0; i < words; i += 512)
            mem[i] = 0;
        _exit(0);
    }
    int code = wait_exit_code(pid);
    size_t wrong = 0;
    for (size_t i = 0; i < words; i++)
        wrong += mem[i] != i * 0x9e3779b97f4a7c15ULL;
    printf("child saw 100 MB: %s; parent words changed: %zu\n", code == 0 ? "intact" : "bad",
           wrong);
    return code;
}

/* A child that has exited stays a zombie until waited for: it can still be signalled (to no
 * effect), and waitpid then reports it once. */
static int mode_zombie(void) {
    int fds[2];
    char c;

    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(5);
    }
    close(fds[1]);
    read(fds[0], &c, 1); /* EOF: the child has closed everything, so it is ending */
    sleep_ms(100);
    printf("kill(zombie, 0) = %d\n", kill(pid, 0));
    printf("kill(zombie, SIGTERM) = %d\n", kill(pid, SIGTERM));
    printf("wait: exit code %d\n", wait_exit_code(pid));
    int ret = kill(pid, 0);
    printf("kill after reaping = %d (%s)\n", ret, strerror(errno));
    ret = (int)waitpid(pid, NULL, WNOHANG);
    printf("second wait = %d (%s)\n", ret, strerror(errno));
    return 0;
}

/* The middle process exits before its child: the orphan sees pid 1 as its parent, and pid 1
 * (this program, first in its namespace) reaps it. */
static int mode_orphan(void) {
    int fds[2], ready[2];
    char c;

    if (getpid() != 1) {
        printf("must run as pid 1\n");
        return 1;
    }
    pipe(fds);
    pipe(ready);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t orphan = fork();
        if (orphan == 0) {
            pid_t first = getppid();
            close(ready[1]); /* the middle process exits once it reads EOF */
            for (int i = 0; i < 500 && getppid() != 1; i++)
                sleep_ms(10);
            dprintf(fds[1], "orphan: parent was the middle process: %d, now %d\n",
                    first != 1, getppid());
            _exit(9);
        }
        close(ready[1]);
        read(ready[0], &c, 1);
        _exit(0);
    }
    close(ready[0]);
    close(ready[1]);
    close(fds[1]);
    printf("middle exits with %d\n", wait_exit_code(middle));
    char line[200];
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    line[n > 0 ? n : 0] = '\0';
    fputs(line, stdout);
    int status;
    pid_t reaped = wait(&status);
    printf("pid 1 reaped the orphan: %d, exit code %d\n", reaped > 1, WEXITSTATUS(status));
    int ret = (int)wait(NULL);
    printf("then wait = %d (%s)\n", ret, strerror(errno));
    return 0;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char* mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "threads"))
        return mode_threads();
    if (!strcmp(mode, "bigmem"))
        return mode_bigmem();
    if (!strcmp(mode, "zombie"))
        return mode_zombie();
    if (!strcmp(mode, "orphan"))
        return mode_orphan();
    fprintf(stderr, "usage: forks threads|bigmem|zombie|orphan\n");
    return 2;
}
