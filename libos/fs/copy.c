/* Copies between fds done in the library OS (sendfile, copy_file_range, splice), and
 * memfd_create. */
#include <asm/ioctls.h>

#include "net/net.h"
#include "vfs.h"

#define COPY_CHUNK (64 * 1024)
#define COPY_MAX   0x7ffff000L

/* Reads from in at *in_off (or its position if in_off is NULL) and writes to out at *out_off
 * (or its position); stops at end of input, a short write, a short read from a pipe or socket
 * (whose next read could block), or an error after some progress. */
static long copy_loop(struct libos_file* in, int64_t* in_off, struct libos_file* out,
                      int64_t* out_off, size_t count) {
    /* Small copies (a web server's files) use the stack: a fresh large buffer per call costs
     * page faults and a TLB flush each time. */
    uint8_t small[16384];
    uint8_t* buf;
    long done = 0;
    long ret = 0;

    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if ((out->flags & O_APPEND) && out_off)
        return -EINVAL;
    if (count > COPY_MAX)
        count = COPY_MAX;
    buf = count <= sizeof(small) ? small : malloc(COPY_CHUNK);
    if (!buf)
        return -ENOMEM;
    while ((size_t)done < count) {
        size_t chunk = buf == small ? sizeof(small) : COPY_CHUNK;
        size_t want = count - (size_t)done < chunk ? count - (size_t)done : chunk;
        long got, put;

        if (in_off)
            got = in->ops->pread ? in->ops->pread(in, buf, want, (uint64_t)*in_off) : -ESPIPE;
        else
            got = in->ops->read ? in->ops->read(in, buf, want) : -EINVAL;
        if (got <= 0) {
            ret = got;
            break;
        }
        if (out_off)
            put = out->ops->pwrite ? out->ops->pwrite(out, buf, (size_t)got, (uint64_t)*out_off)
                                   : -ESPIPE;
        else
            put = out->ops->write ? out->ops->write(out, buf, (size_t)got) : -EINVAL;
        if (put < 0) {
            ret = put;
            break;
        }
        if (in_off)
            *in_off += put;
        if (out_off)
            *out_off += put;
        done += put;
        /* Bytes read but not written go back to the input when it has a position. */
        if (put < got) {
            if (!in_off && in->ops->seek)
                in->ops->seek(in, put - got, SEEK_CUR);
            break;
        }
        if (in->pollable && (size_t)got < want)
            break;
    }
    if (buf != small)
        free(buf);
    return done ? done : ret;
}

/* Linux's rw_verify_area: a count above SSIZE_MAX, a negative offset and an end that
 * overflows are EINVAL. Without an offset, the file's own position is left to the read or
 * write, which checks the same (asking for it here would cost sendfile a host call). */
static long range_check(const int64_t* off, size_t count) {
    int64_t pos = off ? *off : 0;

    if ((int64_t)count < 0 || pos < 0 || (int64_t)((uint64_t)pos + count) < 0)
        return -EINVAL;
    return 0;
}

static long offset_in(const int64_t* app_off, int64_t* off) {
    int ret;

    if (!app_off)
        return 0;
    ret = copy_from_app(off, app_off, sizeof(*off));
    if (ret < 0)
        return ret;
    return *off < 0 ? -EINVAL : 0;
}

long sys_sendfile(int out_fd, int in_fd, int64_t* app_off, size_t count) {
    struct libos_file* in = fd_get(in_fd);
    struct libos_file* out = fd_get(out_fd);
    int64_t off = 0;
    long ret;

    if (!in || !out) {
        ret = -EBADF;
        goto out;
    }
    ret = offset_in(app_off, &off);
    if (ret == 0)
        ret = range_check(app_off ? &off : NULL, count);
    if (ret < 0)
        goto out;
    ret = copy_loop(in, app_off ? &off : NULL, out, NULL, count);
    if (app_off && copy_to_app(app_off, &off, sizeof(off)) < 0)
        ret = -EFAULT;
out:
    vfs_file_put(in);
    vfs_file_put(out);
    return ret;
}

/* The position a transfer starts at: *off, or the file's own. */
static int64_t file_position(struct libos_file* f, const int64_t* off) {
    return off ? *off : (f->ops->seek ? f->ops->seek(f, 0, SEEK_CUR) : 0);
}

/* Linux's checks between two regular files, in its order: access modes, offsets that wrap
 * (as unsigned sums, so a negative offset is EOVERFLOW), the length cut at the end of the
 * input, and no overlap within one file. */
static long copy_range_checks(struct libos_file* in, const int64_t* in_off,
                              struct libos_file* out, const int64_t* out_off, size_t* len) {
    uint64_t pos_in = (uint64_t)file_position(in, in_off);
    uint64_t pos_out = (uint64_t)file_position(out, out_off);
    struct linux_stat st_in, st_out;
    long ret;

    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY ||
        (out->flags & O_APPEND))
        return -EBADF;
    if (pos_in + *len < pos_in || pos_out + *len < pos_out)
        return -EOVERFLOW;
    ret = vfs_file_stat(in, &st_in);
    if (ret == 0)
        ret = vfs_file_stat(out, &st_out);
    if (ret < 0)
        return ret;
    if (pos_in >= (uint64_t)st_in.st_size)
        *len = 0;
    else if (*len > (uint64_t)st_in.st_size - pos_in)
        *len = (uint64_t)st_in.st_size - pos_in;
    if (st_in.st_dev == st_out.st_dev && st_in.st_ino == st_out.st_ino &&
        pos_out + *len > pos_in && pos_out < pos_in + *len)
        return -EINVAL;
    return 0;
}

long sys_copy_file_range(int in_fd, int64_t* app_in_off, int out_fd, int64_t* app_out_off,
                         size_t len, unsigned int flags) {
    struct libos_file* in = fd_get(in_fd);
    struct libos_file* out = fd_get(out_fd);
    int64_t in_off = 0, out_off = 0;
    long ret;

    if (!in || !out) {
        ret = -EBADF;
        goto out;
    }
    if (flags) {
        ret = -EINVAL;
        goto out;
    }
    if ((app_in_off && copy_from_app(&in_off, app_in_off, sizeof(in_off)) < 0) ||
        (app_out_off && copy_from_app(&out_off, app_out_off, sizeof(out_off)) < 0)) {
        ret = -EFAULT;
        goto out;
    }
    if (!S_ISREG(in->type) || !S_ISREG(out->type)) {
        ret = S_ISDIR(in->type) || S_ISDIR(out->type) ? -EISDIR : -EINVAL;
        goto out;
    }
    ret = copy_range_checks(in, app_in_off ? &in_off : NULL, out, app_out_off ? &out_off : NULL,
                            &len);
    if (ret < 0 || len == 0)
        goto out;
    ret = copy_loop(in, app_in_off ? &in_off : NULL, out, app_out_off ? &out_off : NULL, len);
    if (app_in_off && copy_to_app(app_in_off, &in_off, sizeof(in_off)) < 0)
        ret = -EFAULT;
    if (app_out_off && copy_to_app(app_out_off, &out_off, sizeof(out_off)) < 0)
        ret = -EFAULT;
out:
    vfs_file_put(in);
    vfs_file_put(out);
    return ret;
}

/* ---- splice ------------------------------------------------------------------------------- */

#define SPLICE_F_NONBLOCK_ 0x02
#define SPLICE_F_ALL_      0x0f
/* The host pipe's size, as fcntl(F_GETPIPE_SZ) reports it. */
#define PIPE_CAPACITY 65536

static bool host_stream(const struct libos_file* f) {
    return f->handle && f->pollable && (f->ops == &vfs_stream_ops || f->ops == &net_socket_ops);
}

/* Pipes and sockets on both sides: the host moves the bytes, with Linux's own semantics for
 * partial transfers, blocking and SPLICE_F_NONBLOCK. */
static long splice_on_host(struct libos_file* in, struct libos_file* out, size_t len,
                           unsigned int flags) {
    long ret;

    if (!((in->flags & out->flags) & O_NONBLOCK)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_pipe_splice(in->handle, out->handle, len, flags);
    if (ret == -EPIPE)
        signal_send(libos_current()->tid, LINUX_SIGPIPE, NULL);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

/* Waits until the pipe is ready for events (POLLIN or POLLOUT); -EAGAIN instead of waiting
 * when the call must not block. */
static long pipe_wait(struct libos_file* pipe, short events, bool nonblock) {
    pal_handle_t* handles[1] = {pipe->handle};
    short revents = 0;
    long ret;

    if (!nonblock) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_stream_poll(handles, &events, &revents, 1, nonblock ? 0 : -1);
    if (ret == -EINTR)
        return -ERESTARTSYS;
    if (ret < 0)
        return ret;
    return ret == 0 ? -EAGAIN : 0;
}

static long pipe_queued(struct libos_file* pipe) {
    int queued = 0;
    int ret = pal_stream_ioctl(pipe->handle, FIONREAD, &queued);

    return ret < 0 ? ret : queued;
}

/* From a file into a pipe: no more than the pipe has room for, so that no byte read from the
 * file is left over; a positioned read leaves the file's position at what was moved. A writer
 * on the same pipe in another thread can still take the room first, and then the call moves
 * fewer bytes than it read and puts the rest back only where the file has a position. */
static long splice_file_to_pipe(struct libos_file* in, int64_t* in_off, struct libos_file* pipe,
                                size_t len, bool nonblock) {
    long queued, ret;

    for (;;) {
        queued = pipe_queued(pipe);
        if (queued < 0)
            return queued;
        if (queued < PIPE_CAPACITY)
            break;
        ret = pipe_wait(pipe, POLLOUT, nonblock);
        if (ret < 0)
            return ret;
    }
    if (len > (size_t)(PIPE_CAPACITY - queued))
        len = (size_t)(PIPE_CAPACITY - queued);
    return copy_loop(in, in_off, pipe, NULL, len);
}

/* From a pipe into a file: what the pipe holds, up to len; with an empty pipe, the first bytes
 * that arrive (or 0 once every writer has closed it). */
static long splice_pipe_to_file(struct libos_file* pipe, struct libos_file* out, int64_t* out_off,
                                size_t len, bool nonblock) {
    long queued, ret;

    if (out->flags & O_APPEND)
        return -EINVAL;
    if (nonblock && !(pipe->flags & O_NONBLOCK)) {
        ret = pipe_wait(pipe, POLLIN, true);
        if (ret < 0)
            return ret;
    }
    queued = pipe_queued(pipe);
    if (queued < 0)
        return queued;
    if (queued > 0 && len > (size_t)queued)
        len = (size_t)queued;
    return copy_loop(pipe, NULL, out, out_off, len);
}

long sys_splice(int fd_in, int64_t* app_off_in, int fd_out, int64_t* app_off_out, size_t len,
                unsigned int flags) {
    struct libos_file* in = fd_get(fd_in);
    struct libos_file* out = fd_get(fd_out);
    bool nonblock = (flags & SPLICE_F_NONBLOCK_) != 0;
    int64_t off = 0;
    bool in_pipe, out_pipe;
    long ret;

    if (!in || !out || (in->flags & O_ACCMODE) == O_WRONLY ||
        (out->flags & O_ACCMODE) == O_RDONLY) {
        ret = -EBADF;
        goto out;
    }
    in_pipe = S_ISFIFO(in->type) && host_stream(in);
    out_pipe = S_ISFIFO(out->type) && host_stream(out);
    if ((flags & ~SPLICE_F_ALL_) || (!in_pipe && !out_pipe)) {
        ret = -EINVAL;
        goto out;
    }
    if ((in_pipe && app_off_in) || (out_pipe && app_off_out)) {
        ret = -ESPIPE;
        goto out;
    }
    if (host_stream(in) && host_stream(out)) {
        ret = (app_off_in || app_off_out) ? -ESPIPE : splice_on_host(in, out, len, flags);
        goto out;
    }
    /* One side is a file the library OS serves; it must not be one that could block. */
    if ((in_pipe ? out : in)->pollable) {
        ret = -EINVAL;
        goto out;
    }
    ret = offset_in(in_pipe ? app_off_out : app_off_in, &off);
    if (ret == 0)
        ret = range_check((in_pipe ? app_off_out : app_off_in) ? &off : NULL, len);
    if (ret < 0 || len == 0)
        goto out;
    if (in_pipe)
        ret = splice_pipe_to_file(in, out, app_off_out ? &off : NULL, len, nonblock);
    else
        ret = splice_file_to_pipe(in, app_off_in ? &off : NULL, out, len, nonblock);
    if (ret >= 0 && (in_pipe ? app_off_out : app_off_in) &&
        copy_to_app(in_pipe ? app_off_out : app_off_in, &off, sizeof(off)) < 0)
        ret = -EFAULT;
out:
    vfs_file_put(in);
    vfs_file_put(out);
    return ret;
}

/* ---- memfd_create --------------------------------------------------------------------------- */

#define MFD_CLOEXEC       0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#define MFD_NAME_MAX      249

/* A memfd is a file on the /dev/shm mount (tmpfs, or host shared memory when the manifest
 * mounts it so), unlinked as soon as it is open. Sealing is accepted at creation; F_ADD_SEALS
 * is not supported. */
long sys_memfd_create(const char* app_name, unsigned int flags) {
    static int counter;
    struct vfs_mount* m;
    struct libos_file* f;
    const char* rel;
    char* name;
    char tmp[64];
    char label[MFD_NAME_MAX + 32];
    long ret;

    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING))
        return -EINVAL;
    ret = strdup_from_app(app_name, MFD_NAME_MAX + 1, &name);
    if (ret < 0)
        return ret == -ENAMETOOLONG ? -EINVAL : ret;
    m = vfs_mount_find("/dev/shm", &rel);
    if (!m || (m->ops != &vfs_tmpfs_ops && m->ops != &vfs_untrusted_shm_ops)) {
        free(name);
        return -ENOSYS;
    }
    snprintf(tmp, sizeof(tmp), "/.memfd-%d-%d", g_process.pid,
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    snprintf(label, sizeof(label), "/memfd:%s (deleted)", name);
    free(name);

    ret = m->ops->open(m, tmp, O_RDWR | O_CREAT | O_EXCL, 0600, &f);
    if (ret < 0)
        return ret;
    m->ops->unlink(m, tmp);
    free(f->path);
    f->path = strdup(label);
    f->flags = O_RDWR;
    if (!f->path) {
        vfs_file_put(f);
        return -ENOMEM;
    }
    ret = fd_install(f, 0, (flags & MFD_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}
