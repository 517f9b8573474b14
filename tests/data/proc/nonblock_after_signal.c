/* Non-blocking calls made right after a signal handler ran, the signal sent by another thread
 * while this one was in its own code: each must answer at once, as it would without the
 * signal (EAGAIN, or nothing ready), and never fail with EINTR or wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_int g_handled;
static atomic_int g_spinning;
static pthread_t g_main;

static void on_usr1(int sig) {
    (void)sig;
    atomic_fetch_add(&g_handled, 1);
}

static void* sender(void* arg) {
    (void)arg;
    while (!atomic_load(&g_spinning))
        ;
    pthread_kill(g_main, SIGUSR1);
    return NULL;
}

/* Takes one SIGUSR1 from another thread while running app code, not in a syscall. */
static void signal_while_spinning(void) {
    pthread_t t;
    int before = atomic_load(&g_handled);

    atomic_store(&g_spinning, 0);
    pthread_create(&t, NULL, sender, NULL);
    atomic_store(&g_spinning, 1);
    while (atomic_load(&g_handled) == before)
        ;
    pthread_join(t, NULL);
}

static const char* outcome(long ret) {
    static char buf[64];
    if (ret >= 0)
        snprintf(buf, sizeof(buf), "%ld", ret);
    else
        snprintf(buf, sizeof(buf), "%s", strerrorname_np(errno));
    return buf;
}

int main(void) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    int pfd[2], sv[2], ep;
    char c;
    struct epoll_event ev = {.events = EPOLLIN};

    setvbuf(stdout, NULL, _IONBF, 0);
    g_main = pthread_self();
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) || pipe2(pfd, O_NONBLOCK) ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) || (ep = epoll_create1(0)) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev)) {
        perror("setup");
        return 1;
    }

    signal_while_spinning();
    printf("pipe read: %s\n", outcome(read(pfd[0], &c, 1)));
    signal_while_spinning();
    printf("socket recv: %s\n", outcome(recv(sv[0], &c, 1, 0)));
    signal_while_spinning();
    printf("socket send: %s\n", outcome(send(sv[1], "x", 1, 0)));
    signal_while_spinning();
    printf("epoll_wait, no wait: %s\n", outcome(epoll_wait(ep, &ev, 1, 0)));
    signal_while_spinning();
    printf("pipe write: %s\n", outcome(write(pfd[1], "y", 1)));
    printf("pipe read after write: %s\n", outcome(read(pfd[0], &c, 1)));
    printf("handlers run: %d\n", atomic_load(&g_handled));
    return 0;
}
