/* Socket files and the connection syscalls: socket, socketpair, bind, listen, accept, connect,
 * getsockname, getpeername, shutdown, setsockopt, getsockopt. */
#include "net.h"

/* Largest option value copied in or out; the PAL's table has the exact sizes. */
#define SOCKOPT_MAX 16

static long socket_read(struct libos_file* f, void* buf, size_t size) {
    struct pal_iovec iov = {buf, size};
    struct pal_msg msg = {.iov = &iov, .iovlen = 1};
    long ret;

    if (net_may_block(f, 0)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_socket_recv(f->handle, &msg, 0);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static long socket_write(struct libos_file* f, const void* buf, size_t size) {
    struct pal_iovec iov = {(void*)buf, size};
    struct pal_msg msg = {.iov = &iov, .iovlen = 1};
    long ret;

    if (net_may_block(f, 0)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_socket_send(f->handle, &msg, 0);
    if (ret == -EPIPE)
        signal_send(libos_current()->tid, LINUX_SIGPIPE, NULL);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static int socket_stat(struct libos_file* f, struct linux_stat* st) {
    struct pal_stat ps;
    int ret = pal_stream_stat(f->handle, &ps);

    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

static int socket_ioctl(struct libos_file* f, unsigned int request, uint64_t arg) {
    return pal_stream_ioctl(f->handle, request, (void*)arg);
}

static void socket_release(struct libos_file* f) {
    pal_stream_close(f->handle);
    free(f->data);
}

const struct vfs_file_ops net_socket_ops = {
    .read = socket_read,
    .write = socket_write,
    .stat = socket_stat,
    .ioctl = socket_ioctl,
    .release = socket_release,
};

bool net_may_block(struct libos_file* f, int msg_flags) {
    return !(__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK) &&
           !(msg_flags & MSG_DONTWAIT_);
}

static int socket_query(pal_handle_t* h, int name) {
    int val = -1;
    size_t len = sizeof(val);
    int ret = pal_socket_getopt(h, SOL_SOCKET_, name, &val, &len);

    return ret < 0 ? ret : val;
}

int net_socket_file_new(pal_handle_t* h, int domain, int type, int protocol, int flags,
                        struct libos_file** out) {
    struct net_socket* s = calloc(1, sizeof(*s));
    struct pal_stat ps;
    struct libos_file* f;
    char name[48];
    int ret;

    if (!s)
        return -ENOMEM;
    if (domain < 0) {
        domain = socket_query(h, SO_DOMAIN_);
        type = socket_query(h, SO_TYPE_);
        protocol = socket_query(h, SO_PROTOCOL_);
    }
    s->domain = domain;
    s->type = type;
    s->protocol = protocol;
    ret = pal_stream_stat(h, &ps);
    if (ret < 0) {
        free(s);
        return ret;
    }
    snprintf(name, sizeof(name), "socket:[%lu]", (unsigned long)ps.ino);
    f = vfs_file_new(&net_socket_ops, name, O_RDWR | (flags & O_NONBLOCK), S_IFSOCK);
    if (!f) {
        free(s);
        return -ENOMEM;
    }
    f->handle = h;
    f->pollable = true;
    f->data = s;
    *out = f;
    return 0;
}

struct libos_file* net_socket_get(int fd, long* err) {
    struct libos_file* f = fd_get(fd);

    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->ops != &net_socket_ops) {
        vfs_file_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    return f;
}

/* Installs a new socket file at the lowest free fd; the file's reference goes to the table. */
static long install(struct libos_file* f, int flags) {
    long ret = fd_install(f, 0, (flags & SOCK_CLOEXEC_) != 0);

    vfs_file_put(f);
    return ret;
}

/* Which socket kinds the library OS serves: the host's own for each. */
static int socket_check_kind(int domain, int type) {
    int kind = type & SOCK_TYPE_MASK_;

    if (type & ~(SOCK_TYPE_MASK_ | SOCK_NONBLOCK_ | SOCK_CLOEXEC_))
        return -EINVAL;
    switch (domain) {
        case AF_UNIX_:
            return kind == SOCK_STREAM_ || kind == SOCK_DGRAM_ || kind == SOCK_SEQPACKET_
                       ? 0
                       : -ESOCKTNOSUPPORT;
        case AF_INET_:
        case AF_INET6_:
            if (kind == SOCK_RAW_)
                return -EPERM; /* raw sockets would reach the host network directly */
            return kind == SOCK_STREAM_ || kind == SOCK_DGRAM_ ? 0 : -ESOCKTNOSUPPORT;
        default:
            return -EAFNOSUPPORT;
    }
}

long sys_socket(int domain, int type, int protocol) {
    pal_handle_t* h;
    struct libos_file* f;
    long ret = socket_check_kind(domain, type);

    if (ret < 0)
        return ret;
    ret = pal_socket_open(domain, type & ~SOCK_CLOEXEC_, protocol, &h);
    if (ret < 0)
        return ret;
    ret = net_socket_file_new(h, domain, type & SOCK_TYPE_MASK_, protocol, type, &f);
    if (ret < 0) {
        pal_stream_close(h);
        return ret;
    }
    return install(f, type);
}

long sys_socketpair(int domain, int type, int protocol, int* app_sv) {
    pal_handle_t* h[2];
    struct libos_file* f[2] = {NULL, NULL};
    int sv[2] = {-1, -1};
    long ret;

    if (domain != AF_UNIX_)
        return domain == AF_INET_ || domain == AF_INET6_ ? -EOPNOTSUPP : -EAFNOSUPPORT;
    ret = socket_check_kind(domain, type);
    if (ret < 0)
        return ret;
    if (!mm_is_accessible((uint64_t)app_sv, sizeof(sv), PROT_WRITE))
        return -EFAULT;
    ret = pal_socket_pair(domain, type & ~SOCK_CLOEXEC_, protocol, h);
    if (ret < 0)
        return ret;
    for (int i = 0; i < 2; i++) {
        ret = net_socket_file_new(h[i], domain, type & SOCK_TYPE_MASK_, protocol, type, &f[i]);
        if (ret < 0) {
            for (int j = i; j < 2; j++)
                pal_stream_close(h[j]);
            goto out;
        }
    }
    for (int i = 0; i < 2 && ret >= 0; i++)
        ret = sv[i] = fd_install(f[i], 0, (type & SOCK_CLOEXEC_) != 0);
    if (ret >= 0)
        ret = copy_to_app(app_sv, sv, sizeof(sv));
out:
    for (int i = 0; i < 2; i++) {
        if (ret < 0 && sv[i] >= 0)
            fd_close(sv[i]);
        if (f[i])
            vfs_file_put(f[i]);
    }
    return ret;
}

long sys_bind(int fd, const void* app_addr, uint32_t len) {
    uint8_t addr[SOCKADDR_MAX_];
    size_t addr_len;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);
    struct net_socket* s;

    if (!f)
        return ret;
    s = net_socket_of(f);
    ret = net_addr_from_app(f, app_addr, len, /*creating=*/true, addr, &addr_len);
    if (ret < 0)
        goto out;
    if (s->type != SOCK_STREAM_ && s->domain != AF_UNIX_) {
        ret = net_policy_check_listen(addr, addr_len);
        if (ret < 0)
            goto out;
    }
    ret = pal_socket_bind(f->handle, addr, addr_len);
    if (ret == 0 && s->domain == AF_UNIX_ && len > sizeof(uint16_t) && len <= sizeof(s->bound)) {
        if (copy_from_app(&s->bound, app_addr, len) == 0)
            s->bound_len = len;
    }
out:
    vfs_file_put(f);
    return ret;
}

long sys_listen(int fd, int backlog) {
    uint8_t addr[SOCKADDR_MAX_];
    size_t addr_len = sizeof(addr);
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    if (net_socket_of(f)->domain != AF_UNIX_) {
        ret = pal_socket_name(f->handle, /*peer=*/false, addr, &addr_len);
        if (ret == 0)
            ret = net_policy_check_listen(addr, addr_len);
        if (ret < 0)
            goto out;
    }
    ret = pal_socket_listen(f->handle, backlog);
out:
    vfs_file_put(f);
    return ret;
}

long sys_accept4(int fd, void* app_addr, uint32_t* app_len, int flags) {
    uint8_t addr[SOCKADDR_MAX_];
    size_t addr_len = sizeof(addr);
    uint32_t len = 0;
    pal_handle_t* h;
    struct libos_file* nf;
    struct net_socket* s;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    s = net_socket_of(f);
    ret = -EINVAL;
    if (flags & ~(SOCK_NONBLOCK_ | SOCK_CLOEXEC_))
        goto out;
    ret = app_addr ? copy_from_app(&len, app_len, sizeof(len)) : 0;
    if (ret < 0)
        goto out;
    if (net_may_block(f, 0)) {
        ret = vfs_before_block();
        if (ret < 0)
            goto out;
    }
    ret = pal_socket_accept(f->handle, flags & SOCK_NONBLOCK_, &h, addr, &addr_len);
    if (ret < 0) {
        ret = ret == -EINTR ? -ERESTARTSYS : ret;
        goto out;
    }
    ret = net_socket_file_new(h, s->domain, s->type, s->protocol, flags, &nf);
    if (ret < 0) {
        pal_stream_close(h);
        goto out;
    }
    net_socket_of(nf)->bound = s->bound;
    net_socket_of(nf)->bound_len = s->bound_len;
    if (app_addr) {
        ret = net_addr_to_app(nf, addr, addr_len, app_addr, &len);
        if (ret == 0)
            ret = copy_to_app(app_len, &len, sizeof(len));
        if (ret < 0) {
            vfs_file_put(nf);
            goto out;
        }
    }
    ret = install(nf, flags);
out:
    vfs_file_put(f);
    return ret;
}

long sys_accept(int fd, void* app_addr, uint32_t* app_len) {
    return sys_accept4(fd, app_addr, app_len, 0);
}

long sys_connect(int fd, const void* app_addr, uint32_t len) {
    uint8_t addr[SOCKADDR_MAX_];
    size_t addr_len;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);
    struct net_socket* s;

    if (!f)
        return ret;
    s = net_socket_of(f);
    ret = net_addr_from_app(f, app_addr, len, /*creating=*/false, addr, &addr_len);
    if (ret < 0)
        goto out;
    if (net_may_block(f, 0)) {
        ret = vfs_before_block();
        if (ret < 0)
            goto out;
    }
    ret = pal_socket_connect(f->handle, addr, addr_len);
    if (ret == -EINTR)
        ret = -ERESTARTSYS;
    if (ret == 0 && s->domain == AF_UNIX_ && len > sizeof(uint16_t) && len <= sizeof(s->peer)) {
        if (copy_from_app(&s->peer, app_addr, len) == 0)
            s->peer_len = len;
    }
out:
    vfs_file_put(f);
    return ret;
}

static long socket_name(int fd, bool peer, void* app_addr, uint32_t* app_len) {
    uint8_t addr[SOCKADDR_MAX_];
    size_t addr_len = sizeof(addr);
    uint32_t len;
    struct net_socket* s;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    s = net_socket_of(f);
    ret = copy_from_app(&len, app_len, sizeof(len));
    if (ret < 0)
        goto out;
    if ((int32_t)len < 0) {
        ret = -EINVAL;
        goto out;
    }
    if ((!peer && s->bound_len) || (peer && s->peer_len)) {
        addr_len = peer ? s->peer_len : s->bound_len;
        memcpy(addr, peer ? &s->peer : &s->bound, addr_len);
        ret = copy_to_app(app_addr, addr, addr_len < len ? addr_len : len);
        len = (uint32_t)addr_len;
    } else {
        ret = pal_socket_name(f->handle, peer, addr, &addr_len);
        if (ret == 0)
            ret = net_addr_to_app(f, addr, addr_len, app_addr, &len);
    }
    if (ret == 0)
        ret = copy_to_app(app_len, &len, sizeof(len));
out:
    vfs_file_put(f);
    return ret;
}

long sys_getsockname(int fd, void* app_addr, uint32_t* app_len) {
    return socket_name(fd, /*peer=*/false, app_addr, app_len);
}

long sys_getpeername(int fd, void* app_addr, uint32_t* app_len) {
    return socket_name(fd, /*peer=*/true, app_addr, app_len);
}

long sys_shutdown(int fd, int how) {
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    ret = pal_socket_shutdown(f->handle, how);
    vfs_file_put(f);
    return ret;
}

long sys_setsockopt(int fd, int level, int name, const void* app_val, uint32_t len) {
    uint8_t val[SOCKOPT_MAX];
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    if ((int32_t)len < 0) {
        ret = -EINVAL;
        goto out;
    }
    memset(val, 0, sizeof(val));
    ret = copy_from_app(val, app_val, len < sizeof(val) ? len : sizeof(val));
    if (ret < 0)
        goto out;
    ret = pal_socket_setopt(f->handle, level, name, val, len < sizeof(val) ? len : sizeof(val));
    if (ret == -ENOPROTOOPT)
        log_debug("setsockopt: level %d option %d is not supported", level, name);
out:
    vfs_file_put(f);
    return ret;
}

long sys_getsockopt(int fd, int level, int name, void* app_val, uint32_t* app_len) {
    uint8_t val[SOCKOPT_MAX];
    uint32_t len;
    size_t got;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    ret = copy_from_app(&len, app_len, sizeof(len));
    if (ret < 0)
        goto out;
    if ((int32_t)len < 0) {
        ret = -EINVAL;
        goto out;
    }
    got = len < sizeof(val) ? len : sizeof(val);
    ret = pal_socket_getopt(f->handle, level, name, val, &got);
    if (ret == -ENOPROTOOPT)
        log_debug("getsockopt: level %d option %d is not supported", level, name);
    if (ret < 0)
        goto out;
    len = (uint32_t)got;
    ret = copy_to_app(app_val, val, got);
    if (ret == 0)
        ret = copy_to_app(app_len, &len, sizeof(len));
out:
    vfs_file_put(f);
    return ret;
}
