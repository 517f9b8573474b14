/* Extended attributes. The library OS keeps none: every file reads as one without any (ENODATA,
 * an empty list), as on a file system where none was set, and setting one is refused as not
 * supported. The file must exist all the same (the path is resolved, the fd checked), and the
 * attribute name is checked as Linux does, so that the errors come in Linux's order. */
#include "vfs.h"

#define XATTR_CREATE_   0x1
#define XATTR_REPLACE_  0x2
#define XATTR_NAME_MAX_ 255

static long xattr_path(const char* app_path, bool follow) {
    struct vfs_resolved r;
    char* path;
    long ret = strdup_from_app(app_path, VFS_PATH_MAX, &path);

    if (ret < 0)
        return ret;
    ret = vfs_resolve_at(AT_FDCWD, path, follow ? VFS_FOLLOW : 0, &r);
    free(path);
    if (ret == 0)
        vfs_resolved_free(&r);
    return ret;
}

static long xattr_fd(int fd) {
    struct libos_file* f = fd_get(fd);

    if (!f)
        return -EBADF;
    vfs_file_put(f);
    return 0;
}

static long xattr_name(const char* app_name) {
    char* name;
    long ret = strdup_from_app(app_name, XATTR_NAME_MAX_ + 2, &name);

    if (ret == -ENAMETOOLONG)
        return -ERANGE;
    if (ret < 0)
        return ret;
    size_t len = strlen(name);
    free(name);
    return len == 0 || len > XATTR_NAME_MAX_ ? -ERANGE : 0;
}

static long xattr_get(long target, const char* name) {
    long ret = target < 0 ? target : xattr_name(name);
    return ret < 0 ? ret : -ENODATA;
}

static long xattr_set(long target, const char* name, int flags) {
    if (target < 0)
        return target;
    if (flags & ~(XATTR_CREATE_ | XATTR_REPLACE_))
        return -EINVAL;
    long ret = xattr_name(name);
    return ret < 0 ? ret : -EOPNOTSUPP;
}

long sys_getxattr(const char* path, const char* name, void* value, size_t size) {
    (void)value, (void)size;
    return xattr_get(xattr_path(path, true), name);
}

long sys_lgetxattr(const char* path, const char* name, void* value, size_t size) {
    (void)value, (void)size;
    return xattr_get(xattr_path(path, false), name);
}

long sys_fgetxattr(int fd, const char* name, void* value, size_t size) {
    (void)value, (void)size;
    return xattr_get(xattr_fd(fd), name);
}

long sys_listxattr(const char* path, char* list, size_t size) {
    (void)list, (void)size;
    return xattr_path(path, true);
}

long sys_llistxattr(const char* path, char* list, size_t size) {
    (void)list, (void)size;
    return xattr_path(path, false);
}

long sys_flistxattr(int fd, char* list, size_t size) {
    (void)list, (void)size;
    return xattr_fd(fd);
}

long sys_setxattr(const char* path, const char* name, const void* value, size_t size,
                  int flags) {
    (void)value, (void)size;
    return xattr_set(xattr_path(path, true), name, flags);
}

long sys_lsetxattr(const char* path, const char* name, const void* value, size_t size,
                   int flags) {
    (void)value, (void)size;
    return xattr_set(xattr_path(path, false), name, flags);
}

long sys_fsetxattr(int fd, const char* name, const void* value, size_t size, int flags) {
    (void)value, (void)size;
    return xattr_set(xattr_fd(fd), name, flags);
}

long sys_removexattr(const char* path, const char* name) {
    return xattr_get(xattr_path(path, true), name);
}

long sys_lremovexattr(const char* path, const char* name) {
    return xattr_get(xattr_path(path, false), name);
}

long sys_fremovexattr(int fd, const char* name) {
    return xattr_get(xattr_fd(fd), name);
}
