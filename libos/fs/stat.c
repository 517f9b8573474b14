/* Syscalls that inspect files and the current directory: stat family, access, readlink,
 * statfs, getcwd, chdir, umask. */
#include "vfs.h"

/* Copies the path argument of a syscall; an empty one is allowed only with AT_EMPTY_PATH. */
static long path_from_app(const char* app_path, char** out) {
    return strdup_from_app(app_path, VFS_PATH_MAX, out);
}

/* stat of (dirfd, path) honouring AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH. */
static int stat_path_at(int dirfd, const char* path, int flags, struct linux_stat* st) {
    struct vfs_resolved r;
    int ret;

    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        struct libos_file* f;

        if (dirfd == AT_FDCWD)
            return stat_path_at(AT_FDCWD, ".", flags & ~AT_EMPTY_PATH, st);
        f = fd_get(dirfd);
        if (!f)
            return -EBADF;
        ret = vfs_file_stat(f, st);
        vfs_file_put(f);
        return ret;
    }
    ret = vfs_resolve_at(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW, &r);
    if (ret < 0)
        return ret;
    *st = r.st;
    vfs_resolved_free(&r);
    return 0;
}

static int stat_at(int dirfd, const char* app_path, int flags, struct linux_stat* st) {
    char* path;
    long ret;

    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    ret = path_from_app(app_path, &path);
    if (ret < 0)
        return (int)ret;
    ret = stat_path_at(dirfd, path, flags, st);
    free(path);
    return (int)ret;
}

long sys_newfstatat(int dirfd, const char* path, struct linux_stat* app_st, int flags) {
    struct linux_stat st;
    int ret = stat_at(dirfd, path, flags, &st);

    if (ret < 0)
        return ret;
    return copy_to_app(app_st, &st, sizeof(st));
}

long sys_stat(const char* path, struct linux_stat* st) {
    return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(const char* path, struct linux_stat* st) {
    return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_fstat(int fd, struct linux_stat* app_st) {
    struct libos_file* f = fd_get(fd);
    struct linux_stat st;
    int ret;

    if (!f)
        return -EBADF;
    ret = vfs_file_stat(f, &st);
    vfs_file_put(f);
    if (ret < 0)
        return ret;
    return copy_to_app(app_st, &st, sizeof(st));
}

#define STATX_BASIC_STATS_MASK 0x7ffU

long sys_statx(int dirfd, const char* path, int flags, unsigned int mask, struct statx* app_stx) {
    struct statx stx;
    struct linux_stat st;
    int ret = stat_at(dirfd, path, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), &st);

    if (ret < 0)
        return ret;
    memset(&stx, 0, sizeof(stx));
    stx.stx_mask = STATX_BASIC_STATS_MASK;
    stx.stx_blksize = (uint32_t)st.st_blksize;
    stx.stx_nlink = (uint32_t)st.st_nlink;
    stx.stx_uid = st.st_uid;
    stx.stx_gid = st.st_gid;
    stx.stx_mode = (uint16_t)st.st_mode;
    stx.stx_ino = st.st_ino;
    stx.stx_size = (uint64_t)st.st_size;
    stx.stx_blocks = (uint64_t)st.st_blocks;
    stx.stx_atime.tv_sec = (int64_t)st.st_atime_sec;
    stx.stx_atime.tv_nsec = (uint32_t)st.st_atime_nsec;
    stx.stx_mtime.tv_sec = (int64_t)st.st_mtime_sec;
    stx.stx_mtime.tv_nsec = (uint32_t)st.st_mtime_nsec;
    stx.stx_ctime.tv_sec = (int64_t)st.st_ctime_sec;
    stx.stx_ctime.tv_nsec = (uint32_t)st.st_ctime_nsec;
    stx.stx_rdev_major = (uint32_t)((st.st_rdev >> 8) & 0xfff);
    stx.stx_rdev_minor = (uint32_t)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00));
    stx.stx_dev_major = (uint32_t)((st.st_dev >> 8) & 0xfff);
    stx.stx_dev_minor = (uint32_t)((st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00));
    return copy_to_app(app_stx, &stx, sizeof(stx));
}

/* ---- access ---------------------------------------------------------------------------------- */

static long access_at(int dirfd, const char* app_path, int mode, int flags) {
    struct vfs_resolved r;
    char* path;
    long ret;

    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
        return -EINVAL;
    ret = path_from_app(app_path, &path);
    if (ret < 0)
        return ret;
    ret = vfs_resolve_at(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW, &r);
    free(path);
    if (ret < 0)
        return ret;
    if (mode == F_OK || r.magic || r.virtual_dir)
        ret = 0;
    else if (r.mount->ops->access)
        ret = r.mount->ops->access(r.mount, r.rel, mode);
    else
        ret = (mode & W_OK) ? -EACCES : 0;
    /* A pseudo file's mode bits say what it allows. */
    if (ret == 0 && !r.mount->ops->access && (mode & X_OK) && !(r.st.st_mode & 0111))
        ret = -EACCES;
    vfs_resolved_free(&r);
    return ret;
}

long sys_faccessat2(int dirfd, const char* path, int mode, int flags) {
    return access_at(dirfd, path, mode, flags);
}

long sys_faccessat(int dirfd, const char* path, int mode) {
    return access_at(dirfd, path, mode, 0);
}

long sys_access(const char* path, int mode) {
    return access_at(AT_FDCWD, path, mode, 0);
}

/* ---- readlink -------------------------------------------------------------------------------- */

long sys_readlinkat(int dirfd, const char* app_path, char* app_buf, int size) {
    struct vfs_resolved r;
    char* path;
    char* target = NULL;
    long ret;

    if (size <= 0)
        return -EINVAL;
    ret = path_from_app(app_path, &path);
    if (ret < 0)
        return ret;
    ret = vfs_resolve_at(dirfd, path, 0, &r);
    free(path);
    if (ret < 0)
        return ret;
    if (!S_ISLNK(r.st.st_mode) || !r.mount->ops->readlink) {
        ret = -EINVAL;
        goto out;
    }
    target = malloc(VFS_PATH_MAX);
    if (!target) {
        ret = -ENOMEM;
        goto out;
    }
    ret = r.mount->ops->readlink(r.mount, r.rel, target, VFS_PATH_MAX);
    if (ret < 0)
        goto out;
    if (ret > size)
        ret = size;
    ret = copy_to_app(app_buf, target, (size_t)ret) < 0 ? -EFAULT : ret;
out:
    free(target);
    vfs_resolved_free(&r);
    return ret;
}

long sys_readlink(const char* path, char* buf, int size) {
    return sys_readlinkat(AT_FDCWD, path, buf, size);
}

/* ---- statfs ---------------------------------------------------------------------------------- */

struct linux_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags;
    int64_t f_spare[4];
};

/* The host's real figures are not asked for: these are plausible ones (a half-full 64 GiB
 * file system) that keep df and free-space checks in apps happy. */
static void statfs_fill(const struct vfs_mount* m, struct linux_statfs* sf) {
    memset(sf, 0, sizeof(*sf));
    sf->f_type = (int64_t)(m ? m->ops->magic : 0x01021994);
    sf->f_bsize = 4096;
    sf->f_frsize = 4096;
    sf->f_blocks = 16ULL << 20;
    sf->f_bfree = 8ULL << 20;
    sf->f_bavail = 8ULL << 20;
    sf->f_files = 4ULL << 20;
    sf->f_ffree = 2ULL << 20;
    sf->f_namelen = VFS_NAME_MAX;
    sf->f_fsid[0] = m ? (int32_t)m->dev : 0;
}

long sys_statfs(const char* app_path, struct linux_statfs* app_sf) {
    struct linux_statfs sf;
    struct vfs_resolved r;
    char* path;
    long ret = path_from_app(app_path, &path);

    if (ret < 0)
        return ret;
    ret = vfs_resolve(NULL, path, VFS_FOLLOW, &r);
    free(path);
    if (ret < 0)
        return ret;
    statfs_fill(r.magic ? r.magic->mount : r.mount, &sf);
    vfs_resolved_free(&r);
    return copy_to_app(app_sf, &sf, sizeof(sf));
}

long sys_fstatfs(int fd, struct linux_statfs* app_sf) {
    struct linux_statfs sf;
    struct libos_file* f = fd_get(fd);

    if (!f)
        return -EBADF;
    statfs_fill(f->mount, &sf);
    vfs_file_put(f);
    return copy_to_app(app_sf, &sf, sizeof(sf));
}

/* ---- Current directory and umask ------------------------------------------------------------ */

long sys_getcwd(char* app_buf, size_t size) {
    char* cwd = vfs_cwd_get();
    size_t len;
    long ret;

    if (!cwd)
        return -ENOMEM;
    len = strlen(cwd) + 1;
    if (len > size)
        ret = -ERANGE;
    else
        ret = copy_to_app(app_buf, cwd, len) < 0 ? -EFAULT : (long)len;
    free(cwd);
    return ret;
}

long sys_chdir(const char* app_path) {
    char* path;
    long ret = path_from_app(app_path, &path);

    if (ret < 0)
        return ret;
    ret = vfs_cwd_set(path);
    free(path);
    return ret;
}

long sys_fchdir(int fd) {
    struct libos_file* f = fd_get(fd);
    long ret;

    if (!f)
        return -EBADF;
    ret = S_ISDIR(f->type) && f->mount ? vfs_cwd_set(f->path) : -ENOTDIR;
    vfs_file_put(f);
    return ret;
}

long sys_umask(int mask) {
    return __atomic_exchange_n(&g_process.umask, (uint32_t)mask & 0777, __ATOMIC_RELAXED);
}
