/* Calls syscalls with bad pointers, sizes, counts, flags and fds, one group per argument, and
 * prints what each returned: the same lines natively and under Kernite. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define KERNEL_ADDR ((void*)0xffff888000000000UL)
#define NONCANON_ADDR ((void*)0x0000900000000000UL)
#define IMAGE_ADDR ((void*)0x7d0000001000UL)
#define LOW_ADDR ((void*)0x1000UL)
#define HIGH_FD 1000000

static void* g_unmapped; /* PROT_NONE */
static void* g_readonly;
static char g_file[64];

static void show(const char* what, long ret) {
    if (ret < 0)
        printf("%s = -1 %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    else
        printf("%s = %ld\n", what, ret);
    fflush(stdout);
}

#define T(what, call)                                                                              \
    do {                                                                                           \
        errno = 0;                                                                                 \
        show(what, (long)(call));                                                                  \
    } while (0)

/* Every bad pointer once, for a call that takes one pointer argument. */
#define BAD_PTRS(what, call_with_p)                                                                \
    do {                                                                                           \
        void* bad_ptrs[] = {NULL,         (void*)1,   LOW_ADDR,   g_unmapped,                      \
                            KERNEL_ADDR,  NONCANON_ADDR, IMAGE_ADDR, (void*)-1L};                  \
        const char* bad_names[] = {"NULL",   "one",          "low",   "noaccess",                  \
                                   "kernel", "noncanonical", "image", "minus-one"};                \
        for (size_t bi = 0; bi < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); bi++) {                   \
            void* P = bad_ptrs[bi];                                                                \
            char label[160];                                                                       \
            snprintf(label, sizeof(label), "%s [%s]", what, bad_names[bi]);                        \
            T(label, call_with_p);                                                                 \
        }                                                                                          \
    } while (0)

#define BAD_WRITE_PTRS(what, call_with_p)                                                          \
    do {                                                                                           \
        BAD_PTRS(what, call_with_p);                                                               \
        void* P = g_readonly;                                                                      \
        T(what " [readonly]", call_with_p);                                                        \
    } while (0)

static int make_file(const char* text) {
    int fd = open(g_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror("make_file");
        exit(2);
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void drain(int fd) {
    char buf[4096];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    fcntl(fd, F_SETFL, fl);
}

static void group_splice(void) {
    int p[2], q[2];
    int f = make_file("0123456789abcdefghij");
    int wo = open(g_file, O_WRONLY);
    loff_t off, neg = -1;
    pipe(p);
    pipe(q);

    T("splice bad in fd", syscall(SYS_splice, -1, NULL, p[1], NULL, 10, 0));
    T("splice high in fd", syscall(SYS_splice, HIGH_FD, NULL, p[1], NULL, 10, 0));
    T("splice bad out fd", syscall(SYS_splice, p[0], NULL, -1, NULL, 10, 0));
    T("splice closed out fd", syscall(SYS_splice, p[0], NULL, 999, NULL, 10, 0));
    T("splice file to file", syscall(SYS_splice, f, NULL, wo, NULL, 10, 0));
    T("splice bad flags", syscall(SYS_splice, f, NULL, p[1], NULL, 10, 0x100));
    T("splice zero length", syscall(SYS_splice, f, NULL, p[1], NULL, 0, 0));
    T("splice negative offset", syscall(SYS_splice, f, &neg, p[1], NULL, 10, 0));
    T("splice same pipe", syscall(SYS_splice, p[0], NULL, p[1], NULL, 10, 0));
    T("splice write-only in", syscall(SYS_splice, wo, NULL, p[1], NULL, 10, 0));
    T("splice into read end", syscall(SYS_splice, f, NULL, p[0], NULL, 10, 0));
    T("splice from write end", syscall(SYS_splice, p[1], NULL, wo, NULL, 10, 0));
    off = 0;
    T("splice pipe with offset", syscall(SYS_splice, p[0], &off, wo, NULL, 10, 0));
    BAD_PTRS("splice in offset", syscall(SYS_splice, f, P, p[1], NULL, 10, 0));
    T("splice huge length", syscall(SYS_splice, f, NULL, p[1], NULL, (size_t)-1, 0));
    T("splice pipe to pipe huge", syscall(SYS_splice, p[0], NULL, q[1], NULL, (size_t)-1, 0));
    drain(q[0]);
    off = 0x7fffffffffffff00LL;
    T("splice offset past end", syscall(SYS_splice, f, &off, p[1], NULL, 10, 0));
    off = 0x7fffffffffffffffLL;
    T("splice offset at max", syscall(SYS_splice, f, &off, p[1], NULL, 10, 0));

    /* tee is not implemented (ENOSYS): its cases are left out. */
    T("sendfile bad out", syscall(SYS_sendfile, -1, f, NULL, 10));
    T("sendfile bad in", syscall(SYS_sendfile, p[1], -1, NULL, 10));
    T("sendfile high in", syscall(SYS_sendfile, p[1], HIGH_FD, NULL, 10));
    T("sendfile write-only in", syscall(SYS_sendfile, p[1], wo, NULL, 10));
    T("sendfile read-only out", syscall(SYS_sendfile, f, f, NULL, 10));
    T("sendfile negative offset", syscall(SYS_sendfile, p[1], f, &neg, 10));
    BAD_PTRS("sendfile offset", syscall(SYS_sendfile, p[1], f, P, 10));
    T("sendfile zero", syscall(SYS_sendfile, p[1], f, NULL, 0));
    lseek(f, 0, SEEK_SET);
    T("sendfile huge", syscall(SYS_sendfile, p[1], f, NULL, (size_t)-1));
    drain(p[0]);
    off = 0x7ffffffffffffff0LL;
    T("sendfile offset near max", syscall(SYS_sendfile, p[1], f, &off, 100));

    int g = open("cfr-target", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t o1 = 0, o2 = 5;
    T("copy_file_range bad flags", syscall(SYS_copy_file_range, f, NULL, g, NULL, 10, 1));
    T("copy_file_range bad in", syscall(SYS_copy_file_range, -1, NULL, g, NULL, 10, 0));
    T("copy_file_range bad out", syscall(SYS_copy_file_range, f, NULL, HIGH_FD, NULL, 10, 0));
    T("copy_file_range pipe in", syscall(SYS_copy_file_range, p[0], NULL, g, NULL, 10, 0));
    T("copy_file_range pipe out", syscall(SYS_copy_file_range, f, NULL, p[1], NULL, 10, 0));
    T("copy_file_range write-only in", syscall(SYS_copy_file_range, wo, NULL, g, NULL, 10, 0));
    T("copy_file_range read-only out", syscall(SYS_copy_file_range, g, NULL, f, NULL, 10, 0));
    T("copy_file_range negative off", syscall(SYS_copy_file_range, f, &neg, g, NULL, 10, 0));
    T("copy_file_range negative out off", syscall(SYS_copy_file_range, f, NULL, g, &neg, 10, 0));
    BAD_PTRS("copy_file_range in offset", syscall(SYS_copy_file_range, f, P, g, NULL, 10, 0));
    BAD_PTRS("copy_file_range out offset", syscall(SYS_copy_file_range, f, NULL, g, P, 10, 0));
    T("copy_file_range overlap", syscall(SYS_copy_file_range, f, &o1, f, &o2, 10, 0));
    T("copy_file_range zero", syscall(SYS_copy_file_range, f, NULL, g, NULL, 0, 0));
    o1 = 0;
    T("copy_file_range huge", syscall(SYS_copy_file_range, f, &o1, g, NULL, (size_t)-1, 0));
    int d = open(".", O_RDONLY | O_DIRECTORY);
    T("copy_file_range dir in", syscall(SYS_copy_file_range, d, NULL, g, NULL, 10, 0));
    close(d);
    close(g);
    close(f);
    close(wo);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static pid_t child_exiting(int code) {
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    return pid;
}

static void group_wait(void) {
    siginfo_t si;
    struct rusage ru;
    int st;

    T("wait4 no children", syscall(SYS_wait4, -1, &st, 0, NULL));
    T("wait4 bad options", syscall(SYS_wait4, -1, &st, 0x40000000, NULL));
    T("wait4 all option bits", syscall(SYS_wait4, -1, &st, -1, NULL));
    T("wait4 INT_MIN", syscall(SYS_wait4, (int)0x80000000, &st, 0, NULL));
    T("waitid bad idtype", syscall(SYS_waitid, 99, 0, &si, WEXITED, NULL));
    T("waitid no state option", syscall(SYS_waitid, P_ALL, 0, &si, 0, NULL));
    T("waitid bad options", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x100000, NULL));
    T("waitid P_PID zero", syscall(SYS_waitid, P_PID, 0, &si, WEXITED, NULL));
    T("waitid P_PID negative", syscall(SYS_waitid, P_PID, -5, &si, WEXITED, NULL));
    T("waitid P_PGID negative", syscall(SYS_waitid, P_PGID, -5, &si, WEXITED, NULL));
    T("waitid P_PIDFD bad", syscall(SYS_waitid, P_PIDFD, -1, &si, WEXITED, NULL));
    T("waitid P_PIDFD high", syscall(SYS_waitid, P_PIDFD, HIGH_FD, &si, WEXITED, NULL));
    T("waitid no children", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL));
    T("waitid no children NULL info", syscall(SYS_waitid, P_ALL, 0, NULL, WEXITED, NULL));

    const char* names[] = {"NULL", "one", "noaccess", "kernel", "noncanonical", "image",
                           "readonly"};
    void* ptrs[] = {NULL, (void*)1, g_unmapped, KERNEL_ADDR, NONCANON_ADDR, IMAGE_ADDR,
                    g_readonly};
    for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
        char label[128];
        pid_t pid = child_exiting(3);
        snprintf(label, sizeof(label), "wait4 status [%s]", names[i]);
        errno = 0;
        long r = syscall(SYS_wait4, pid, ptrs[i], 0, NULL);
        show(label, r == pid ? 1 : r);
        T("  then wait4 again", syscall(SYS_wait4, pid, &st, WNOHANG, NULL));

        pid = child_exiting(4);
        snprintf(label, sizeof(label), "wait4 rusage [%s]", names[i]);
        errno = 0;
        r = syscall(SYS_wait4, pid, &st, 0, ptrs[i]);
        show(label, r == pid ? 1 : r);
        T("  then wait4 again", syscall(SYS_wait4, pid, &st, WNOHANG, NULL));

        pid = child_exiting(5);
        snprintf(label, sizeof(label), "waitid info [%s]", names[i]);
        errno = 0;
        r = syscall(SYS_waitid, P_PID, pid, ptrs[i], WEXITED, NULL);
        show(label, r);
        T("  then wait4 again", syscall(SYS_wait4, pid, &st, WNOHANG, NULL));

        pid = child_exiting(6);
        snprintf(label, sizeof(label), "waitid rusage [%s]", names[i]);
        errno = 0;
        r = syscall(SYS_waitid, P_PID, pid, &si, WEXITED, ptrs[i]);
        show(label, r);
        T("  then wait4 again", syscall(SYS_wait4, pid, &st, WNOHANG, NULL));
    }

    pid_t pid = child_exiting(7);
    usleep(20000);
    T("waitid WNOWAIT", syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL));
    printf("  si_status %d si_code %d\n", si.si_status, si.si_code);
    errno = 0;
    long r = syscall(SYS_wait4, pid, &st, 0, &ru);
    show("  then wait4 reaps", r == pid ? 1 : r);
    printf("  status %d\n", WEXITSTATUS(st));

    T("getrusage bad who", syscall(SYS_getrusage, 99, &ru));
    T("getrusage who -3", syscall(SYS_getrusage, -3, &ru));
    T("getrusage thread", syscall(SYS_getrusage, RUSAGE_THREAD, &ru));
    T("getrusage children", syscall(SYS_getrusage, RUSAGE_CHILDREN, &ru));
    BAD_WRITE_PTRS("getrusage self", syscall(SYS_getrusage, RUSAGE_SELF, P));
    BAD_WRITE_PTRS("times", syscall(SYS_times, P) == -1 ? -1 : 0);
}

static void group_signals(void) {
    pid_t self = getpid();
    pid_t tid = gettid();
    T("kill signal 65", kill(self, 65));
    T("kill signal -1", syscall(SYS_kill, self, -1));
    T("kill signal huge", syscall(SYS_kill, self, 0x7fffffff));
    T("kill INT_MIN", syscall(SYS_kill, (int)0x80000000, 0));
    T("kill missing pid", kill(99999, 0));
    T("kill missing group", kill(-99999, 0));
    T("kill self 0", kill(self, 0));
    T("kill group 0 sig 0", kill(0, 0));
    T("tgkill tgid 0", syscall(SYS_tgkill, 0, tid, 0));
    T("tgkill tgid -1", syscall(SYS_tgkill, -1, tid, 0));
    T("tgkill tid 0", syscall(SYS_tgkill, self, 0, 0));
    T("tgkill tid -1", syscall(SYS_tgkill, self, -1, 0));
    T("tgkill bad signal", syscall(SYS_tgkill, self, tid, 65));
    T("tgkill negative signal", syscall(SYS_tgkill, self, tid, -3));
    T("tgkill wrong tgid", syscall(SYS_tgkill, 99999, tid, 0));
    T("tgkill missing tid", syscall(SYS_tgkill, self, 99999, 0));
    T("tgkill ok", syscall(SYS_tgkill, self, tid, 0));
    T("tkill 0", syscall(SYS_tkill, 0, 0));
    T("tkill -1", syscall(SYS_tkill, -1, 0));
    T("tkill missing", syscall(SYS_tkill, 99999, 0));
    T("tkill bad signal", syscall(SYS_tkill, tid, 65));
    T("tkill ok", syscall(SYS_tkill, tid, 0));
    T("rt_sigqueueinfo bad signal", syscall(SYS_rt_sigqueueinfo, self, 65, NULL));
    BAD_PTRS("rt_sigqueueinfo info", syscall(SYS_rt_sigqueueinfo, self, SIGUSR1, P));

    struct sigaction sa = {0}, old;
    sa.sa_handler = SIG_IGN;
    T("rt_sigaction size 4", syscall(SYS_rt_sigaction, SIGUSR1, &sa, &old, 4));
    T("rt_sigaction size 16", syscall(SYS_rt_sigaction, SIGUSR1, &sa, &old, 16));
    T("rt_sigaction size -1", syscall(SYS_rt_sigaction, SIGUSR1, &sa, &old, -1L));
    T("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, &sa, NULL, 8));
    T("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8));
    T("rt_sigaction signal -1", syscall(SYS_rt_sigaction, -1, &sa, NULL, 8));
    T("rt_sigaction SIGKILL set", syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8));
    T("rt_sigaction SIGSTOP set", syscall(SYS_rt_sigaction, SIGSTOP, &sa, NULL, 8));
    T("rt_sigaction SIGKILL get", syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8));
    T("rt_sigaction nothing", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8));
    BAD_PTRS("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR2, P, NULL, 8));
    BAD_WRITE_PTRS("rt_sigaction oldact", syscall(SYS_rt_sigaction, SIGUSR2, &sa, P, 8) == 0
                                              ? (P == NULL ? 0 : 0) : -1);
    T("rt_sigaction SIGUSR2 still ignored",
      syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8) == 0 ? (long)old.sa_handler : -1);

    sigset_t set;
    sigemptyset(&set);
    T("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8));
    T("rt_sigprocmask bad how no set", syscall(SYS_rt_sigprocmask, 7, NULL, NULL, 8));
    T("rt_sigprocmask size 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
    BAD_PTRS("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, P, NULL, 8));
    BAD_WRITE_PTRS("rt_sigprocmask oldset", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, P, 8));
    T("rt_sigpending size 4", syscall(SYS_rt_sigpending, &set, 4));
    BAD_WRITE_PTRS("rt_sigpending", syscall(SYS_rt_sigpending, P, 8));
    T("rt_sigsuspend size 4", syscall(SYS_rt_sigsuspend, &set, 4));
    BAD_PTRS("rt_sigsuspend", syscall(SYS_rt_sigsuspend, P, 8));
    struct timespec ts0 = {0, 0}, tsbad = {0, 1000000000};
    T("rt_sigtimedwait size 4", syscall(SYS_rt_sigtimedwait, &set, NULL, &ts0, 4));
    T("rt_sigtimedwait bad nsec", syscall(SYS_rt_sigtimedwait, &set, NULL, &tsbad, 8));
    T("rt_sigtimedwait zero", syscall(SYS_rt_sigtimedwait, &set, NULL, &ts0, 8));
    BAD_PTRS("rt_sigtimedwait set", syscall(SYS_rt_sigtimedwait, P, NULL, &ts0, 8));
    /* NULL is no bad pointer here: it waits for ever. */
    T("rt_sigtimedwait timeout [kernel]", syscall(SYS_rt_sigtimedwait, &set, NULL, KERNEL_ADDR, 8));
    T("rt_sigtimedwait timeout [image]", syscall(SYS_rt_sigtimedwait, &set, NULL, IMAGE_ADDR, 8));
    T("rt_sigtimedwait timeout [low]", syscall(SYS_rt_sigtimedwait, &set, NULL, LOW_ADDR, 8));

    stack_t ss = {0}, oss;
    char* stack = malloc(1 << 16);
    ss.ss_sp = stack;
    ss.ss_size = 1024;
    T("sigaltstack too small", syscall(SYS_sigaltstack, &ss, NULL));
    ss.ss_size = 1 << 16;
    ss.ss_flags = 0x1234;
    T("sigaltstack bad flags", syscall(SYS_sigaltstack, &ss, NULL));
    ss.ss_flags = SS_ONSTACK;
    T("sigaltstack SS_ONSTACK", syscall(SYS_sigaltstack, &ss, NULL));
    ss.ss_flags = SS_DISABLE;
    ss.ss_size = 1;
    T("sigaltstack disable small", syscall(SYS_sigaltstack, &ss, &oss));
    printf("  old flags %d\n", oss.ss_flags);
    ss.ss_flags = 0;
    ss.ss_size = (size_t)-1;
    T("sigaltstack huge size", syscall(SYS_sigaltstack, &ss, NULL));
    ss.ss_sp = KERNEL_ADDR;
    ss.ss_size = 1 << 16;
    T("sigaltstack kernel sp", syscall(SYS_sigaltstack, &ss, NULL));
    ss.ss_flags = SS_DISABLE;
    T("sigaltstack disable again", syscall(SYS_sigaltstack, &ss, NULL));
    BAD_PTRS("sigaltstack ss", syscall(SYS_sigaltstack, P, NULL));
    BAD_WRITE_PTRS("sigaltstack oss", syscall(SYS_sigaltstack, NULL, P));
    free(stack);
}

static void group_pgrp(void) {
    pid_t pid = fork();
    if (pid == 0) {
        T("setsid in child", syscall(SYS_setsid) == getpid() ? 0 : -1);
        T("setsid again", syscall(SYS_setsid));
        T("getsid self", syscall(SYS_getsid, 0) == getpid() ? 0 : -1);
        T("getpgid self", syscall(SYS_getpgid, 0) == getpid() ? 0 : -1);
        T("setpgid negative", syscall(SYS_setpgid, 0, -1));
        T("setpgid INT_MIN", syscall(SYS_setpgid, 0, (int)0x80000000));
        T("setpgid missing pid", syscall(SYS_setpgid, 99999, 0));
        T("setpgid negative pid", syscall(SYS_setpgid, -3, 0));
        T("setpgid session leader", syscall(SYS_setpgid, 0, 0));
        T("setpgid missing group", syscall(SYS_setpgid, 0, 99999));
        T("getpgid missing", syscall(SYS_getpgid, 99999));
        T("getpgid negative", syscall(SYS_getpgid, -1));
        T("getpgid INT_MIN", syscall(SYS_getpgid, (int)0x80000000));
        T("getsid missing", syscall(SYS_getsid, 99999));
        T("getsid negative", syscall(SYS_getsid, -7));
        pid_t gc = fork();
        if (gc == 0) {
            pause();
            _exit(0);
        }
        T("setpgid child to missing group", syscall(SYS_setpgid, gc, 99999));
        T("setpgid child own group", syscall(SYS_setpgid, gc, gc));
        T("setpgid child back", syscall(SYS_setpgid, gc, getpid()));
        kill(gc, SIGKILL);
        waitpid(gc, NULL, 0);
        T("setpgid reaped child", syscall(SYS_setpgid, gc, gc));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    T("setpgid child in other session", syscall(SYS_setpgid, pid, pid));
}

static void group_futex(void) {
    static uint32_t word __attribute__((aligned(8)));
    char* bytes = (char*)&word;
    struct timespec ts = {0, 1000}, badts = {0, 1000000000}, negts = {-1, 0};
    word = 5;
    BAD_PTRS("futex WAIT", syscall(SYS_futex, P, FUTEX_WAIT, 0, &ts, NULL, 0));
    BAD_PTRS("futex WAIT private", syscall(SYS_futex, P, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0));
    BAD_PTRS("futex WAKE", syscall(SYS_futex, P, FUTEX_WAKE, 1, NULL, NULL, 0));
    BAD_PTRS("futex WAKE private", syscall(SYS_futex, P, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    T("futex WAIT misaligned", syscall(SYS_futex, bytes + 1, FUTEX_WAIT, 5, &ts, NULL, 0));
    T("futex WAKE misaligned", syscall(SYS_futex, bytes + 2, FUTEX_WAKE, 1, NULL, NULL, 0));
    T("futex WAIT mismatch", syscall(SYS_futex, &word, FUTEX_WAIT, 4, &ts, NULL, 0));
    T("futex WAIT times out", syscall(SYS_futex, &word, FUTEX_WAIT, 5, &ts, NULL, 0));
    T("futex WAIT bad nsec", syscall(SYS_futex, &word, FUTEX_WAIT, 5, &badts, NULL, 0));
    T("futex WAIT negative sec", syscall(SYS_futex, &word, FUTEX_WAIT, 5, &negts, NULL, 0));
    BAD_PTRS("futex WAIT timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 4, P, NULL, 0));
    T("futex WAIT readonly", syscall(SYS_futex, g_readonly, FUTEX_WAIT, 1, &ts, NULL, 0));
    T("futex WAKE readonly", syscall(SYS_futex, g_readonly, FUTEX_WAKE, 1, NULL, NULL, 0));
    T("futex WAKE negative", syscall(SYS_futex, &word, FUTEX_WAKE, -1, NULL, NULL, 0));
    T("futex WAKE zero", syscall(SYS_futex, &word, FUTEX_WAKE, 0, NULL, NULL, 0));
    T("futex unknown op", syscall(SYS_futex, &word, 99, 0, NULL, NULL, 0));
    T("futex op -1", syscall(SYS_futex, &word, -1, 0, NULL, NULL, 0));
    T("futex WAKE realtime", syscall(SYS_futex, &word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1,
                                     NULL, NULL, 0));
    T("futex WAIT realtime", syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 4,
                                     &ts, NULL, 0));
    T("futex WAIT_BITSET zero mask", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 5, NULL,
                                             NULL, 0));
    T("futex WAKE_BITSET zero mask", syscall(SYS_futex, &word, FUTEX_WAKE_BITSET, 1, NULL,
                                             NULL, 0));
    struct timespec abs_past = {1, 0};
    T("futex WAIT_BITSET past", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 5, &abs_past, NULL,
                                        -1));
    T("futex WAIT_BITSET rt past",
      syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &abs_past, NULL,
              -1));
    static uint32_t other __attribute__((aligned(8)));
    T("futex REQUEUE misaligned 2", syscall(SYS_futex, &word, FUTEX_REQUEUE, 1, 1,
                                            (char*)&other + 1, 0));
    T("futex REQUEUE NULL 2", syscall(SYS_futex, &word, FUTEX_REQUEUE, 1, 1, NULL, 0));
    T("futex REQUEUE kernel 2", syscall(SYS_futex, &word, FUTEX_REQUEUE, 1, 1, KERNEL_ADDR, 0));
    T("futex REQUEUE negative", syscall(SYS_futex, &word, FUTEX_REQUEUE, -1, 1, &other, 0));
    T("futex REQUEUE negative 2", syscall(SYS_futex, &word, FUTEX_REQUEUE, 1, -1, &other, 0));
    T("futex REQUEUE same", syscall(SYS_futex, &word, FUTEX_REQUEUE, 1, 1, &word, 0));
    T("futex CMP_REQUEUE mismatch", syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE, 1, 1, &other,
                                            4));
    T("futex CMP_REQUEUE match", syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE, 1, 1, &other, 5));
    T("futex CMP_REQUEUE NULL", syscall(SYS_futex, NULL, FUTEX_CMP_REQUEUE, 1, 1, &other, 5));
    T("futex CMP_REQUEUE NULL 2", syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE, 1, 1, NULL, 5));
    T("futex WAKE_OP bad op", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, &other,
                                      FUTEX_OP(7, 1, 0, 0)));
    T("futex WAKE_OP bad cmp", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, &other,
                                       FUTEX_OP(FUTEX_OP_ADD, 1, 9, 0)));
    T("futex WAKE_OP NULL 2", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, NULL,
                                      FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
    T("futex WAKE_OP readonly 2", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, g_readonly,
                                          FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
    T("futex WAKE_OP misaligned 2", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1,
                                            (char*)&other + 2,
                                            FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
    other = 10;
    T("futex WAKE_OP add", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, &other,
                                   FUTEX_OP(FUTEX_OP_ADD, 7, FUTEX_OP_CMP_EQ, 10)));
    printf("  other %u\n", other);
    T("futex WAKE_OP shift big", syscall(SYS_futex, &word, FUTEX_WAKE_OP, 1, 1, &other,
                                         FUTEX_OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 40,
                                                  FUTEX_OP_CMP_EQ, 10)));
    printf("  other %u\n", other);
    T("set_robust_list bad len", syscall(SYS_set_robust_list, NULL, 7));
    T("get_robust_list missing", syscall(SYS_get_robust_list, 99999, &bytes, &ts));
    BAD_WRITE_PTRS("get_robust_list head", syscall(SYS_get_robust_list, 0, P, &ts));
}

static void group_mm(void) {
    long pg = 4096;
    char* a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int f = make_file("mapped file");
    int d = open(".", O_RDONLY | O_DIRECTORY);
    int p[2];
    pipe(p);
    int ro = open(g_file, O_RDONLY);

#define M(what, call)                                                                              \
    do {                                                                                           \
        errno = 0;                                                                                 \
        void* r = (call);                                                                          \
        show(what, r == MAP_FAILED ? -1 : 0);                                                      \
        if (r != MAP_FAILED && r != a)                                                             \
            munmap(r, pg);                                                                         \
    } while (0)

    M("mmap zero length", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap huge length", mmap(NULL, (size_t)-1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap 2^47 length", mmap(NULL, 1UL << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap near-huge length", mmap(NULL, (size_t)-4096 * 2, PROT_READ,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap fixed misaligned", mmap(a + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                    -1, 0));
    M("mmap offset misaligned", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, f, 1));
    M("mmap no type", mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0));
    M("mmap shared validate anonymous", mmap(NULL, pg, PROT_READ,
                                             MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
    M("mmap shared validate unknown", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | 0x200000,
                                           f, 0));
    M("mmap shared validate sync", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, f,
                                        0));
    M("mmap shared validate unknown prot", mmap(NULL, pg, PROT_READ | 0x100, MAP_SHARED_VALIDATE,
                                                f, 0));
    M("mmap private unknown flag", mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                                        0x200000, -1, 0));
    M("mmap bad fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0));
    M("mmap high fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, HIGH_FD, 0));
    M("mmap directory", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, d, 0));
    M("mmap pipe", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, p[0], 0));
    M("mmap shared write readonly fd", mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    M("mmap private write readonly fd", mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro,
                                            0));
    M("mmap offset overflow", mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, f, (off_t)-4096));
    M("mmap offset huge", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, f, 0x7ffffffffffff000LL));
    M("mmap fixed kernel", mmap(KERNEL_ADDR, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                                MAP_FIXED, -1, 0));
    M("mmap fixed noncanonical", mmap(NONCANON_ADDR, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                                      MAP_FIXED, -1, 0));
    M("mmap fixed top", mmap((void*)0x7ffffffff000UL, 2 * pg, PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    M("mmap hint kernel", mmap(KERNEL_ADDR, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap noreplace existing", mmap(a, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                                      MAP_FIXED_NOREPLACE, -1, 0));
    M("mmap unknown prot", mmap(NULL, pg, 0x100 | PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    M("mmap growsdown", mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
                             -1, 0));

    T("mprotect misaligned", mprotect(a + 1, pg, PROT_READ));
    T("mprotect zero", mprotect(a, 0, PROT_READ));
    T("mprotect low", mprotect(LOW_ADDR, pg, PROT_READ));
    T("mprotect overflow", mprotect(a, (size_t)-4096, PROT_READ));
    T("mprotect bad prot", mprotect(a, pg, 0x100));
    T("mprotect growsup", mprotect(a, pg, PROT_READ | PROT_GROWSUP));
    T("mprotect kernel", mprotect(KERNEL_ADDR, pg, PROT_READ));
    T("mprotect image", mprotect(IMAGE_ADDR, pg, PROT_READ | PROT_WRITE));
    T("mprotect partially mapped", mprotect(a + 3 * pg, 2 * pg, PROT_READ));
    T("mprotect write on readonly fd shared", ({
          void* m = mmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
          long r = mprotect(m, pg, PROT_READ | PROT_WRITE);
          munmap(m, pg);
          r;
      }));

    T("munmap misaligned", munmap(a + 1, pg));
    T("munmap zero", munmap(a, 0));
    T("munmap kernel", munmap(KERNEL_ADDR, pg));
    T("munmap overflow", munmap(a, (size_t)-4096));
    T("munmap low", munmap(LOW_ADDR, pg));
    T("munmap image", munmap(IMAGE_ADDR, pg));
    T("munmap noncanonical", munmap(NONCANON_ADDR, pg));

#define R(what, call)                                                                              \
    do {                                                                                           \
        errno = 0;                                                                                 \
        void* r = (call);                                                                          \
        show(what, r == MAP_FAILED ? -1 : 0);                                                      \
    } while (0)
    R("mremap misaligned", mremap(a + 1, pg, pg, 0));
    R("mremap new zero", mremap(a, pg, 0, 0));
    R("mremap bad flags", mremap(a, pg, pg, 0x80));
    R("mremap fixed no maymove", mremap(a, pg, pg, MREMAP_FIXED, a + 2 * pg));
    R("mremap low", mremap(LOW_ADDR, pg, pg, 0));
    R("mremap kernel", mremap(KERNEL_ADDR, pg, pg, 0));
    R("mremap image", mremap(IMAGE_ADDR, pg, 2 * pg, MREMAP_MAYMOVE));
    R("mremap grow blocked", mremap(a, pg, 2 * pg, 0));
    R("mremap huge", mremap(a, pg, (size_t)-4096, MREMAP_MAYMOVE));
    R("mremap overlapping fixed", mremap(a, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED,
                                         a + pg));
    R("mremap fixed misaligned", mremap(a, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, a + 5));
    R("mremap fixed kernel", mremap(a, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, KERNEL_ADDR));
    R("mremap dontunmap no maymove", mremap(a, pg, pg, MREMAP_DONTUNMAP));
    R("mremap dontunmap size change", mremap(a, pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
    R("mremap old len overflow", mremap(a, (size_t)-4096, pg, 0));
    R("mremap span two mappings", mremap(a + 3 * pg, 2 * pg, pg, MREMAP_MAYMOVE));
    R("mremap shrink", mremap(a, 4 * pg, 3 * pg, 0));
    T("madvise bad advice", madvise(a, pg, 999));
    T("madvise misaligned", madvise(a + 1, pg, MADV_NORMAL));
    T("madvise low", madvise(LOW_ADDR, pg, MADV_DONTNEED));
    T("msync bad flags", msync(a, pg, 0x100));
    T("msync both", msync(a, pg, MS_SYNC | MS_ASYNC));
    T("msync low", msync(LOW_ADDR, pg, MS_SYNC));
    unsigned char vec[4];
    T("mincore misaligned", mincore(a + 1, pg, vec));
    T("mincore low", mincore(LOW_ADDR, pg, vec));
    BAD_WRITE_PTRS("mincore vec", mincore(a, pg, P));
    T("brk kernel", syscall(SYS_brk, KERNEL_ADDR) == (long)KERNEL_ADDR ? -1 : 0);
    T("brk image", syscall(SYS_brk, IMAGE_ADDR) == (long)IMAGE_ADDR ? -1 : 0);
    T("brk minus one", syscall(SYS_brk, -1L) == -1L ? -1 : 0);
    munmap(a, 4 * pg);
    close(f);
    close(ro);
    close(d);
    close(p[0]);
    close(p[1]);
}

static void group_prctl(void) {
    char name[32];
    int v;
    T("prctl unknown", prctl(9999, 0, 0, 0, 0));
    T("prctl negative option", prctl(-1, 0, 0, 0, 0));
    BAD_PTRS("prctl SET_NAME", prctl(PR_SET_NAME, P, 0, 0, 0));
    BAD_WRITE_PTRS("prctl GET_NAME", prctl(PR_GET_NAME, P, 0, 0, 0));
    T("prctl SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0));
    T("prctl SET_PDEATHSIG -1", prctl(PR_SET_PDEATHSIG, -1L, 0, 0, 0));
    BAD_WRITE_PTRS("prctl GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, P, 0, 0, 0));
    T("prctl SET_DUMPABLE 5", prctl(PR_SET_DUMPABLE, 5, 0, 0, 0));
    T("prctl GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    T("prctl NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    T("prctl NO_NEW_PRIVS extra", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    T("prctl GET_NO_NEW_PRIVS extra", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    T("prctl SET_TIMERSLACK", prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0));
    T("prctl SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    BAD_WRITE_PTRS("prctl GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, P, 0, 0, 0));
    T("prctl CAPBSET_READ bad", prctl(PR_CAPBSET_READ, 9999, 0, 0, 0));
    T("prctl SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    T("prctl SET_THP_DISABLE extra", prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0));
    T("prctl MCE_KILL bad", prctl(PR_MCE_KILL, 7, 0, 0, 0));
    T("prctl SET_NAME ok", prctl(PR_SET_NAME, "hostile-name-that-is-too-long", 0, 0, 0));
    T("prctl GET_NAME ok", prctl(PR_GET_NAME, name, 0, 0, 0));
    printf("  name '%s'\n", name);
    T("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0));
    BAD_WRITE_PTRS("arch_prctl GET_FS", syscall(SYS_arch_prctl, 0x1003, P));
    T("arch_prctl SET_FS kernel", syscall(SYS_arch_prctl, 0x1002, KERNEL_ADDR));
    T("arch_prctl SET_GS kernel", syscall(SYS_arch_prctl, 0x1001, KERNEL_ADDR));
    (void)v;
}

static void group_ioctl(void) {
    int fds[12];
    const char* kinds[12];
    int n = 0, sv[2], p[2];
    pipe(p);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    kinds[n] = "file", fds[n++] = make_file("some file content");
    kinds[n] = "dir", fds[n++] = open(".", O_RDONLY | O_DIRECTORY);
    kinds[n] = "pipe-read", fds[n++] = p[0];
    kinds[n] = "pipe-write", fds[n++] = p[1];
    kinds[n] = "socket", fds[n++] = sv[0];
    kinds[n] = "eventfd", fds[n++] = eventfd(0, 0);
    kinds[n] = "epoll", fds[n++] = epoll_create1(0);
    kinds[n] = "devnull", fds[n++] = open("/dev/null", O_RDWR);
    kinds[n] = "inet", fds[n++] = socket(AF_INET, SOCK_STREAM, 0);
    kinds[n] = "path", fds[n++] = open(".", O_PATH);
    write(p[1], "abc", 3);
    write(sv[1], "defgh", 5);

    for (int i = 0; i < n; i++) {
        char label[128];
        int v = -1;
        struct termios tio;
        struct winsize ws;
#define I(what, call)                                                                              \
        do {                                                                                       \
            snprintf(label, sizeof(label), "ioctl %s %s", kinds[i], what);                         \
            T(label, call);                                                                        \
        } while (0)
        v = -1;
        I("FIONREAD", ioctl(fds[i], FIONREAD, &v));
        printf("  value %d\n", v);
        I("FIONREAD NULL", ioctl(fds[i], FIONREAD, NULL));
        I("FIONREAD kernel", ioctl(fds[i], FIONREAD, KERNEL_ADDR));
        I("FIONREAD image", ioctl(fds[i], FIONREAD, IMAGE_ADDR));
        I("FIONREAD readonly", ioctl(fds[i], FIONREAD, g_readonly));
        I("TCGETS", ioctl(fds[i], TCGETS, &tio));
        I("TCSETS", ioctl(fds[i], TCSETS, &tio));
        I("TIOCGWINSZ", ioctl(fds[i], TIOCGWINSZ, &ws));
        I("TIOCGPGRP", ioctl(fds[i], TIOCGPGRP, &v));
        I("unknown", ioctl(fds[i], 0xdeadbeef, &v));
        I("unknown NULL", ioctl(fds[i], 0x5401ff, NULL));
        I("FIONBIO NULL", ioctl(fds[i], FIONBIO, NULL));
        I("FIONBIO kernel", ioctl(fds[i], FIONBIO, KERNEL_ADDR));
        v = 0;
        I("FIONBIO", ioctl(fds[i], FIONBIO, &v));
        I("FIOASYNC NULL", ioctl(fds[i], FIOASYNC, NULL));
        I("FIOCLEX", ioctl(fds[i], FIOCLEX));
        I("FIONCLEX", ioctl(fds[i], FIONCLEX));
        long long qsize = -1;
        I("FIOQSIZE", ioctl(fds[i], FIOQSIZE, &qsize));
        I("FIOQSIZE NULL", ioctl(fds[i], FIOQSIZE, NULL));
    }
    int v = 0;
    lseek(fds[0], 100, SEEK_SET);
    T("ioctl file FIONREAD past end", ioctl(fds[0], FIONREAD, &v));
    printf("  value %d\n", v);
    T("ioctl bad fd", ioctl(-1, FIONREAD, NULL));
    T("ioctl high fd", ioctl(HIGH_FD, FIOCLEX));
    for (int i = 0; i < n; i++)
        close(fds[i]);
    close(sv[1]);
}

static void group_epoll(void) {
    int ep = epoll_create1(0);
    int p[2], f = make_file("x");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[4];
    pipe(p);

    T("epoll_create 0", syscall(SYS_epoll_create, 0));
    T("epoll_create -1", syscall(SYS_epoll_create, -1));
    T("epoll_create1 bad flags", syscall(SYS_epoll_create1, 1));
    T("epoll_ctl bad op", epoll_ctl(ep, 99, p[0], &ev));
    T("epoll_ctl bad op 0", epoll_ctl(ep, 0, p[0], &ev));
    T("epoll_ctl not epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev));
    T("epoll_ctl bad epfd", epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev));
    T("epoll_ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev));
    T("epoll_ctl high fd", epoll_ctl(ep, EPOLL_CTL_ADD, HIGH_FD, &ev));
    T("epoll_ctl self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    T("epoll_ctl regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
    BAD_PTRS("epoll_ctl ADD event", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], P));
    T("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    T("epoll_ctl ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    T("epoll_ctl MOD missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    T("epoll_ctl DEL missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    BAD_PTRS("epoll_ctl MOD event", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], P));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    T("epoll_ctl MOD exclusive", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    T("epoll_ctl ADD exclusive oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
    ev.events = 0xffffffff;
    T("epoll_ctl MOD all bits", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    ev.events = EPOLLIN;
    T("epoll_ctl MOD back", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    T("epoll_ctl DEL NULL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    T("epoll_ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    write(p[1], "a", 1);
    T("epoll_wait zero max", epoll_wait(ep, out, 0, 0));
    T("epoll_wait negative max", syscall(SYS_epoll_wait, ep, out, -1, 0));
    T("epoll_wait INT_MAX", syscall(SYS_epoll_wait, ep, out, 0x7fffffff, 0));
    char* two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(two + 4096, 4096, PROT_NONE);
    T("epoll_wait max past buffer end",
      syscall(SYS_epoll_wait, ep, two + 4096 - 4 * sizeof(struct epoll_event), 1000, 0));
    munmap(two, 8192);
    BAD_WRITE_PTRS("epoll_wait events", epoll_wait(ep, P, 4, 0));
    T("epoll_wait not epoll", epoll_wait(p[0], out, 4, 0));
    T("epoll_wait bad fd", epoll_wait(-1, out, 4, 0));
    T("epoll_wait ok", epoll_wait(ep, out, 4, 0));
    T("epoll_pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep, out, 4, 0, NULL, 4));
    sigset_t set;
    sigemptyset(&set);
    T("epoll_pwait sigsetsize 4", syscall(SYS_epoll_pwait, ep, out, 4, 0, &set, 4));
    BAD_PTRS("epoll_pwait sigmask", syscall(SYS_epoll_pwait, ep, out, 4, 0, P, 8));
    close(ep);
    close(f);
    close(p[0]);
    close(p[1]);
}

static void group_poll(void) {
    int p[2];
    pipe(p);
    write(p[1], "z", 1);
    struct pollfd pf[3] = {{p[0], POLLIN, 0}, {-5, POLLIN, 0}, {999, POLLIN, 0}};
    T("poll huge nfds", syscall(SYS_poll, pf, 0x7fffffff, 0));
    T("poll nfds over limit", syscall(SYS_poll, pf, 20001, 0));
    T("poll nfds -1", syscall(SYS_poll, pf, -1L, 0));
    T("poll NULL zero", poll(NULL, 0, 0));
    BAD_PTRS("poll fds", poll(P, 1, 0));
    T("poll readonly fds", poll(g_readonly, 1, 0));
    T("poll mixed", poll(pf, 3, 0));
    printf("  revents %x %x %x\n", pf[0].revents, pf[1].revents, pf[2].revents);
    struct timespec badts = {0, 2000000000}, negts = {-1, 0};
    T("ppoll bad nsec", syscall(SYS_ppoll, pf, 1, &badts, NULL, 8));
    T("ppoll negative sec", syscall(SYS_ppoll, pf, 1, &negts, NULL, 8));
    T("ppoll bad sigsetsize", syscall(SYS_ppoll, pf, 1, NULL, NULL, 4));
    sigset_t set;
    sigemptyset(&set);
    T("ppoll sigsetsize 16", syscall(SYS_ppoll, pf, 1, NULL, &set, 16));
    BAD_PTRS("ppoll timeout", syscall(SYS_ppoll, pf, 1, P, NULL, 8));

    fd_set rs;
    struct timeval tv0 = {0, 0}, tvneg = {-1, 0}, tvbad = {0, 2000000};
    FD_ZERO(&rs);
    T("select negative nfds", syscall(SYS_select, -1, NULL, NULL, NULL, &tv0));
    T("select huge nfds null sets", syscall(SYS_select, 0x7fffffff, NULL, NULL, NULL, &tv0));
    T("select 1<<20 nfds null sets", syscall(SYS_select, 1 << 20, NULL, NULL, NULL, &tv0));
    T("select negative timeout", syscall(SYS_select, 1, NULL, NULL, NULL, &tvneg));
    T("select big usec", syscall(SYS_select, 1, NULL, NULL, NULL, &tvbad));
    FD_SET(p[0], &rs);
    BAD_PTRS("select readfds", syscall(SYS_select, p[0] + 1, P, NULL, NULL, &tv0));
    BAD_PTRS("select timeout", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, P));
    FD_ZERO(&rs);
    FD_SET(900, &rs);
    T("select closed fd", syscall(SYS_select, 901, &rs, NULL, NULL, &tv0));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    T("select huge nfds with set", syscall(SYS_select, 1 << 20, &rs, NULL, NULL, &tv0));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    T("select ok", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv0));
    struct timeval tvhuge = {0x7fffffffffffffffL, 999999}, tvcarry = {1, -1000000};
    struct timeval tvnegusec = {0, -1};
    T("select huge seconds", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tvhuge));
    T("select usec carried into seconds", syscall(SYS_select, 1, NULL, NULL, NULL, &tvcarry));
    T("select negative usec", syscall(SYS_select, 1, NULL, NULL, NULL, &tvnegusec));
    struct {
        void* set;
        size_t size;
    } sm = {&set, 4};
    struct timespec ts0 = {0, 0};
    T("pselect6 bad sigsetsize", syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &ts0, &sm));
    BAD_PTRS("pselect6 sigmask struct", syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &ts0, P));
    sm.set = KERNEL_ADDR;
    sm.size = 8;
    T("pselect6 sigmask kernel", syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &ts0, &sm));
    close(p[0]);
    close(p[1]);
}

static void group_iov(void) {
    int f = make_file("readv source text, long enough");
    int p[2];
    char buf[16];
    pipe(p);
    struct iovec iov[2] = {{buf, 8}, {buf + 8, 8}};
    struct iovec many[1100];
    for (int i = 0; i < 1100; i++)
        many[i] = (struct iovec){buf, 0};

    T("readv count -1", syscall(SYS_readv, f, iov, -1));
    T("readv count 1025", readv(f, many, 1025));
    T("readv count 1024", readv(f, many, 1024));
    T("readv count 0", readv(f, iov, 0));
    T("readv count 0 NULL", readv(f, NULL, 0));
    BAD_PTRS("readv iov array", readv(f, P, 1));
    BAD_PTRS("writev iov array", writev(p[1], P, 1));
    struct iovec b[2];
#define IOV_BASES(what, rw)                                                                        \
    do {                                                                                           \
        void* ptrs[] = {NULL, g_unmapped, KERNEL_ADDR, NONCANON_ADDR, IMAGE_ADDR, g_readonly};     \
        const char* names[] = {"NULL", "noaccess", "kernel", "noncanonical", "image", "readonly"}; \
        for (size_t i = 0; i < 6; i++) {                                                           \
            char label[128];                                                                       \
            lseek(f, 0, SEEK_SET);                                                                 \
            b[0] = (struct iovec){buf, 4};                                                         \
            b[1] = (struct iovec){ptrs[i], 4};                                                     \
            snprintf(label, sizeof(label), "%s second base [%s]", what, names[i]);                 \
            T(label, rw);                                                                          \
            drain(p[0]);                                                                           \
        }                                                                                          \
    } while (0)
    IOV_BASES("readv", readv(f, b, 2));
    IOV_BASES("writev", writev(p[1], b, 2));
    IOV_BASES("preadv", preadv(f, b, 2, 0));
    IOV_BASES("pwritev", pwritev(f, b, 2, 0));
    struct iovec big[2] = {{buf, 0x7fffffffffffffffUL}, {buf, 0x7fffffffffffffffUL}};
    T("readv total overflow", readv(f, big, 2));
    T("writev total overflow", writev(p[1], big, 2));
    struct iovec neg[1] = {{buf, (size_t)-1}};
    T("readv negative len", readv(f, neg, 1));
    T("writev negative len", writev(p[1], neg, 1));
    struct iovec nullzero[2] = {{NULL, 0}, {buf, 4}};
    lseek(f, 0, SEEK_SET);
    T("readv NULL zero-length first", readv(f, nullzero, 2));
    T("writev NULL zero-length first", writev(p[1], nullzero, 2));
    drain(p[0]);
    T("preadv negative offset", preadv(f, iov, 2, -1));
    T("pwritev negative offset", pwritev(f, iov, 2, -1));
    T("preadv pipe", preadv(p[0], iov, 2, 0));
    T("preadv2 bad flags", syscall(SYS_preadv2, f, iov, 2, 0, 0, 0x1000));
    T("readv bad fd", readv(-1, iov, 2));
    T("readv high fd", readv(HIGH_FD, iov, 2));
    T("readv write-only", readv(p[1], iov, 2));
    T("writev read-only", writev(p[0], iov, 2));
    BAD_WRITE_PTRS("read buffer", read(f, P, 4));
    BAD_PTRS("write buffer", write(p[1], P, 4));
    drain(p[0]);
    T("read NULL zero", read(f, NULL, 0));
    T("write NULL zero", write(p[1], NULL, 0));
    T("read huge count", ({
          lseek(f, 0, SEEK_SET);
          syscall(SYS_read, f, buf, (size_t)-1);
      }));
    T("write huge count pipe", syscall(SYS_write, p[1], buf, (size_t)-1));
    T("pread negative", pread(f, buf, 4, -1));
    BAD_PTRS("open path", syscall(SYS_open, P, O_RDONLY));
    BAD_WRITE_PTRS("fstat", syscall(SYS_fstat, f, P));
    BAD_PTRS("stat path", syscall(SYS_stat, P, buf));
    BAD_PTRS("getcwd", syscall(SYS_getcwd, P, 100));
    T("getcwd size 0", syscall(SYS_getcwd, buf, 0));
    T("getcwd size 1", syscall(SYS_getcwd, buf, 1));
    T("getcwd huge", syscall(SYS_getcwd, buf, (size_t)-1) > 0 ? 0 : -1);
    T("close -1", close(-1));
    T("close high", close(HIGH_FD));
    T("close INT_MAX", close(0x7fffffff));
    T("dup2 to -1", dup2(f, -1));
    T("dup2 to high", dup2(f, HIGH_FD));
    T("dup2 from -1", dup2(-1, 50));
    T("dup3 same", dup3(f, f, 0));
    T("dup3 bad flags", dup3(f, 50, 1));
    T("dup huge", dup(0x7fffffff));
    T("fcntl DUPFD negative", fcntl(f, F_DUPFD, -1));
    T("fcntl DUPFD high", fcntl(f, F_DUPFD, HIGH_FD));
    T("fcntl DUPFD limit", fcntl(f, F_DUPFD, 20000));
    T("fcntl bad cmd", fcntl(f, 9999));
    T("fcntl SETFL all", fcntl(f, F_SETFL, ~O_ASYNC) == 0
                             ? (long)(fcntl(f, F_GETFL) & ~O_LARGEFILE)
                             : -1);
    BAD_PTRS("fcntl GETLK", fcntl(f, F_GETLK, P));
    T("lseek bad whence", lseek(f, 0, 99));
    T("lseek negative", lseek(f, -10, SEEK_SET));
    T("lseek pipe", lseek(p[0], 0, SEEK_SET));
    T("ftruncate negative", ftruncate(f, -1));
    T("ftruncate pipe", ftruncate(p[0], 10));
    T("pipe2 bad flags", pipe2(p, 0x1));
    BAD_WRITE_PTRS("pipe2 array", syscall(SYS_pipe2, P, 0));
    close(f);
    close(p[0]);
    close(p[1]);
}

static const struct {
    const char* name;
    void (*run)(void);
} groups[] = {
    {"splice", group_splice}, {"wait", group_wait},   {"signals", group_signals},
    {"pgrp", group_pgrp},     {"futex", group_futex}, {"mm", group_mm},
    {"prctl", group_prctl},   {"ioctl", group_ioctl}, {"epoll", group_epoll},
    {"poll", group_poll},     {"iov", group_iov},
};

int main(int argc, char** argv) {
    g_unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_readonly = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    snprintf(g_file, sizeof(g_file), "hostile-%d", getpid());
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (argc < 2 || strcmp(argv[1], groups[i].name) == 0)
            groups[i].run();
    unlink(g_file);
    unlink("cfr-target");
    printf("end\n");
    return 0;
}
