/* Sockets of the library OS: guest files over PAL socket handles, shared by libos/net/. */
#ifndef KERNITE_NET_H
#define KERNITE_NET_H

#include "vfs.h"

/* Linux socket ABI values the kernel UAPI headers do not export to user space. */
#define AF_UNSPEC_   0
#define AF_UNIX_     1
#define AF_INET_     2
#define AF_INET6_    10
#define AF_NETLINK_  16

#define SOCK_STREAM_    1
#define SOCK_DGRAM_     2
#define SOCK_RAW_       3
#define SOCK_SEQPACKET_ 5
#define SOCK_TYPE_MASK_ 0xf
#define SOCK_NONBLOCK_  O_NONBLOCK
#define SOCK_CLOEXEC_   O_CLOEXEC

#define MSG_OOB_          0x1
#define MSG_PEEK_         0x2
#define MSG_CTRUNC_       0x8
#define MSG_TRUNC_        0x20
#define MSG_DONTWAIT_     0x40
#define MSG_EOR_          0x80
#define MSG_WAITALL_      0x100
#define MSG_NOSIGNAL_     0x4000
#define MSG_MORE_         0x8000
#define MSG_WAITFORONE_   0x10000
#define MSG_CMSG_CLOEXEC_ 0x40000000

#define SOL_SOCKET_  1
#define SCM_RIGHTS_  1
#define SO_TYPE_     3
#define SO_DOMAIN_   39
#define SO_PROTOCOL_ 38

#define SOCKADDR_MAX_ 128
#define UNIX_PATH_MAX_ 108

struct linux_sockaddr_un {
    uint16_t family;
    char path[UNIX_PATH_MAX_];
};

struct linux_msghdr {
    uint64_t name;
    uint32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    int32_t pad2;
};

struct linux_cmsghdr {
    uint64_t len;
    int32_t level;
    int32_t type;
};

/* What the library OS keeps of a socket; everything else is the host's. */
struct net_socket {
    int domain, type, protocol;
    /* UNIX sockets: the names as the app gave them to bind and connect, which getsockname and
     * getpeername report (the host knows only host paths). */
    struct linux_sockaddr_un bound;
    size_t bound_len;
    struct linux_sockaddr_un peer;
    size_t peer_len;
};

extern const struct vfs_file_ops net_socket_ops;

/* A guest file over a socket handle; takes the handle. domain < 0 asks the host what it is
 * (a socket inherited over fork or received with SCM_RIGHTS). */
int net_socket_file_new(pal_handle_t* h, int domain, int type, int protocol, int flags,
                        struct libos_file** out);
/* The socket of fd with a new reference, or NULL with *err set (-EBADF, -ENOTSOCK). */
struct libos_file* net_socket_get(int fd, long* err);
static inline struct net_socket* net_socket_of(struct libos_file* f) {
    return f->data;
}
/* Blocking calls are guarded by the PAL's interrupt protocol unless the socket or the call is
 * non-blocking; an interrupted one is restarted by the dispatcher as Linux would. */
bool net_may_block(struct libos_file* f, int msg_flags);

/* Guest socket address (app memory) to the host form: UNIX paths become host paths of the
 * chroot mount they lie in. creating: for bind (the last component need not exist). */
long net_addr_from_app(struct libos_file* f, const void* app_addr, uint32_t len, bool creating,
                       uint8_t* host, size_t* host_len);
/* Host address to the app: UNIX host paths become the guest paths the app knows. Writes at
 * most *app_len bytes and then the full length, as Linux does. */
long net_addr_to_app(struct libos_file* f, const uint8_t* host, size_t host_len, void* app_addr,
                     uint32_t* app_len);

/* Manifest policy: may a socket with this local name accept connections or datagrams? */
int net_policy_check_listen(const uint8_t* host_addr, size_t len);

#endif
