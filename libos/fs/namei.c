/* Syscalls that change the namespace or a file's metadata by path: mkdir, unlink, rename,
 * link, symlink, chmod, chown, truncate, utimes, mknod. */
#include "vfs.h"

static long resolve_app_path(int dirfd, const char* app_path, int flags, struct vfs_resolved* r) {
    char* path;
    long ret = strdup_from_app(app_path, VFS_PATH_MAX, &path);

    if (ret < 0)
        return ret;
    ret = vfs_resolve_at(dirfd, path, flags, r);
    free(path);
    return ret;
}

/* The last component of the path as the app wrote it is "." or ".." (rmdir refuses those). */
static long last_component_dots(const char* app_path) {
    char* path;
    long ret = strdup_from_app(app_path, VFS_PATH_MAX, &path);
    size_t len;
    const char* base;

    if (ret < 0)
        return ret;
    len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    base = vfs_path_basename(path);
    ret = strcmp(base, ".") == 0 ? -EINVAL : strcmp(base, "..") == 0 ? -ENOTEMPTY : 0;
    free(path);
    return ret;
}

/* Mount points and the directories leading to them cannot be removed or renamed. */
static bool is_pinned(const struct vfs_resolved* r) {
    return r->virtual_dir || r->rel[0] == '\0' || vfs_is_mount_ancestor(r->path);
}

long sys_mkdirat(int dirfd, const char* app_path, int mode) {
    struct vfs_resolved r;
    long ret = resolve_app_path(dirfd, app_path, VFS_CREATE, &r);
    uint32_t umask = __atomic_load_n(&g_process.umask, __ATOMIC_RELAXED);

    if (ret < 0)
        return ret;
    if (r.exists)
        ret = -EEXIST;
    else if (!r.mount->ops->mkdir)
        ret = -EACCES;
    else
        ret = r.mount->ops->mkdir(r.mount, r.rel, ((uint32_t)mode & 07777) & ~umask);
    vfs_resolved_free(&r);
    return ret;
}

long sys_mkdir(const char* path, int mode) {
    return sys_mkdirat(AT_FDCWD, path, mode);
}

static long remove_at(int dirfd, const char* app_path, bool dir) {
    struct vfs_resolved r;
    long ret = dir ? last_component_dots(app_path) : 0;

    if (ret < 0)
        return ret;
    ret = resolve_app_path(dirfd, app_path, 0, &r);
    if (ret < 0)
        return ret;
    if (is_pinned(&r))
        ret = -EBUSY;
    else if (dir && !S_ISDIR(r.st.st_mode))
        ret = -ENOTDIR;
    else if (!dir && S_ISDIR(r.st.st_mode))
        ret = -EISDIR;
    else if (dir)
        ret = r.mount->ops->rmdir ? r.mount->ops->rmdir(r.mount, r.rel) : -EACCES;
    else
        ret = r.mount->ops->unlink ? r.mount->ops->unlink(r.mount, r.rel) : -EACCES;
    vfs_resolved_free(&r);
    return ret;
}

long sys_unlinkat(int dirfd, const char* path, int flags) {
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return remove_at(dirfd, path, (flags & AT_REMOVEDIR) != 0);
}

long sys_unlink(const char* path) {
    return remove_at(AT_FDCWD, path, /*dir=*/false);
}

long sys_rmdir(const char* path) {
    return remove_at(AT_FDCWD, path, /*dir=*/true);
}

long sys_renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
                   unsigned int flags) {
    struct vfs_resolved from, to;
    long ret;

    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL;
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
        return -EINVAL;
    ret = resolve_app_path(olddirfd, oldpath, 0, &from);
    if (ret < 0)
        return ret;
    ret = resolve_app_path(newdirfd, newpath, VFS_CREATE, &to);
    if (ret < 0) {
        vfs_resolved_free(&from);
        return ret;
    }
    if (from.mount != to.mount)
        ret = -EXDEV;
    else if (is_pinned(&from) || (to.exists && is_pinned(&to)))
        ret = -EBUSY;
    else if ((flags & RENAME_NOREPLACE) && to.exists)
        ret = -EEXIST;
    else if ((flags & RENAME_EXCHANGE) && !to.exists)
        ret = -ENOENT;
    else if (!from.mount->ops->rename)
        ret = -EACCES;
    else
        ret = from.mount->ops->rename(from.mount, from.rel, to.rel, flags);
    vfs_resolved_free(&from);
    vfs_resolved_free(&to);
    return ret;
}

long sys_renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) {
    return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long sys_rename(const char* oldpath, const char* newpath) {
    return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
    struct vfs_resolved from, to;
    long ret;

    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    ret = resolve_app_path(olddirfd, oldpath, (flags & AT_SYMLINK_FOLLOW) ? VFS_FOLLOW : 0, &from);
    if (ret < 0)
        return ret;
    ret = resolve_app_path(newdirfd, newpath, VFS_CREATE, &to);
    if (ret < 0) {
        vfs_resolved_free(&from);
        return ret;
    }
    if (to.exists)
        ret = -EEXIST;
    else if (from.magic || from.mount != to.mount)
        ret = -EXDEV;
    else if (S_ISDIR(from.st.st_mode))
        ret = -EPERM;
    else if (!from.mount->ops->link)
        ret = -EPERM;
    else
        ret = from.mount->ops->link(from.mount, from.rel, to.rel);
    vfs_resolved_free(&from);
    vfs_resolved_free(&to);
    return ret;
}

long sys_link(const char* oldpath, const char* newpath) {
    return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_symlinkat(const char* app_target, int newdirfd, const char* linkpath) {
    struct vfs_resolved r;
    char* target;
    long ret = strdup_from_app(app_target, VFS_PATH_MAX, &target);

    if (ret < 0)
        return ret;
    if (!target[0]) {
        free(target);
        return -ENOENT;
    }
    ret = resolve_app_path(newdirfd, linkpath, VFS_CREATE, &r);
    if (ret < 0) {
        free(target);
        return ret;
    }
    if (r.exists)
        ret = -EEXIST;
    else if (!r.mount->ops->symlink)
        ret = -EACCES;
    else
        ret = r.mount->ops->symlink(r.mount, r.rel, target);
    vfs_resolved_free(&r);
    free(target);
    return ret;
}

long sys_symlink(const char* target, const char* linkpath) {
    return sys_symlinkat(target, AT_FDCWD, linkpath);
}

/* ---- Metadata ---------------------------------------------------------------------------- */

static long chmod_resolved(struct vfs_resolved* r, uint32_t mode) {
    if (r->magic)
        return r->magic->ops->chmod ? r->magic->ops->chmod(r->magic, mode) : -EPERM;
    if (r->virtual_dir || !r->mount->ops->chmod)
        return -EPERM;
    return r->mount->ops->chmod(r->mount, r->rel, mode & 07777);
}

long sys_fchmodat(int dirfd, const char* path, int mode) {
    struct vfs_resolved r;
    long ret = resolve_app_path(dirfd, path, VFS_FOLLOW, &r);

    if (ret < 0)
        return ret;
    ret = chmod_resolved(&r, (uint32_t)mode);
    vfs_resolved_free(&r);
    return ret;
}

long sys_chmod(const char* path, int mode) {
    return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_fchmod(int fd, int mode) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = f->ops->chmod ? f->ops->chmod(f, (uint32_t)mode & 07777) : -EPERM;
    vfs_file_put(f);
    return ret;
}

/* Ownership: the app runs as the manifest's user (root by default) and Kernite does not map
 * owners onto the host, so chown of an existing file succeeds and changes nothing. */
long sys_fchownat(int dirfd, const char* path, int uid, int gid, int flags) {
    struct vfs_resolved r;
    long ret;

    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    ret = resolve_app_path(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW, &r);
    if (ret < 0 && ret != -ENOENT)
        return ret;
    if (ret == -ENOENT) {
        struct libos_file* f;

        /* fchownat(fd, "", AT_EMPTY_PATH) names the fd itself. */
        if (!(flags & AT_EMPTY_PATH) || dirfd == AT_FDCWD)
            return ret;
        f = fd_get(dirfd);
        if (!f)
            return -EBADF;
        vfs_file_put(f);
        return 0;
    }
    vfs_resolved_free(&r);
    return 0;
}

long sys_chown(const char* path, int uid, int gid) {
    return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(const char* path, int uid, int gid) {
    return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, int uid, int gid) {
    struct libos_file* f = fd_get(fd);

    if (!f)
        return -EBADF;
    vfs_file_put(f);
    return 0;
}

long sys_truncate(const char* path, int64_t size) {
    struct vfs_resolved r;
    long ret;

    if (size < 0)
        return -EINVAL;
    ret = resolve_app_path(AT_FDCWD, path, VFS_FOLLOW, &r);
    if (ret < 0)
        return ret;
    if (S_ISDIR(r.st.st_mode))
        ret = -EISDIR;
    else if (!S_ISREG(r.st.st_mode))
        ret = -EINVAL;
    else if (r.magic)
        ret = r.magic->ops->truncate ? r.magic->ops->truncate(r.magic, (uint64_t)size) : -EINVAL;
    else if (!r.mount->ops->truncate)
        ret = -EACCES;
    else
        ret = r.mount->ops->truncate(r.mount, r.rel, (uint64_t)size);
    vfs_resolved_free(&r);
    return ret;
}

/* ---- Times ------------------------------------------------------------------------------- */

static int utimens_check(const int64_t t[4]) {
    for (int i = 0; i < 2; i++) {
        int64_t ns = t[2 * i + 1];

        if (ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns >= 1000000000))
            return -EINVAL;
    }
    return 0;
}

/* times NULL-equivalent: both UTIME_NOW. dirfd/path NULL: the fd itself (futimens). */
static long utimens_at(int dirfd, const char* app_path, const int64_t t[4], int flags) {
    struct vfs_resolved r;
    long ret = utimens_check(t);

    if (ret < 0)
        return ret;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!app_path) {
        struct libos_file* f = fd_get(dirfd);

        if (!f)
            return -EBADF;
        ret = f->ops->utimens ? f->ops->utimens(f, t) : -EPERM;
        vfs_file_put(f);
        return ret;
    }
    ret = resolve_app_path(dirfd, app_path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW, &r);
    if (ret < 0)
        return ret;
    if (r.magic)
        ret = r.magic->ops->utimens ? r.magic->ops->utimens(r.magic, t) : -EPERM;
    else if (r.virtual_dir || !r.mount->ops->utimens)
        ret = -EPERM;
    else
        ret = r.mount->ops->utimens(r.mount, r.rel, t, !(flags & AT_SYMLINK_NOFOLLOW));
    vfs_resolved_free(&r);
    return ret;
}

static const int64_t utime_now[4] = {0, UTIME_NOW, 0, UTIME_NOW};

long sys_utimensat(int dirfd, const char* path, const struct linux_timespec* app_times, int flags) {
    int64_t t[4];

    if (app_times) {
        struct linux_timespec ts[2];
        int ret = copy_from_app(ts, app_times, sizeof(ts));

        if (ret < 0)
            return ret;
        t[0] = ts[0].tv_sec;
        t[1] = ts[0].tv_nsec;
        t[2] = ts[1].tv_sec;
        t[3] = ts[1].tv_nsec;
    } else {
        memcpy(t, utime_now, sizeof(t));
    }
    return utimens_at(dirfd, path, t, flags);
}

static long utimes_from_timeval(int dirfd, const char* path, const struct linux_timeval* app_tv) {
    struct linux_timeval tv[2];
    int64_t t[4];
    int ret;

    if (!app_tv)
        return utimens_at(dirfd, path, utime_now, 0);
    ret = copy_from_app(tv, app_tv, sizeof(tv));
    if (ret < 0)
        return ret;
    for (int i = 0; i < 2; i++) {
        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
            return -EINVAL;
        t[2 * i] = tv[i].tv_sec;
        t[2 * i + 1] = tv[i].tv_usec * 1000;
    }
    return utimens_at(dirfd, path, t, 0);
}

long sys_futimesat(int dirfd, const char* path, const struct linux_timeval* times) {
    return utimes_from_timeval(dirfd, path, times);
}

long sys_utimes(const char* path, const struct linux_timeval* times) {
    return utimes_from_timeval(AT_FDCWD, path, times);
}

struct linux_utimbuf {
    int64_t actime;
    int64_t modtime;
};

long sys_utime(const char* path, const struct linux_utimbuf* app_buf) {
    struct linux_utimbuf ub;
    int64_t t[4];
    int ret;

    if (!app_buf)
        return utimens_at(AT_FDCWD, path, utime_now, 0);
    ret = copy_from_app(&ub, app_buf, sizeof(ub));
    if (ret < 0)
        return ret;
    t[0] = ub.actime;
    t[1] = 0;
    t[2] = ub.modtime;
    t[3] = 0;
    return utimens_at(AT_FDCWD, path, t, 0);
}

/* ---- mknod ---------------------------------------------------------------------------------- */

/* Regular files can be made with mknod as with open; device nodes, FIFOs and sockets cannot
 * (EPERM, as for an unprivileged user): named FIFOs are not supported yet. */
long sys_mknodat(int dirfd, const char* app_path, int mode, unsigned int dev) {
    struct libos_file* f;
    struct vfs_resolved r;
    uint32_t type = (uint32_t)mode & S_IFMT;
    long ret;

    if (type != 0 && type != S_IFREG)
        return type == S_IFDIR ? -EINVAL : -EPERM;
    ret = resolve_app_path(dirfd, app_path, VFS_CREATE, &r);
    if (ret < 0)
        return ret;
    ret = vfs_open_resolved(&r, O_CREAT | O_EXCL | O_WRONLY, (uint32_t)mode & 07777, &f);
    vfs_resolved_free(&r);
    if (ret < 0)
        return ret;
    vfs_file_put(f);
    return 0;
}

long sys_mknod(const char* path, int mode, unsigned int dev) {
    return sys_mknodat(AT_FDCWD, path, mode, dev);
}
