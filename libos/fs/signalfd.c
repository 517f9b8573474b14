/* signalfd and signalfd4: a file that reads the caller's pending signals of a mask. It has no
 * host object: its readiness comes from the library OS's pending sets, and waits on it mark the
 * thread as waiting for those signals so that one arriving cuts the host wait short. Known
 * limit: a forked child does not inherit it (the fd is closed there). */
#include "poll.h"

#include "proc.h"

#define SIGINFO_SIZE 128

struct signalfd_siginfo_ {
    uint32_t signo;
    int32_t errno_;
    int32_t code;
    uint32_t pid;
    uint32_t uid;
    int32_t fd;
    uint32_t tid;
    uint32_t band;
    uint32_t overrun;
    uint32_t trapno;
    int32_t status;
    int32_t int_;
    uint64_t ptr;
    uint64_t utime;
    uint64_t stime;
    uint64_t addr;
    uint8_t rest[48];
};

struct signalfd_state {
    sigset64_t mask; /* atomic: signalfd4 on the fd replaces it */
};

static sigset64_t signalfd_mask(struct libos_file* f) {
    return __atomic_load_n(&((struct signalfd_state*)f->data)->mask, __ATOMIC_ACQUIRE);
}

static sigset64_t pending_of_caller(void) {
    struct libos_thread* t = libos_current();

    return __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
           __atomic_load_n(&g_process.pending, __ATOMIC_ACQUIRE);
}

static short signalfd_poll(struct libos_file* f, short events, sigset64_t* signals) {
    sigset64_t mask = signalfd_mask(f);

    *signals |= mask;
    return (pending_of_caller() & mask) ? (short)(events & (POLLIN | POLLRDNORM)) : 0;
}

static void siginfo_fill(struct signalfd_siginfo_* out, const struct linux_siginfo* in) {
    uint64_t value;

    memset(out, 0, sizeof(*out));
    out->signo = (uint32_t)in->signo;
    out->errno_ = in->errno_;
    out->code = in->code;
    out->pid = (uint32_t)in->kill.pid;
    out->uid = in->kill.uid;
    if (in->signo == LINUX_SIGCHLD) {
        out->status = in->kill.status;
        out->utime = (uint64_t)in->kill.utime;
        out->stime = (uint64_t)in->kill.stime;
    } else if (in->code == LINUX_SI_TIMER) {
        out->tid = (uint32_t)in->timer.timerid;
        out->overrun = (uint32_t)in->timer.overrun;
        out->int_ = (int32_t)in->timer.value;
        out->ptr = in->timer.value;
    } else {
        memcpy(&value, &in->bytes[8], sizeof(value)); /* sigqueue's value */
        out->int_ = (int32_t)value;
        out->ptr = value;
    }
    if (in->signo == LINUX_SIGSEGV || in->signo == LINUX_SIGBUS || in->signo == LINUX_SIGILL ||
        in->signo == LINUX_SIGFPE)
        out->addr = in->fault.addr;
}

/* Takes up to max pending signals of mask into out; returns how many. */
static size_t signalfd_take(sigset64_t mask, struct signalfd_siginfo_* out, size_t max) {
    struct linux_siginfo info;
    size_t n = 0;

    spinlock_lock(&g_process.lock);
    while (n < max && signal_dequeue_locked(libos_current(), mask, &info) > 0)
        siginfo_fill(&out[n++], &info);
    spinlock_unlock(&g_process.lock);
    return n;
}

/* Waiting for a signal of one signalfd: nothing but signals can end it. */
struct signalfd_waiter {
    struct vfs_waiter w;
    struct libos_file* f;
};

static long signalfd_wait_local(struct vfs_waiter* w, sigset64_t* signals) {
    struct signalfd_waiter* sw = (struct signalfd_waiter*)w;

    return signalfd_poll(sw->f, POLLIN, signals) ? 1 : 0;
}

static long signalfd_wait_host(struct vfs_waiter* w, int64_t timeout_ns, long local_ready) {
    if (local_ready || timeout_ns == 0)
        return local_ready;
    return pal_stream_poll(NULL, NULL, NULL, 0, timeout_ns);
}

static long signalfd_read(struct libos_file* f, void* buf, size_t size) {
    struct signalfd_siginfo_ infos[8];
    size_t max = size / SIGINFO_SIZE;
    size_t n;

    if (!max)
        return -EINVAL;
    if (max > sizeof(infos) / sizeof(infos[0]))
        max = sizeof(infos) / sizeof(infos[0]);
    for (;;) {
        struct signalfd_waiter sw = {{signalfd_wait_local, signalfd_wait_host}, f};
        long ret;

        n = signalfd_take(signalfd_mask(f), infos, max);
        if (n)
            break;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        ret = vfs_wait(&sw.w, -1);
        if (ret < 0)
            return ret == -ERESTARTNOHAND ? -ERESTARTSYS : ret;
    }
    if (pal_user_copy(buf, infos, n * SIGINFO_SIZE) < 0)
        return -EFAULT; /* the signals are gone, as on Linux */
    return (long)(n * SIGINFO_SIZE);
}

static int signalfd_stat(struct libos_file* f, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    return 0;
}

static void signalfd_release(struct libos_file* f) {
    free(f->data);
}

static const struct vfs_file_ops signalfd_ops = {
    .read = signalfd_read,
    .stat = signalfd_stat,
    .poll = signalfd_poll,
    .release = signalfd_release,
};

long sys_signalfd4(int fd, const sigset64_t* app_mask, size_t size, int flags) {
    struct signalfd_state* st;
    struct libos_file* f;
    sigset64_t mask;
    long ret;

    if (size != sizeof(sigset64_t) || (flags & ~(O_NONBLOCK | O_CLOEXEC)))
        return -EINVAL;
    ret = copy_from_app(&mask, app_mask, sizeof(mask));
    if (ret < 0)
        return ret;
    mask &= ~SIG_UNBLOCKABLE;
    if (fd != -1) {
        f = fd_get(fd);
        if (!f)
            return -EBADF;
        ret = f->ops == &signalfd_ops ? fd : -EINVAL;
        if (ret >= 0)
            __atomic_store_n(&((struct signalfd_state*)f->data)->mask, mask, __ATOMIC_RELEASE);
        vfs_file_put(f);
        return ret;
    }
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->mask = mask;
    f = vfs_file_new(&signalfd_ops, "anon_inode:[signalfd]", O_RDONLY | (flags & O_NONBLOCK), 0);
    if (!f) {
        free(st);
        return -ENOMEM;
    }
    f->data = st;
    ret = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

long sys_signalfd(int fd, const sigset64_t* app_mask, size_t size) {
    return sys_signalfd4(fd, app_mask, size, 0);
}
