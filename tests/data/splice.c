/* splice(2) between pipes, sockets and files, one line of outcome each, so a native run and a
 * Kernite run compare equal: bytes moved, offsets, what stays in the pipe, and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char g_out[256];
static volatile sig_atomic_t g_sigpipes;

static void on_sigpipe(int sig) {
    (void)sig;
    g_sigpipes++;
}

static const char* outcome(long ret) {
    if (ret >= 0)
        snprintf(g_out, sizeof(g_out), "%ld", ret);
    else
        snprintf(g_out, sizeof(g_out), "%s", strerrorname_np(errno));
    return g_out;
}

static void must(int ok, const char* what) {
    if (!ok) {
        printf("FAIL setup: %s: %s\n", what, strerror(errno));
        exit(1);
    }
}

static long drain(int fd, char* buf, size_t size) {
    long n = read(fd, buf, size);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

int main(void) {
    char buf[200000];
    int p[2], q[2], sv[2], fd;
    loff_t off;
    long n;

    setvbuf(stdout, NULL, _IONBF, 0);
    must(pipe(p) == 0 && pipe2(q, O_NONBLOCK) == 0, "pipes");
    must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    fd = open("splice-data.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    must(fd >= 0 && write(fd, "0123456789abcdefghij", 20) == 20, "file");

    /* A file into a pipe: at its offset, which is updated and leaves the position alone. */
    off = 3;
    n = splice(fd, &off, p[1], NULL, 5, 0);
    printf("file@3 to pipe: %s, offset now %lld, position %lld\n", outcome(n), (long long)off,
           (long long)lseek(fd, 0, SEEK_CUR));
    printf("  pipe holds \"%s\"\n", drain(p[0], buf, sizeof(buf)) >= 0 ? buf : "?");

    /* At the file's position, which moves; more asked than the file holds. */
    lseek(fd, 15, SEEK_SET);
    n = splice(fd, NULL, p[1], NULL, 100, 0);
    printf("file position 15 to pipe, 100 asked: %s, position %lld\n", outcome(n),
           (long long)lseek(fd, 0, SEEK_CUR));
    printf("  pipe holds \"%s\"\n", drain(p[0], buf, sizeof(buf)) >= 0 ? buf : "?");

    /* A pipe into a file at an offset: only what the pipe holds. */
    must(write(p[1], "XYZ", 3) == 3, "write pipe");
    off = 10;
    n = splice(p[0], NULL, fd, &off, 1000, 0);
    printf("pipe to file@10, 1000 asked: %s, offset now %lld\n", outcome(n), (long long)off);
    must(pread(fd, buf, 20, 0) == 20, "pread");
    buf[20] = '\0';
    printf("  file is \"%s\"\n", buf);

    /* A large file into a pipe: no more than the pipe has room for, nothing lost. */
    memset(buf, 'L', sizeof(buf));
    must(pwrite(fd, buf, sizeof(buf), 0) == (long)sizeof(buf), "large file");
    off = 0;
    n = splice(fd, &off, q[1], NULL, sizeof(buf), 0);
    printf("200000-byte file into an empty pipe: %s, offset %lld\n", outcome(n), (long long)off);
    long moved = n;
    n = splice(fd, &off, q[1], NULL, sizeof(buf), SPLICE_F_NONBLOCK);
    printf("  into the full pipe: %s\n", outcome(n));
    long got = 0, r;
    while ((r = read(q[0], buf, sizeof(buf))) > 0)
        got += r;
    printf("  read back %ld of %ld\n", got, moved);

    /* An empty pipe with SPLICE_F_NONBLOCK, and with an empty non-blocking pipe. */
    printf("empty pipe to file, SPLICE_F_NONBLOCK: %s\n",
           outcome(splice(p[0], NULL, fd, NULL, 10, SPLICE_F_NONBLOCK)));
    printf("empty non-blocking pipe to file: %s\n", outcome(splice(q[0], NULL, fd, NULL, 10, 0)));

    /* Pipe to socket and socket to pipe, as Go's io.Copy between two TCP connections does. */
    must(write(p[1], "through a socket", 16) == 16, "write pipe");
    n = splice(p[0], NULL, sv[0], NULL, 100, 0);
    printf("pipe to socket: %s\n", outcome(n));
    n = splice(sv[1], NULL, q[1], NULL, 100, SPLICE_F_NONBLOCK);
    printf("socket to pipe: %s\n", outcome(n));
    printf("  pipe holds \"%s\"\n", drain(q[0], buf, sizeof(buf)) >= 0 ? buf : "?");
    printf("empty socket to pipe, SPLICE_F_NONBLOCK: %s\n",
           outcome(splice(sv[1], NULL, q[1], NULL, 100, SPLICE_F_NONBLOCK | SPLICE_F_MORE)));

    /* Pipe to pipe. */
    must(write(p[1], "pipe2pipe", 9) == 9, "write pipe");
    printf("pipe to pipe: %s\n", outcome(splice(p[0], NULL, q[1], NULL, 4, 0)));
    printf("  rest %s, moved \"%s\"\n", outcome(drain(p[0], buf, sizeof(buf))),
           drain(q[0], buf + 100, 100) >= 0 ? buf + 100 : "?");

    /* Errors. */
    off = 0;
    printf("offset on the pipe side: %s\n", outcome(splice(fd, NULL, p[1], &off, 1, 0)));
    printf("no pipe at all: %s\n", outcome(splice(fd, NULL, sv[0], NULL, 1, 0)));
    printf("closed fd: %s\n", outcome(splice(99, NULL, p[1], NULL, 1, 0)));
    printf("write end as input: %s\n", outcome(splice(p[1], NULL, fd, NULL, 1, 0)));
    printf("unknown flag: %s\n", outcome(splice(fd, NULL, p[1], NULL, 1, 0x100)));
    int app = open("splice-data.txt", O_WRONLY | O_APPEND);
    must(write(p[1], "a", 1) == 1, "write pipe");
    printf("pipe to an O_APPEND file: %s\n", outcome(splice(p[0], NULL, app, NULL, 1, 0)));
    printf("zero bytes: %s\n", outcome(splice(fd, NULL, p[1], NULL, 0, 0)));

    /* No reader: EPIPE, and SIGPIPE. */
    signal(SIGPIPE, on_sigpipe);
    close(p[0]);
    n = splice(fd, &off, p[1], NULL, 1, 0);
    printf("pipe without a reader: %s, SIGPIPEs %d\n", outcome(n), (int)g_sigpipes);

    unlink("splice-data.txt");
    printf("done\n");
    return 0;
}
