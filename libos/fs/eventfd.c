/* eventfd and eventfd2: a counter kept by the host, so that it wakes waiters in any process that
 * shares it and every wait path (poll, select, epoll) sees it as a host object. */
#include "vfs.h"

#define EFD_SEMAPHORE_ 1

long sys_eventfd2(unsigned int initval, int flags) {
    pal_handle_t* h;
    struct libos_file* f;
    long ret;

    if (flags & ~(EFD_SEMAPHORE_ | O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    ret = pal_eventfd_open(initval, flags & (EFD_SEMAPHORE_ | O_NONBLOCK), &h);
    if (ret < 0)
        return ret;
    ret = vfs_stream_file_new(h, "anon_inode:[eventfd]", O_RDWR | (flags & O_NONBLOCK), &f);
    if (ret < 0) {
        pal_stream_close(h);
        return ret;
    }
    ret = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

long sys_eventfd(unsigned int initval) {
    return sys_eventfd2(initval, 0);
}
