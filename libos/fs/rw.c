/* Data syscalls on fds: read/write and their vector and positioned forms, lseek, sync. */
#include "net/net.h"
#include "vfs.h"

/* Linux caps one transfer at this many bytes (INT_MAX rounded down to a page). */
#define RW_MAX        0x7ffff000UL
#define IOV_MAX_COUNT 1024
/* writev of up to this many bytes goes to the host as one write, so pipes stay atomic. */
#define WRITEV_GATHER_MAX 65536

static int check_readable(struct libos_file* f) {
    if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (S_ISDIR(f->type))
        return -EISDIR;
    return 0;
}

static int check_writable(struct libos_file* f) {
    if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    return 0;
}

static long file_read(struct libos_file* f, void* buf, size_t size) {
    long ret = check_readable(f);

    if (ret < 0)
        return ret;
    if (size > RW_MAX)
        size = RW_MAX;
    if (!mm_is_accessible((uint64_t)buf, size, PROT_WRITE))
        return -EFAULT;
    if (!f->ops->read)
        return -EINVAL;
    return f->ops->read(f, buf, size);
}

static long file_write(struct libos_file* f, const void* buf, size_t size) {
    long ret = check_writable(f);

    if (ret < 0)
        return ret;
    if (size > RW_MAX)
        size = RW_MAX;
    if (!mm_is_accessible((uint64_t)buf, size, PROT_READ))
        return -EFAULT;
    if (!f->ops->write)
        return -EINVAL;
    return f->ops->write(f, buf, size);
}

/* Pipes, sockets and terminals have no positions: Linux says so before it looks at the mode. */
static bool file_is_stream(const struct libos_file* f) {
    return f->pollable && (f->ops == &vfs_stream_ops || f->ops == &net_socket_ops);
}

static long file_pread(struct libos_file* f, void* buf, size_t size, int64_t offset) {
    long ret;

    if (offset < 0)
        return -EINVAL;
    if (file_is_stream(f))
        return -ESPIPE;
    ret = check_readable(f);
    if (ret < 0)
        return ret;
    if (size > RW_MAX)
        size = RW_MAX;
    if (!mm_is_accessible((uint64_t)buf, size, PROT_WRITE))
        return -EFAULT;
    if (!f->ops->pread)
        return -ESPIPE;
    return f->ops->pread(f, buf, size, (uint64_t)offset);
}

static long file_pwrite(struct libos_file* f, const void* buf, size_t size, int64_t offset) {
    long ret;

    if (offset < 0)
        return -EINVAL;
    if (file_is_stream(f))
        return -ESPIPE;
    ret = check_writable(f);
    if (ret < 0)
        return ret;
    if (size > RW_MAX)
        size = RW_MAX;
    if (!mm_is_accessible((uint64_t)buf, size, PROT_READ))
        return -EFAULT;
    if (!f->ops->pwrite)
        return -ESPIPE;
    return f->ops->pwrite(f, buf, size, (uint64_t)offset);
}

long sys_read(int fd, void* buf, size_t size) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = file_read(f, buf, size);
    vfs_file_put(f);
    return ret;
}

long sys_write(int fd, const void* buf, size_t size) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = file_write(f, buf, size);
    vfs_file_put(f);
    return ret;
}

long sys_pread64(int fd, void* buf, size_t size, int64_t offset) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = file_pread(f, buf, size, offset);
    vfs_file_put(f);
    return ret;
}

long sys_pwrite64(int fd, const void* buf, size_t size, int64_t offset) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = file_pwrite(f, buf, size, offset);
    vfs_file_put(f);
    return ret;
}

/* ---- Vectors ------------------------------------------------------------------------------- */

static long iov_copy_in(const struct linux_iovec* app_iov, int count, struct linux_iovec** out) {
    struct linux_iovec* iov;
    uint64_t total = 0;
    int ret;

    if (count < 0 || count > IOV_MAX_COUNT)
        return -EINVAL;
    iov = malloc(sizeof(*iov) * (size_t)(count ? count : 1));
    if (!iov)
        return -ENOMEM;
    ret = copy_from_app(iov, app_iov, sizeof(*iov) * (size_t)count);
    if (ret < 0) {
        free(iov);
        return ret;
    }
    /* As Linux: a negative length is EINVAL and a segment outside the user half EFAULT, both
     * before any byte moves; the total is cut at RW_MAX. A segment that is merely unmapped
     * ends the transfer where it starts. */
    for (int i = 0; i < count; i++) {
        uint64_t end = iov[i].base + iov[i].len;
        if ((int64_t)iov[i].len < 0) {
            free(iov);
            return -EINVAL;
        }
        if (end < iov[i].base || end > LINUX_TASK_SIZE) {
            free(iov);
            return -EFAULT;
        }
        if (iov[i].len > RW_MAX - total)
            iov[i].len = RW_MAX - total;
        total += iov[i].len;
    }
    *out = iov;
    return (long)total;
}

/* offset < 0: at the file position. Stops at the first short transfer, as Linux does for
 * regular files; for streams this gives the same bytes in the same order. */
static long readv_file(struct libos_file* f, const struct linux_iovec* iov, int count,
                       int64_t offset) {
    long done = 0;

    for (int i = 0; i < count; i++) {
        long n;

        if (iov[i].len == 0)
            continue;
        if (offset < 0)
            n = file_read(f, (void*)iov[i].base, iov[i].len);
        else
            n = file_pread(f, (void*)iov[i].base, iov[i].len, offset + done);
        if (n < 0)
            return done ? done : n;
        done += n;
        if ((uint64_t)n < iov[i].len)
            break;
    }
    return done;
}

static long writev_gathered(struct libos_file* f, const struct linux_iovec* iov, int count,
                            size_t total, int64_t offset) {
    uint8_t* buf = malloc(total ? total : 1);
    size_t pos = 0;
    long ret;

    if (!buf)
        return -ENOMEM;
    ret = check_writable(f);
    if (ret < 0)
        goto out;
    /* A segment that faults ends a write to a file there; a pipe or socket takes nothing. */
    for (int i = 0; i < count; i++) {
        ret = copy_from_app(buf + pos, (const void*)iov[i].base, iov[i].len);
        if (ret < 0 && (!pos || file_is_stream(f)))
            goto out;
        if (ret < 0)
            break;
        pos += iov[i].len;
    }
    total = pos;
    if (offset < 0)
        ret = f->ops->write ? f->ops->write(f, buf, total) : -EINVAL;
    else
        ret = f->ops->pwrite ? f->ops->pwrite(f, buf, total, (uint64_t)offset) : -ESPIPE;
out:
    free(buf);
    return ret;
}

static long writev_file(struct libos_file* f, const struct linux_iovec* iov, int count,
                        size_t total, int64_t offset) {
    long done = 0;

    if (total <= WRITEV_GATHER_MAX)
        return writev_gathered(f, iov, count, total, offset);
    for (int i = 0; i < count; i++) {
        long n;

        if (iov[i].len == 0)
            continue;
        if (offset < 0)
            n = file_write(f, (const void*)iov[i].base, iov[i].len);
        else
            n = file_pwrite(f, (const void*)iov[i].base, iov[i].len, offset + done);
        if (n < 0)
            return done ? done : n;
        done += n;
        if ((uint64_t)n < iov[i].len)
            break;
    }
    return done;
}

static long vector_io(int fd, const struct linux_iovec* app_iov, int count, int64_t offset,
                      bool write) {
    struct libos_file* f = fd_get(fd);
    struct linux_iovec* iov = NULL;
    long ret;

    if (!f)
        return -EBADF;
    ret = iov_copy_in(app_iov, count, &iov);
    if (ret < 0)
        goto out;
    if (write)
        ret = writev_file(f, iov, count, (size_t)ret, offset);
    else
        ret = readv_file(f, iov, count, offset);
out:
    free(iov);
    vfs_file_put(f);
    return ret;
}

long sys_readv(int fd, const struct linux_iovec* iov, int count) {
    return vector_io(fd, iov, count, -1, /*write=*/false);
}

long sys_writev(int fd, const struct linux_iovec* iov, int count) {
    return vector_io(fd, iov, count, -1, /*write=*/true);
}

/* The kernel takes the offset split in two halves; on x86-64 the low one holds all of it. */
long sys_preadv(int fd, const struct linux_iovec* iov, int count, int64_t offset) {
    if (offset < 0)
        return -EINVAL;
    return vector_io(fd, iov, count, offset, /*write=*/false);
}

long sys_pwritev(int fd, const struct linux_iovec* iov, int count, int64_t offset) {
    if (offset < 0)
        return -EINVAL;
    return vector_io(fd, iov, count, offset, /*write=*/true);
}

/* preadv2/pwritev2: offset -1 means the file position; RWF_* hints are accepted and
 * ignored, except that unknown bits are refused as Linux refuses them. */
#define RWF_KNOWN 0x1f

long sys_preadv2(int fd, const struct linux_iovec* iov, int count, int64_t offset, int64_t high,
                 int flags) {
    if (flags & ~RWF_KNOWN)
        return -EOPNOTSUPP;
    if (offset < -1)
        return -EINVAL;
    return vector_io(fd, iov, count, offset, /*write=*/false);
}

long sys_pwritev2(int fd, const struct linux_iovec* iov, int count, int64_t offset, int64_t high,
                  int flags) {
    if (flags & ~RWF_KNOWN)
        return -EOPNOTSUPP;
    if (offset < -1)
        return -EINVAL;
    return vector_io(fd, iov, count, offset, /*write=*/true);
}

/* ---- Position, size and durability ------------------------------------------------------- */

long sys_lseek(int fd, int64_t offset, int whence) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    if (f->flags & O_PATH)
        ret = -EBADF;
    else if (!f->ops->seek || S_ISFIFO(f->type) || S_ISSOCK(f->type))
        ret = -ESPIPE;
    else
        ret = f->ops->seek(f, offset, whence);
    vfs_file_put(f);
    return ret;
}

static long fd_sync(int fd) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = f->ops->sync ? f->ops->sync(f) : 0;
    /* Pipes and terminals have nothing to flush; the host says EINVAL, Linux too. */
    vfs_file_put(f);
    return ret;
}

long sys_fsync(int fd) {
    return fd_sync(fd);
}

long sys_fdatasync(int fd) {
    return fd_sync(fd);
}

/* Files on host mounts are written through on every write, and tmpfs has nothing to flush:
 * there is no cache of our own to write back. */
long sys_sync(void) {
    return 0;
}

long sys_syncfs(int fd) {
    struct libos_file* f = fd_get(fd);

    if (!f)
        return -EBADF;
    vfs_file_put(f);
    return 0;
}

long sys_ftruncate(int fd, int64_t size) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    if (size < 0)
        ret = -EINVAL;
    else if (!S_ISREG(f->type))
        ret = S_ISDIR(f->type) ? -EISDIR : -EINVAL;
    else if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
        ret = -EBADF;
    else if (!f->ops->truncate)
        ret = -EINVAL;
    else
        ret = f->ops->truncate(f, (uint64_t)size);
    vfs_file_put(f);
    return ret;
}

#define FALLOC_FL_KEEP_SIZE 0x01

/* Only growing a file is supported (mode 0 or KEEP_SIZE); punching holes and the other
 * modes return -EOPNOTSUPP, as on a file system without them. */
long sys_fallocate(int fd, int mode, int64_t offset, int64_t len) {
    struct libos_file* f = fd_get(fd);
    struct linux_stat st;
    long ret;

    if (!f)
        return -EBADF;
    if (offset < 0 || len <= 0 || offset > INT64_MAX - len) {
        ret = -EINVAL;
        goto out;
    }
    if (mode & ~FALLOC_FL_KEEP_SIZE) {
        ret = -EOPNOTSUPP;
        goto out;
    }
    if (!S_ISREG(f->type)) {
        ret = S_ISDIR(f->type) ? -EISDIR : -ENODEV;
        goto out;
    }
    if ((f->flags & O_ACCMODE) == O_RDONLY) {
        ret = -EBADF;
        goto out;
    }
    ret = vfs_file_stat(f, &st);
    if (ret < 0 || (mode & FALLOC_FL_KEEP_SIZE) || st.st_size >= offset + len)
        goto out;
    ret = f->ops->truncate ? f->ops->truncate(f, (uint64_t)(offset + len)) : -EOPNOTSUPP;
out:
    vfs_file_put(f);
    return ret;
}

/* Access-pattern advice and write-back ranges are hints the library OS has no use for; the
 * fd is checked so that errors match Linux. */
static long fd_hint(int fd) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = S_ISFIFO(f->type) ? -ESPIPE : 0;
    vfs_file_put(f);
    return ret;
}

long sys_fadvise64(int fd, int64_t offset, int64_t len, int advice) {
    if (advice < 0 || advice > 5 || len < 0)
        return -EINVAL;
    return fd_hint(fd);
}

long sys_sync_file_range(int fd, int64_t offset, int64_t len, unsigned int flags) {
    if (offset < 0 || len < 0 || (flags & ~7U))
        return -EINVAL;
    return fd_hint(fd);
}
