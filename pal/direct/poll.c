/* Waiting for PAL stream handles to become ready, over the host's ppoll. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/poll.h>
#include <linux/time_types.h>

#include "host.h"
#include "rt.h"

/* Polls of up to this many handles need no allocation. */
#define POLL_STACK_COUNT 32

#define NS_PER_SEC 1000000000LL

int pal_stream_poll(pal_handle_t** handles, const short* events, short* revents, size_t count,
                    int64_t timeout_ns) {
    struct pollfd stack_fds[POLL_STACK_COUNT];
    struct pollfd* fds = stack_fds;
    struct __kernel_timespec ts;
    struct __kernel_timespec* tsp = NULL;
    long ret;

    if (count > POLL_STACK_COUNT) {
        fds = malloc(count * sizeof(*fds));
        if (!fds)
            return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        fds[i].fd = handles[i] ? handles[i]->fd : -1;
        fds[i].events = events[i];
        fds[i].revents = 0;
    }
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NS_PER_SEC;
        ts.tv_nsec = timeout_ns % NS_PER_SEC;
        tsp = &ts;
    }

    ret = HOST_BLOCKING5(__NR_ppoll, fds, count, tsp, NULL, 0);
    if (ret < 0)
        goto out;
    if ((size_t)ret > count) {
        ret = -EIO;
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        revents[i] = handles[i] ? fds[i].revents : 0;
out:
    if (fds != stack_fds)
        free(fds);
    return (int)ret;
}
