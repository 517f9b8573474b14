/* Host event objects behind PAL handles: eventfd counters, timerfds and epoll readiness sets. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "host.h"
#include "rt.h"

#define EFD_SEMAPHORE_FLAG 1
#define NONBLOCK_FLAG      04000
#define CLOEXEC_FLAG       02000000
#define TFD_ABSTIME_FLAG   1
#define TFD_CANCEL_FLAG    2
#define EPOLL_DEL_OP       2

/* Readiness sets larger than this are waited on in several host calls' worth of events. */
#define READY_WAIT_MAX 1024

struct host_itimerspec {
    int64_t interval_sec, interval_nsec;
    int64_t value_sec, value_nsec;
};

static int wrap_new_fd(long fd, int flags, pal_handle_t** out) {
    int ret;

    if (fd < 0)
        return (int)fd;
    ret = pal_handle_new(PAL_HANDLE_STDIO, (int)fd, O_RDWR | (flags & NONBLOCK_FLAG), out);
    if (ret < 0)
        HOST_SYSCALL1(__NR_close, fd);
    return ret;
}

int pal_eventfd_open(uint32_t initval, int flags, pal_handle_t** out) {
    if (flags & ~(EFD_SEMAPHORE_FLAG | NONBLOCK_FLAG))
        return -EINVAL;
    return wrap_new_fd(HOST_SYSCALL2(__NR_eventfd2, initval, flags | CLOEXEC_FLAG), flags, out);
}

int pal_timer_open(int clock, int flags, pal_handle_t** out) {
    if (flags & ~NONBLOCK_FLAG)
        return -EINVAL;
    return wrap_new_fd(HOST_SYSCALL2(__NR_timerfd_create, clock, flags | CLOEXEC_FLAG), flags,
                       out);
}

static void spec_from_value(const int64_t v[4], struct host_itimerspec* spec) {
    spec->value_sec = v[0];
    spec->value_nsec = v[1];
    spec->interval_sec = v[2];
    spec->interval_nsec = v[3];
}

static void value_from_spec(const struct host_itimerspec* spec, int64_t v[4]) {
    v[0] = spec->value_sec;
    v[1] = spec->value_nsec;
    v[2] = spec->interval_sec;
    v[3] = spec->interval_nsec;
}

int pal_timer_set(pal_handle_t* h, int flags, const int64_t new_value[4], int64_t old_value[4]) {
    struct host_itimerspec spec, old;
    long ret;

    if (flags & ~(TFD_ABSTIME_FLAG | TFD_CANCEL_FLAG))
        return -EINVAL;
    spec_from_value(new_value, &spec);
    ret = HOST_SYSCALL4(__NR_timerfd_settime, h->fd, flags, &spec, &old);
    if (ret < 0)
        return (int)ret;
    if (old_value)
        value_from_spec(&old, old_value);
    return 0;
}

int pal_timer_get(pal_handle_t* h, int64_t value[4]) {
    struct host_itimerspec spec;
    long ret = HOST_SYSCALL2(__NR_timerfd_gettime, h->fd, &spec);

    if (ret < 0)
        return (int)ret;
    value_from_spec(&spec, value);
    return 0;
}

int pal_readyset_open(pal_handle_t** out) {
    return wrap_new_fd(HOST_SYSCALL1(__NR_epoll_create1, CLOEXEC_FLAG), 0, out);
}

int pal_readyset_ctl(pal_handle_t* set, int op, pal_handle_t* h, uint32_t events,
                     uint64_t data) {
    struct pal_ready_event ev = {events, data};

    return (int)HOST_SYSCALL4(__NR_epoll_ctl, set->fd, op, h->fd, op == EPOLL_DEL_OP ? NULL : &ev);
}

int pal_readyset_wait(pal_handle_t* set, struct pal_ready_event* out, size_t count,
                      int64_t timeout_ns) {
    int timeout_ms = -1;
    long ret;

    if (!count)
        return -EINVAL;
    if (count > READY_WAIT_MAX)
        count = READY_WAIT_MAX;
    if (timeout_ns >= 0) {
        /* Rounded up, so that a wait never ends before its time. */
        int64_t ms = (timeout_ns + 999999) / 1000000;
        timeout_ms = ms > 0x7fffffff ? 0x7fffffff : (int)ms;
    }
    ret = HOST_BLOCKING4(__NR_epoll_wait, set->fd, out, count, timeout_ms);
    if (ret > (long)count)
        return -EIO;
    return (int)ret;
}
