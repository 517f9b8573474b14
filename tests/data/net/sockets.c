/* Socket behaviours, one line of outcome each, so a native run and a Kernite run compare equal:
 * TCP over IPv4/IPv6, UDP, UNIX stream/datagram (path and abstract), socketpair, partial reads
 * and writes, non-blocking connect, refused connect, EPIPE, options, ioctls, iovecs, SCM_RIGHTS
 * within and between processes, sockets inherited over fork, sendfile. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: %s (errno %s)\n", __func__, __LINE__, #cond, strerror(errno));     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static volatile sig_atomic_t g_sigpipes;

static void on_sigpipe(int sig) {
    (void)sig;
    g_sigpipes++;
}

/* A listening TCP socket on the loopback of the family, on a port the kernel picks. */
static int listen_loopback(int family, struct sockaddr_storage* addr, socklen_t* len) {
    int s = socket(family, SOCK_STREAM, 0);
    int one = 1;

    CHECK(s >= 0);
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    memset(addr, 0, sizeof(*addr));
    if (family == AF_INET) {
        struct sockaddr_in* in = (struct sockaddr_in*)addr;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*in);
    } else {
        struct sockaddr_in6* in6 = (struct sockaddr_in6*)addr;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        *len = sizeof(*in6);
    }
    CHECK(bind(s, (struct sockaddr*)addr, *len) == 0);
    CHECK(listen(s, 16) == 0);
    CHECK(getsockname(s, (struct sockaddr*)addr, len) == 0);
    return s;
}

static void tcp_roundtrip(int family, const char* label) {
    struct sockaddr_storage addr, peer, local;
    socklen_t len, plen = sizeof(peer), llen = sizeof(local);
    int l = listen_loopback(family, &addr, &len);
    int c = socket(family, SOCK_STREAM, 0);
    char buf[64];

    CHECK(connect(c, (struct sockaddr*)&addr, len) == 0);
    int a = accept4(l, (struct sockaddr*)&peer, &plen, SOCK_CLOEXEC);
    CHECK(a >= 0);
    CHECK(getsockname(c, (struct sockaddr*)&local, &llen) == 0);
    CHECK(plen == llen && memcmp(&peer, &local, plen) == 0);
    CHECK(fcntl(a, F_GETFD) == FD_CLOEXEC);
    CHECK(send(c, "ping", 4, 0) == 4);
    CHECK(recv(a, buf, sizeof(buf), 0) == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK(write(a, "pong!", 5) == 5);
    CHECK(read(c, buf, sizeof(buf)) == 5 && memcmp(buf, "pong!", 5) == 0);
    CHECK(shutdown(c, SHUT_WR) == 0);
    CHECK(recv(a, buf, sizeof(buf), 0) == 0);
    printf("%s: connect, accept, names, send/recv, shutdown ok\n", label);
    close(a);
    close(c);
    close(l);
}

/* 1 MiB through a socket written with large writes and read in small, uneven pieces. */
static void tcp_partial_transfers(void) {
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_loopback(AF_INET, &addr, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    size_t total = 1 << 20, got = 0, sum_in = 0, sum_out = 0;
    char* data = malloc(total);

    CHECK(connect(c, (struct sockaddr*)&addr, len) == 0);
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0);
    for (size_t i = 0; i < total; i++) {
        data[i] = (char)(i * 7 + 3);
        sum_in += (unsigned char)data[i];
    }
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        size_t off = 0;
        while (off < total) {
            ssize_t n = write(c, data + off, total - off);
            if (n <= 0)
                _exit(2);
            off += (size_t)n;
        }
        _exit(0);
    }
    close(c);
    while (got < total) {
        char buf[777];
        ssize_t n = read(a, buf, sizeof(buf));
        CHECK(n > 0);
        for (ssize_t i = 0; i < n; i++)
            sum_out += (unsigned char)buf[i];
        got += (size_t)n;
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(sum_in == sum_out);
    printf("tcp: 1 MiB in partial reads and writes from a forked child ok\n");
    free(data);
    close(a);
    close(l);
}

static void tcp_nonblocking_connect(void) {
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_loopback(AF_INET, &addr, &len);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct pollfd p = {.fd = c, .events = POLLOUT};
    int err = -1;
    socklen_t elen = sizeof(err);
    char buf[4];

    int r = connect(c, (struct sockaddr*)&addr, len);
    CHECK(r == 0 || errno == EINPROGRESS);
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0);
    int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    CHECK(a >= 0);
    CHECK(recv(a, buf, sizeof(buf), 0) == -1 && errno == EAGAIN);
    CHECK(read(a, buf, sizeof(buf)) == -1 && errno == EAGAIN);
    printf("tcp: non-blocking connect completes, SO_ERROR 0, EAGAIN on empty reads\n");
    close(a);
    close(c);
    close(l);
}

static void tcp_connect_refused(void) {
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_loopback(AF_INET, &addr, &len);
    int err = 0;
    socklen_t elen = sizeof(err);

    close(l); /* nothing listens on that port any more */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr*)&addr, len) == -1 && errno == ECONNREFUSED);
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr*)&addr, len);
    CHECK(r == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED));
    if (errno == EINPROGRESS) {
        struct pollfd p = {.fd = c, .events = POLLOUT};
        CHECK(poll(&p, 1, 5000) == 1);
        CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == ECONNREFUSED);
    }
    printf("tcp: refused connect: ECONNREFUSED blocking and non-blocking\n");
    close(c);
}

static void tcp_epipe(void) {
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_loopback(AF_INET, &addr, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    char buf[4096] = {0};
    int r = 0;

    CHECK(connect(c, (struct sockaddr*)&addr, len) == 0);
    int a = accept(l, NULL, NULL);
    close(a);
    signal(SIGPIPE, on_sigpipe);
    /* The first write after the peer closed draws a reset; a later one reports EPIPE. */
    for (int i = 0; i < 100 && r >= 0; i++) {
        r = (int)send(c, buf, sizeof(buf), MSG_NOSIGNAL);
        if (r < 0)
            break;
        usleep(1000);
    }
    CHECK(r == -1 && (errno == EPIPE || errno == ECONNRESET));
    CHECK(g_sigpipes == 0);
    CHECK(write(c, buf, sizeof(buf)) == -1 && errno == EPIPE);
    CHECK(g_sigpipes == 1);
    signal(SIGPIPE, SIG_DFL);
    printf("tcp: EPIPE on a closed peer, SIGPIPE only without MSG_NOSIGNAL\n");
    close(c);
    close(l);
}

static void udp_datagrams(int family, const char* label) {
    struct sockaddr_storage addr, from;
    socklen_t len, flen = sizeof(from);
    int s = socket(family, SOCK_DGRAM, 0);
    int c = socket(family, SOCK_DGRAM, 0);
    char buf[16];

    memset(&addr, 0, sizeof(addr));
    if (family == AF_INET) {
        ((struct sockaddr_in*)&addr)->sin_family = AF_INET;
        ((struct sockaddr_in*)&addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(struct sockaddr_in);
    } else {
        ((struct sockaddr_in6*)&addr)->sin6_family = AF_INET6;
        ((struct sockaddr_in6*)&addr)->sin6_addr = in6addr_loopback;
        len = sizeof(struct sockaddr_in6);
    }
    CHECK(bind(s, (struct sockaddr*)&addr, len) == 0);
    CHECK(getsockname(s, (struct sockaddr*)&addr, &len) == 0);
    CHECK(sendto(c, "datagram-one", 12, 0, (struct sockaddr*)&addr, len) == 12);
    CHECK(recv(s, buf, 4, MSG_PEEK) == 4 && memcmp(buf, "data", 4) == 0);
    CHECK(recv(s, buf, 4, MSG_TRUNC) == 12);
    CHECK(sendto(c, "two", 3, 0, (struct sockaddr*)&addr, len) == 3);
    CHECK(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr*)&from, &flen) == 3);
    CHECK(flen == len);
    CHECK(recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL) == -1 && errno == EAGAIN);
    printf("%s: sendto, MSG_PEEK, MSG_TRUNC, recvfrom, MSG_DONTWAIT ok\n", label);
    close(s);
    close(c);
}

static void unix_stream(const char* path, bool abstract) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX}, got;
    socklen_t len, glen = sizeof(got);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    char buf[8];

    if (abstract) {
        addr.sun_path[0] = '\0';
        strcpy(addr.sun_path + 1, path);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path));
    } else {
        unlink(path);
        strcpy(addr.sun_path, path);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
    }
    CHECK(bind(l, (struct sockaddr*)&addr, len) == 0);
    CHECK(listen(l, 4) == 0);
    CHECK(getsockname(l, (struct sockaddr*)&got, &glen) == 0);
    CHECK(glen == len && memcmp(&got, &addr, len) == 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr*)&addr, len) == 0);
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0);
    glen = sizeof(got);
    CHECK(getpeername(c, (struct sockaddr*)&got, &glen) == 0);
    CHECK(glen == len && memcmp(&got, &addr, len) == 0);
    CHECK(write(c, "unix", 4) == 4 && read(a, buf, sizeof(buf)) == 4);
    if (!abstract) {
        struct stat st;
        CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
        CHECK(unlink(path) == 0);
    }
    printf("unix stream (%s): bind, names, connect, accept, data ok\n",
           abstract ? "abstract" : "path");
    close(a);
    close(c);
    close(l);
}

static void unix_datagram_and_pair(void) {
    int sv[2];
    char buf[16];
    struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
    char r1[3], r2[10];
    struct iovec riov[2] = {{r1, sizeof(r1)}, {r2, sizeof(r2)}};
    struct msghdr rmsg = {.msg_iov = riov, .msg_iovlen = 2};

    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "second", 6, 0) == 6);
    CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3 && recv(sv[1], buf, sizeof(buf), 0) == 6);
    CHECK(sendmsg(sv[1], &msg, 0) == 6);
    CHECK(recvmsg(sv[0], &rmsg, 0) == 6);
    CHECK(memcmp(r1, "abc", 3) == 0 && memcmp(r2, "def", 3) == 0);
    close(sv[0]);
    close(sv[1]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    CHECK(read(sv[0], buf, 1) == -1 && errno == EAGAIN);
    printf("unix datagram socketpair, sendmsg/recvmsg iovecs, non-blocking pair ok\n");
    close(sv[0]);
    close(sv[1]);
}

static void options_and_ioctls(void) {
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    int v, one = 1;
    socklen_t vl = sizeof(v);
    struct linger lg = {1, 5}, lg2;
    socklen_t ll = sizeof(lg2);
    int sv[2];

    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &vl) == 0 && v == 1);
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0);
    CHECK(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
    vl = sizeof(v);
    CHECK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);
    CHECK(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0);
    vl = sizeof(v);
    CHECK(getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl) == 0 && v == 1);
    v = 65536;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0);
    CHECK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0);
    vl = sizeof(v);
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v >= 65536);
    CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &ll) == 0 && lg2.l_onoff && lg2.l_linger == 5);
    vl = sizeof(v);
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM);
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 1) == -1 && errno == EINVAL);
    close(s);

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(ioctl(sv[0], FIONBIO, &one) == 0 && (fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    CHECK(write(sv[1], "12345", 5) == 5);
    CHECK(ioctl(sv[0], FIONREAD, &v) == 0 && v == 5);
    /* nginx sets these on its channels to the workers; no SIGIO is wanted here. */
    signal(SIGIO, SIG_IGN);
    CHECK(fcntl(sv[0], F_SETOWN, getpid()) == 0);
    CHECK(ioctl(sv[0], FIOASYNC, &one) == 0 && (fcntl(sv[0], F_GETFL) & O_ASYNC));
    v = 0;
    CHECK(ioctl(sv[0], FIOASYNC, &v) == 0 && !(fcntl(sv[0], F_GETFL) & O_ASYNC));
    signal(SIGIO, SIG_DFL);
    printf("options: SO_REUSEADDR/REUSEPORT/KEEPALIVE/RCVBUF/SNDBUF/LINGER/TYPE, TCP_NODELAY, "
           "IPV6_V6ONLY; FIONBIO, FIONREAD, FIOASYNC, F_SETOWN ok\n");
    close(sv[0]);
    close(sv[1]);
    CHECK(socket(AF_INET, SOCK_STREAM, 0) >= 0);
    CHECK(send(1, "x", 1, 0) == -1 && errno == ENOTSOCK);
}

static int send_fd(int sock, int fd) {
    char c = 'F';
    struct iovec iov = {&c, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return (int)sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock) {
    char c;
    struct iovec iov = {&c, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    int fd = -1;

    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

static void scm_rights(void) {
    int sv[2], p[2];
    char buf[16];

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    CHECK(send_fd(sv[0], p[1]) == 1);
    int w = recv_fd(sv[1]);
    CHECK(w >= 0 && w != p[1]);
    CHECK(fcntl(w, F_GETFD) == FD_CLOEXEC);
    CHECK(write(w, "via-fd", 6) == 6 && read(p[0], buf, sizeof(buf)) == 6);
    close(w);

    /* Between processes: the child opens a socket pair end and hands it over. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int inner[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, inner) != 0 || send_fd(sv[1], inner[0]) != 1)
            _exit(2);
        close(inner[0]);
        if (write(inner[1], "from-child", 10) != 10)
            _exit(3);
        _exit(0);
    }
    int got = recv_fd(sv[0]);
    CHECK(got >= 0);
    CHECK(read(got, buf, 10) == 10 && memcmp(buf, "from-child", 10) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("SCM_RIGHTS: a pipe end within a process, a socket from a child process ok\n");
    close(got);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

static void inherited_over_fork(void) {
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_loopback(AF_INET, &addr, &len);
    char buf[16];

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int a = accept(l, NULL, NULL); /* the listener came with the fork */
        if (a < 0 || write(a, "child-accepted", 14) != 14)
            _exit(2);
        _exit(0);
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr*)&addr, len) == 0);
    CHECK(recv(c, buf, 14, MSG_WAITALL) == 14 && memcmp(buf, "child-accepted", 14) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("fork: a child accepts on the inherited listener ok\n");
    close(c);
    close(l);
}

static void sendfile_to_socket(void) {
    int sv[2];
    char path[] = "sendfile-src.txt";
    char buf[64];
    off_t off = 2;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(sendfile(sv[0], fd, &off, 5) == 5 && off == 7);
    CHECK(read(sv[1], buf, sizeof(buf)) == 5 && memcmp(buf, "23456", 5) == 0);
    printf("sendfile: file to socket with an offset ok\n");
    close(fd);
    unlink(path);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp_roundtrip(AF_INET, "tcp4");
    tcp_roundtrip(AF_INET6, "tcp6");
    tcp_partial_transfers();
    tcp_nonblocking_connect();
    tcp_connect_refused();
    tcp_epipe();
    udp_datagrams(AF_INET, "udp4");
    udp_datagrams(AF_INET6, "udp6");
    unix_stream("unix-stream.sock", false);
    /* Abstract names are shared by every process of the host's network namespace. */
    unsigned int tag = 0;
    char abstract_name[64];
    CHECK(getrandom(&tag, sizeof(tag), 0) == sizeof(tag));
    snprintf(abstract_name, sizeof(abstract_name), "kernite-test-%08x", tag);
    unix_stream(abstract_name, true);
    unix_datagram_and_pair();
    options_and_ioctls();
    scm_rights();
    inherited_over_fork();
    sendfile_to_socket();
    printf("done\n");
    return 0;
}
