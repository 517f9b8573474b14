/* Host pipes as PAL stream handles, one handle per end, and splice between host streams. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "host.h"
#include "rt.h"

int pal_pipe_open(int flags, pal_handle_t* out[2]) {
    int fds[2];
    long ret;

    if (flags & ~O_NONBLOCK)
        return -EINVAL;
    ret = HOST_SYSCALL2(__NR_pipe2, fds, O_CLOEXEC | flags);
    if (ret < 0)
        return (int)ret;

    ret = pal_handle_new(PAL_HANDLE_PIPE, fds[0], O_RDONLY | flags, &out[0]);
    if (ret < 0)
        goto out;
    ret = pal_handle_new(PAL_HANDLE_PIPE, fds[1], O_WRONLY | flags, &out[1]);
    if (ret < 0) {
        free(out[0]);
        goto out;
    }
    return 0;
out:
    HOST_SYSCALL1(__NR_close, fds[0]);
    HOST_SYSCALL1(__NR_close, fds[1]);
    return (int)ret;
}

long pal_pipe_splice(pal_handle_t* in, pal_handle_t* out, size_t size, unsigned int flags) {
    return HOST_BLOCKING6(__NR_splice, in->fd, NULL, out->fd, NULL, size, flags);
}
