/* Socket addresses between the app and the host: UNIX socket paths are guest paths, so they are
 * mapped to host paths of the chroot mount that holds them, and back. */
#include "net.h"

#define SUN_PATH_OFFSET sizeof(uint16_t)

static bool addr_len_fits(int family, uint32_t len) {
    switch (family) {
        case AF_INET_:
            return len >= 16;
        case AF_INET6_:
            return len >= 24;
        case AF_UNIX_:
            return len >= SUN_PATH_OFFSET && len <= sizeof(struct linux_sockaddr_un);
        case AF_UNSPEC_:
            return len >= SUN_PATH_OFFSET;
        default:
            return true;
    }
}

/* A guest path to the host path of the socket file; only host-directory mounts can hold one. */
static long unix_path_to_host(const char* guest, bool creating, char* host, size_t size) {
    struct vfs_resolved r;
    long ret = vfs_resolve(NULL, guest, creating ? VFS_CREATE : VFS_FOLLOW, &r);

    if (ret < 0)
        return ret;
    if (!creating && !r.exists) {
        ret = -ENOENT;
        goto out;
    }
    if (r.mount->ops != &vfs_chroot_ops || r.mount->host_is_file) {
        log_warning("socket: UNIX socket path '%s' is not on a host directory mount", r.path);
        ret = -EOPNOTSUPP;
        goto out;
    }
    if ((size_t)snprintf(host, size, "%s%s", r.mount->host_path, r.rel) >= size)
        ret = -ENAMETOOLONG;
out:
    vfs_resolved_free(&r);
    return ret;
}

static long unix_from_app(const struct linux_sockaddr_un* app, uint32_t len, bool creating,
                          uint8_t* host, size_t* host_len) {
    struct linux_sockaddr_un* out = (struct linux_sockaddr_un*)host;
    char guest[UNIX_PATH_MAX_ + 1];
    size_t path_len = len - SUN_PATH_OFFSET;
    long ret;

    /* Unnamed (autobind) and abstract names are not paths: they pass unchanged. */
    if (path_len == 0 || app->path[0] == '\0') {
        memcpy(host, app, len);
        *host_len = len;
        return 0;
    }
    memcpy(guest, app->path, path_len);
    guest[path_len] = '\0';
    if (strnlen(guest, path_len) == 0)
        return -EINVAL;
    out->family = AF_UNIX_;
    ret = unix_path_to_host(guest, creating, out->path, sizeof(out->path));
    if (ret < 0)
        return ret;
    *host_len = SUN_PATH_OFFSET + strlen(out->path) + 1;
    return 0;
}

long net_addr_from_app(struct libos_file* f, const void* app_addr, uint32_t len, bool creating,
                       uint8_t* host, size_t* host_len) {
    struct linux_sockaddr_un app;
    long ret;

    if (len > SOCKADDR_MAX_ || (int32_t)len < 0)
        return -EINVAL;
    if (len < SUN_PATH_OFFSET)
        return -EINVAL;
    memset(&app, 0, sizeof(app));
    ret = copy_from_app(host, app_addr, len);
    if (ret < 0)
        return ret;
    memcpy(&app, host, len < sizeof(app) ? len : sizeof(app));
    if (!addr_len_fits(app.family, len))
        return -EINVAL;
    if (app.family == AF_UNIX_ && net_socket_of(f)->domain == AF_UNIX_)
        return unix_from_app(&app, len, creating, host, host_len);
    *host_len = len;
    return 0;
}

/* The guest path of a host path inside a host-directory mount, or false if none holds it. */
static bool unix_path_to_guest(const char* host, char* guest, size_t size) {
    const struct vfs_mount* best = NULL;
    size_t best_len = 0;
    const struct vfs_mount* m;

    for (size_t i = 0; (m = vfs_mount_get(i)) != NULL; i++) {
        size_t n;

        if (m->ops != &vfs_chroot_ops || !m->host_path)
            continue;
        n = strlen(m->host_path);
        if (strncmp(host, m->host_path, n) != 0 || (host[n] != '/' && host[n] != '\0'))
            continue;
        if (!best || n > best_len) {
            best = m;
            best_len = n;
        }
    }
    if (!best)
        return false;
    return (size_t)snprintf(guest, size, "%.*s%s", (int)best->path_len, best->path,
                            host + best_len) < size;
}

long net_addr_to_app(struct libos_file* f, const uint8_t* host, size_t host_len, void* app_addr,
                     uint32_t* app_len) {
    struct linux_sockaddr_un un;
    const uint8_t* out = host;
    size_t out_len = host_len;
    long ret = 0;

    if (host_len > SUN_PATH_OFFSET + 1 && ((const uint16_t*)host)[0] == AF_UNIX_ &&
        host[SUN_PATH_OFFSET] != '\0') {
        char path[UNIX_PATH_MAX_ + 1];
        size_t n = host_len - SUN_PATH_OFFSET;

        memcpy(path, host + SUN_PATH_OFFSET, n < UNIX_PATH_MAX_ ? n : UNIX_PATH_MAX_);
        path[n < UNIX_PATH_MAX_ ? n : UNIX_PATH_MAX_] = '\0';
        memset(&un, 0, sizeof(un));
        un.family = AF_UNIX_;
        /* A path no mount shows is reported unnamed rather than leaking a host path. */
        out_len = SUN_PATH_OFFSET;
        if (unix_path_to_guest(path, un.path, sizeof(un.path)))
            out_len = SUN_PATH_OFFSET + strlen(un.path) + 1;
        out = (const uint8_t*)&un;
    }
    if (app_addr && *app_len)
        ret = copy_to_app(app_addr, out, out_len < *app_len ? out_len : *app_len);
    *app_len = (uint32_t)out_len;
    return ret;
}
