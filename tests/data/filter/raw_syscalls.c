/* Syscall instructions of the program's own (inline asm, not glibc's) from the main thread, a
 * thread, a forked child and after execve, next to glibc's answer for the same call; an attempt
 * to turn Syscall User Dispatch off or to take it over; and a 32-bit call through int $0x80.
 * Usage: raw_syscalls main|thread|fork|exec|prctl|int80 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF          0
#define PR_SYS_DISPATCH_ON           1
#endif

static long raw_syscall1(long nr, long a1) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

static long raw_syscall5(long nr, long a1, long a2, long a3, long a4, long a5) {
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static void report(const char* where) {
    printf("%s: raw getpid %ld getppid %ld, glibc getpid %d getppid %d\n", where,
           raw_syscall1(SYS_getpid, 0), raw_syscall1(SYS_getppid, 0), getpid(), getppid());
    fflush(stdout);
}

static void* thread_main(void* arg) {
    (void)arg;
    report("thread");
    return NULL;
}

static int run_thread(void) {
    pthread_t t;

    if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
        return 1;
    report("main after thread");
    return 0;
}

static int run_fork(void) {
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return 1;
    if (pid == 0) {
        report("child");
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return 1;
    report("parent");
    return 0;
}

static int run_exec(const char* self) {
    report("before execve");
    execl("/proc/self/exe", self, "main", (char*)NULL);
    perror("execve");
    return 1;
}

/* Through glibc's prctl and through an own syscall instruction: neither may turn dispatch off
 * or move its range; the next own syscall instruction must still be answered by the guest. */
static int run_prctl(void) {
    long ret = prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);

    printf("glibc prctl off: %ld %s\n", ret, ret < 0 ? strerrorname_np(errno) : "");
    ret = raw_syscall5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
    printf("raw prctl off: %ld\n", ret);
    ret =
        raw_syscall5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 1UL << 47, 0);
    printf("raw prctl on, everything allowed: %ld\n", ret);
    if (ret == 0)
        raw_syscall5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
    report("after prctl");
    return 0;
}

static int run_int80(void) {
    long ret;

    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
    printf("int $0x80 getpid: %ld\n", ret);
    return 0;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";

    if (!strcmp(mode, "main")) {
        report("main");
        return 0;
    }
    if (!strcmp(mode, "thread"))
        return run_thread();
    if (!strcmp(mode, "fork"))
        return run_fork();
    if (!strcmp(mode, "exec"))
        return run_exec(argv[0]);
    if (!strcmp(mode, "prctl"))
        return run_prctl();
    if (!strcmp(mode, "int80"))
        return run_int80();
    fprintf(stderr, "usage: %s main|thread|fork|exec|prctl|int80\n", argv[0]);
    return 2;
}
