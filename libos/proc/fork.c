/* fork, vfork and clone without CLONE_VM: a child process built from a checkpoint; wait and
 * kill.
 *
 * Guest pids and the table of all processes belong to the leader (leader.c). Children: each
 * process knows its own children (guest pid to host pid). Their host exit status mirrors the
 * guest one, so wait4 and waitid ask the host (through the PAL) and translate pids. SIGCHLD
 * comes from the host when a child ends, stops or continues. A wait for a process group asks
 * the leader which children are in it. */
#include "errstr.h"
#include "libos.h"
#include "syscall/syscall_table.h"
#include "vdso/vdso.h"
#include "manifest.h"
#include "proc.h"
#include "process.h"
#include <linux/wait.h>

/* si_code values of SIGCHLD (asm-generic/siginfo.h needs libc types). */
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

#define CLONE_PROCESS_ALLOWED                                                                  \
    (CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | \
     CLONE_SETTLS | CLONE_DETACHED)

#define MAX_CHILDREN 4096

struct child {
    int pid;
    int host_pid;
};

static struct {
    spinlock_t lock;
    struct child list[MAX_CHILDREN];
    int count;
} g_children;

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

int process_child_pid_of_host(int host_pid) {
    int pid = child_guest_pid(host_pid, false);
    return pid ? pid : leader_guest_pid_of_host(host_pid);
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
    /* As a system out of processes would: many apps fall back to doing the work themselves. */
    if (g_process.manifest->disallow_subprocesses) {
        static bool warned;
        if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
            log_warning("the app tried to start a process; sys.disallow_subprocesses forbids it");
        return -EAGAIN;
    }
    ret = pal_process_create(&channel, &host_pid);
    if (ret < 0)
        return ret;
    /* The leader learns the host pid with the new guest pid, so kill can reach it at once. */
    int pid = leader_register_child(host_pid);
    ret = pid;
    if (pid > 0)
        ret = fork_checkpoint(pid, channel, flags, stack, tls);
    pal_stream_close(channel);
    if (ret >= 0)
        ret = child_add(pid, host_pid);
    if (ret < 0) {
        struct pal_child_status st;
        pal_process_signal(host_pid, LINUX_SIGKILL, g_process.pid);
        pal_process_wait(host_pid, 0, &st);
        if (pid > 0)
            leader_note_reaped(pid);
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
    vdso_refresh(rewrite_enabled());
    pal_set_event_handler(libos_handle_event);
    pal_context_jump(&ctx);
}

/* ---- wait --------------------------------------------------------------------------------- */

/* Bumped by every SIGCHLD the host sends: a wait for a process group sleeps on it. */
static uint32_t g_child_events;

void process_note_child_event(void) {
    __atomic_add_fetch(&g_child_events, 1, __ATOMIC_RELEASE);
    pal_futex_wake(&g_child_events, INT32_MAX, FUTEX_BITSET_MATCH_ANY);
}

static int wait_status_of(const struct pal_child_status* st) {
    switch (st->code) {
        case CLD_EXITED:
            return (st->status & 0xff) << 8;
        case CLD_DUMPED:
            return (st->status & 0x7f) | 0x80;
        case CLD_STOPPED:
            return ((st->status & 0xff) << 8) | 0x7f;
        case CLD_CONTINUED:
            return 0xffff;
        default:
            return st->status & 0x7f;
    }
}

static bool wait_reaps(const struct pal_child_status* st) {
    return st->code == CLD_EXITED || st->code == CLD_KILLED || st->code == CLD_DUMPED;
}

static int wait_pal_options(int options, bool exited) {
    return ((options & WNOHANG) ? PAL_WAIT_NOHANG : 0) |
           ((options & WNOWAIT) ? PAL_WAIT_NOWAIT : 0) |
           ((options & WSTOPPED) ? PAL_WAIT_STOPPED : 0) |
           ((options & WCONTINUED) ? PAL_WAIT_CONTINUED : 0) | (exited ? PAL_WAIT_EXITED : 0);
}

/* A wait for a process group (pgid): the leader names the caller's children in it, each is
 * asked without blocking, and the caller sleeps until the next SIGCHLD. The group is looked up
 * again each round, since a child may change groups meanwhile. */
static long wait_group(int pgid, int pal_options, struct pal_child_status* st) {
    int host_pids[PROC_LIST_MAX];

    for (;;) {
        uint32_t seen = __atomic_load_n(&g_child_events, __ATOMIC_ACQUIRE);
        int count = leader_group_children(pgid, host_pids, PROC_LIST_MAX);
        if (count == -ENOSYS || count == 0)
            return -ECHILD; /* without a leader there have never been children */
        if (count < 0)
            return count;
        for (int i = 0; i < count; i++) {
            long ret = pal_process_wait(host_pids[i], pal_options | PAL_WAIT_NOHANG, st);
            if (ret != 0 && ret != -ECHILD)
                return ret;
        }
        if (pal_options & PAL_WAIT_NOHANG)
            return 0;
        pal_thread_clear_interrupt();
        if (signal_pending())
            return -EINTR;
        pal_futex_wait(&g_child_events, seen, -1, FUTEX_BITSET_MATCH_ANY);
    }
}

/* Waits through the PAL for child pid (or any, pid -1; a group, pid 0 or < -1). */
static long wait_child(int pid, int options, int pal_options, struct pal_child_status* st) {
    long ret;

    if (pid == 0 || pid < -1) {
        ret = wait_group(pid == 0 ? (int)sys_getpgid(0) : -pid, pal_options, st);
    } else {
        int host_pid = child_host_pid(pid);
        if (host_pid == -ECHILD)
            host_pid = leader_adopted_host_pid(pid);
        if (host_pid == -ECHILD)
            return -ECHILD;
        /* As every blocking call: clear the interrupt request, then look for pending signals,
         * so a signal that arrives in between still cuts the wait short. */
        pal_thread_clear_interrupt();
        if (!(options & WNOHANG) && signal_pending())
            return -ERESTARTSYS;
        ret = pal_process_wait(host_pid, pal_options, st);
    }
    if (ret == -EINTR)
        return -ERESTARTSYS;
    if (ret <= 0)
        return ret;
    bool reaped = wait_reaps(st) && !(pal_options & PAL_WAIT_NOWAIT);
    int guest = child_guest_pid(st->host_pid, reaped);
    if (!guest)
        guest = leader_guest_pid_of_host(st->host_pid); /* an orphan the leader adopted */
    if (guest > 0 && reaped)
        leader_note_reaped(guest);
    /* Every stop is a host SIGSTOP; the leader knows the guest signal that caused it. */
    if (guest > 0 && st->code == CLD_STOPPED && st->status == LINUX_SIGSTOP) {
        int signo = leader_stop_signal(guest);
        if (signo > 0)
            st->status = signo;
    }
    return guest;
}

static long wait_copy_rusage(void* rusage, const struct pal_child_status* st) {
    struct linux_rusage ru;

    if (!rusage)
        return 0;
    time_rusage_from_pal(&st->usage, &ru);
    return copy_to_app(rusage, &ru, sizeof(ru));
}

long process_wait4(int pid, int* status, int options, void* rusage) {
    struct pal_child_status st;
    long ret = wait_child(pid, options, wait_pal_options(options & ~WNOWAIT, true), &st);

    if (ret <= 0)
        return ret;
    int wstatus = wait_status_of(&st);
    if (status && copy_to_app(status, &wstatus, sizeof(wstatus)) < 0)
        return -EFAULT;
    if (wait_copy_rusage(rusage, &st) < 0)
        return -EFAULT;
    return ret;
}

long process_waitid(int which, int id, void* info, int options, void* rusage) {
    struct pal_child_status st;
    struct linux_siginfo si;
    int pid = which == P_PID ? id : which == P_PGID ? (id ? -id : 0) : -1;

    /* pidfds are not supported: no fd is one, so a valid fd number is EBADF as for any file
     * that is not a pidfd. */
    if (which == P_PIDFD)
        return id < 0 ? -EINVAL : -EBADF;
    if ((which == P_PGID && id < 0) || (which == P_PID && id <= 0))
        return -EINVAL;
    long ret = wait_child(pid, options, wait_pal_options(options, options & WEXITED), &st);
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
    if (ret == 0)
        memset(&st.usage, 0, sizeof(st.usage));
    if (wait_copy_rusage(rusage, &st) < 0)
        return -EFAULT;
    return 0;
}

/* ---- kill --------------------------------------------------------------------------------- */

static long kill_own_children(int pid, int signo) {
    int host_pids[64];
    int count = 0;

    spinlock_lock(&g_children.lock);
    for (int i = 0; i < g_children.count && count < 64; i++) {
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

static long kill_self(int signo) {
    struct linux_siginfo info = {.signo = signo, .code = LINUX_SI_USER};
    info.kill.pid = g_process.pid;
    info.kill.uid = g_process.uid;
    return signal_send(0, signo, &info);
}

/* kill(2) for every pid but the caller's own: the leader finds the processes (a group, or all
 * for -1) and signals them; the caller signals itself when it is one of them. Without a leader
 * only the caller's own children can be reached. */
long process_kill(int pid, int signo) {
    bool self = false;
    long ret;

    if (pid > 0) {
        ret = leader_kill(pid, signo);
        return ret == -ENOSYS ? kill_own_children(pid, signo) : ret;
    }
    if (pid == 0 || pid < -1)
        ret = leader_kill_group(pid == 0 ? sys_getpgid(0) : -pid, signo, false, &self);
    else
        ret = leader_kill_group(0, signo, true, &self);
    if (ret == -ENOSYS) {
        self = pid == 0;
        ret = kill_own_children(0, signo);
    }
    if (self && signo && !leader_shielded(signo))
        kill_self(signo);
    return ret;
}
