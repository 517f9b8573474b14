/* poll, ppoll, select, pselect6, and the wait path they share with epoll: host streams wait in
 * the host, files the library OS serves itself answer through their poll operation, and all
 * other files are ready. */
#include "poll.h"

#include "proc.h"

#define POLL_MAX_FDS (1 << 16)
#define NS_PER_SEC   1000000000LL
#define NS_PER_USEC  1000LL
/* What a file that never blocks reports: ready both ways. */
#define ALWAYS_READY (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct poll_set {
    struct vfs_waiter waiter; /* must stay first */
    size_t count;
    struct libos_file** files; /* NULL: fd negative (ignored) or not open (POLLNVAL) */
    pal_handle_t** handles;    /* set for files the host polls */
    short* events;
    short* revents;
    bool* bad; /* fd not open */
};

static void poll_set_free(struct poll_set* s) {
    for (size_t i = 0; i < s->count && s->files; i++)
        vfs_file_put(s->files[i]);
    free(s->files);
    free(s->handles);
    free(s->events);
    free(s->revents);
    free(s->bad);
}

static int poll_set_alloc(struct poll_set* s, size_t count) {
    size_t n = count ? count : 1;

    memset(s, 0, sizeof(*s));
    s->files = calloc(n, sizeof(*s->files));
    s->handles = calloc(n, sizeof(*s->handles));
    s->events = calloc(n, sizeof(*s->events));
    s->revents = calloc(n, sizeof(*s->revents));
    s->bad = calloc(n, sizeof(*s->bad));
    s->count = count;
    if (!s->files || !s->handles || !s->events || !s->revents || !s->bad) {
        poll_set_free(s);
        return -ENOMEM;
    }
    return 0;
}

static void poll_set_add(struct poll_set* s, size_t i, int fd, short events) {
    struct libos_file* f;

    s->events[i] = events;
    if (fd < 0)
        return;
    f = fd_get(fd);
    if (!f) {
        s->bad[i] = true;
        return;
    }
    s->files[i] = f;
    if (f->pollable && f->handle)
        s->handles[i] = f->handle;
}

/* Fills the revents of files the library OS answers itself; returns how many are ready. */
static long poll_local(struct vfs_waiter* w, sigset64_t* signals) {
    struct poll_set* s = (struct poll_set*)w;
    long ready = 0;

    for (size_t i = 0; i < s->count; i++) {
        struct libos_file* f = s->files[i];

        if (s->bad[i])
            s->revents[i] = POLLNVAL;
        else if (f && f->ops->poll)
            s->revents[i] = f->ops->poll(f, s->events[i], signals);
        else if (f && !s->handles[i])
            s->revents[i] = (short)(s->events[i] & ALWAYS_READY);
        else
            continue;
        if (s->revents[i])
            ready++;
    }
    return ready;
}

/* Asks the host about the host handles, keeping the answers already given for the rest
 * (the PAL reports 0 for a NULL handle). With no host handle, only a wait for time or a
 * signal needs the host. */
static long poll_host(struct vfs_waiter* w, int64_t timeout_ns, long local_ready) {
    struct poll_set* s = (struct poll_set*)w;
    bool any_host = false;
    short* host_revents;
    long ret;

    for (size_t i = 0; i < s->count; i++)
        any_host |= s->handles[i] != NULL;
    if (!any_host && timeout_ns == 0)
        return local_ready;
    host_revents = calloc(s->count ? s->count : 1, sizeof(short));
    if (!host_revents)
        return -ENOMEM;
    ret = pal_stream_poll(s->handles, s->events, host_revents, s->count, timeout_ns);
    if (ret >= 0) {
        ret = 0;
        for (size_t i = 0; i < s->count; i++) {
            if (s->handles[i])
                s->revents[i] = host_revents[i];
            if (s->revents[i])
                ret++;
        }
    }
    free(host_revents);
    return ret;
}

/* Signals that would run a handler or end the process now (not those a signalfd waits for). */
static bool signal_deliverable(void) {
    struct libos_thread* t = libos_current();
    sigset64_t pending = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
                         __atomic_load_n(&g_process.pending, __ATOMIC_ACQUIRE);

    return !proc_current()->helper && (pending & ~t->sigmask);
}

/* Marks the thread as waiting for signals (as rt_sigtimedwait does), so that one of them, even
 * blocked, is steered to this thread and cuts its host wait short. */
static void signal_wait_for(sigset64_t signals) {
    spinlock_lock(&g_process.lock);
    proc_current()->sigwaiting = signals;
    signal_retarget_locked();
    spinlock_unlock(&g_process.lock);
}

static uint64_t monotonic_ns(void) {
    uint64_t ns = 0;

    pal_clock_get(PAL_CLOCK_MONOTONIC, &ns);
    return ns;
}

long vfs_wait(struct vfs_waiter* w, int64_t timeout_ns) {
    uint64_t start = timeout_ns > 0 ? monotonic_ns() : 0;
    sigset64_t waiting = 0;
    long ret;

    for (;;) {
        sigset64_t signals = 0;
        int64_t left = timeout_ns;

        pal_thread_clear_interrupt();
        ret = w->local(w, &signals);
        if (ret < 0)
            break;
        if (signals != waiting) {
            signal_wait_for(signals);
            waiting = signals;
        }
        if (timeout_ns > 0) {
            left = timeout_ns - (int64_t)(monotonic_ns() - start);
            left = left > 0 ? left : 0;
        }
        if (!ret && left != 0 && signal_deliverable()) {
            ret = -ERESTARTNOHAND;
            break;
        }
        ret = w->host(w, ret ? 0 : left, ret);
        if (ret != -EINTR)
            break;
        if (signal_deliverable()) {
            ret = -ERESTARTNOHAND;
            break;
        }
        /* A signal a signalfd waits for, or a host interruption with nothing for the app:
         * look again with what is left of the time. */
    }
    if (waiting)
        signal_wait_for(0);
    return ret;
}

static long poll_wait(struct poll_set* s, int64_t timeout_ns) {
    s->waiter.local = poll_local;
    s->waiter.host = poll_host;
    return vfs_wait(&s->waiter, timeout_ns);
}

static long do_poll(struct pollfd* app_fds, unsigned int nfds, int64_t timeout_ns) {
    struct pollfd* fds = NULL;
    struct poll_set s;
    long ret;

    if (nfds > POLL_MAX_FDS || nfds > (unsigned int)fd_limit() + 64)
        return -EINVAL;
    fds = malloc(sizeof(*fds) * (nfds ? nfds : 1));
    if (!fds)
        return -ENOMEM;
    ret = copy_from_app(fds, app_fds, sizeof(*fds) * nfds);
    if (ret < 0)
        goto out_fds;
    ret = poll_set_alloc(&s, nfds);
    if (ret < 0)
        goto out_fds;
    for (unsigned int i = 0; i < nfds; i++)
        poll_set_add(&s, i, fds[i].fd, (short)(fds[i].events | POLLERR | POLLHUP));

    ret = poll_wait(&s, timeout_ns);
    if (ret >= 0) {
        for (unsigned int i = 0; i < nfds; i++)
            fds[i].revents = s.revents[i];
        if (copy_to_app(app_fds, fds, sizeof(*fds) * nfds) < 0)
            ret = -EFAULT;
    }
    poll_set_free(&s);
out_fds:
    free(fds);
    return ret;
}

long sys_poll(struct pollfd* fds, unsigned int nfds, int timeout_ms) {
    return do_poll(fds, nfds, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

int vfs_wait_timespec_ns(const struct linux_timespec* app_ts, int64_t* ns) {
    struct linux_timespec ts;
    int ret;

    if (!app_ts) {
        *ns = -1;
        return 0;
    }
    ret = copy_from_app(&ts, app_ts, sizeof(ts));
    if (ret < 0)
        return ret;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NS_PER_SEC)
        return -EINVAL;
    *ns = ts.tv_sec > INT64_MAX / NS_PER_SEC - 1 ? INT64_MAX : ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
    return 0;
}

/* A signal mask for the call's duration, as ppoll and pselect6 take one. */
int vfs_wait_mask_install(const sigset64_t* app_mask, size_t size) {
    sigset64_t mask;
    int ret;

    if (!app_mask)
        return 0;
    if (size != sizeof(sigset64_t))
        return -EINVAL;
    ret = copy_from_app(&mask, app_mask, sizeof(mask));
    if (ret < 0)
        return ret;
    signal_mask_temporarily(mask);
    return 1;
}

/* An interrupted call leaves the old mask for signal delivery to put back. */
void vfs_wait_mask_done(int installed, long ret) {
    if (installed == 1 && ret != -ERESTARTNOHAND)
        signal_mask_restore();
}

long sys_ppoll(struct pollfd* fds, unsigned int nfds, const struct linux_timespec* app_ts,
               const sigset64_t* app_mask, size_t mask_size) {
    int64_t ns;
    int installed;
    long ret = vfs_wait_timespec_ns(app_ts, &ns);

    if (ret < 0)
        return ret;
    installed = vfs_wait_mask_install(app_mask, mask_size);
    if (installed < 0)
        return installed;
    ret = do_poll(fds, nfds, ns);
    vfs_wait_mask_done(installed, ret);
    return ret;
}

/* ---- select ------------------------------------------------------------------------------ */

#define FDSET_WORD_BITS 64

static bool fdset_has(const uint64_t* set, int fd) {
    return set && (set[fd / FDSET_WORD_BITS] >> (fd % FDSET_WORD_BITS)) & 1;
}

static void fdset_put(uint64_t* set, int fd) {
    set[fd / FDSET_WORD_BITS] |= 1ULL << (fd % FDSET_WORD_BITS);
}

static int fdset_copy_in(uint64_t* dst, const uint64_t* app, size_t bytes) {
    if (!app)
        return 0;
    return copy_from_app(dst, app, bytes);
}

static long do_select(int nfds, uint64_t* app_sets[3], int64_t timeout_ns) {
    size_t words = ((size_t)nfds + FDSET_WORD_BITS - 1) / FDSET_WORD_BITS;
    size_t bytes = words * sizeof(uint64_t);
    uint64_t* in = calloc(3 * (words ? words : 1), sizeof(uint64_t));
    uint64_t* out = calloc(3 * (words ? words : 1), sizeof(uint64_t));
    uint64_t* sets[3];
    struct poll_set s;
    size_t count = 0, k = 0;
    long ret = 0;

    if (!in || !out) {
        ret = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < 3 && ret == 0; i++) {
        sets[i] = app_sets[i] ? in + i * words : NULL;
        ret = fdset_copy_in(in + i * words, app_sets[i], bytes);
    }
    if (ret < 0)
        goto out;
    for (int fd = 0; fd < nfds; fd++)
        count += fdset_has(sets[0], fd) || fdset_has(sets[1], fd) || fdset_has(sets[2], fd);
    ret = poll_set_alloc(&s, count);
    if (ret < 0)
        goto out;
    for (int fd = 0; fd < nfds; fd++) {
        short ev =
            (short)((fdset_has(sets[0], fd) ? POLLIN : 0) | (fdset_has(sets[1], fd) ? POLLOUT : 0) |
                    (fdset_has(sets[2], fd) ? POLLPRI : 0));
        if (ev)
            poll_set_add(&s, k++, fd, ev);
    }
    for (size_t i = 0; i < count; i++) {
        if (s.bad[i]) {
            ret = -EBADF;
            goto out_set;
        }
    }

    ret = poll_wait(&s, timeout_ns);
    if (ret < 0)
        goto out_set;
    ret = 0;
    k = 0;
    for (int fd = 0; fd < nfds; fd++) {
        bool r = fdset_has(sets[0], fd), w = fdset_has(sets[1], fd), x = fdset_has(sets[2], fd);
        short rev;

        if (!r && !w && !x)
            continue;
        rev = s.revents[k++];
        if (r && (rev & (POLLIN | POLLHUP | POLLERR))) {
            fdset_put(out, fd);
            ret++;
        }
        if (w && (rev & (POLLOUT | POLLERR))) {
            fdset_put(out + words, fd);
            ret++;
        }
        if (x && (rev & POLLPRI)) {
            fdset_put(out + 2 * words, fd);
            ret++;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (app_sets[i] && copy_to_app(app_sets[i], out + i * words, bytes) < 0)
            ret = -EFAULT;
    }
out_set:
    poll_set_free(&s);
out:
    free(in);
    free(out);
    return ret;
}

static long select_checked(int nfds, uint64_t* r, uint64_t* w, uint64_t* x, int64_t timeout_ns) {
    uint64_t* sets[3] = {r, w, x};

    if (nfds < 0)
        return -EINVAL;
    if (nfds > fd_limit())
        nfds = fd_limit();
    return do_select(nfds, sets, timeout_ns);
}

/* select writes back the time it did not use, as Linux does. */
long sys_select(int nfds, uint64_t* r, uint64_t* w, uint64_t* x, struct linux_timeval* app_tv) {
    struct linux_timeval tv;
    int64_t ns = -1;
    uint64_t start = monotonic_ns();
    long ret;

    if (app_tv) {
        ret = copy_from_app(&tv, app_tv, sizeof(tv));
        if (ret < 0)
            return ret;
        /* Linux carries whole seconds out of tv_usec before it checks the time. */
        int64_t sec = tv.tv_sec + tv.tv_usec / 1000000, usec = tv.tv_usec % 1000000;
        if (sec < 0 || usec < 0)
            return -EINVAL;
        ns = sec >= INT64_MAX / NS_PER_SEC - 1 ? INT64_MAX : sec * NS_PER_SEC + usec * NS_PER_USEC;
    }
    ret = select_checked(nfds, r, w, x, ns);
    if (app_tv && ret >= 0) {
        int64_t left = ns - (int64_t)(monotonic_ns() - start);

        left = left > 0 ? left : 0;
        tv.tv_sec = left / NS_PER_SEC;
        tv.tv_usec = left % NS_PER_SEC / NS_PER_USEC;
        copy_to_app(app_tv, &tv, sizeof(tv));
    }
    return ret;
}

struct pselect_sigmask {
    const sigset64_t* mask;
    size_t size;
};

long sys_pselect6(int nfds, uint64_t* r, uint64_t* w, uint64_t* x,
                  const struct linux_timespec* app_ts, const struct pselect_sigmask* app_sm) {
    struct pselect_sigmask sm = {NULL, 0};
    int64_t ns;
    int installed;
    long ret = vfs_wait_timespec_ns(app_ts, &ns);

    if (ret < 0)
        return ret;
    if (app_sm) {
        ret = copy_from_app(&sm, app_sm, sizeof(sm));
        if (ret < 0)
            return ret;
    }
    installed = vfs_wait_mask_install(sm.mask, sm.size);
    if (installed < 0)
        return installed;
    ret = select_checked(nfds, r, w, x, ns);
    vfs_wait_mask_done(installed, ret);
    return ret;
}
