/* Linux x86-64 ABI constants and structures the library OS implements. */
#ifndef KERNITE_LINUX_ABI_H
#define KERNITE_LINUX_ABI_H

#include <stdint.h>

/* The kernel's own UAPI headers need no libc and give the exact values. */
#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/poll.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/time_types.h>
#include <linux/utsname.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

struct linux_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    uint64_t st_atime_sec, st_atime_nsec;
    uint64_t st_mtime_sec, st_mtime_nsec;
    uint64_t st_ctime_sec, st_ctime_nsec;
    int64_t reserved[3];
};

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

struct linux_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct linux_timeval {
    int64_t tv_sec;
    int64_t tv_usec;
};

struct linux_rlimit {
    uint64_t cur;
    uint64_t max;
};

struct linux_iovec {
    uint64_t base;
    uint64_t len;
};

/* The end of the user half (TASK_SIZE with 4-level paging): a user range that reaches past it
 * is EFAULT before anything is copied, whatever is mapped. */
#define LINUX_TASK_SIZE 0x7ffffffff000UL

/* siginfo_t: 128 bytes; the fields used for the signals the library OS raises. */
struct linux_siginfo {
    int32_t signo;
    int32_t errno_;
    int32_t code;
    int32_t pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            int32_t status; /* SIGCHLD */
            int32_t pad2;
            int64_t utime, stime;
        } kill;
        struct {
            uint64_t addr; /* SIGSEGV, SIGBUS, SIGFPE, SIGILL */
        } fault;
        struct {
            int32_t timerid;
            int32_t overrun;
            uint64_t value;
        } timer;
        uint8_t bytes[112];
    };
};

/* The stack frame the kernel builds for an SA_SIGINFO handler, which the library OS builds
 * the same way so that handlers and rt_sigreturn behave as on Linux. */
struct linux_stack_t {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

struct linux_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct linux_stack_t uc_stack;
    uint64_t uc_mcontext[32]; /* struct sigcontext: same layout as struct pal_context */
    uint64_t uc_sigmask;
};

#define LINUX_SIG_DFL 0
#define LINUX_SIG_IGN 1

#define LINUX_SA_NOCLDSTOP 0x00000001
#define LINUX_SA_NOCLDWAIT 0x00000002
#define LINUX_SA_SIGINFO   0x00000004
#define LINUX_SA_RESTORER  0x04000000
#define LINUX_SA_ONSTACK   0x08000000
#define LINUX_SA_RESTART   0x10000000
#define LINUX_SA_NODEFER   0x40000000
#define LINUX_SA_RESETHAND 0x80000000

#define LINUX_SS_ONSTACK 1
#define LINUX_SS_DISABLE 2

#define LINUX_SIGHUP    1
#define LINUX_SIGINT    2
#define LINUX_SIGQUIT   3
#define LINUX_SIGILL    4
#define LINUX_SIGTRAP   5
#define LINUX_SIGABRT   6
#define LINUX_SIGBUS    7
#define LINUX_SIGFPE    8
#define LINUX_SIGKILL   9
#define LINUX_SIGUSR1   10
#define LINUX_SIGSEGV   11
#define LINUX_SIGUSR2   12
#define LINUX_SIGPIPE   13
#define LINUX_SIGALRM   14
#define LINUX_SIGTERM   15
#define LINUX_SIGSTKFLT 16
#define LINUX_SIGCHLD   17
#define LINUX_SIGCONT   18
#define LINUX_SIGSTOP   19
#define LINUX_SIGTSTP   20
#define LINUX_SIGTTIN   21
#define LINUX_SIGTTOU   22
#define LINUX_SIGURG    23
#define LINUX_SIGXCPU   24
#define LINUX_SIGXFSZ   25
#define LINUX_SIGVTALRM 26
#define LINUX_SIGPROF   27
#define LINUX_SIGWINCH  28
#define LINUX_SIGIO     29
#define LINUX_SIGPWR    30
#define LINUX_SIGSYS    31
#define LINUX_SIGRTMIN  32

#define LINUX_SI_USER    0
#define LINUX_SI_KERNEL  0x80
#define LINUX_SI_QUEUE   (-1)
#define LINUX_SI_TKILL   (-6)

#define LINUX_SIG_BLOCK   0
#define LINUX_SIG_UNBLOCK 1
#define LINUX_SIG_SETMASK 2

#define SIGBIT(sig) (1ULL << ((sig) - 1))

#endif
