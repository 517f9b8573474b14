/* The one wait path of poll, select and epoll: readiness the library OS knows, then the host. */
#ifndef KERNITE_FS_POLL_H
#define KERNITE_FS_POLL_H

#include "vfs.h"

/* A waiter asks two questions, in this order, until something is ready, a signal arrives that
 * the app would take, or the timeout passes. */
struct vfs_waiter {
    /* Fills in what files the library OS serves itself report now (signalfd, always-ready
     * files); returns how many are ready and adds to *signals the signals whose arrival makes
     * one of them ready, so that such a signal ends a host wait. */
    long (*local)(struct vfs_waiter* w, sigset64_t* signals);
    /* Waits in the host at most timeout_ns (0: only looks; < 0: forever) for host objects,
     * with local_ready entries already filled; returns the total ready, 0, or -EINTR. */
    long (*host)(struct vfs_waiter* w, int64_t timeout_ns, long local_ready);
};

/* Returns the number ready, 0 on timeout, -ERESTARTNOHAND when a signal interrupted the wait
 * (poll-like calls are never restarted after a handler), or another -errno. */
long vfs_wait(struct vfs_waiter* w, int64_t timeout_ns);

/* A relative timeout from the app in ns; NULL means forever (-1). */
int vfs_wait_timespec_ns(const struct linux_timespec* app_ts, int64_t* ns);
/* The signal mask of ppoll, pselect6 and epoll_pwait for the call's duration: install returns 1
 * if it installed one, 0 if app_mask is NULL; done puts the old one back unless a signal
 * interrupted the call (then delivery does). */
int vfs_wait_mask_install(const sigset64_t* app_mask, size_t size);
void vfs_wait_mask_done(int installed, long ret);

/* True for an epoll instance (its ioctls other than the generic fd ones are EINVAL). */
bool epoll_is_instance(const struct libos_file* f);

#endif
