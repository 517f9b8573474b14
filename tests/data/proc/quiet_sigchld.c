/*
 * A child's exit raises SIGCHLD while the parent runs its own code, with no handler, so the
 * signal is ignored. The parent's next calls that could block must then behave as if nothing
 * had happened: a non-blocking accept says EAGAIN, a pipe read returns the data written.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Stays in the program's own code, making no syscall the library OS answers by itself. */
static void spin(double seconds) {
    double end = now() + seconds;
    while (now() < end)
        ;
}

int main(void) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int p[2];

    if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof(addr)) < 0 ||
        listen(listener, 4) < 0 || pipe(p) < 0) {
        perror("setup");
        return 1;
    }
    for (int round = 0; round < 20; round++) {
        pid_t child = fork();
        if (child == 0)
            _exit(round);
        /* Long enough for the child to end and its SIGCHLD to arrive. */
        spin(0.1);

        errno = 0;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        int accept_errno = errno;
        char buf[8] = "";
        if (write(p[1], "ping", 4) != 4)
            perror("write");
        ssize_t n = read(p[0], buf, sizeof(buf));
        int status = 0;
        pid_t reaped = waitpid(child, &status, 0);
        printf("round %d: accept %d (%s), read %zd \"%.*s\", child exit %d%s\n", round, fd,
               strerror(accept_errno), n, (int)(n > 0 ? n : 0), buf, WEXITSTATUS(status),
               reaped == child ? "" : " (not reaped)");
    }
    return 0;
}
