/* Event polling behaviours, one line of outcome each: epoll level and edge triggering, ONESHOT,
 * EXCLUSIVE, epoll over pipes, sockets, eventfds, timerfds and signalfds, nested epoll, poll and
 * select over the same, eventfd counter and semaphore modes, timerfd expiry and gettime,
 * signalfd reads, and blocking waits that a signal or another thread ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: %s (errno %s)\n", __func__, __LINE__, #cond, strerror(errno));     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static int wait_count(int ep, int timeout_ms, struct epoll_event* ev) {
    return epoll_wait(ep, ev, 8, timeout_ms);
}

static void epoll_level_and_edge(void) {
    int sv[2], ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 0x1122334455667788ULL};
    struct epoll_event out[8];
    char buf[16];

    CHECK(ep >= 0 && fcntl(ep, F_GETFD) == FD_CLOEXEC);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == -1 && errno == EEXIST);
    CHECK(wait_count(ep, 0, out) == 0);
    CHECK(write(sv[1], "0123456789", 10) == 10);
    CHECK(wait_count(ep, 1000, out) == 1 && out[0].data.u64 == 0x1122334455667788ULL &&
          (out[0].events & EPOLLIN));
    /* Edge-triggered: no new data, no new event, even with data left unread. */
    CHECK(wait_count(ep, 0, out) == 0);
    CHECK(read(sv[0], buf, 5) == 5);
    CHECK(wait_count(ep, 0, out) == 0);
    CHECK(write(sv[1], "x", 1) == 1);
    CHECK(wait_count(ep, 1000, out) == 1);
    printf("epoll ET: one event per arrival, none for data left unread\n");

    ev.events = EPOLLIN;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev) == 0);
    CHECK(wait_count(ep, 0, out) == 1 && wait_count(ep, 0, out) == 1);
    CHECK(read(sv[0], buf, sizeof(buf)) == 6);
    CHECK(wait_count(ep, 0, out) == 0);
    printf("epoll LT: reported while data is left, not after draining\n");

    ev.events = EPOLLIN | EPOLLONESHOT;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev) == 0);
    CHECK(write(sv[1], "ab", 2) == 2);
    CHECK(wait_count(ep, 1000, out) == 1 && wait_count(ep, 0, out) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev) == 0);
    CHECK(wait_count(ep, 0, out) == 1);
    printf("epoll ONESHOT: one event until re-armed with MOD\n");

    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL) == -1 && errno == ENOENT);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == 0);
    CHECK(wait_count(ep, 0, out) == 1);
    ev.events = EPOLLOUT;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0);
    CHECK(wait_count(ep, 0, out) == 2);
    close(sv[1]);
    CHECK(wait_count(ep, 0, out) == 1 && (out[0].events & (EPOLLIN | EPOLLHUP)));
    printf("epoll EXCLUSIVE accepted, EPOLLOUT, hangup, DEL ok\n");

    int fd = open("events-regular.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1 && errno == EPERM);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL);
    CHECK(epoll_ctl(fd, EPOLL_CTL_ADD, sv[0], &ev) == -1 && errno == EINVAL);
    CHECK(epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL);
    close(fd);
    unlink("events-regular.txt");
    printf("epoll refuses regular files (EPERM), itself and non-epoll fds (EINVAL)\n");
    close(sv[0]);
    close(ep);
}

static void eventfd_modes(void) {
    int e = eventfd(3, EFD_NONBLOCK);
    uint64_t v;

    CHECK(e >= 0);
    CHECK(write(e, &(uint64_t){4}, 8) == 8);
    CHECK(read(e, &v, 8) == 8 && v == 7);
    CHECK(read(e, &v, 8) == -1 && errno == EAGAIN);
    CHECK(read(e, &v, 4) == -1 && errno == EINVAL);
    close(e);
    e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(read(e, &v, 8) == 8 && v == 1 && read(e, &v, 8) == 8 && v == 1);
    CHECK(read(e, &v, 8) == -1 && errno == EAGAIN);
    close(e);
    printf("eventfd: counter, semaphore mode, EAGAIN, short read EINVAL\n");
}

static int g_efd;

static void* eventfd_poster(void* arg) {
    (void)arg;
    usleep(50000);
    uint64_t one = 1;
    if (write(g_efd, &one, 8) != 8)
        abort();
    return NULL;
}

/* A thread blocked in epoll_wait is woken by another thread's eventfd write, without a timeout. */
static void epoll_woken_by_thread(void) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = 7}, out[8];
    pthread_t t;
    uint64_t v;

    g_efd = eventfd(0, 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, g_efd, &ev) == 0);
    CHECK(pthread_create(&t, NULL, eventfd_poster, NULL) == 0);
    CHECK(epoll_wait(ep, out, 8, -1) == 1 && out[0].data.fd == 7);
    CHECK(read(g_efd, &v, 8) == 8 && v == 1);
    pthread_join(t, NULL);
    printf("epoll_wait without timeout wakes on another thread's eventfd write\n");
    close(g_efd);
    close(ep);
}

static void timerfd_expiry(void) {
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {.it_value = {0, 30 * 1000 * 1000}, .it_interval = {0, 0}}, cur;
    uint64_t n;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out[8];

    CHECK(t >= 0);
    CHECK(timerfd_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    CHECK(timerfd_settime(t, 0, &its, NULL) == 0);
    CHECK(timerfd_gettime(t, &cur) == 0 && cur.it_value.tv_nsec > 0);
    CHECK(read(t, &n, 8) == 8 && n == 1);
    its.it_value.tv_nsec = 20 * 1000 * 1000;
    its.it_interval.tv_nsec = 20 * 1000 * 1000;
    CHECK(timerfd_settime(t, 0, &its, NULL) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev) == 0);
    CHECK(epoll_wait(ep, out, 8, 2000) == 1);
    CHECK(read(t, &n, 8) == 8 && n >= 1);
    its = (struct itimerspec){0};
    CHECK(timerfd_settime(t, 0, &its, &cur) == 0 && cur.it_interval.tv_nsec == 20 * 1000 * 1000);
    CHECK(timerfd_settime(0, 0, &its, NULL) == -1 && errno == EINVAL);
    CHECK(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) == -1 && errno == EINVAL);
    printf("timerfd: one-shot read, periodic timer in epoll, gettime, disarm, EINVAL\n");
    close(t);
    close(ep);
}

static void signalfd_reads(void) {
    sigset_t mask;
    struct signalfd_siginfo si;
    struct pollfd p;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42}, out[8];

    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &mask, NULL) == 0);
    int s = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(s >= 0);
    CHECK(read(s, &si, sizeof(si)) == -1 && errno == EAGAIN);
    CHECK(read(s, &si, 10) == -1 && errno == EINVAL);
    p = (struct pollfd){.fd = s, .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 0);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
    CHECK(read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1);
    CHECK(si.ssi_code == SI_USER);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
    CHECK(epoll_wait(ep, out, 8, 0) == 0);
    CHECK(raise(SIGUSR2) == 0);
    CHECK(epoll_wait(ep, out, 8, 1000) == 1 && out[0].data.u32 == 42);
    CHECK(read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2);
    CHECK(epoll_wait(ep, out, 8, 0) == 0);
    printf("signalfd: EAGAIN, poll and epoll readiness, siginfo of kill and raise\n");
    close(s);
    CHECK(epoll_wait(ep, out, 8, 0) == 0);
    close(ep);
    CHECK(sigprocmask(SIG_UNBLOCK, &mask, NULL) == 0);
}

static void* delayed_kill(void* arg) {
    (void)arg;
    usleep(50000);
    kill(getpid(), SIGUSR1);
    return NULL;
}

static void signalfd_blocking_read_woken(void) {
    sigset_t mask;
    struct signalfd_siginfo si;
    pthread_t t;

    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &mask, NULL) == 0);
    int s = signalfd(-1, &mask, 0);
    CHECK(pthread_create(&t, NULL, delayed_kill, NULL) == 0);
    CHECK(read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1);
    pthread_join(t, NULL);
    printf("signalfd: a blocking read wakes when the signal arrives\n");
    close(s);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &mask, NULL) == 0);
}

static volatile sig_atomic_t g_alarms;

static void on_alarm(int sig) {
    (void)sig;
    g_alarms++;
}

static void waits_interrupted_by_a_handler(void) {
    int p[2];
    struct epoll_event ev = {.events = EPOLLIN}, out[8];
    struct sigaction sa = {.sa_handler = on_alarm};
    int ep = epoll_create1(0);

    CHECK(pipe(p) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    sigaction(SIGALRM, &sa, NULL);
    ualarm(50000, 0);
    CHECK(epoll_wait(ep, out, 8, 5000) == -1 && errno == EINTR && g_alarms == 1);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    ualarm(50000, 0);
    CHECK(poll(&pf, 1, 5000) == -1 && errno == EINTR && g_alarms == 2);
    printf("epoll_wait and poll end with EINTR when a handler runs\n");
    close(p[0]);
    close(p[1]);
    close(ep);
}

static void nested_and_select(void) {
    int outer = epoll_create1(0), inner = epoll_create1(0);
    int p[2];
    struct epoll_event ev = {.events = EPOLLIN}, out[8];
    fd_set rd;
    struct timeval tv = {1, 0};

    CHECK(pipe(p) == 0);
    CHECK(epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &ev) == 0);
    ev.data.fd = inner;
    CHECK(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev) == 0);
    CHECK(epoll_wait(outer, out, 8, 0) == 0);
    CHECK(write(p[1], "z", 1) == 1);
    CHECK(epoll_wait(outer, out, 8, 1000) == 1 && out[0].data.fd == inner);
    FD_ZERO(&rd);
    FD_SET(inner, &rd);
    FD_SET(p[0], &rd);
    CHECK(select(inner > p[0] ? inner + 1 : p[0] + 1, &rd, NULL, NULL, &tv) == 2);
    struct pollfd pf = {.fd = inner, .events = POLLIN};
    CHECK(poll(&pf, 1, 0) == 1);
    printf("nested epoll, select and poll over an epoll fd and a pipe\n");
    close(p[0]);
    close(p[1]);
    close(inner);
    close(outer);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    epoll_level_and_edge();
    eventfd_modes();
    epoll_woken_by_thread();
    timerfd_expiry();
    signalfd_reads();
    signalfd_blocking_read_woken();
    waits_interrupted_by_a_handler();
    nested_and_select();
    printf("done\n");
    return 0;
}
