/* ioctl(2): fd flags, FIONREAD, and the terminal requests that reach host ttys. */
#include <asm/ioctls.h>
#include <asm/termbits.h>

#include "poll.h"
#include "vfs.h"

/* Terminal requests passed to the host, with the size and direction of their argument. */
static const struct tty_request {
    unsigned int request;
    bool out; /* the host writes the argument */
    size_t size;
} tty_requests[] = {
    {TCGETS, true, sizeof(struct termios)},
    {TCSETS, false, sizeof(struct termios)},
    {TCSETSW, false, sizeof(struct termios)},
    {TCSETSF, false, sizeof(struct termios)},
    {TIOCGWINSZ, true, 8},
    {TIOCSWINSZ, false, 8},
};

static long ioctl_fionbio(int fd, struct libos_file* f, uint64_t arg) {
    int on;
    long ret = copy_from_app(&on, (const void*)arg, sizeof(on));

    if (ret < 0)
        return ret;
    if (f->handle) {
        ret = pal_stream_set_nonblocking(f->handle, on != 0);
        if (ret < 0)
            return ret;
    }
    if (on)
        __atomic_or_fetch(&f->flags, O_NONBLOCK, __ATOMIC_RELAXED);
    else
        __atomic_and_fetch(&f->flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
    return 0;
}

/* The same flag as F_SETFL's O_ASYNC, and with the same limit: no SIGIO is ever raised. */
static long ioctl_fioasync(struct libos_file* f, uint64_t arg) {
    int on;
    long ret = copy_from_app(&on, (const void*)arg, sizeof(on));

    if (ret < 0)
        return ret;
    if (on)
        __atomic_or_fetch(&f->flags, O_ASYNC, __ATOMIC_RELAXED);
    else
        __atomic_and_fetch(&f->flags, ~O_ASYNC, __ATOMIC_RELAXED);
    return 0;
}

/* Bytes left to read: the host knows for the files and streams it holds, the size tells for
 * the library OS's own regular files (negative past the end, as on Linux); other files have
 * no answer and say so before the pointer is looked at. */
static long ioctl_fionread(struct libos_file* f, uint64_t arg) {
    struct linux_stat st;
    int n;
    long ret;

    bool answers = S_ISREG(f->type) || S_ISFIFO(f->type) || S_ISSOCK(f->type) ||
                   S_ISCHR(f->type);

    if (answers && f->handle && f->ops->ioctl) {
        if (!mm_is_accessible(arg, sizeof(int), PROT_WRITE))
            return -EFAULT;
        return f->ops->ioctl(f, FIONREAD, arg);
    }
    if (!S_ISREG(f->type))
        return epoll_is_instance(f) ? -EINVAL : -ENOTTY;
    ret = vfs_file_stat(f, &st);
    if (ret < 0)
        return ret;
    spinlock_lock(&f->lock);
    n = (int)((uint64_t)st.st_size - f->offset);
    spinlock_unlock(&f->lock);
    return copy_to_app((void*)arg, &n, sizeof(n));
}

/* What a regular file, directory or symlink takes on disk (Linux's inode_get_bytes), as a
 * 64-bit value. */
static long ioctl_fioqsize(struct libos_file* f, uint64_t arg) {
    struct linux_stat st;
    int64_t size;
    long ret;

    if (!S_ISREG(f->type) && !S_ISDIR(f->type) && !S_ISLNK(f->type))
        return -ENOTTY;
    ret = vfs_file_stat(f, &st);
    if (ret < 0)
        return ret;
    size = (int64_t)st.st_blocks * 512;
    return copy_to_app((void*)arg, &size, sizeof(size));
}

/* Process groups are guest ids and the host's are not shown to the app: the foreground group
 * of a terminal is a guest group the leader keeps (libos/proc/leader.c). */
static long ioctl_pgrp(struct libos_file* f, unsigned int request, uint64_t arg) {
    struct termios tio;
    int pgrp;
    long ret;

    if (!f->ops->ioctl)
        return -ENOTTY;
    ret = f->ops->ioctl(f, TCGETS, (uint64_t)&tio);
    if (ret < 0)
        return ret;
    if (request == TIOCGPGRP) {
        pgrp = process_tty_foreground();
        return pgrp < 0 ? pgrp : copy_to_app((void*)arg, &pgrp, sizeof(pgrp));
    }
    if (copy_from_app(&pgrp, (const void*)arg, sizeof(pgrp)) < 0)
        return -EFAULT;
    ret = process_tty_access(/*write=*/true); /* from a background group: SIGTTOU */
    if (ret < 0)
        return ret;
    return process_tty_set_foreground(pgrp);
}

static long ioctl_tty(struct libos_file* f, const struct tty_request* r, uint64_t arg) {
    if (!f->ops->ioctl)
        return -ENOTTY;
    if (!mm_is_accessible(arg, r->size, r->out ? PROT_WRITE : PROT_READ))
        return -EFAULT;
    return f->ops->ioctl(f, r->request, arg);
}

long sys_ioctl(int fd, unsigned int request, uint64_t arg) {
    struct libos_file* f = fd_get(fd);
    long ret = -ENOTTY;

    if (!f)
        return -EBADF;
    if (f->flags & O_PATH) {
        ret = -EBADF;
        goto out;
    }
    switch (request) {
        case FIOCLEX:
        case FIONCLEX:
            ret = fd_set_cloexec(fd, request == FIOCLEX);
            goto out;
        case FIONBIO:
            ret = ioctl_fionbio(fd, f, arg);
            goto out;
        case FIONREAD:
            ret = ioctl_fionread(f, arg);
            goto out;
        case FIOASYNC:
            ret = ioctl_fioasync(f, arg);
            goto out;
        case FIOQSIZE:
            ret = ioctl_fioqsize(f, arg);
            goto out;
    }
    if (epoll_is_instance(f)) {
        ret = -EINVAL;
        goto out;
    }
    switch (request) {
        case TIOCGPGRP:
        case TIOCSPGRP:
            ret = ioctl_pgrp(f, request, arg);
            goto out;
    }
    for (size_t i = 0; i < sizeof(tty_requests) / sizeof(tty_requests[0]); i++) {
        if (tty_requests[i].request == request) {
            ret = ioctl_tty(f, &tty_requests[i], arg);
            break;
        }
    }
out:
    vfs_file_put(f);
    return ret;
}
