/* pipe and pipe2: host pipes, so that they keep working between guest processes. */
#include "vfs.h"

long sys_pipe2(int* app_fds, int flags) {
    pal_handle_t* h[2];
    struct libos_file* f[2] = {NULL, NULL};
    int fds[2] = {-1, -1};
    bool cloexec = (flags & O_CLOEXEC) != 0;
    int nonblock = flags & O_NONBLOCK;
    long ret;

    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    if (!mm_is_accessible((uint64_t)app_fds, sizeof(fds), PROT_WRITE))
        return -EFAULT;
    ret = pal_pipe_open(nonblock, h);
    if (ret < 0)
        return ret;
    ret = vfs_stream_file_new(h[0], NULL, O_RDONLY | nonblock, &f[0]);
    if (ret < 0) {
        pal_stream_close(h[0]);
        pal_stream_close(h[1]);
        return ret;
    }
    ret = vfs_stream_file_new(h[1], NULL, O_WRONLY | nonblock, &f[1]);
    if (ret < 0) {
        pal_stream_close(h[1]);
        goto out;
    }
    ret = fds[0] = fd_install(f[0], 0, cloexec);
    if (ret < 0)
        goto out;
    ret = fds[1] = fd_install(f[1], 0, cloexec);
    if (ret < 0)
        goto out;
    ret = copy_to_app(app_fds, fds, sizeof(fds));
out:
    if (ret < 0) {
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0)
                fd_close(fds[i]);
        }
    }
    vfs_file_put(f[0]);
    vfs_file_put(f[1]);
    return ret;
}

long sys_pipe(int* fds) {
    return sys_pipe2(fds, 0);
}
