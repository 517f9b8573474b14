/* epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2: each guest epoll is a host
 * readiness set for files over host objects (sockets, pipes, eventfds, timerfds, ttys, other
 * epolls), which the host watches with every flag (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE) and
 * the app's data word as its own, plus a short list of files the library OS serves itself
 * (signalfd), checked before each host wait. Known limits: those library OS files are reported
 * level-triggered even with EPOLLET; a forked child inherits an epoll fd as a plain host stream
 * on which epoll_wait and epoll_ctl fail with EINVAL; a file is registered once, however many
 * fds refer to it (the host knows the object, not the guest fd). */
#include "poll.h"

#define EPOLL_CTL_ADD_ 1
#define EPOLL_CTL_DEL_ 2
#define EPOLL_CTL_MOD_ 3
#define EPOLLONESHOT_  (1U << 30)
#define EPOLLET_       (1U << 31)
/* epoll_wait's maxevents limit, as Linux computes it for 12-byte events. */
#define EPOLL_MAX_EVENTS (0x7fffffff / 12)

/* A file without a host object, watched by the library OS. The file stays referenced while it
 * is registered; an entry whose fd no longer holds that file is dropped, as a close would. */
struct epoll_local {
    int fd;
    struct libos_file* file;
    uint32_t events;
    uint64_t data;
    bool disabled; /* EPOLLONESHOT fired */
};

struct epoll_state {
    spinlock_t lock; /* guards locals */
    struct epoll_local* locals;
    size_t count, cap;
};

static void epoll_release(struct libos_file* f) {
    struct epoll_state* st = f->data;

    for (size_t i = 0; i < st->count; i++)
        vfs_file_put(st->locals[i].file);
    free(st->locals);
    free(st);
    pal_stream_close(f->handle);
}

static int epoll_stat(struct libos_file* f, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    return 0;
}

static const struct vfs_file_ops epoll_ops = {
    .stat = epoll_stat,
    .release = epoll_release,
};

long sys_epoll_create1(int flags) {
    struct epoll_state* st;
    struct libos_file* f;
    pal_handle_t* h;
    long ret;

    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    ret = pal_readyset_open(&h);
    if (ret < 0) {
        free(st);
        return ret;
    }
    f = vfs_file_new(&epoll_ops, "anon_inode:[eventpoll]", O_RDWR, 0);
    if (!f) {
        pal_stream_close(h);
        free(st);
        return -ENOMEM;
    }
    f->handle = h;
    f->pollable = true; /* an epoll fd is itself pollable: the host answers for its set */
    f->data = st;
    ret = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

long sys_epoll_create(int size) {
    if (size <= 0)
        return -EINVAL;
    return sys_epoll_create1(0);
}

static struct epoll_local* local_find(struct epoll_state* st, struct libos_file* file) {
    for (size_t i = 0; i < st->count; i++) {
        if (st->locals[i].file == file)
            return &st->locals[i];
    }
    return NULL;
}

static void local_remove(struct epoll_state* st, struct epoll_local* e) {
    vfs_file_put(e->file);
    *e = st->locals[--st->count];
}

static long local_ctl(struct epoll_state* st, int op, int fd, struct libos_file* file,
                      const struct pal_ready_event* ev) {
    struct epoll_local* e;
    long ret = 0;

    spinlock_lock(&st->lock);
    e = local_find(st, file);
    if (op == EPOLL_CTL_ADD_ && e) {
        ret = -EEXIST;
    } else if (op != EPOLL_CTL_ADD_ && !e) {
        ret = -ENOENT;
    } else if (op == EPOLL_CTL_DEL_) {
        local_remove(st, e);
    } else if (op == EPOLL_CTL_MOD_) {
        *e = (struct epoll_local){fd, file, ev->events, ev->data, false};
    } else if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4;
        struct epoll_local* grown = realloc(st->locals, cap * sizeof(*grown));
        ret = grown ? 0 : -ENOMEM;
        if (grown) {
            st->locals = grown;
            st->cap = cap;
        }
    }
    if (ret == 0 && op == EPOLL_CTL_ADD_) {
        vfs_file_get_ref(file);
        st->locals[st->count++] = (struct epoll_local){fd, file, ev->events, ev->data, false};
    }
    spinlock_unlock(&st->lock);
    return ret;
}

bool epoll_is_instance(const struct libos_file* f) {
    return f->ops == &epoll_ops;
}

static struct libos_file* epoll_get(int epfd, long* err) {
    struct libos_file* f = fd_get(epfd);

    *err = -EBADF;
    if (f && f->ops != &epoll_ops) {
        vfs_file_put(f);
        *err = -EINVAL;
        return NULL;
    }
    return f;
}

long sys_epoll_ctl(int epfd, int op, int fd, const struct pal_ready_event* app_event) {
    struct pal_ready_event ev = {0, 0};
    struct libos_file* target = NULL;
    long ret;
    struct libos_file* ep = epoll_get(epfd, &ret);

    if (!ep)
        return ret;
    ret = -EBADF;
    target = fd_get(fd);
    if (!target)
        goto out;
    ret = -EINVAL;
    if (target == ep || (op != EPOLL_CTL_ADD_ && op != EPOLL_CTL_DEL_ && op != EPOLL_CTL_MOD_))
        goto out;
    if (op != EPOLL_CTL_DEL_) {
        ret = copy_from_app(&ev, app_event, sizeof(ev));
        if (ret < 0)
            goto out;
    }
    if (target->ops->poll)
        ret = local_ctl(ep->data, op, fd, target, &ev);
    else if (target->handle && target->pollable)
        ret = pal_readyset_ctl(ep->handle, op, target->handle, ev.events, ev.data);
    else
        ret = -EPERM; /* regular files and directories, as on Linux */
out:
    if (target)
        vfs_file_put(target);
    vfs_file_put(ep);
    return ret;
}

struct epoll_waiter {
    struct vfs_waiter w;
    struct libos_file* ep;
    struct pal_ready_event* out; /* app memory, checked writable */
    int max;
};

/* Reports the library OS's own files; entries whose fd was closed go away first. */
static long epoll_local_ready(struct vfs_waiter* w, sigset64_t* signals) {
    struct epoll_waiter* ew = (struct epoll_waiter*)w;
    struct epoll_state* st = ew->ep->data;
    long n = 0;

    if (!__atomic_load_n(&st->count, __ATOMIC_RELAXED))
        return 0;
    spinlock_lock(&st->lock);
    for (size_t i = 0; i < st->count && n < ew->max;) {
        struct epoll_local* e = &st->locals[i];
        struct libos_file* now = fd_get(e->fd);
        uint32_t ready;

        if (now)
            vfs_file_put(now);
        if (now != e->file) {
            local_remove(st, e);
            continue;
        }
        i++;
        if (e->disabled)
            continue;
        ready = (uint32_t)(uint16_t)e->file->ops->poll(e->file, (short)e->events, signals) &
                (e->events | POLLERR | POLLHUP);
        if (!ready)
            continue;
        ew->out[n++] = (struct pal_ready_event){ready, e->data};
        if (e->events & EPOLLONESHOT_)
            e->disabled = true;
    }
    spinlock_unlock(&st->lock);
    return n;
}

static long epoll_host_ready(struct vfs_waiter* w, int64_t timeout_ns, long local_ready) {
    struct epoll_waiter* ew = (struct epoll_waiter*)w;
    long ret;

    if (local_ready >= ew->max)
        return local_ready;
    ret = pal_readyset_wait(ew->ep->handle, ew->out + local_ready,
                            (size_t)(ew->max - local_ready), timeout_ns);
    return ret < 0 ? ret : local_ready + ret;
}

/* How many of max events fit in writable app memory at events. Linux checks only that the
 * array lies in the user half and fails when it writes an event that faults; a buffer shorter
 * than max then still receives the events that fit, and so it does here. */
static int epoll_writable_events(struct pal_ready_event* events, int max) {
    size_t size = sizeof(*events);
    int lo = 0, hi = max;

    if ((uint64_t)events + (size_t)max * size > LINUX_TASK_SIZE)
        return 0;
    if (mm_is_accessible((uint64_t)events, (size_t)max * size, PROT_WRITE))
        return max;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (mm_is_accessible((uint64_t)events, (size_t)mid * size, PROT_WRITE))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static long epoll_wait_ns(int epfd, struct pal_ready_event* app_events, int max,
                          int64_t timeout_ns) {
    long ret;
    struct libos_file* ep;
    struct epoll_waiter ew;

    if (max <= 0 || max > EPOLL_MAX_EVENTS)
        return -EINVAL;
    max = epoll_writable_events(app_events, max);
    if (!max)
        return -EFAULT;
    ep = epoll_get(epfd, &ret);
    if (!ep)
        return ret;
    ew = (struct epoll_waiter){{epoll_local_ready, epoll_host_ready}, ep, app_events, max};
    ret = vfs_wait(&ew.w, timeout_ns);
    vfs_file_put(ep);
    return ret == -ERESTARTNOHAND ? -EINTR : ret;
}

long sys_epoll_wait(int epfd, struct pal_ready_event* events, int max, int timeout_ms) {
    return epoll_wait_ns(epfd, events, max, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

static long epoll_pwait_ns(int epfd, struct pal_ready_event* events, int max, int64_t ns,
                           const sigset64_t* app_mask, size_t mask_size) {
    int installed = vfs_wait_mask_install(app_mask, mask_size);
    long ret;

    if (installed < 0)
        return installed;
    ret = epoll_wait_ns(epfd, events, max, ns);
    /* An interrupted epoll_pwait leaves the old mask for signal delivery to restore. */
    vfs_wait_mask_done(installed, ret == -EINTR ? -ERESTARTNOHAND : ret);
    return ret;
}

long sys_epoll_pwait(int epfd, struct pal_ready_event* events, int max, int timeout_ms,
                     const sigset64_t* app_mask, size_t mask_size) {
    int64_t ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;

    return epoll_pwait_ns(epfd, events, max, ns, app_mask, mask_size);
}

long sys_epoll_pwait2(int epfd, struct pal_ready_event* events, int max,
                      const struct linux_timespec* app_ts, const sigset64_t* app_mask,
                      size_t mask_size) {
    int64_t ns;
    long ret = vfs_wait_timespec_ns(app_ts, &ns);

    if (ret < 0)
        return ret;
    return epoll_pwait_ns(epfd, events, max, ns, app_mask, mask_size);
}
