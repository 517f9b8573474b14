/* Host files, directories and host paths behind PAL stream handles, over plain Linux syscalls. */
#include <asm/ioctls.h>
#include <asm/stat.h>
#include <asm/termbits.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "host.h"
#include "rt.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define HOST_SEEK_SET 0
#define HOST_SEEK_END 2

/* Largest argument any ioctl request below exchanges (struct termios is 36 bytes). */
#define IOCTL_ARG_MAX 64

int pal_handle_new(enum pal_handle_kind kind, int fd, int flags, pal_handle_t** out) {
    pal_handle_t* h = malloc(sizeof(*h));

    if (!h)
        return -ENOMEM;
    h->kind = kind;
    h->fd = fd;
    h->flags = flags;
    *out = h;
    return 0;
}

static int host_close(int fd) {
    return (int)HOST_SYSCALL1(__NR_close, fd);
}

static int host_fstat(int fd, struct stat* st) {
    return (int)HOST_SYSCALL2(__NR_fstat, fd, st);
}

/* What a host descriptor refers to decides how it is read: files and directories never block,
 * everything else (FIFOs, terminals and other character devices, sockets) may. */
static enum pal_handle_kind kind_of_mode(unsigned int mode) {
    if (S_ISDIR(mode))
        return PAL_HANDLE_DIR;
    if (S_ISREG(mode) || S_ISBLK(mode))
        return PAL_HANDLE_FILE;
    if (S_ISFIFO(mode))
        return PAL_HANDLE_PIPE;
    if (S_ISSOCK(mode))
        return PAL_HANDLE_SOCKET;
    return PAL_HANDLE_STDIO;
}

static bool kind_may_block(enum pal_handle_kind kind) {
    return kind != PAL_HANDLE_FILE && kind != PAL_HANDLE_DIR;
}

static int wrap_host_fd(int fd, int flags, pal_handle_t** out) {
    struct stat st;
    int ret = host_fstat(fd, &st);

    if (ret < 0)
        goto out;
    ret = pal_handle_new(kind_of_mode(st.st_mode), fd, flags, out);
out:
    if (ret < 0)
        host_close(fd);
    return ret;
}

int pal_file_open(const char* host_path, int flags, int mode, pal_handle_t** out) {
    long fd = HOST_SYSCALL4(__NR_openat, AT_FDCWD, host_path, flags | O_CLOEXEC, mode);

    if (fd < 0)
        return (int)fd;
    return wrap_host_fd((int)fd, flags, out);
}

/* The host's 0, 1 and 2 stay open untouched (the PAL's own diagnostics use 2): the handle gets
 * a private copy, so the app closing its stdio never frees a host descriptor number. */
int pal_stdio_open(int which, pal_handle_t** out) {
    long fd;
    long fl;

    if (which < 0 || which > 2)
        return -EINVAL;
    fd = HOST_SYSCALL3(__NR_fcntl, which, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return (int)fd;
    fl = HOST_SYSCALL2(__NR_fcntl, fd, F_GETFL);
    if (fl < 0) {
        host_close((int)fd);
        return (int)fl;
    }
    return wrap_host_fd((int)fd, (int)fl, out);
}

long pal_stream_read(pal_handle_t* h, void* buf, size_t size, int64_t offset) {
    long ret;

    if (offset >= 0)
        ret = HOST_SYSCALL4(__NR_pread64, h->fd, buf, size, offset);
    else if (kind_may_block(h->kind))
        ret = HOST_BLOCKING3(__NR_read, h->fd, buf, size);
    else
        ret = HOST_SYSCALL3(__NR_read, h->fd, buf, size);
    if (ret > (long)size)
        return -EIO;
    return ret;
}

long pal_stream_write(pal_handle_t* h, const void* buf, size_t size, int64_t offset) {
    long ret;

    if (offset >= 0)
        ret = HOST_SYSCALL4(__NR_pwrite64, h->fd, buf, size, offset);
    else if (kind_may_block(h->kind))
        ret = HOST_BLOCKING3(__NR_write, h->fd, buf, size);
    else
        ret = HOST_SYSCALL3(__NR_write, h->fd, buf, size);
    if (ret > (long)size)
        return -EIO;
    return ret;
}

int pal_stream_close(pal_handle_t* h) {
    int ret = host_close(h->fd);

    free(h);
    return ret;
}

int pal_stream_dup(pal_handle_t* h, pal_handle_t** out) {
    long fd = HOST_SYSCALL3(__NR_fcntl, h->fd, F_DUPFD_CLOEXEC, 3);
    int ret;

    if (fd < 0)
        return (int)fd;
    ret = pal_handle_new(h->kind, (int)fd, h->flags, out);
    if (ret < 0)
        host_close((int)fd);
    return ret;
}

int pal_stream_set_nonblocking(pal_handle_t* h, bool on) {
    long fl = HOST_SYSCALL2(__NR_fcntl, h->fd, F_GETFL);

    if (fl < 0)
        return (int)fl;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~(long)O_NONBLOCK);
    return (int)HOST_SYSCALL3(__NR_fcntl, h->fd, F_SETFL, fl);
}

static void stat_from_host(const struct stat* hs, struct pal_stat* st) {
    memset(st, 0, sizeof(*st));
    st->dev = hs->st_dev;
    st->ino = hs->st_ino;
    st->nlink = hs->st_nlink;
    st->mode = hs->st_mode;
    st->uid = hs->st_uid;
    st->gid = hs->st_gid;
    st->rdev = hs->st_rdev;
    st->size = hs->st_size;
    st->blksize = hs->st_blksize;
    st->blocks = hs->st_blocks;
    st->atime_sec = hs->st_atime;
    st->atime_nsec = hs->st_atime_nsec;
    st->mtime_sec = hs->st_mtime;
    st->mtime_nsec = hs->st_mtime_nsec;
    st->ctime_sec = hs->st_ctime;
    st->ctime_nsec = hs->st_ctime_nsec;
}

int pal_stream_stat(pal_handle_t* h, struct pal_stat* st) {
    struct stat hs;
    int ret = host_fstat(h->fd, &hs);

    if (ret < 0)
        return ret;
    stat_from_host(&hs, st);
    return 0;
}

int pal_stream_truncate(pal_handle_t* h, uint64_t size) {
    if (size > INT64_MAX)
        return -EINVAL;
    return (int)HOST_SYSCALL2(__NR_ftruncate, h->fd, size);
}

int pal_stream_flush(pal_handle_t* h) {
    return (int)HOST_SYSCALL1(__NR_fsync, h->fd);
}

long pal_stream_seek(pal_handle_t* h, int64_t offset, int whence) {
    return HOST_SYSCALL3(__NR_lseek, h->fd, offset, whence);
}

/* The requests a terminal-using app needs, with the size of what each one reads or writes.
 * Everything else is refused, so no host ioctl with an unknown argument layout is ever made. */
enum ioctl_dir { IOCTL_IN, IOCTL_OUT };

static const struct ioctl_rule {
    unsigned int request;
    enum ioctl_dir dir;
    size_t size;
} ioctl_rules[] = {
    {TCGETS, IOCTL_OUT, sizeof(struct termios)},
    {TCSETS, IOCTL_IN, sizeof(struct termios)},
    {TCSETSW, IOCTL_IN, sizeof(struct termios)},
    {TCSETSF, IOCTL_IN, sizeof(struct termios)},
    {TIOCGWINSZ, IOCTL_OUT, 8},
    {TIOCSWINSZ, IOCTL_IN, 8},
    {TIOCGPGRP, IOCTL_OUT, sizeof(int)},
    {TIOCSPGRP, IOCTL_IN, sizeof(int)},
    {FIONREAD, IOCTL_OUT, sizeof(int)},
    {FIONBIO, IOCTL_IN, sizeof(int)},
};

int pal_stream_ioctl(pal_handle_t* h, unsigned int request, void* arg) {
    uint8_t buf[IOCTL_ARG_MAX];
    const struct ioctl_rule* rule = NULL;
    long ret;

    for (size_t i = 0; i < sizeof(ioctl_rules) / sizeof(ioctl_rules[0]); i++) {
        if (ioctl_rules[i].request == request)
            rule = &ioctl_rules[i];
    }
    if (!rule)
        return -ENOTTY;

    memset(buf, 0, sizeof(buf));
    if (rule->dir == IOCTL_IN)
        memcpy(buf, arg, rule->size);
    ret = HOST_SYSCALL3(__NR_ioctl, h->fd, request, buf);
    if (ret < 0)
        return (int)ret;
    if (rule->dir == IOCTL_OUT)
        memcpy(arg, buf, rule->size);
    return (int)ret;
}

/* Header of a host directory record, up to the name. */
struct host_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

/* Each record must lie inside what the host reported and carry a terminated name. */
static bool dirents_valid(const uint8_t* buf, size_t len) {
    size_t pos = 0;

    const size_t header = offsetof(struct host_dirent64, d_name);

    while (pos < len) {
        const struct host_dirent64* d = (const struct host_dirent64*)(buf + pos);
        size_t name_max;

        if (len - pos < header + 1)
            return false;
        if (d->d_reclen < header + 1 || d->d_reclen > len - pos || d->d_reclen % 8)
            return false;
        name_max = d->d_reclen - header;
        if (!memchr(d->d_name, 0, name_max))
            return false;
        pos += d->d_reclen;
    }
    return true;
}

long pal_dir_read(pal_handle_t* h, void* buf, size_t size) {
    long ret = HOST_SYSCALL3(__NR_getdents64, h->fd, buf, size);

    if (ret <= 0)
        return ret;
    if ((size_t)ret > size || !dirents_valid(buf, (size_t)ret))
        return -EIO;
    return ret;
}

int pal_dir_rewind(pal_handle_t* h) {
    long ret = HOST_SYSCALL3(__NR_lseek, h->fd, 0, HOST_SEEK_SET);

    return ret < 0 ? (int)ret : 0;
}

int pal_stream_map(pal_handle_t* h, void** addr, size_t size, int prot, int flags,
                   uint64_t offset) {
    int host_flags = (flags & PAL_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    long ret;

    if (flags & PAL_MAP_FIXED)
        host_flags |= MAP_FIXED;
    else if (flags & PAL_MAP_NOREPLACE)
        host_flags |= MAP_FIXED_NOREPLACE;
    if (flags & PAL_MAP_NORESERVE)
        host_flags |= MAP_NORESERVE;

    ret = HOST_SYSCALL6(__NR_mmap, *addr, size, prot, host_flags, h->fd, offset);
    if (ret < 0 && ret > -4096)
        return (int)ret;
    if ((flags & (PAL_MAP_FIXED | PAL_MAP_NOREPLACE)) && (void*)ret != *addr) {
        HOST_SYSCALL2(__NR_munmap, ret, size);
        return -EEXIST;
    }
    *addr = (void*)ret;
    return 0;
}

/* ---- Host paths ---------------------------------------------------------------------------- */

int pal_path_stat(const char* host_path, bool follow, struct pal_stat* st) {
    struct stat hs;
    int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
    long ret = HOST_SYSCALL4(__NR_newfstatat, AT_FDCWD, host_path, &hs, flags);

    if (ret < 0)
        return (int)ret;
    stat_from_host(&hs, st);
    return 0;
}

int pal_path_mkdir(const char* host_path, int mode) {
    return (int)HOST_SYSCALL3(__NR_mkdirat, AT_FDCWD, host_path, mode);
}

int pal_path_rmdir(const char* host_path) {
    return (int)HOST_SYSCALL3(__NR_unlinkat, AT_FDCWD, host_path, AT_REMOVEDIR);
}

int pal_path_unlink(const char* host_path) {
    return (int)HOST_SYSCALL3(__NR_unlinkat, AT_FDCWD, host_path, 0);
}

int pal_path_rename(const char* from, const char* to, unsigned int flags) {
    return (int)HOST_SYSCALL5(__NR_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

int pal_path_symlink(const char* target, const char* link_path) {
    return (int)HOST_SYSCALL3(__NR_symlinkat, target, AT_FDCWD, link_path);
}

long pal_path_readlink(const char* host_path, char* buf, size_t size) {
    long ret = HOST_SYSCALL4(__NR_readlinkat, AT_FDCWD, host_path, buf, size);

    if (ret > (long)size)
        return -EIO;
    return ret;
}

int pal_path_link(const char* from, const char* to) {
    return (int)HOST_SYSCALL5(__NR_linkat, AT_FDCWD, from, AT_FDCWD, to, 0);
}

int pal_path_chmod(const char* host_path, int mode) {
    return (int)HOST_SYSCALL3(__NR_fchmodat, AT_FDCWD, host_path, mode);
}

int pal_path_utimens(const char* host_path, const int64_t times[4], bool follow) {
    int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;

    return (int)HOST_SYSCALL4(__NR_utimensat, AT_FDCWD, host_path, times, flags);
}

int pal_path_access(const char* host_path, int mode) {
    return (int)HOST_SYSCALL3(__NR_faccessat, AT_FDCWD, host_path, mode);
}

int pal_path_truncate(const char* host_path, uint64_t size) {
    if (size > INT64_MAX)
        return -EINVAL;
    return (int)HOST_SYSCALL2(__NR_truncate, host_path, size);
}
