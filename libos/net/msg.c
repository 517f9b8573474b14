/* Data on sockets: send, sendto, sendmsg, sendmmsg, recvfrom, recvmsg, recvmmsg, with iovecs,
 * the MSG_* flags and SCM_RIGHTS (guest fds to host handles and back). */
#include "net.h"

#define IOV_MAX_COUNT 1024
#define MMSG_MAX      1024
#define RW_MAX        0x7ffff000UL
/* Flags that reach the host; MSG_NOSIGNAL and MSG_CMSG_CLOEXEC are handled here. */
#define MSG_TO_HOST                                                                             \
    (MSG_OOB_ | MSG_PEEK_ | MSG_TRUNC_ | MSG_DONTWAIT_ | MSG_EOR_ | MSG_WAITALL_ | MSG_MORE_)
#define CMSG_ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct linux_mmsghdr {
    struct linux_msghdr hdr;
    uint32_t len;
    uint32_t pad;
};

/* A message being built from the app's msghdr: iovecs checked, names and handles held. */
struct net_msg {
    struct pal_msg pal;
    struct pal_iovec* iov;
    uint8_t name[SOCKADDR_MAX_];
    pal_handle_t** handles;
    struct libos_file** files; /* the files whose handles are sent, referenced */
    size_t file_count;
};

static void net_msg_free(struct net_msg* m) {
    for (size_t i = 0; i < m->file_count; i++)
        vfs_file_put(m->files[i]);
    free(m->files);
    free(m->handles);
    free(m->iov);
}

/* Checks vectors already in library OS memory; lengths are capped at what one call moves. */
static long iov_check(struct net_msg* m, size_t count, int prot) {
    struct linux_iovec* v = (struct linux_iovec*)m->iov; /* same layout: {base, len} */
    size_t total = 0;

    for (size_t i = 0; i < count; i++) {
        if ((int64_t)v[i].len < 0)
            return -EINVAL;
        if (v[i].len > RW_MAX - total)
            v[i].len = RW_MAX - total;
        if (!mm_is_accessible(v[i].base, v[i].len, prot))
            return -EFAULT;
        total += v[i].len;
    }
    m->pal.iov = m->iov;
    m->pal.iovlen = count;
    return 0;
}

static long iov_from_app(struct net_msg* m, uint64_t app_iov, uint64_t count, int prot) {
    long ret;

    if (count > IOV_MAX_COUNT)
        return -EMSGSIZE;
    m->iov = calloc(count ? count : 1, sizeof(*m->iov));
    if (!m->iov)
        return -ENOMEM;
    ret = copy_from_app(m->iov, (const void*)app_iov, count * sizeof(*m->iov));
    if (ret < 0)
        return ret;
    return iov_check(m, count, prot);
}

static long iov_one(struct net_msg* m, void* buf, size_t size, int prot) {
    m->iov = calloc(1, sizeof(*m->iov));
    if (!m->iov)
        return -ENOMEM;
    m->iov[0] = (struct pal_iovec){buf, size};
    return iov_check(m, 1, prot);
}

/* SCM_RIGHTS: each fd's host handle goes with the message. Only files over a host object can
 * travel (not tmpfs or pseudo files: -EOPNOTSUPP). Other control messages are refused. */
static long rights_from_app(struct net_msg* m, uint64_t app_control, uint64_t control_len) {
    uint8_t* buf;
    size_t pos = 0;
    long ret = 0;

    if (!control_len)
        return 0;
    if (control_len > 4096)
        return -ENOBUFS;
    buf = malloc(control_len);
    m->handles = calloc(PAL_MSG_MAX_HANDLES, sizeof(*m->handles));
    m->files = calloc(PAL_MSG_MAX_HANDLES, sizeof(*m->files));
    if (!buf || !m->handles || !m->files) {
        ret = -ENOMEM;
        goto out;
    }
    ret = copy_from_app(buf, (const void*)app_control, control_len);
    while (ret == 0 && control_len - pos >= sizeof(struct linux_cmsghdr)) {
        struct linux_cmsghdr* c = (struct linux_cmsghdr*)(buf + pos);
        size_t nfds;

        if (c->len < sizeof(*c) || c->len > control_len - pos) {
            ret = -EINVAL;
            break;
        }
        if (c->level != SOL_SOCKET_ || c->type != SCM_RIGHTS_) {
            log_debug("sendmsg: control message level %d type %d is not supported", c->level,
                      c->type);
            ret = -EINVAL;
            break;
        }
        nfds = (c->len - sizeof(*c)) / sizeof(int);
        for (size_t i = 0; i < nfds && ret == 0; i++) {
            int fd = ((int*)(c + 1))[i];
            struct libos_file* f = fd_get(fd);

            if (!f) {
                ret = -EBADF;
            } else if (!f->handle || m->file_count >= PAL_MSG_MAX_HANDLES) {
                vfs_file_put(f);
                ret = f->handle ? -ETOOMANYREFS : -EOPNOTSUPP;
            } else {
                m->files[m->file_count] = f;
                m->handles[m->file_count++] = f->handle;
            }
        }
        pos += CMSG_ALIGN8(c->len);
    }
    m->pal.handles = m->handles;
    m->pal.nhandles = m->file_count;
out:
    free(buf);
    return ret;
}

static long msg_send(struct libos_file* f, struct net_msg* m, int flags) {
    long ret;

    if (net_may_block(f, flags)) {
        ret = vfs_before_block();
        if (ret < 0)
            return ret;
    }
    ret = pal_socket_send(f->handle, &m->pal, flags & MSG_TO_HOST);
    if (ret == -EPIPE && !(flags & MSG_NOSIGNAL_))
        signal_send(libos_current()->tid, LINUX_SIGPIPE, NULL);
    return ret == -EINTR ? -ERESTARTSYS : ret;
}

static long msg_name_from_app(struct libos_file* f, struct net_msg* m, uint64_t app_name,
                              uint32_t len) {
    size_t host_len;
    long ret;

    if (!app_name || !len)
        return 0;
    ret = net_addr_from_app(f, (const void*)app_name, len, /*creating=*/false, m->name,
                            &host_len);
    if (ret < 0)
        return ret;
    m->pal.name = m->name;
    m->pal.namelen = host_len;
    return 0;
}

long sys_sendto(int fd, const void* buf, size_t size, int flags, const void* app_addr,
                uint32_t addr_len) {
    struct net_msg m = {0};
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    ret = iov_one(&m, (void*)buf, size, PROT_READ);
    if (ret < 0)
        goto out;
    ret = msg_name_from_app(f, &m, (uint64_t)app_addr, addr_len);
    if (ret == 0)
        ret = msg_send(f, &m, flags);
out:
    net_msg_free(&m);
    vfs_file_put(f);
    return ret;
}

long sys_sendmsg(int fd, const struct linux_msghdr* app_msg, int flags) {
    struct linux_msghdr h;
    struct net_msg m = {0};
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    ret = copy_from_app(&h, app_msg, sizeof(h));
    if (ret == 0)
        ret = iov_from_app(&m, h.iov, h.iovlen, PROT_READ);
    if (ret == 0)
        ret = msg_name_from_app(f, &m, h.name, h.namelen);
    if (ret == 0)
        ret = rights_from_app(&m, h.control, h.controllen);
    if (ret == 0)
        ret = msg_send(f, &m, flags);
    net_msg_free(&m);
    vfs_file_put(f);
    return ret;
}

long sys_sendmmsg(int fd, struct linux_mmsghdr* app_vec, unsigned int vlen, int flags) {
    unsigned int done = 0;
    long ret = 0;

    if (vlen > MMSG_MAX)
        vlen = MMSG_MAX;
    for (; done < vlen; done++) {
        uint32_t len;

        ret = sys_sendmsg(fd, &app_vec[done].hdr, flags);
        if (ret < 0)
            break;
        len = (uint32_t)ret;
        ret = copy_to_app(&app_vec[done].len, &len, sizeof(len));
        if (ret < 0)
            break;
    }
    return done ? (long)done : ret;
}

/* Received handles become guest fds, written as one SCM_RIGHTS message into the app's control
 * buffer; what does not fit is closed and flagged MSG_CTRUNC, as Linux does. */
static long rights_to_app(struct net_msg* m, struct linux_msghdr* h, int flags) {
    struct linux_cmsghdr c = {.level = SOL_SOCKET_, .type = SCM_RIGHTS_};
    int fds[PAL_MSG_MAX_HANDLES];
    size_t n = 0;
    long ret = 0;

    for (size_t i = 0; i < m->pal.nhandles; i++) {
        struct libos_file* file;

        if (ret < 0 || vfs_stream_file_new(m->handles[i], NULL, O_RDWR, &file) < 0) {
            pal_stream_close(m->handles[i]);
            continue;
        }
        ret = fd_install(file, 0, (flags & MSG_CMSG_CLOEXEC_) != 0);
        vfs_file_put(file);
        if (ret >= 0)
            fds[n++] = (int)ret;
    }
    if (ret < 0 && n == 0)
        return ret;
    if (!n) {
        h->controllen = 0;
        return 0;
    }
    c.len = sizeof(c) + n * sizeof(int);
    ret = copy_to_app((void*)h->control, &c, sizeof(c));
    if (ret == 0)
        ret = copy_to_app((uint8_t*)h->control + sizeof(c), fds, n * sizeof(int));
    h->controllen = CMSG_ALIGN8(c.len) <= h->controllen ? CMSG_ALIGN8(c.len) : c.len;
    return ret;
}

/* Receives into the vectors of m (set up by the caller), filling h's name, control and flags. */
static long msg_recv(struct libos_file* f, struct net_msg* mp, struct linux_msghdr* h,
                     bool with_name, int flags) {
    struct net_msg m = *mp;
    size_t room = 0;
    long ret = 0;

    if (with_name && h->name) {
        m.pal.name = m.name;
        m.pal.namelen = sizeof(m.name);
    }
    if (h->control && h->controllen > sizeof(struct linux_cmsghdr))
        room = (h->controllen - sizeof(struct linux_cmsghdr)) / sizeof(int);
    if (room > PAL_MSG_MAX_HANDLES)
        room = PAL_MSG_MAX_HANDLES;
    if (room) {
        m.handles = calloc(room, sizeof(*m.handles));
        if (!m.handles) {
            ret = -ENOMEM;
            goto out;
        }
        m.pal.handles = m.handles;
        m.pal.nhandles = room;
    }
    if (net_may_block(f, flags)) {
        ret = vfs_before_block();
        if (ret < 0)
            goto out;
    }
    ret = pal_socket_recv(f->handle, &m.pal, flags & MSG_TO_HOST);
    if (ret < 0) {
        ret = ret == -EINTR ? -ERESTARTSYS : ret;
        goto out;
    }
    h->flags = m.pal.flags;
    if (room) {
        long r = rights_to_app(&m, h, flags);
        if (r < 0)
            ret = r;
    } else {
        h->controllen = 0;
    }
    if (with_name && h->name && ret >= 0) {
        long r = net_addr_to_app(f, m.name, m.pal.namelen, (void*)h->name, &h->namelen);
        if (r < 0)
            ret = r;
    } else {
        h->namelen = 0;
    }
out:
    net_msg_free(&m);
    return ret;
}

long sys_recvfrom(int fd, void* buf, size_t size, int flags, void* app_addr, uint32_t* app_len) {
    struct linux_msghdr h = {0};
    struct net_msg m = {0};
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    if (app_addr && app_len) {
        ret = copy_from_app(&h.namelen, app_len, sizeof(h.namelen));
        if (ret < 0)
            goto out;
        h.name = (uint64_t)app_addr;
    }
    ret = iov_one(&m, buf, size, PROT_WRITE);
    if (ret < 0) {
        net_msg_free(&m);
        goto out;
    }
    ret = msg_recv(f, &m, &h, app_addr != NULL, flags);
    if (ret >= 0 && app_addr && app_len && copy_to_app(app_len, &h.namelen, 4) < 0)
        ret = -EFAULT;
out:
    vfs_file_put(f);
    return ret;
}

long sys_recvmsg(int fd, struct linux_msghdr* app_msg, int flags) {
    struct linux_msghdr h;
    long ret;
    struct libos_file* f = net_socket_get(fd, &ret);

    if (!f)
        return ret;
    struct net_msg m = {0};

    ret = copy_from_app(&h, app_msg, sizeof(h));
    if (ret == 0)
        ret = iov_from_app(&m, h.iov, h.iovlen, PROT_WRITE);
    if (ret < 0) {
        net_msg_free(&m);
        goto out;
    }
    ret = msg_recv(f, &m, &h, true, flags);
    if (ret >= 0 && copy_to_app(app_msg, &h, sizeof(h)) < 0)
        ret = -EFAULT;
out:
    vfs_file_put(f);
    return ret;
}

/* Known limit: a timeout is refused with -EINVAL (no app seen so far passes one). */
long sys_recvmmsg(int fd, struct linux_mmsghdr* app_vec, unsigned int vlen, int flags,
                  const struct linux_timespec* timeout) {
    unsigned int done = 0;
    long ret = 0;

    if (timeout)
        return -EINVAL;
    if (vlen > MMSG_MAX)
        vlen = MMSG_MAX;
    for (; done < vlen; done++) {
        uint32_t len;

        ret = sys_recvmsg(fd, &app_vec[done].hdr, flags & ~MSG_WAITFORONE_);
        if (ret < 0)
            break;
        len = (uint32_t)ret;
        ret = copy_to_app(&app_vec[done].len, &len, sizeof(len));
        if (ret < 0)
            break;
        if (flags & MSG_WAITFORONE_)
            flags |= MSG_DONTWAIT_;
    }
    return done ? (long)done : ret;
}
