/* Opening guest paths: open, openat, creat, and vfs_open for the rest of the library OS. */
#include "vfs.h"

/* Flags open(2) accepts; others are ignored as Linux ignores them. */
#define OPEN_KEPT_FLAGS                                                                            \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |         \
     O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH | O_SYNC)

static bool wants_write(int flags) {
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int open_existing_checks(const struct vfs_resolved* r, int flags) {
    uint32_t type = r->st.st_mode & S_IFMT;

    if ((flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    if (type == S_IFLNK && !(flags & O_PATH))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && type != S_IFDIR && type != S_IFLNK)
        return -ENOTDIR;
    if (type == S_IFDIR && wants_write(flags) && !(flags & O_PATH))
        return -EISDIR;
    return 0;
}

int vfs_open_resolved(struct vfs_resolved* r, int flags, uint32_t mode, struct libos_file** out) {
    struct vfs_mount* m = r->mount;
    struct libos_file* f = NULL;
    char* path;
    int ret;

    flags &= OPEN_KEPT_FLAGS;
    if (r->magic) {
        /* A /proc/self/fd link to a pipe or stdio: the same open file, as far as we go. */
        vfs_file_get_ref(r->magic);
        *out = r->magic;
        return 0;
    }
    if (!r->exists) {
        if (!(flags & O_CREAT))
            return -ENOENT;
        if (r->trailing_slash)
            return -EISDIR;
        if (flags & O_DIRECTORY)
            return -EINVAL;
        mode = (mode & 07777) & ~__atomic_load_n(&g_process.umask, __ATOMIC_RELAXED);
    } else {
        ret = open_existing_checks(r, flags);
        if (ret < 0)
            return ret;
    }

    if (r->exists && r->virtual_dir)
        ret = vfs_virtual_dir_open(&f);
    else if (!m->ops->open)
        ret = r->exists ? -EACCES : -EROFS;
    else
        ret = m->ops->open(m, r->rel, flags, mode, &f);
    if (ret < 0)
        return ret;

    path = strdup(r->path);
    if (!path) {
        vfs_file_put(f);
        return -ENOMEM;
    }
    free(f->path);
    f->path = path;
    f->mount = m;
    f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_NOFOLLOW);
    *out = f;
    return 0;
}

static int resolve_flags_for_open(int flags) {
    int rf = 0;

    /* O_CREAT | O_EXCL never follows a final symlink: the link itself "exists". */
    if (!(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)))
        rf |= VFS_FOLLOW;
    if (flags & O_CREAT)
        rf |= VFS_CREATE;
    if (flags & O_DIRECTORY)
        rf |= VFS_DIRECTORY;
    return rf;
}

static int open_at(int dirfd, const char* path, int flags, uint32_t mode, struct libos_file** out) {
    struct vfs_resolved r;
    int ret = vfs_resolve_at(dirfd, path, resolve_flags_for_open(flags), &r);

    if (ret < 0)
        return ret;
    ret = vfs_open_resolved(&r, flags, mode, out);
    vfs_resolved_free(&r);
    return ret;
}

int vfs_open(const char* path, int flags, int mode, struct libos_file** out) {
    return open_at(AT_FDCWD, path, flags, (uint32_t)mode, out);
}

long sys_openat(int dirfd, const char* app_path, int flags, int mode) {
    struct libos_file* f;
    char* path;
    long ret = strdup_from_app(app_path, VFS_PATH_MAX, &path);

    if (ret < 0)
        return ret;
    ret = open_at(dirfd, path, flags, (uint32_t)mode, &f);
    free(path);
    if (ret < 0)
        return ret;
    ret = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    vfs_file_put(f);
    return ret;
}

long sys_open(const char* path, int flags, int mode) {
    return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(const char* path, int mode) {
    return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
