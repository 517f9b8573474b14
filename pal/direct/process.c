/* Host processes of the direct PAL: starting a child Kernite process, passing handles, wait. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/socket.h>
#include <linux/wait.h>

#include "pal_direct.h"
#include "rt.h"

#define HOST_AF_UNIX        1
#define HOST_SOCK_STREAM    1
#define HOST_SOCK_SEQPACKET 5
#define HOST_SOCK_CLOEXEC   02000000
#define HOST_SOL_SOCKET     1
#define HOST_SCM_RIGHTS     1
#define HOST_MSG_CMSG_CLOEXEC 0x40000000
#define HOST_SIGCHLD        17
#define HOST_SIGKILL        9
#define HOST_SIGSTOP        19
#define HOST_SIGCONT        18
#define HOST_SI_QUEUE       (-1)
#define HOST_PR_SET_CHILD_SUBREAPER 36

/* Most handles one send_handles call carries (the kernel allows 253 per message). */
#define HANDLES_PER_MESSAGE 64

char** g_host_envp;

/* Set in a process started by pal_process_create; the first Kernite process has it clear. */
static bool g_started_as_child;
static bool g_reaper_set;

struct host_iovec {
    void* base;
    size_t len;
};

struct host_msghdr {
    void* name;
    int namelen;
    struct host_iovec* iov;
    size_t iovlen;
    void* control;
    size_t controllen;
    int flags;
};

struct host_cmsghdr {
    size_t len;
    int level;
    int type;
};

/* What travels with each descriptor, so the receiver rebuilds the same handle. */
struct handle_desc {
    int32_t kind;
    int32_t flags;
};

struct handle_control {
    struct host_cmsghdr hdr;
    int fds[HANDLES_PER_MESSAGE];
};

static int self_exe_path(char* buf, size_t size) {
    long n = HOST_SYSCALL4(__NR_readlinkat, AT_FDCWD, "/proc/self/exe", buf, size - 1);
    if (n < 0)
        return (int)n;
    if ((size_t)n >= size - 1)
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return 0;
}

static void format_int(char* buf, int value) {
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (n)
        *buf++ = tmp[--n];
    *buf = '\0';
}

int pal_channel_pair(bool packets, pal_handle_t* out[2]) {
    int fds[2];
    int type = (packets ? HOST_SOCK_SEQPACKET : HOST_SOCK_STREAM) | HOST_SOCK_CLOEXEC;
    long ret = HOST_SYSCALL4(__NR_socketpair, HOST_AF_UNIX, type, 0, fds);

    if (ret < 0)
        return (int)ret;
    if (pal_handle_new(PAL_HANDLE_PROCESS, fds[0], O_RDWR, &out[0]) < 0) {
        HOST_SYSCALL1(__NR_close, fds[0]);
        HOST_SYSCALL1(__NR_close, fds[1]);
        return -ENOMEM;
    }
    if (pal_handle_new(PAL_HANDLE_PROCESS, fds[1], O_RDWR, &out[1]) < 0) {
        pal_stream_close(out[0]);
        HOST_SYSCALL1(__NR_close, fds[1]);
        return -ENOMEM;
    }
    return 0;
}

/* The child runs only async-signal-safe raw calls between fork and execve: it has one thread
 * and a copy of memory that other threads may have left mid-update. It is told how this
 * process catches syscalls, so that it keeps an inherited filter or turns dispatch on again. */
static __attribute__((noreturn)) void child_exec(const char* exe, const char* mode, int fd) {
    char fd_text[16];
    char* argv[] = {(char*)"kernite-direct", (char*)mode, fd_text,
                    (char*)pal_syscall_filter_name(), NULL};
    char* empty_env[] = {NULL};

    format_int(fd_text, fd);
    HOST_SYSCALL3(__NR_fcntl, fd, F_SETFD, 0);
    HOST_SYSCALL3(__NR_execve, exe, argv, g_host_envp ? g_host_envp : empty_env);
    HOST_SYSCALL1(__NR_exit_group, 127);
    __builtin_unreachable();
}

/* The first Kernite process adopts the host processes of orphaned descendants, so that the
 * library OS's pid 1 can reap them as Linux's init would. */
static void become_subreaper(void) {
    if (g_started_as_child || g_reaper_set)
        return;
    g_reaper_set = true;
    HOST_SYSCALL2(__NR_prctl, HOST_PR_SET_CHILD_SUBREAPER, 1);
}

static int process_start(const char* mode, pal_handle_t** channel, int* host_pid) {
    pal_handle_t* ends[2];
    char exe[1024];
    int ret = self_exe_path(exe, sizeof(exe));

    if (ret < 0)
        return ret;
    become_subreaper();
    ret = pal_channel_pair(false, ends);
    if (ret < 0)
        return ret;
    long pid = HOST_SYSCALL5(__NR_clone, HOST_SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        child_exec(exe, mode, ends[1]->fd);
    pal_stream_close(ends[1]);
    if (pid < 0) {
        pal_stream_close(ends[0]);
        return (int)pid;
    }
    *channel = ends[0];
    *host_pid = (int)pid;
    return 0;
}

int pal_process_create(pal_handle_t** channel, int* host_pid) {
    return process_start("--kernite-child", channel, host_pid);
}

int pal_process_create_server(pal_handle_t** channel, int* host_pid) {
    return process_start("--kernite-server", channel, host_pid);
}

/* The child reads its checkpoint before the library OS can take events, so the channel is
 * read with host signals kept blocked (the way of a plain file): a signal sent to the child
 * meanwhile waits until the child first enters app code. */
int pal_process_child_channel(int fd, pal_handle_t** out) {
    g_started_as_child = true;
    HOST_SYSCALL3(__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
    return pal_handle_new(PAL_HANDLE_FILE, fd, O_RDWR, out);
}

/* Handle messages go between cooperating Kernite processes and never wait long, so they are
 * made as plain calls: a signal for the thread does not cut them short. */
int pal_stream_send_handles(pal_handle_t* h, pal_handle_t** handles, size_t count) {
    struct handle_desc descs[HANDLES_PER_MESSAGE];
    struct handle_control control;
    struct host_iovec iov = {descs, count * sizeof(descs[0])};
    struct host_msghdr msg = {.iov = &iov, .iovlen = 1};

    if (!count || count > HANDLES_PER_MESSAGE)
        return -EINVAL;
    memset(&control, 0, sizeof(control));
    for (size_t i = 0; i < count; i++) {
        descs[i] = (struct handle_desc){handles[i]->kind, handles[i]->flags};
        control.fds[i] = handles[i]->fd;
    }
    control.hdr.len = sizeof(control.hdr) + count * sizeof(int);
    control.hdr.level = HOST_SOL_SOCKET;
    control.hdr.type = HOST_SCM_RIGHTS;
    msg.control = &control;
    msg.controllen = (control.hdr.len + 7) & ~7UL;
    for (;;) {
        long n = HOST_SYSCALL3(__NR_sendmsg, h->fd, &msg, 0);
        if (n == -EINTR)
            continue;
        if (n < 0)
            return (int)n;
        return (size_t)n == iov.len ? 0 : -EPROTO;
    }
}

static void close_fds(const int* fds, size_t count) {
    for (size_t i = 0; i < count; i++)
        HOST_SYSCALL1(__NR_close, fds[i]);
}

/* Receives exactly count handles sent by one pal_stream_send_handles; anything else (fewer
 * descriptors, a kind we do not know) is a protocol error and closes what did arrive. */
int pal_stream_recv_handles(pal_handle_t* h, pal_handle_t** handles, size_t count) {
    struct handle_desc descs[HANDLES_PER_MESSAGE];
    struct handle_control control;
    struct host_iovec iov = {descs, count * sizeof(descs[0])};
    struct host_msghdr msg = {.iov = &iov, .iovlen = 1};
    size_t got_fds = 0;
    long n;

    if (!count || count > HANDLES_PER_MESSAGE)
        return -EINVAL;
    memset(&control, 0, sizeof(control));
    msg.control = &control;
    msg.controllen = sizeof(control);
    do {
        n = HOST_SYSCALL3(__NR_recvmsg, h->fd, &msg, HOST_MSG_CMSG_CLOEXEC);
    } while (n == -EINTR);
    if (n < 0)
        return (int)n;
    if (msg.controllen >= sizeof(control.hdr) && control.hdr.level == HOST_SOL_SOCKET &&
        control.hdr.type == HOST_SCM_RIGHTS && control.hdr.len >= sizeof(control.hdr))
        got_fds = (control.hdr.len - sizeof(control.hdr)) / sizeof(int);
    if (got_fds > HANDLES_PER_MESSAGE)
        got_fds = HANDLES_PER_MESSAGE;
    if ((size_t)n != iov.len || got_fds != count) {
        close_fds(control.fds, got_fds);
        return n == 0 ? -ECONNRESET : -EPROTO;
    }
    for (size_t i = 0; i < count; i++) {
        if (descs[i].kind < PAL_HANDLE_FILE || descs[i].kind > PAL_HANDLE_PROCESS ||
            pal_handle_new(descs[i].kind, control.fds[i], descs[i].flags, &handles[i]) < 0) {
            for (size_t j = 0; j < i; j++)
                free(handles[j]);
            close_fds(control.fds, count);
            return -EPROTO;
        }
    }
    return 0;
}

struct host_siginfo_child {
    int32_t signo, err, code, pad;
    int32_t pid;
    uint32_t uid;
    int32_t status;
    uint8_t rest[100];
};

struct host_rusage {
    int64_t utime_sec, utime_usec, stime_sec, stime_usec;
    int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
        nsignals, nvcsw, nivcsw;
};

#define HOST_RUSAGE_SELF     0
#define HOST_RUSAGE_CHILDREN (-1)
#define HOST_RUSAGE_THREAD   1

static uint64_t timeval_ns(int64_t sec, int64_t usec) {
    if (sec < 0 || usec < 0)
        return 0;
    return (uint64_t)sec * 1000000000ULL + (uint64_t)usec * 1000ULL;
}

static uint64_t count_of(int64_t v) {
    return v < 0 ? 0 : (uint64_t)v;
}

static void usage_from_host(const struct host_rusage* ru, struct pal_usage* out) {
    *out = (struct pal_usage){
        .user_ns = timeval_ns(ru->utime_sec, ru->utime_usec),
        .system_ns = timeval_ns(ru->stime_sec, ru->stime_usec),
        .maxrss_kb = count_of(ru->maxrss),
        .minflt = count_of(ru->minflt),
        .majflt = count_of(ru->majflt),
        .inblock = count_of(ru->inblock),
        .oublock = count_of(ru->oublock),
        .nvcsw = count_of(ru->nvcsw),
        .nivcsw = count_of(ru->nivcsw),
    };
}

int pal_process_usage(int who, struct pal_usage* out) {
    static const int host_who[] = {
        [PAL_USAGE_SELF] = HOST_RUSAGE_SELF,
        [PAL_USAGE_CHILDREN] = HOST_RUSAGE_CHILDREN,
        [PAL_USAGE_THREAD] = HOST_RUSAGE_THREAD,
    };
    struct host_rusage ru;

    if (who < PAL_USAGE_SELF || who > PAL_USAGE_THREAD)
        return -EINVAL;
    memset(&ru, 0, sizeof(ru));
    long ret = HOST_SYSCALL2(__NR_getrusage, host_who[who], &ru);
    if (ret < 0)
        return (int)ret;
    usage_from_host(&ru, out);
    return 0;
}

int pal_process_wait(int host_pid, int options, struct pal_child_status* out) {
    struct host_siginfo_child si;
    struct host_rusage ru;
    int host_options = 0;
    long ret;

    if (options & PAL_WAIT_STOPPED)
        host_options |= WSTOPPED;
    if (options & PAL_WAIT_CONTINUED)
        host_options |= WCONTINUED;
    if ((options & PAL_WAIT_EXITED) || !host_options)
        host_options |= WEXITED;
    if (options & PAL_WAIT_NOHANG)
        host_options |= WNOHANG;
    if (options & PAL_WAIT_NOWAIT)
        host_options |= WNOWAIT;
    memset(&si, 0, sizeof(si));
    memset(&ru, 0, sizeof(ru));
    ret = HOST_BLOCKING5(__NR_waitid, host_pid > 0 ? P_PID : P_ALL, host_pid > 0 ? host_pid : 0,
                         &si, host_options, &ru);
    if (ret < 0)
        return (int)ret;
    out->host_pid = si.pid;
    out->code = si.code;
    out->status = si.status;
    usage_from_host(&ru, &out->usage);
    return si.pid ? 1 : 0;
}

/* SIGKILL and SIGSTOP act on the host process itself; every other guest signal rides on one
 * real-time host signal whose value names it, so the receiver's library OS decides. SIGCONT
 * does both: the host resumes the process, and its library OS runs a handler. */
int pal_process_signal(int host_pid, int signo, int sender) {
    struct {
        int32_t signo, err, code, pad;
        int32_t pid;
        uint32_t uid;
        uint64_t value;
        uint8_t rest[96];
    } si;

    if (host_pid < 0)
        return -ESRCH;
    if (host_pid == 0)
        host_pid = g_host_pid;
    if (signo == HOST_SIGKILL || signo == HOST_SIGSTOP || !signo)
        return (int)HOST_SYSCALL2(__NR_kill, host_pid, signo);
    if (signo == HOST_SIGCONT) {
        long ret = HOST_SYSCALL2(__NR_kill, host_pid, signo);
        if (ret < 0)
            return (int)ret;
    }
    memset(&si, 0, sizeof(si));
    si.signo = PAL_SIGNAL_GUEST;
    si.code = HOST_SI_QUEUE;
    si.pid = g_host_pid;
    si.value = (uint64_t)(uint32_t)signo | ((uint64_t)(uint32_t)sender << 32);
    return (int)HOST_SYSCALL3(__NR_rt_sigqueueinfo, host_pid, PAL_SIGNAL_GUEST, &si);
}
