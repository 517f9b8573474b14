/* Host-directory mounts (type "chroot"): guest paths mapped below a host directory or file. */
#include "fs/protected.h"
#include "vfs.h"

/* Host-side flags an open passes through; O_CLOEXEC is the PAL's business and the rest are
 * the library OS's (per-fd flags, how symlinks are followed). */
#define CHROOT_OPEN_FLAGS                                                                          \
    (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_DSYNC |      \
     O_SYNC | O_NOATIME | O_NOCTTY | O_PATH | O_LARGEFILE | O_DIRECT)

/* Builds the host path for rel; the caller frees it. */
static char* host_path_of(struct vfs_mount* m, const char* rel) {
    size_t hlen = strlen(m->host_path);
    size_t rlen = strlen(rel);
    char* s;

    if (hlen == 0 && rlen == 0)
        return strdup("/");
    s = malloc(hlen + rlen + 1);
    if (!s)
        return NULL;
    memcpy(s, m->host_path, hlen);
    memcpy(s + hlen, rel, rlen + 1);
    return s;
}

static int chroot_mount(struct vfs_mount* m, const char* host_path) {
    struct pal_stat st;
    size_t len;
    int ret;

    if (!host_path || !host_path[0])
        return -EINVAL;
    ret = pal_path_stat(host_path, /*follow=*/true, &st);
    if (ret < 0)
        return ret;
    m->host_is_file = !S_ISDIR(st.mode);
    m->host_path = strdup(host_path);
    if (!m->host_path)
        return -ENOMEM;
    /* "/srv/" and "/srv" are one directory; the host root becomes "" so "/x" appends. */
    len = strlen(m->host_path);
    while (len > 0 && m->host_path[len - 1] == '/')
        m->host_path[--len] = '\0';
    return 0;
}

/* The mount's own root may be a host symlink (a mounted file often is): it is the object the
 * manifest named, so it is followed there and only there. */
static int chroot_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st) {
    struct pal_stat ps;
    char* host = host_path_of(m, rel);
    int ret;

    if (!host)
        return -ENOMEM;
    ret = pal_path_stat(host, /*follow=*/rel[0] == '\0', &ps);
    free(host);
    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

static long chroot_readlink(struct vfs_mount* m, const char* rel, char* buf, size_t size) {
    char* host = host_path_of(m, rel);
    long ret;

    if (!host)
        return -ENOMEM;
    ret = pal_path_readlink(host, buf, size);
    free(host);
    return ret;
}

/* ---- Open host files ---------------------------------------------------------------------- */

struct chroot_file {
    char* host_path;  /* for fchmod and futimens, which the PAL does by path */
    bool host_append; /* the host stream was opened with O_APPEND */
};

static long chroot_read(struct libos_file* f, void* buf, size_t size) {
    return pal_stream_read(f->handle, buf, size, -1);
}

/* O_APPEND given at open is the host's (atomic against other writers). Set later with
 * F_SETFL, it becomes a seek to the end before each write. Clearing it with F_SETFL on a file
 * opened with it does not stop the host from appending. */
static long chroot_write(struct libos_file* f, const void* buf, size_t size) {
    struct chroot_file* cf = f->data;

    if ((f->flags & O_APPEND) && !cf->host_append) {
        long ret = pal_stream_seek(f->handle, 0, SEEK_END);

        if (ret < 0)
            return ret;
    }
    return pal_stream_write(f->handle, buf, size, -1);
}

static long chroot_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    if (offset > INT64_MAX)
        return -EINVAL;
    return pal_stream_read(f->handle, buf, size, (int64_t)offset);
}

static long chroot_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    if (offset > INT64_MAX)
        return -EINVAL;
    return pal_stream_write(f->handle, buf, size, (int64_t)offset);
}

static long chroot_seek(struct libos_file* f, int64_t offset, int whence) {
    if (S_ISDIR(f->type))
        return vfs_dir_seek(f, offset, whence);
    return pal_stream_seek(f->handle, offset, whence);
}

static int chroot_fstat(struct libos_file* f, struct linux_stat* st) {
    struct pal_stat ps;
    int ret = pal_stream_stat(f->handle, &ps);

    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

static int chroot_ftruncate(struct libos_file* f, uint64_t size) {
    return pal_stream_truncate(f->handle, size);
}

static int chroot_fsync(struct libos_file* f) {
    return pal_stream_flush(f->handle);
}

static int chroot_ioctl(struct libos_file* f, unsigned int request, uint64_t arg) {
    return pal_stream_ioctl(f->handle, request, (void*)arg);
}

static int chroot_fchmod(struct libos_file* f, uint32_t mode) {
    struct chroot_file* cf = f->data;

    return pal_path_chmod(cf->host_path, (int)mode);
}

static int chroot_futimens(struct libos_file* f, const int64_t times[4]) {
    struct chroot_file* cf = f->data;

    return pal_path_utimens(cf->host_path, times, /*follow=*/false);
}

static int chroot_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                       uint64_t offset) {
    void* at = (void*)addr;
    int pal_flags = PAL_MAP_FIXED | ((flags & MAP_SHARED) ? PAL_MAP_SHARED : 0);

    return pal_stream_map(f->handle, &at, size, prot, pal_flags, offset);
}

/* Host records are copied into the listing; "." and ".." come from the VFS. */
static int chroot_list(struct libos_file* f, struct vfs_dir_list* list) {
    return vfs_host_dir_list(f->handle, list, NULL);
}

static void chroot_release(struct libos_file* f) {
    struct chroot_file* cf = f->data;

    if (f->handle)
        pal_stream_close(f->handle);
    if (cf) {
        free(cf->host_path);
        free(cf);
    }
}

static const struct vfs_file_ops chroot_file_ops = {
    .read = chroot_read,
    .write = chroot_write,
    .pread = chroot_pread,
    .pwrite = chroot_pwrite,
    .seek = chroot_seek,
    .stat = chroot_fstat,
    .truncate = chroot_ftruncate,
    .sync = chroot_fsync,
    .ioctl = chroot_ioctl,
    .chmod = chroot_fchmod,
    .utimens = chroot_futimens,
    .mmap = chroot_mmap,
    .list = chroot_list,
    .release = chroot_release,
};

static int chroot_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                       struct libos_file** out) {
    struct chroot_file* cf = NULL;
    struct libos_file* f = NULL;
    struct pal_stat ps;
    pal_handle_t* h = NULL;
    char* host = host_path_of(m, rel);
    int ret;

    if (!host)
        return -ENOMEM;
    /* Trusted files are opened and checked by fs/trusted.c; unlisted ones may be refused. */
    ret = trusted_check_open(host, flags);
    if (ret == TRUSTED_VERIFY) {
        ret = trusted_open(host, flags, out);
        goto out;
    }
    if (ret < 0)
        goto out;
    /* The path was resolved in guest space; a symlink appearing there since must not be
     * followed by the host (the mount's own root excepted, see chroot_lookup). */
    ret =
        pal_file_open(host, (flags & CHROOT_OPEN_FLAGS) | (rel[0] ? O_NOFOLLOW : 0), (int)mode, &h);
    if (ret < 0)
        goto out;
    cf = calloc(1, sizeof(*cf));
    if (!cf) {
        ret = -ENOMEM;
        goto out;
    }
    cf->host_path = host;
    cf->host_append = (flags & O_APPEND) != 0;
    host = NULL;

    ret = pal_stream_stat(h, &ps);
    if (ret < 0)
        goto out;
    /* FIFOs and devices on a host mount block like pipes; they read at the host position
     * with the same interruptible calls. */
    if (!S_ISREG(ps.mode) && !S_ISDIR(ps.mode)) {
        ret = vfs_stream_file_new(h, NULL, flags, &f);
        if (ret < 0)
            goto out;
        h = NULL;
    } else {
        f = vfs_file_new(&chroot_file_ops, NULL, flags, ps.mode & S_IFMT);
        if (!f) {
            ret = -ENOMEM;
            goto out;
        }
        f->handle = h;
        f->data = cf;
        h = NULL;
        cf = NULL;
    }
    *out = f;
    ret = 0;
out:
    if (h)
        pal_stream_close(h);
    if (cf) {
        free(cf->host_path);
        free(cf);
    }
    free(host);
    return ret;
}

bool chroot_file_maps_host(const struct libos_file* f) {
    return f->ops == &chroot_file_ops && f->handle && S_ISREG(f->type);
}

int chroot_file_from_handle(pal_handle_t* h, const char* path, struct libos_file** out) {
    const char* rel;
    struct vfs_mount* m = vfs_mount_find(path, &rel);
    struct chroot_file* cf;
    struct libos_file* f;
    struct pal_stat ps;
    int ret;

    if (!m || m->ops != &vfs_chroot_ops)
        return -EINVAL;
    ret = pal_stream_stat(h, &ps);
    if (ret < 0)
        return ret;
    if (!S_ISREG(ps.mode))
        return -EINVAL;
    cf = calloc(1, sizeof(*cf));
    f = vfs_file_new(&chroot_file_ops, path, O_RDONLY, S_IFREG);
    if (cf)
        cf->host_path = host_path_of(m, rel);
    if (!f || !cf || !cf->host_path) {
        if (cf)
            free(cf->host_path);
        free(cf);
        if (f)
            vfs_file_put(f);
        return -ENOMEM;
    }
    f->mount = m;
    f->handle = h;
    f->data = cf;
    *out = f;
    return 0;
}

#define CHROOT_PATH_OP(call)                                                                       \
    char* host = host_path_of(m, rel);                                                             \
    int ret;                                                                                       \
    if (!host)                                                                                     \
        return -ENOMEM;                                                                            \
    ret = (call);                                                                                  \
    free(host);                                                                                    \
    return ret

static int chroot_mkdir(struct vfs_mount* m, const char* rel, uint32_t mode) {
    CHROOT_PATH_OP(pal_path_mkdir(host, (int)mode));
}

static int chroot_rmdir(struct vfs_mount* m, const char* rel) {
    CHROOT_PATH_OP(pal_path_rmdir(host));
}

static int chroot_unlink(struct vfs_mount* m, const char* rel) {
    CHROOT_PATH_OP(pal_path_unlink(host));
}

static int chroot_symlink(struct vfs_mount* m, const char* rel, const char* target) {
    CHROOT_PATH_OP(pal_path_symlink(target, host));
}

static int chroot_chmod(struct vfs_mount* m, const char* rel, uint32_t mode) {
    CHROOT_PATH_OP(pal_path_chmod(host, (int)mode));
}

static int chroot_utimens(struct vfs_mount* m, const char* rel, const int64_t times[4],
                          bool follow) {
    CHROOT_PATH_OP(pal_path_utimens(host, times, follow));
}

static int chroot_truncate(struct vfs_mount* m, const char* rel, uint64_t size) {
    CHROOT_PATH_OP(pal_path_truncate(host, size));
}

static int chroot_access(struct vfs_mount* m, const char* rel, int mode) {
    CHROOT_PATH_OP(pal_path_access(host, mode));
}

static int chroot_two_paths(struct vfs_mount* m, const char* from, const char* to,
                            unsigned int flags, bool link) {
    char* hfrom = host_path_of(m, from);
    char* hto = host_path_of(m, to);
    int ret = -ENOMEM;

    if (hfrom && hto)
        ret = link ? pal_path_link(hfrom, hto) : pal_path_rename(hfrom, hto, flags);
    free(hfrom);
    free(hto);
    return ret;
}

static int chroot_rename(struct vfs_mount* m, const char* from, const char* to,
                         unsigned int flags) {
    return chroot_two_paths(m, from, to, flags, /*link=*/false);
}

static int chroot_link(struct vfs_mount* m, const char* from, const char* to) {
    return chroot_two_paths(m, from, to, 0, /*link=*/true);
}

const struct vfs_fs_ops vfs_chroot_ops = {
    .type = "chroot",
    .mount = chroot_mount,
    .lookup = chroot_lookup,
    .readlink = chroot_readlink,
    .open = chroot_open,
    .mkdir = chroot_mkdir,
    .rmdir = chroot_rmdir,
    .unlink = chroot_unlink,
    .rename = chroot_rename,
    .symlink = chroot_symlink,
    .link = chroot_link,
    .chmod = chroot_chmod,
    .utimens = chroot_utimens,
    .truncate = chroot_truncate,
    .access = chroot_access,
    .magic = 0xEF53, /* ext4: what the host directory most likely is */
};
