/* Files over a host stream whose position the host keeps: stdio, pipes, host ttys and FIFOs. */
#include <asm/ioctls.h>
#include <asm/termbits.h>

#include "net/net.h"
#include "vfs.h"

/* The data pointer of a stream file over a terminal points here: reads and writes are subject
 * to job control. */
static const char g_stream_tty[] = "tty";

static bool stream_is_tty(const struct libos_file* f) {
    return f->data == g_stream_tty;
}

/* A write to the terminal meets job control only while its TOSTOP flag is set. */
static int stream_tty_write_access(struct libos_file* f) {
    struct termios tio;

    if (pal_stream_ioctl(f->handle, TCGETS, &tio) < 0 || !(tio.c_lflag & TOSTOP))
        return 0;
    return process_tty_access(/*write=*/true);
}

/* Calls that may block are made with the interrupt protocol of the PAL, so a signal for the
 * thread makes them return and the dispatcher restarts or fails them as Linux would. */
static long stream_read(struct libos_file* f, void* buf, size_t size) {
    long ret;

    if (stream_is_tty(f)) {
        ret = process_tty_access(/*write=*/false);
        if (ret < 0)
            return ret;
    }
    if (f->pollable && !(f->flags & O_NONBLOCK)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_stream_read(f->handle, buf, size, -1);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static long stream_write(struct libos_file* f, const void* buf, size_t size) {
    long ret;

    if (stream_is_tty(f)) {
        ret = stream_tty_write_access(f);
        if (ret < 0)
            return ret;
    }
    if (f->pollable && !(f->flags & O_NONBLOCK)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_stream_write(f->handle, buf, size, -1);
    if (ret == -EPIPE)
        signal_send(libos_current()->tid, LINUX_SIGPIPE, NULL);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static long stream_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    if (f->pollable)
        return -ESPIPE;
    return pal_stream_read(f->handle, buf, size, (int64_t)offset);
}

static long stream_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    if (f->pollable)
        return -ESPIPE;
    return pal_stream_write(f->handle, buf, size, (int64_t)offset);
}

static long stream_seek(struct libos_file* f, int64_t offset, int whence) {
    return pal_stream_seek(f->handle, offset, whence);
}

static int stream_stat(struct libos_file* f, struct linux_stat* st) {
    struct pal_stat ps;
    int ret = pal_stream_stat(f->handle, &ps);

    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

static int stream_truncate(struct libos_file* f, uint64_t size) {
    return pal_stream_truncate(f->handle, size);
}

static int stream_sync(struct libos_file* f) {
    return pal_stream_flush(f->handle);
}

/* Changing the terminal's settings from a background group meets job control as a write does
 * under TOSTOP, whatever TOSTOP says. */
static int stream_ioctl(struct libos_file* f, unsigned int request, uint64_t arg) {
    if (stream_is_tty(f) && (request == TCSETS || request == TCSETSW || request == TCSETSF)) {
        int ret = process_tty_access(/*write=*/true);
        if (ret < 0)
            return ret;
    }
    return pal_stream_ioctl(f->handle, request, (void*)arg);
}

static int stream_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                       uint64_t offset) {
    void* at = (void*)addr;
    int pal_flags = PAL_MAP_FIXED | ((flags & MAP_SHARED) ? PAL_MAP_SHARED : 0);

    if (f->pollable)
        return -ENODEV;
    return pal_stream_map(f->handle, &at, size, prot, pal_flags, offset);
}

static void stream_release(struct libos_file* f) {
    pal_stream_close(f->handle);
}

const struct vfs_file_ops vfs_stream_ops = {
    .read = stream_read,
    .write = stream_write,
    .pread = stream_pread,
    .pwrite = stream_pwrite,
    .seek = stream_seek,
    .stat = stream_stat,
    .truncate = stream_truncate,
    .sync = stream_sync,
    .ioctl = stream_ioctl,
    .mmap = stream_mmap,
    .release = stream_release,
};

/* Terminals: pseudo-terminal slaves, virtual consoles and serial lines, /dev/tty, console. */
static bool stream_major_is_tty(const struct linux_stat* st) {
    uint32_t major = (uint32_t)((st->st_rdev >> 8) & 0xfff);
    uint32_t minor = (uint32_t)(st->st_rdev & 0xff);

    if (!S_ISCHR(st->st_mode))
        return false;
    return (major >= 136 && major <= 143) || major == 4 || (major == 5 && minor <= 1);
}

/* What /proc/self/fd shows for a stream without a guest path, as Linux names them. */
static void stream_name(const struct linux_stat* st, const char* given, char* buf, size_t size) {
    uint32_t major = (uint32_t)((st->st_rdev >> 8) & 0xfff);

    if (S_ISFIFO(st->st_mode))
        snprintf(buf, size, "pipe:[%lu]", (unsigned long)st->st_ino);
    else if (S_ISSOCK(st->st_mode))
        snprintf(buf, size, "socket:[%lu]", (unsigned long)st->st_ino);
    else if (S_ISCHR(st->st_mode) && major == 136)
        snprintf(buf, size, "/dev/pts/%u", (uint32_t)(st->st_rdev & 0xff));
    else if (S_ISCHR(st->st_mode) && major == 1 && (st->st_rdev & 0xff) == 3)
        snprintf(buf, size, "/dev/null");
    else if (S_ISCHR(st->st_mode))
        snprintf(buf, size, "/dev/tty");
    else
        snprintf(buf, size, "%s", given ? given : "anon_inode:[stream]");
}

int vfs_stream_file_new(pal_handle_t* h, const char* name, int flags, struct libos_file** out) {
    struct linux_stat st;
    struct libos_file* f;
    char label[64];
    struct pal_stat ps;
    int ret = pal_stream_stat(h, &ps);

    if (ret < 0)
        return ret;
    vfs_stat_from_pal(&ps, &st);
    /* A host socket (inherited over fork, received by SCM_RIGHTS) is a guest socket again. */
    if (S_ISSOCK(st.st_mode))
        return net_socket_file_new(h, /*domain=*/-1, 0, 0, flags, out);
    stream_name(&st, name, label, sizeof(label));

    f = vfs_file_new(&vfs_stream_ops, label, flags, st.st_mode & S_IFMT);
    if (!f)
        return -ENOMEM;
    f->handle = h;
    f->pollable = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISBLK(st.st_mode);
    if (stream_major_is_tty(&st))
        f->data = (void*)g_stream_tty;
    *out = f;
    return 0;
}
