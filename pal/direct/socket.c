/* Host sockets behind PAL stream handles: TCP, UDP and UNIX sockets over plain Linux syscalls. */
#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "host.h"
#include "rt.h"

#define SOCK_NONBLOCK_FLAG 04000
#define SOCK_CLOEXEC_FLAG  02000000
#define SOCK_TYPE_MASK     0xf

#define SOL_SOCKET_LEVEL 1
#define IPPROTO_IP_LEVEL 0
#define IPPROTO_TCP_LEVEL 6
#define IPPROTO_IPV6_LEVEL 41
#define SCM_RIGHTS_TYPE  1

#define MSG_CTRUNC_FLAG      0x8
#define MSG_TRUNC_FLAG       0x20
#define MSG_NOSIGNAL_FLAG    0x4000
#define MSG_CMSG_CLOEXEC_FLAG 0x40000000
/* What the library OS may ask for; MSG_NOSIGNAL is always added, MSG_CMSG_CLOEXEC on receive:
 * MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_MORE. */
#define MSG_ALLOWED (0x1 | 0x2 | 0x20 | 0x40 | 0x80 | 0x100 | 0x8000)

/* Largest address the host may hand back: sockaddr_storage. */
#define SOCKADDR_MAX 128

struct host_msghdr {
    void* name;
    int namelen;
    int pad;
    const struct pal_iovec* iov;
    size_t iovlen;
    void* control;
    size_t controllen;
    int flags;
    int pad2;
};

struct host_cmsghdr {
    size_t len;
    int level;
    int type;
};

/* SCM_RIGHTS control buffer for the most descriptors one message may carry. */
struct rights_control {
    struct host_cmsghdr hdr;
    int fds[PAL_MSG_MAX_HANDLES + 1];
};

static int host_close(int fd) {
    return (int)HOST_SYSCALL1(__NR_close, fd);
}

/* Socket options the library OS may set or read, with the size of their value. Only these
 * reach the host, so no option with a pointer inside or an unknown layout is ever passed. */
static const struct sockopt_rule {
    int level, name;
    size_t size;
    bool settable;
} sockopt_rules[] = {
    /* SOL_SOCKET: what servers and clients set on their sockets. */
    {SOL_SOCKET_LEVEL, 2 /* SO_REUSEADDR */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 15 /* SO_REUSEPORT */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 9 /* SO_KEEPALIVE */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 8 /* SO_RCVBUF */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 7 /* SO_SNDBUF */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 13 /* SO_LINGER */, 2 * sizeof(int), true},
    {SOL_SOCKET_LEVEL, 6 /* SO_BROADCAST */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 10 /* SO_OOBINLINE */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 12 /* SO_PRIORITY */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 18 /* SO_RCVLOWAT */, sizeof(int), true},
    {SOL_SOCKET_LEVEL, 20 /* SO_RCVTIMEO */, 2 * sizeof(int64_t), true},
    {SOL_SOCKET_LEVEL, 21 /* SO_SNDTIMEO */, 2 * sizeof(int64_t), true},
    {SOL_SOCKET_LEVEL, 16 /* SO_PASSCRED */, sizeof(int), true},
    /* SOL_SOCKET, read only: state of the socket. */
    {SOL_SOCKET_LEVEL, 4 /* SO_ERROR */, sizeof(int), false},
    {SOL_SOCKET_LEVEL, 3 /* SO_TYPE */, sizeof(int), false},
    {SOL_SOCKET_LEVEL, 39 /* SO_DOMAIN */, sizeof(int), false},
    {SOL_SOCKET_LEVEL, 38 /* SO_PROTOCOL */, sizeof(int), false},
    {SOL_SOCKET_LEVEL, 30 /* SO_ACCEPTCONN */, sizeof(int), false},
    /* IPPROTO_TCP: latency and keepalive tuning. */
    {IPPROTO_TCP_LEVEL, 1 /* TCP_NODELAY */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 2 /* TCP_MAXSEG */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 3 /* TCP_CORK */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 4 /* TCP_KEEPIDLE */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 5 /* TCP_KEEPINTVL */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 6 /* TCP_KEEPCNT */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 9 /* TCP_DEFER_ACCEPT */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 12 /* TCP_QUICKACK */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 18 /* TCP_USER_TIMEOUT */, sizeof(int), true},
    {IPPROTO_TCP_LEVEL, 23 /* TCP_FASTOPEN */, sizeof(int), true},
    /* IPPROTO_IP and IPPROTO_IPV6: the few header fields apps adjust. */
    {IPPROTO_IP_LEVEL, 1 /* IP_TOS */, sizeof(int), true},
    {IPPROTO_IP_LEVEL, 2 /* IP_TTL */, sizeof(int), true},
    {IPPROTO_IPV6_LEVEL, 26 /* IPV6_V6ONLY */, sizeof(int), true},
    {IPPROTO_IPV6_LEVEL, 67 /* IPV6_TCLASS */, sizeof(int), true},
};

static const struct sockopt_rule* sockopt_find(int level, int name) {
    for (size_t i = 0; i < sizeof(sockopt_rules) / sizeof(sockopt_rules[0]); i++) {
        if (sockopt_rules[i].level == level && sockopt_rules[i].name == name)
            return &sockopt_rules[i];
    }
    return NULL;
}

int pal_socket_open(int domain, int type, int protocol, pal_handle_t** out) {
    long fd = HOST_SYSCALL3(__NR_socket, domain, type | SOCK_CLOEXEC_FLAG, protocol);
    int ret;

    if (fd < 0)
        return (int)fd;
    ret = pal_handle_new(PAL_HANDLE_SOCKET, (int)fd, O_RDWR | (type & SOCK_NONBLOCK_FLAG), out);
    if (ret < 0)
        host_close((int)fd);
    return ret;
}

int pal_socket_pair(int domain, int type, int protocol, pal_handle_t* out[2]) {
    int fds[2];
    long ret = HOST_SYSCALL4(__NR_socketpair, domain, type | SOCK_CLOEXEC_FLAG, protocol, fds);
    int flags = O_RDWR | (type & SOCK_NONBLOCK_FLAG);

    if (ret < 0)
        return (int)ret;
    ret = pal_handle_new(PAL_HANDLE_SOCKET, fds[0], flags, &out[0]);
    if (ret < 0)
        goto out;
    ret = pal_handle_new(PAL_HANDLE_SOCKET, fds[1], flags, &out[1]);
    if (ret < 0) {
        free(out[0]);
        goto out;
    }
    return 0;
out:
    host_close(fds[0]);
    host_close(fds[1]);
    return (int)ret;
}

int pal_socket_bind(pal_handle_t* h, const void* addr, size_t addrlen) {
    if (addrlen > SOCKADDR_MAX)
        return -EINVAL;
    return (int)HOST_SYSCALL3(__NR_bind, h->fd, addr, addrlen);
}

int pal_socket_listen(pal_handle_t* h, int backlog) {
    return (int)HOST_SYSCALL2(__NR_listen, h->fd, backlog);
}

/* The host writes at most SOCKADDR_MAX bytes into a buffer of ours, and reports the full
 * length of the name; the caller gets what fits, and the full length, as Linux does. */
static void name_copy_out(const uint8_t* host_addr, int host_len, void* addr, size_t* addrlen) {
    size_t full = host_len < 0 ? 0 : (size_t)host_len;
    size_t avail = full > SOCKADDR_MAX ? SOCKADDR_MAX : full;

    if (addr && addrlen)
        memcpy(addr, host_addr, avail < *addrlen ? avail : *addrlen);
    if (addrlen)
        *addrlen = full;
}

int pal_socket_accept(pal_handle_t* h, int flags, pal_handle_t** out, void* addr,
                      size_t* addrlen) {
    uint8_t host_addr[SOCKADDR_MAX];
    int host_len = sizeof(host_addr);
    long fd;
    int ret;

    if (flags & ~SOCK_NONBLOCK_FLAG)
        return -EINVAL;
    fd = HOST_BLOCKING4(__NR_accept4, h->fd, host_addr, &host_len, flags | SOCK_CLOEXEC_FLAG);
    if (fd < 0)
        return (int)fd;
    ret = pal_handle_new(PAL_HANDLE_SOCKET, (int)fd, O_RDWR | flags, out);
    if (ret < 0) {
        host_close((int)fd);
        return ret;
    }
    name_copy_out(host_addr, host_len, addr, addrlen);
    return 0;
}

int pal_socket_connect(pal_handle_t* h, const void* addr, size_t addrlen) {
    if (addrlen > SOCKADDR_MAX)
        return -EINVAL;
    return (int)HOST_BLOCKING3(__NR_connect, h->fd, addr, addrlen);
}

int pal_socket_name(pal_handle_t* h, bool peer, void* addr, size_t* addrlen) {
    uint8_t host_addr[SOCKADDR_MAX];
    int host_len = sizeof(host_addr);
    long ret = HOST_SYSCALL3(peer ? __NR_getpeername : __NR_getsockname, h->fd, host_addr,
                             &host_len);

    if (ret < 0)
        return (int)ret;
    name_copy_out(host_addr, host_len, addr, addrlen);
    return 0;
}

int pal_socket_shutdown(pal_handle_t* h, int how) {
    return (int)HOST_SYSCALL2(__NR_shutdown, h->fd, how);
}

int pal_socket_setopt(pal_handle_t* h, int level, int name, const void* val, size_t len) {
    const struct sockopt_rule* rule = sockopt_find(level, name);

    if (!rule)
        return -ENOPROTOOPT;
    if (!rule->settable)
        return -ENOPROTOOPT;
    if (len < rule->size)
        return -EINVAL;
    return (int)HOST_SYSCALL5(__NR_setsockopt, h->fd, level, name, val, rule->size);
}

int pal_socket_getopt(pal_handle_t* h, int level, int name, void* val, size_t* len) {
    const struct sockopt_rule* rule = sockopt_find(level, name);
    uint8_t buf[16];
    int host_len = sizeof(buf);
    long ret;

    if (!rule)
        return -ENOPROTOOPT;
    memset(buf, 0, sizeof(buf));
    ret = HOST_SYSCALL5(__NR_getsockopt, h->fd, level, name, buf, &host_len);
    if (ret < 0)
        return (int)ret;
    if (host_len < 0 || (size_t)host_len > rule->size)
        return -EIO;
    if (*len > (size_t)host_len)
        *len = (size_t)host_len;
    memcpy(val, buf, *len);
    return 0;
}

/* A descriptor that arrived in a message becomes a handle of the kind its host object is. */
static int handle_of_received_fd(int fd, pal_handle_t** out) {
    struct stat st;
    long fl = HOST_SYSCALL2(__NR_fcntl, fd, F_GETFL);
    long ret = HOST_SYSCALL2(__NR_fstat, fd, &st);
    enum pal_handle_kind kind = PAL_HANDLE_STDIO;

    if (ret < 0 || fl < 0)
        return ret < 0 ? (int)ret : (int)fl;
    if (S_ISSOCK(st.st_mode))
        kind = PAL_HANDLE_SOCKET;
    else if (S_ISFIFO(st.st_mode))
        kind = PAL_HANDLE_PIPE;
    else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        kind = PAL_HANDLE_FILE;
    else if (S_ISDIR(st.st_mode))
        kind = PAL_HANDLE_DIR;
    return pal_handle_new(kind, fd, (int)fl, out);
}

static int rights_pack(struct rights_control* c, struct host_msghdr* m, struct pal_msg* msg) {
    if (!msg->nhandles)
        return 0;
    if (msg->nhandles > PAL_MSG_MAX_HANDLES)
        return -EINVAL;
    for (size_t i = 0; i < msg->nhandles; i++)
        c->fds[i] = msg->handles[i]->fd;
    c->hdr.len = sizeof(c->hdr) + msg->nhandles * sizeof(int);
    c->hdr.level = SOL_SOCKET_LEVEL;
    c->hdr.type = SCM_RIGHTS_TYPE;
    m->control = c;
    m->controllen = (c->hdr.len + 7) & ~7UL;
    return 0;
}

long pal_socket_send(pal_handle_t* h, struct pal_msg* msg, int flags) {
    struct rights_control control;
    struct host_msghdr m = {.name = msg->name, .namelen = (int)msg->namelen,
                            .iov = msg->iov, .iovlen = msg->iovlen};
    long ret;

    if (flags & ~(MSG_ALLOWED))
        return -EOPNOTSUPP;
    if (msg->namelen > SOCKADDR_MAX)
        return -EINVAL;
    ret = rights_pack(&control, &m, msg);
    if (ret < 0)
        return ret;
    ret = HOST_BLOCKING3(__NR_sendmsg, h->fd, &m, flags | MSG_NOSIGNAL_FLAG);
    if (ret < 0)
        return ret;
    size_t total = 0;
    for (size_t i = 0; i < msg->iovlen; i++)
        total += msg->iov[i].len;
    return (size_t)ret > total ? -EIO : ret;
}

/* Takes the descriptors of the first SCM_RIGHTS message; any beyond room, and every other
 * control message, are closed or dropped and reported as MSG_CTRUNC. */
static int rights_unpack(struct rights_control* c, const struct host_msghdr* m,
                         struct pal_msg* msg) {
    size_t room = msg->nhandles;
    size_t got = 0;
    int ret = 0;

    msg->nhandles = 0;
    if (m->controllen < sizeof(c->hdr) || c->hdr.level != SOL_SOCKET_LEVEL ||
        c->hdr.type != SCM_RIGHTS_TYPE || c->hdr.len < sizeof(c->hdr) ||
        c->hdr.len > m->controllen)
        return 0;
    got = (c->hdr.len - sizeof(c->hdr)) / sizeof(int);
    if (got > PAL_MSG_MAX_HANDLES)
        got = PAL_MSG_MAX_HANDLES;
    for (size_t i = 0; i < got; i++) {
        if (i >= room || ret < 0) {
            host_close(c->fds[i]);
            msg->flags |= MSG_CTRUNC_FLAG;
            continue;
        }
        ret = handle_of_received_fd(c->fds[i], &msg->handles[i]);
        if (ret < 0) {
            host_close(c->fds[i]);
            continue;
        }
        msg->nhandles++;
    }
    return ret;
}

long pal_socket_recv(pal_handle_t* h, struct pal_msg* msg, int flags) {
    struct rights_control control;
    uint8_t host_addr[SOCKADDR_MAX];
    struct host_msghdr m = {.iov = msg->iov, .iovlen = msg->iovlen};
    size_t total = 0;
    long ret;

    if (flags & ~(MSG_ALLOWED))
        return -EOPNOTSUPP;
    if (msg->name) {
        m.name = host_addr;
        m.namelen = sizeof(host_addr);
    }
    if (msg->nhandles) {
        memset(&control, 0, sizeof(control));
        m.control = &control;
        m.controllen = sizeof(control.hdr) + (msg->nhandles + 1) * sizeof(int);
        m.controllen = (m.controllen + 7) & ~7UL;
        if (m.controllen > sizeof(control))
            m.controllen = sizeof(control);
    }
    ret = HOST_BLOCKING3(__NR_recvmsg, h->fd, &m, flags | MSG_CMSG_CLOEXEC_FLAG);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < msg->iovlen; i++)
        total += msg->iov[i].len;
    msg->flags = m.flags;
    if (msg->nhandles)
        rights_unpack(&control, &m, msg);
    /* Only MSG_TRUNC on a datagram lets the host report more than the buffers hold. */
    if ((size_t)ret > total && !(flags & MSG_TRUNC_FLAG)) {
        for (size_t i = 0; i < msg->nhandles; i++)
            pal_stream_close(msg->handles[i]);
        msg->nhandles = 0;
        return -EIO;
    }
    if (msg->name)
        name_copy_out(host_addr, m.namelen, msg->name, &msg->namelen);
    return ret;
}
