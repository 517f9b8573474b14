/* Raw host system calls of the direct PAL; every one goes through the syscall gate. */
#ifndef KERNITE_PAL_DIRECT_HOST_H
#define KERNITE_PAL_DIRECT_HOST_H

#include <stdint.h>

#include "pal.h"

/* The gate: the only syscall instructions the seccomp filter lets through. */
long host_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* For calls that may block: run with host signals unblocked, and return -EINTR instead of
 * blocking when pal_thread_interrupt() reached the thread (before or during the call). */
long host_syscall_blocking(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

#define HOST_SYSCALL0(nr)             host_syscall((nr), 0, 0, 0, 0, 0, 0)
#define HOST_SYSCALL1(nr, a)          host_syscall((nr), (long)(a), 0, 0, 0, 0, 0)
#define HOST_SYSCALL2(nr, a, b)       host_syscall((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define HOST_SYSCALL3(nr, a, b, c)    host_syscall((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define HOST_SYSCALL4(nr, a, b, c, d)                                                          \
    host_syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define HOST_SYSCALL5(nr, a, b, c, d, e)                                                       \
    host_syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define HOST_SYSCALL6(nr, a, b, c, d, e, f)                                                    \
    host_syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

#define HOST_BLOCKING3(nr, a, b, c)                                                            \
    host_syscall_blocking((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define HOST_BLOCKING4(nr, a, b, c, d)                                                         \
    host_syscall_blocking((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define HOST_BLOCKING5(nr, a, b, c, d, e)                                                      \
    host_syscall_blocking((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define HOST_BLOCKING6(nr, a, b, c, d, e, f)                                                   \
    host_syscall_blocking((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* A host file descriptor behind a PAL handle. */
enum pal_handle_kind {
    PAL_HANDLE_FILE,
    PAL_HANDLE_DIR,
    PAL_HANDLE_PIPE,
    PAL_HANDLE_STDIO,
    PAL_HANDLE_SOCKET,
    PAL_HANDLE_PROCESS,
};

struct pal_handle {
    enum pal_handle_kind kind;
    int fd;
    int flags; /* O_* the handle was opened with */
};

int pal_handle_new(enum pal_handle_kind kind, int fd, int flags, pal_handle_t** out);

#endif
