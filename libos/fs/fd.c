/* The process's fd table and the syscalls that manage fds: dup family, fcntl, close. */
#include "manifest.h"
#include "vfs.h"

struct fd_slot {
    struct libos_file* file;
    bool cloexec;
};

static spinlock_t fd_lock = SPINLOCK_INIT;
static struct fd_slot* fd_slots;
static int fd_cap;

int fd_limit(void) {
    uint64_t cur = g_process.rlimits[RLIMIT_NOFILE].cur;

    if (cur == 0) {
        const struct manifest* mf = g_process.manifest;
        cur = mf && mf->fds_limit ? mf->fds_limit : VFS_DEFAULT_NOFILE;
    }
    return cur > INT_MAX ? INT_MAX : (int)cur;
}

/* Grows the table to hold fd; fd_lock is held. Growing happens with the lock held, which is
 * fine: it is rare and short. */
static int fd_grow(int fd) {
    int cap = fd_cap ? fd_cap : 64;
    struct fd_slot* slots;

    if (fd < fd_cap)
        return 0;
    while (cap <= fd)
        cap *= 2;
    slots = realloc(fd_slots, (size_t)cap * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    memset(slots + fd_cap, 0, (size_t)(cap - fd_cap) * sizeof(*slots));
    fd_slots = slots;
    fd_cap = cap;
    return 0;
}

int fd_install(struct libos_file* file, int min, bool cloexec) {
    int limit = fd_limit();
    int fd;
    int ret;

    if (min < 0)
        return -EINVAL;
    spinlock_lock(&fd_lock);
    for (fd = min; fd < fd_cap && fd_slots[fd].file; fd++)
        ;
    if (fd >= limit) {
        ret = min >= limit ? -EINVAL : -EMFILE;
        goto out;
    }
    ret = fd_grow(fd);
    if (ret < 0)
        goto out;
    vfs_file_get_ref(file);
    fd_slots[fd].file = file;
    fd_slots[fd].cloexec = cloexec;
    ret = fd;
out:
    spinlock_unlock(&fd_lock);
    return ret;
}

int fd_install_at(int fd, struct libos_file* file, bool cloexec) {
    struct libos_file* old = NULL;
    int ret;

    if (fd < 0 || fd >= fd_limit())
        return -EBADF;
    spinlock_lock(&fd_lock);
    ret = fd_grow(fd);
    if (ret == 0) {
        old = fd_slots[fd].file;
        vfs_file_get_ref(file);
        fd_slots[fd].file = file;
        fd_slots[fd].cloexec = cloexec;
        ret = fd;
    }
    spinlock_unlock(&fd_lock);
    vfs_file_put(old);
    return ret;
}

struct libos_file* fd_get(int fd) {
    struct libos_file* f = NULL;

    spinlock_lock(&fd_lock);
    if (fd >= 0 && fd < fd_cap && fd_slots[fd].file) {
        f = fd_slots[fd].file;
        vfs_file_get_ref(f);
    }
    spinlock_unlock(&fd_lock);
    return f;
}

int fd_close(int fd) {
    struct libos_file* f = NULL;

    spinlock_lock(&fd_lock);
    if (fd >= 0 && fd < fd_cap) {
        f = fd_slots[fd].file;
        fd_slots[fd].file = NULL;
    }
    spinlock_unlock(&fd_lock);
    if (!f)
        return -EBADF;
    vfs_file_put(f);
    return 0;
}

int fd_get_cloexec(int fd) {
    int ret = -EBADF;

    spinlock_lock(&fd_lock);
    if (fd >= 0 && fd < fd_cap && fd_slots[fd].file)
        ret = fd_slots[fd].cloexec;
    spinlock_unlock(&fd_lock);
    return ret;
}

int fd_set_cloexec(int fd, bool on) {
    int ret = -EBADF;

    spinlock_lock(&fd_lock);
    if (fd >= 0 && fd < fd_cap && fd_slots[fd].file) {
        fd_slots[fd].cloexec = on;
        ret = 0;
    }
    spinlock_unlock(&fd_lock);
    return ret;
}

void fd_for_each(void (*fn)(int fd, struct libos_file* file, bool cloexec, void* ctx), void* ctx) {
    for (int fd = 0;; fd++) {
        struct libos_file* f = NULL;
        bool cloexec = false;
        bool end;

        spinlock_lock(&fd_lock);
        end = fd >= fd_cap;
        if (!end && fd_slots[fd].file) {
            f = fd_slots[fd].file;
            cloexec = fd_slots[fd].cloexec;
            vfs_file_get_ref(f);
        }
        spinlock_unlock(&fd_lock);
        if (end)
            return;
        if (f) {
            fn(fd, f, cloexec, ctx);
            vfs_file_put(f);
        }
    }
}

/* Closes fds [first, last] for which keep() is false; files are released unlocked. */
static void fd_close_range_if(int first, int last, bool only_cloexec) {
    for (int fd = first; fd <= last; fd++) {
        struct libos_file* f = NULL;
        bool end;

        spinlock_lock(&fd_lock);
        end = fd >= fd_cap;
        if (!end && fd_slots[fd].file && (!only_cloexec || fd_slots[fd].cloexec)) {
            f = fd_slots[fd].file;
            fd_slots[fd].file = NULL;
        }
        spinlock_unlock(&fd_lock);
        if (end)
            return;
        vfs_file_put(f);
    }
}

void fd_close_on_exec(void) {
    fd_close_range_if(0, INT_MAX, /*only_cloexec=*/true);
}

/* ---- Syscalls -------------------------------------------------------------------------------- */

long sys_close(int fd) {
    return fd_close(fd);
}

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

long sys_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    int end = last > INT_MAX ? INT_MAX : (int)last;

    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
        return -EINVAL;
    if (first > last)
        return -EINVAL;
    if (first > INT_MAX)
        return 0;
    /* The table is never shared with another process, so UNSHARE needs nothing. */
    if (flags & CLOSE_RANGE_CLOEXEC) {
        for (int fd = (int)first; fd <= end && fd < fd_limit(); fd++)
            fd_set_cloexec(fd, true);
        return 0;
    }
    fd_close_range_if((int)first, end, /*only_cloexec=*/false);
    return 0;
}

long sys_dup(int oldfd) {
    struct libos_file* f = fd_get(oldfd);
    int ret;

    if (!f)
        return -EBADF;
    ret = fd_install(f, 0, /*cloexec=*/false);
    vfs_file_put(f);
    return ret;
}

long sys_dup3(int oldfd, int newfd, int flags) {
    struct libos_file* f;
    int ret;

    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    f = fd_get(oldfd);
    if (!f)
        return -EBADF;
    ret = fd_install_at(newfd, f, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

long sys_dup2(int oldfd, int newfd) {
    struct libos_file* f;

    if (oldfd == newfd) {
        f = fd_get(oldfd);
        if (!f)
            return -EBADF;
        vfs_file_put(f);
        return newfd;
    }
    return sys_dup3(oldfd, newfd, 0);
}

/* Status flags F_SETFL may change, as on Linux; the access mode and creation flags stay. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

static long fcntl_setfl(struct libos_file* f, int flags) {
    bool nonblock_changed = ((f->flags ^ flags) & O_NONBLOCK) != 0;
    int ret;

    if (nonblock_changed && f->handle) {
        ret = pal_stream_set_nonblocking(f->handle, (flags & O_NONBLOCK) != 0);
        if (ret < 0)
            return ret;
    }
    __atomic_store_n(&f->flags, (f->flags & ~SETFL_MASK) | (flags & SETFL_MASK), __ATOMIC_RELAXED);
    return 0;
}

/* Record locks: a guest process is the only user of the files it sees through its own
 * library OS, so F_SETLK and F_SETLKW always succeed without effect and F_GETLK reports the
 * range as unlocked. Locks between guest processes are not kept yet. */
static long fcntl_getlk(uint64_t arg) {
    struct flock lk;
    int ret = copy_from_app(&lk, (const void*)arg, sizeof(lk));

    if (ret < 0)
        return ret;
    if (lk.l_type != F_RDLCK && lk.l_type != F_WRLCK && lk.l_type != F_UNLCK)
        return -EINVAL;
    lk.l_type = F_UNLCK;
    return copy_to_app((void*)arg, &lk, sizeof(lk));
}

static long fcntl_setlk(uint64_t arg) {
    struct flock lk;
    int ret = copy_from_app(&lk, (const void*)arg, sizeof(lk));

    if (ret < 0)
        return ret;
    if (lk.l_type != F_RDLCK && lk.l_type != F_WRLCK && lk.l_type != F_UNLCK)
        return -EINVAL;
    return 0;
}

#ifndef F_OFD_GETLK
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#endif
#ifndef F_GETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

long sys_fcntl(int fd, int cmd, uint64_t arg) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    switch (cmd) {
        case F_DUPFD:
        case F_DUPFD_CLOEXEC:
            if ((int64_t)arg < 0 || arg > INT_MAX)
                ret = -EINVAL;
            else
                ret = fd_install(f, (int)arg, cmd == F_DUPFD_CLOEXEC);
            break;
        case F_GETFD:
            ret = fd_get_cloexec(fd) == 1 ? FD_CLOEXEC : 0;
            break;
        case F_SETFD:
            ret = fd_set_cloexec(fd, (arg & FD_CLOEXEC) != 0);
            break;
        case F_GETFL:
            ret = __atomic_load_n(&f->flags, __ATOMIC_RELAXED) | O_LARGEFILE;
            break;
        case F_SETFL:
            ret = fcntl_setfl(f, (int)arg);
            break;
        case F_GETLK:
        case F_OFD_GETLK:
            ret = fcntl_getlk(arg);
            break;
        case F_SETLK:
        case F_SETLKW:
        case F_OFD_SETLK:
        case F_OFD_SETLKW:
            ret = fcntl_setlk(arg);
            break;
        case F_GETPIPE_SZ:
            ret = S_ISFIFO(f->type) ? 65536 : -EBADF;
            break;
        case F_SETPIPE_SZ:
            /* The host pipe keeps its size; report the one it has. */
            ret = S_ISFIFO(f->type) ? 65536 : -EBADF;
            break;
        case F_GETOWN:
            ret = 0;
            break;
        case F_SETOWN:
            /* O_ASYNC is kept as a flag but raises no SIGIO, so there is no owner to keep. */
            ret = 0;
            break;
        default:
            ret = -EINVAL;
            break;
    }
    vfs_file_put(f);
    return ret;
}

/* flock(2) advisory locks are accepted without effect, for the reason given at F_SETLK. */
long sys_flock(int fd, int op) {
    struct libos_file* f = fd_get(fd);
    int kind = op & ~LOCK_NB;

    if (!f)
        return -EBADF;
    vfs_file_put(f);
    if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN)
        return -EINVAL;
    return 0;
}
