/* timerfd_create, timerfd_settime, timerfd_gettime: timers kept by the host, readable when they
 * expire, so that waits on them block in the host like waits on any other host object. */
#include "vfs.h"

#define TFD_TIMER_ABSTIME_       1
#define TFD_TIMER_CANCEL_ON_SET_ 2
#define CLOCK_BOOTTIME_          7

struct linux_itimerspec {
    struct linux_timespec interval;
    struct linux_timespec value;
};

/* Reads block in the host until the timer expires; the host checks the 8-byte size. */
static long timerfd_read(struct libos_file* f, void* buf, size_t size) {
    long ret;

    if (!(f->flags & O_NONBLOCK)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_stream_read(f->handle, buf, size, -1);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static int timerfd_stat(struct libos_file* f, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    return 0;
}

static void timerfd_release(struct libos_file* f) {
    pal_stream_close(f->handle);
}

static const struct vfs_file_ops timerfd_ops = {
    .read = timerfd_read,
    .stat = timerfd_stat,
    .release = timerfd_release,
};

/* Which clocks a timer may follow: the ones Linux offers to timerfds, minus the alarm clocks
 * (they need CAP_WAKE_ALARM on the host). */
static bool clock_allowed(int clockid) {
    return clockid == 0 /* REALTIME */ || clockid == 1 /* MONOTONIC */ ||
           clockid == CLOCK_BOOTTIME_;
}

long sys_timerfd_create(int clockid, int flags) {
    pal_handle_t* h;
    struct libos_file* f;
    long ret;

    if (flags & ~(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    if (!clock_allowed(clockid))
        return -EINVAL;
    ret = pal_timer_open(clockid, flags & O_NONBLOCK, &h);
    if (ret < 0)
        return ret;
    f = vfs_file_new(&timerfd_ops, "anon_inode:[timerfd]", O_RDWR | (flags & O_NONBLOCK), 0);
    if (!f) {
        pal_stream_close(h);
        return -ENOMEM;
    }
    f->handle = h;
    f->pollable = true;
    ret = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

static struct libos_file* timerfd_get(int fd, long* err) {
    struct libos_file* f = fd_get(fd);

    *err = -EBADF;
    if (f && f->ops != &timerfd_ops) {
        vfs_file_put(f);
        *err = -EINVAL;
        return NULL;
    }
    return f;
}

static void spec_to_value(const struct linux_itimerspec* spec, int64_t v[4]) {
    v[0] = spec->value.tv_sec;
    v[1] = spec->value.tv_nsec;
    v[2] = spec->interval.tv_sec;
    v[3] = spec->interval.tv_nsec;
}

static void value_to_spec(const int64_t v[4], struct linux_itimerspec* spec) {
    spec->value.tv_sec = v[0];
    spec->value.tv_nsec = v[1];
    spec->interval.tv_sec = v[2];
    spec->interval.tv_nsec = v[3];
}

static bool timespec_valid(const struct linux_timespec* ts) {
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

long sys_timerfd_settime(int fd, int flags, const struct linux_itimerspec* app_new,
                         struct linux_itimerspec* app_old) {
    struct linux_itimerspec spec;
    int64_t value[4], old[4];
    long ret;
    struct libos_file* f = timerfd_get(fd, &ret);

    if (!f)
        return ret;
    ret = copy_from_app(&spec, app_new, sizeof(spec));
    if (ret < 0)
        goto out;
    if (!timespec_valid(&spec.value) || !timespec_valid(&spec.interval) ||
        (flags & ~(TFD_TIMER_ABSTIME_ | TFD_TIMER_CANCEL_ON_SET_))) {
        ret = -EINVAL;
        goto out;
    }
    spec_to_value(&spec, value);
    ret = pal_timer_set(f->handle, flags, value, old);
    if (ret == 0 && app_old) {
        value_to_spec(old, &spec);
        ret = copy_to_app(app_old, &spec, sizeof(spec));
    }
out:
    vfs_file_put(f);
    return ret;
}

long sys_timerfd_gettime(int fd, struct linux_itimerspec* app_cur) {
    struct linux_itimerspec spec;
    int64_t value[4];
    long ret;
    struct libos_file* f = timerfd_get(fd, &ret);

    if (!f)
        return ret;
    ret = pal_timer_get(f->handle, value);
    if (ret == 0) {
        value_to_spec(value, &spec);
        ret = copy_to_app(app_cur, &spec, sizeof(spec));
    }
    vfs_file_put(f);
    return ret;
}
