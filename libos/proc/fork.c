/* fork, vfork and clone without CLONE_VM: a child process built from a checkpoint; its pid,
 * wait and kill.
 *
 * Guest pids: the first process is the leader and hands them out, counting up from 2 (pids are
 * not reused). On its first fork the leader makes a message channel and a helper thread that
 * serves it; every child inherits the client end. A request is one message carrying the write
 * end of a fresh pipe; the leader writes the new pid (4 bytes) into it and closes it. When the
 * leader has exited, a fork in a remaining process fails with EAGAIN.
 *
 * Children: each process knows its own children (guest pid to host pid). Their host exit status
 * mirrors the guest one, so wait4 and waitid ask the host (through the PAL) and translate pids.
 * SIGCHLD comes from the host when a child ends. Known limits: orphans are not re-parented
 * (getppid keeps the old value), signals reach only children (kill of another guest pid
 * returns ESRCH), process groups of children are not tracked (waits and kills for a group
 * mean all children), and rusage reads zero. */
#include "errstr.h"
#include "libos.h"
#include "syscall/syscall_table.h"
#include "manifest.h"
#include "proc.h"
#include "process.h"
#include <linux/wait.h>

/* si_code values of SIGCHLD (asm-generic/siginfo.h needs libc types). */
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3

#define CLONE_PROCESS_ALLOWED                                                                  \
    (CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | \
     CLONE_SETTLS | CLONE_DETACHED)

#define MAX_CHILDREN 4096

pal_handle_t* g_leader_channel;

static struct {
    spinlock_t lock;
    int next_pid;
    pal_handle_t* server; /* the leader's end */
} g_leader = {.next_pid = 2};

struct child {
    int pid;
    int host_pid;
};

static struct {
    spinlock_t lock;
    struct child list[MAX_CHILDREN];
    int count;
} g_children;

/* ---- Guest pids --------------------------------------------------------------------------- */

static int leader_next_pid(void) {
    spinlock_lock(&g_leader.lock);
    int pid = g_leader.next_pid++;
    spinlock_unlock(&g_leader.lock);
    return pid;
}

static void leader_serve(void* arg) {
    for (;;) {
        pal_handle_t* reply;
        pal_thread_clear_interrupt();
        if (pal_stream_recv_handles(g_leader.server, &reply, 1) < 0)
            continue;
        int pid = leader_next_pid();
        pal_stream_write(reply, &pid, sizeof(pid), -1);
        pal_stream_close(reply);
    }
}

/* The leader's first fork sets up the channel its descendants ask for pids on. */
static int leader_start(void) {
    pal_handle_t* ends[2];
    int ret = pal_channel_pair(/*packets=*/true, ends);

    if (ret < 0)
        return ret;
    struct proc_thread* pt = calloc(1, sizeof(*pt));
    if (!pt) {
        ret = -ENOMEM;
        goto fail;
    }
    pt->helper = true;
    pt->base.sigmask = ~0ULL;
    strlcpy(pt->name, "pids", sizeof(pt->name));
    g_leader.server = ends[0];
    ret = pal_thread_create(&pt->base.pal, leader_serve, pt);
    if (ret < 0) {
        free(pt);
        goto fail;
    }
    g_leader_channel = ends[1];
    return 0;
fail:
    g_leader.server = NULL;
    pal_stream_close(ends[0]);
    pal_stream_close(ends[1]);
    return ret;
}

static int pid_request(void) {
    pal_handle_t* pipe[2];
    int pid = 0;
    int ret = pal_pipe_open(0, pipe);

    if (ret < 0)
        return ret;
    ret = pal_stream_send_handles(g_leader_channel, &pipe[1], 1);
    pal_stream_close(pipe[1]);
    if (ret == 0) {
        long n;
        while ((n = pal_stream_read(pipe[0], &pid, sizeof(pid), -1)) == -EINTR)
            pal_thread_clear_interrupt(); /* the signal stays pending in the library OS */
        ret = n == sizeof(pid) && pid > 1 ? pid : -EAGAIN;
    } else {
        ret = -EAGAIN;
    }
    pal_stream_close(pipe[0]);
    return ret;
}

int process_pid_alloc(void) {
    if (g_process.pid == 1) {
        if (!g_leader_channel) {
            int ret = leader_start();
            if (ret < 0)
                return ret;
        }
        return leader_next_pid();
    }
    if (!g_leader_channel)
        return -EAGAIN;
    return pid_request();
}

/* ---- Children ----------------------------------------------------------------------------- */

static int child_add(int pid, int host_pid) {
    int ret = -EAGAIN;

    spinlock_lock(&g_children.lock);
    if (g_children.count < MAX_CHILDREN) {
        g_children.list[g_children.count++] = (struct child){pid, host_pid};
        ret = 0;
    }
    spinlock_unlock(&g_children.lock);
    return ret;
}

/* Host pid of child pid (any child for pid <= 0 gives -1); -ECHILD if there is none. */
static int child_host_pid(int pid) {
    int ret = -ECHILD;

    spinlock_lock(&g_children.lock);
    for (int i = 0; i < g_children.count; i++) {
        if (pid <= 0) {
            ret = -1;
            break;
        }
        if (g_children.list[i].pid == pid) {
            ret = g_children.list[i].host_pid;
            break;
        }
    }
    spinlock_unlock(&g_children.lock);
    return ret;
}

/* Guest pid of a host child; removes it from the list when reaped. */
static int child_guest_pid(int host_pid, bool reaped) {
    int pid = 0;

    spinlock_lock(&g_children.lock);
    for (int i = 0; i < g_children.count; i++) {
        if (g_children.list[i].host_pid == host_pid) {
            pid = g_children.list[i].pid;
            if (reaped)
                g_children.list[i] = g_children.list[--g_children.count];
            break;
        }
    }
    spinlock_unlock(&g_children.lock);
    return pid;
}

/* ---- fork --------------------------------------------------------------------------------- */

static long fork_checkpoint(int pid, pal_handle_t* channel, uint64_t flags, uint64_t stack,
                            uint64_t tls) {
    struct pal_context ctx = *libos_current()->ctx;
    uint64_t fs_base = (flags & CLONE_SETTLS) ? tls : pal_thread_get_fs();
    char ack = 0;
    long ret;

    ctx.rax = 0;
    if (stack)
        ctx.rsp = stack;
    ret = checkpoint_write(channel, pid, &ctx, fs_base);
    if (ret < 0)
        return ret;
    while ((ret = pal_stream_read(channel, &ack, 1, -1)) == -EINTR)
        pal_thread_clear_interrupt(); /* the signal stays pending in the library OS */
    return ret == 1 && ack == 'k' ? 0 : -ENOMEM;
}

long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls) {
    uint64_t exit_signal = flags & CSIGNAL;
    pal_handle_t* channel = NULL;
    int host_pid = 0;
    long ret;

    flags &= ~CSIGNAL;
    /* CLONE_VM without CLONE_VFORK would need shared memory between host processes. */
    if ((flags & ~CLONE_PROCESS_ALLOWED) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) ||
        (exit_signal && exit_signal != LINUX_SIGCHLD)) {
        log_debug("clone: flags 0x%lx not supported for a new process",
                  (unsigned long)(flags | exit_signal));
        return -ENOSYS;
    }
    int pid = process_pid_alloc();
    if (pid < 0)
        return pid;
    ret = pal_process_create(&channel, &host_pid);
    if (ret < 0)
        return ret;
    ret = fork_checkpoint(pid, channel, flags, stack, tls);
    pal_stream_close(channel);
    if (ret == 0)
        ret = child_add(pid, host_pid);
    if (ret < 0) {
        struct pal_child_status st;
        pal_process_signal(host_pid, LINUX_SIGKILL, g_process.pid);
        pal_process_wait(host_pid, 0, &st);
        return ret;
    }
    if ((flags & CLONE_PARENT_SETTID) && copy_to_app((void*)parent_tid, &pid, sizeof(pid)) < 0)
        log_debug("clone: parent_tid not writable");
    log_debug("fork: child %d is host process %d", pid, host_pid);
    return pid;
}

long sys_fork(void) {
    return process_clone(LINUX_SIGCHLD, 0, 0, 0, 0);
}

/* The parent goes on at once: the child has its own copy of memory, so nothing it does before
 * execve or _exit can reach the parent. */
long sys_vfork(void) {
    return process_clone(CLONE_VM | CLONE_VFORK | LINUX_SIGCHLD, 0, 0, 0, 0);
}

/* The child side: rebuild from the stream, acknowledge, and return 0 from fork. */
void libos_start_child(pal_handle_t* channel) {
    struct pal_context ctx;
    uint64_t fs_base = 0;
    int ret;

    log_current_level = LOG_ERROR;
    pal_host_info(&g_host);
    ret = checkpoint_read(channel, &ctx, &fs_base);
    if (ret < 0) {
        log_error("fork: the child cannot start: %s", errstr(ret));
        pal_process_exit(127);
    }
    pal_stream_write(channel, "k", 1, -1);
    pal_stream_close(channel);
    pal_thread_set_fs(fs_base);
    rewrite_init(g_process.manifest);
    pal_set_event_handler(libos_handle_event);
    pal_context_jump(&ctx);
}

/* ---- wait --------------------------------------------------------------------------------- */

static int wait_status_of(const struct pal_child_status* st) {
    switch (st->code) {
        case CLD_EXITED:
            return (st->status & 0xff) << 8;
        case CLD_DUMPED:
            return (st->status & 0x7f) | 0x80;
        default:
            return st->status & 0x7f;
    }
}

/* Waits through the PAL for the child host process (or any, host_pid -1). */
static long wait_child(int pid, int options, bool nowait, struct pal_child_status* st) {
    int host_pid = child_host_pid(pid);

    if (host_pid == -ECHILD)
        return -ECHILD;
    int pal_options = ((options & WNOHANG) ? PAL_WAIT_NOHANG : 0) |
                      (nowait ? PAL_WAIT_NOWAIT : 0);
    /* As every blocking call: clear the interrupt request, then look for pending signals, so a
     * signal that arrives in between still cuts the wait short. */
    pal_thread_clear_interrupt();
    if (!(options & WNOHANG) && signal_pending())
        return -ERESTARTSYS;
    long ret = pal_process_wait(host_pid, pal_options, st);
    if (ret == -EINTR)
        return -ERESTARTSYS;
    if (ret <= 0)
        return ret;
    return child_guest_pid(st->host_pid, !nowait);
}

long process_wait4(int pid, int* status, int options, void* rusage) {
    struct pal_child_status st;
    long ret = wait_child(pid, options, false, &st);

    if (ret <= 0)
        return ret;
    int wstatus = wait_status_of(&st);
    if (status && copy_to_app(status, &wstatus, sizeof(wstatus)) < 0)
        return -EFAULT;
    if (rusage) {
        uint8_t zero[144];
        memset(zero, 0, sizeof(zero));
        if (copy_to_app(rusage, zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return ret;
}

long process_waitid(int which, int id, void* info, int options, void* rusage) {
    struct pal_child_status st;
    struct linux_siginfo si;
    int pid = which == P_PID ? id : -1;

    if (which == P_PIDFD)
        return -ENOSYS;
    if (!(options & WEXITED))
        return (options & WNOHANG) ? 0 : -ECHILD;
    long ret = wait_child(pid, options, options & WNOWAIT, &st);
    if (ret < 0)
        return ret;
    memset(&si, 0, sizeof(si));
    if (ret > 0) {
        si.signo = LINUX_SIGCHLD;
        si.code = st.code;
        si.kill.pid = (int)ret;
        si.kill.uid = g_process.uid;
        si.kill.status = st.status;
    }
    if (info && copy_to_app(info, &si, sizeof(si)) < 0)
        return -EFAULT;
    if (rusage) {
        uint8_t zero[144];
        memset(zero, 0, sizeof(zero));
        if (copy_to_app(rusage, zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return 0;
}

/* ---- kill --------------------------------------------------------------------------------- */

long process_kill(int pid, int signo) {
    int host_pids[MAX_CHILDREN];
    int count = 0;

    spinlock_lock(&g_children.lock);
    for (int i = 0; i < g_children.count; i++) {
        if (pid <= 0 || g_children.list[i].pid == pid)
            host_pids[count++] = g_children.list[i].host_pid;
    }
    spinlock_unlock(&g_children.lock);
    if (!count)
        return pid <= 0 ? 0 : -ESRCH;
    for (int i = 0; i < count; i++)
        pal_process_signal(host_pids[i], signo, g_process.pid);
    return 0;
}
