/* The leader's table of guest processes and the requests other processes send it: pids,
 * groups and sessions, signals to any pid or group, and what /proc shows of other processes.
 *
 * The leader is the first process (pid 1). On its first fork it makes a message channel and a
 * helper thread that serves it; every child inherits the client end. A request is one message
 * carrying two handles: the read end of a pipe that holds the request (struct leader_request,
 * written whole before the message is sent) and the write end of a pipe for the reply (struct
 * leader_reply, written whole). The leader serves one request at a time; its own threads call
 * the same code directly under the table lock. Pipe writes of these sizes are atomic, and a
 * request never waits on another process, so a stuck client cannot stall the leader.
 *
 * Entries are added when a process forks (NEW, by the parent, with the child's host pid),
 * marked exited when a process ends (EXIT, sent on the way out), and dropped when the parent
 * reaps the child (REAPED). When a process exits its children are re-parented to pid 1, as on
 * Linux; the leader's host process is the host's child subreaper, so the host re-parents their
 * host processes to it as well and its wait reaps them. Known limits: a process killed by the
 * host's SIGKILL sends no EXIT, so its children move to pid 1 only once it is reaped. When the
 * leader ends while other processes still run, a server process that runs no app takes the
 * table and the channel over (leader_hand_over) and serves them until the last one ends. */
#include "libos.h"
#include "proc.h"
#include "process.h"

#define TABLE_MAX 1024

enum leader_op {
    OP_NEW = 1,
    OP_EXIT,
    OP_REAPED,
    OP_SETPGID,
    OP_SETSID,
    OP_GETPGID,
    OP_GETSID,
    OP_GETPPID,
    OP_KILL,
    OP_KILLPG,
    OP_KILLALL,
    OP_EXEC,
    OP_INFO,
    OP_LIST,
    OP_GETFG,
    OP_SETFG,
    OP_STOP,
    OP_STOPSIG,
    OP_CHILDREN,
    OP_TTY_ACCESS,
    OP_COUNT,
};

struct leader_request {
    uint32_t op;
    int32_t caller; /* guest pid of the sender */
    int32_t pid;
    int32_t arg;         /* pgid for SETPGID and CHILDREN, signal for the kills and STOP */
    int32_t host_pid;    /* NEW: the child's host process */
    uint32_t conts_seen; /* STOP: SIGCONTs from other processes the caller has taken */
    int32_t pgid, sid;
    uint32_t cmdline_size;
    char cmdline[PROC_CMDLINE_MAX];
};

struct leader_reply {
    int32_t result;
    int32_t caller_member; /* KILLPG: the caller is in the group and signals itself */
    int32_t count;
    int32_t pids[PROC_LIST_MAX];
    struct process_info info;
};

struct table_entry {
    int pid, host_pid, ppid, pgid, sid;
    bool exited;
    bool stopped;
    int stop_signal; /* what stopped it last */
    uint32_t conts;  /* SIGCONTs sent to it through the table */
    uint32_t cmdline_size;
    char cmdline[PROC_CMDLINE_MAX];
};

pal_handle_t* g_leader_channel;

static struct {
    spinlock_t lock;
    int next_pid;
    struct table_entry* entries;
    int count;
    int foreground;       /* process group in the foreground of the terminal (tcsetpgrp) */
    int tty_sid;          /* the session the terminal belongs to: the foreground group's */
    pal_handle_t* server; /* the leader's end of the channel */
    bool handed_over;     /* the first process is ending: a server process has the table */
    bool is_server;       /* this process is that server (it runs no app) */
} g_table = {.next_pid = 2};

/* What the first process hands the server process with the entries (see leader_hand_over). */
struct table_header {
    int32_t count, next_pid, foreground, tty_sid;
    uint32_t uid;
};

/* ---- The table (leader only; callers hold g_table.lock) ------------------------------------ */

static struct table_entry* table_find(int pid) {
    for (int i = 0; i < g_table.count; i++) {
        if (g_table.entries[i].pid == pid)
            return &g_table.entries[i];
    }
    return NULL;
}

static void entry_set_cmdline(struct table_entry* e, const char* cmdline, uint32_t size) {
    e->cmdline_size = size < PROC_CMDLINE_MAX ? size : PROC_CMDLINE_MAX;
    memcpy(e->cmdline, cmdline, e->cmdline_size);
}

/* The leader enters itself on first use, with the host pid of its main thread. */
static int table_init_locked(void) {
    if (g_table.entries)
        return 0;
    g_table.entries = calloc(TABLE_MAX, sizeof(struct table_entry));
    if (!g_table.entries)
        return -ENOMEM;
    struct table_entry* self = &g_table.entries[g_table.count++];
    *self = (struct table_entry){.pid = 1, .ppid = 0, .pgid = g_process.pgid,
                                 .sid = g_process.sid};
    spinlock_lock(&g_process.lock);
    for (struct libos_thread* t = g_process.threads; t; t = t->next) {
        if (t->tid == g_process.pid)
            self->host_pid = t->pal.host_tid;
    }
    spinlock_unlock(&g_process.lock);
    entry_set_cmdline(self, (const char*)g_process.cmdline, (uint32_t)g_process.cmdline_size);
    g_table.foreground = g_process.pgid;
    g_table.tty_sid = g_process.sid;
    return 0;
}

static int op_new(const struct leader_request* rq) {
    if (g_table.count >= TABLE_MAX)
        return -EAGAIN;
    struct table_entry* e = &g_table.entries[g_table.count++];
    *e = (struct table_entry){.pid = g_table.next_pid++, .host_pid = rq->host_pid,
                              .ppid = rq->caller, .pgid = rq->pgid, .sid = rq->sid};
    entry_set_cmdline(e, rq->cmdline, rq->cmdline_size);
    return e->pid;
}

static void reparent_children_locked(int pid) {
    for (int i = 0; i < g_table.count; i++) {
        if (g_table.entries[i].ppid == pid)
            g_table.entries[i].ppid = 1;
    }
}

static void signal_orphaned_stopped_locked(int pgid);

static int op_exit(int pid) {
    struct table_entry* e = table_find(pid);
    if (!e)
        return -ESRCH;
    e->exited = true;
    e->stopped = false;
    signal_orphaned_stopped_locked(e->pgid);
    for (int i = 0; i < g_table.count; i++) {
        if (g_table.entries[i].ppid == pid && g_table.entries[i].pgid != e->pgid)
            signal_orphaned_stopped_locked(g_table.entries[i].pgid);
    }
    reparent_children_locked(pid);
    struct table_entry* init = table_find(1);
    /* Once the first process has ended nobody reaps its adopted children: the host does. */
    if (g_table.is_server && (!init || init->exited) && e->ppid <= 1)
        *e = g_table.entries[--g_table.count];
    return 0;
}

static int op_reaped(int pid) {
    struct table_entry* e = table_find(pid);
    if (!e)
        return -ESRCH;
    reparent_children_locked(pid);
    *e = g_table.entries[--g_table.count];
    return 0;
}

/* setpgid(2)'s rules: the target is the caller or its child in the same session and not a
 * session leader; the group exists in that session or is the target's own pid. */
static int op_setpgid(int caller, int pid, int pgid) {
    struct table_entry* me = table_find(caller);
    struct table_entry* target = table_find(pid ? pid : caller);

    if (!me || !target || target->exited)
        return -ESRCH;
    if (target != me && target->ppid != caller)
        return -ESRCH;
    if (target->sid != me->sid || target->pid == target->sid)
        return -EPERM;
    if (!pgid)
        pgid = target->pid;
    if (pgid != target->pid) {
        bool found = false;
        for (int i = 0; i < g_table.count && !found; i++) {
            found = g_table.entries[i].pgid == pgid && g_table.entries[i].sid == me->sid &&
                    !g_table.entries[i].exited;
        }
        if (!found)
            return -EPERM;
    }
    target->pgid = pgid;
    return 0;
}

static int op_setsid(int caller) {
    struct table_entry* me = table_find(caller);

    if (!me)
        return -ESRCH;
    for (int i = 0; i < g_table.count; i++) {
        if (g_table.entries[i].pgid == caller)
            return -EPERM; /* leads a group (its own or one others are in) */
    }
    me->pgid = me->sid = caller;
    return caller;
}

bool leader_shielded(int signo) {
    if (g_process.pid != 1)
        return false;
    spinlock_lock(&g_process.lock);
    bool dfl = g_process.sigactions[signo].handler == LINUX_SIG_DFL;
    spinlock_unlock(&g_process.lock);
    return dfl || signo == LINUX_SIGKILL || signo == LINUX_SIGSTOP;
}

static struct linux_siginfo siginfo_user(int signo, int sender) {
    struct linux_siginfo si = {.signo = signo, .code = LINUX_SI_USER};
    si.kill.pid = sender;
    si.kill.uid = g_process.uid;
    return si;
}

/* Signals one entry: the leader itself locally, others through the host. An exited process
 * (a zombie) takes the signal and nothing happens, as on Linux. */
static int signal_entry(struct table_entry* e, int signo, int sender) {
    if (e->exited || !signo)
        return 0;
    if (e->pid == g_process.pid) {
        /* As the init of a Linux pid namespace, pid 1 takes from other processes only the
         * signals it has a handler for (SIGKILL and SIGSTOP included in what it ignores). */
        if (sender != 1 && leader_shielded(signo))
            return 0;
        struct linux_siginfo si = siginfo_user(signo, sender);
        return signal_send(0, signo, &si);
    }
    if (signo == LINUX_SIGSTOP) {
        e->stopped = true;
        e->stop_signal = signo;
    } else if (signo == LINUX_SIGCONT) {
        e->stopped = false;
        e->conts++;
    }
    int ret = pal_process_signal(e->host_pid, signo, sender);
    return ret == -ESRCH ? 0 : ret; /* it ended a moment ago and is not yet marked */
}

/* A group is orphaned when no live member has a live parent in another group of the same
 * session: nobody is left who could continue a stopped member (POSIX job control). */
static bool group_orphaned_locked(int pgid) {
    for (int i = 0; i < g_table.count; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (e->pgid != pgid || e->exited)
            continue;
        struct table_entry* parent = table_find(e->ppid);
        if (parent && !parent->exited && parent->pgid != pgid && parent->sid == e->sid)
            return false;
    }
    return true;
}

/* When an exit leaves a group orphaned with stopped members, each member gets SIGHUP and then
 * SIGCONT, as on Linux, so that no stopped process is left that nobody can continue. */
static void signal_orphaned_stopped_locked(int pgid) {
    bool stopped = false;

    for (int i = 0; i < g_table.count && !stopped; i++)
        stopped = g_table.entries[i].pgid == pgid && g_table.entries[i].stopped &&
                  !g_table.entries[i].exited;
    if (!stopped || !group_orphaned_locked(pgid))
        return;
    for (int i = 0; i < g_table.count; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (e->pgid == pgid) {
            signal_entry(e, LINUX_SIGHUP, 0);
            signal_entry(e, LINUX_SIGCONT, 0);
        }
    }
}

/* The caller took a stop signal whose action is to stop. The table stops it with a host
 * SIGSTOP under its lock, so a SIGCONT sent through the table comes either before (and, not
 * yet taken by the caller, cancels the stop, as a SIGCONT discards a pending stop on Linux) or
 * after (and resumes it). A stop other than SIGSTOP is discarded in an orphaned group. Returns
 * 1 once stopped (and continued), 0 if the stop was discarded. */
static int op_stop(int caller, int signo, uint32_t conts_seen) {
    struct table_entry* me = table_find(caller);

    if (!me || me->exited)
        return -ESRCH;
    if ((int32_t)(me->conts - conts_seen) > 0)
        return 0;
    if (signo != LINUX_SIGSTOP && group_orphaned_locked(me->pgid))
        return 0;
    me->stopped = true;
    me->stop_signal = signo;
    int ret = pal_process_signal(me->host_pid, LINUX_SIGSTOP, caller);
    return ret < 0 ? ret : 1;
}

/* Host pids of the caller's children in group pgid, zombies included. */
static int op_children(int caller, int pgid, struct leader_reply* rep) {
    rep->count = 0;
    for (int i = 0; i < g_table.count && rep->count < PROC_LIST_MAX; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (e->ppid == caller && e->pgid == pgid && e->pid != caller)
            rep->pids[rep->count++] = e->host_pid;
    }
    return rep->count;
}

/* May the caller read or write the terminal? 0: yes (it is in the foreground group, or the
 * terminal is not its session's); 1: it is in a background group; 2: in an orphaned one. */
static int op_tty_access(int caller) {
    struct table_entry* me = table_find(caller);

    if (!me || me->sid != g_table.tty_sid || me->pgid == g_table.foreground)
        return 0;
    return group_orphaned_locked(me->pgid) ? 2 : 1;
}

static int op_kill(int caller, int pid, int signo) {
    struct table_entry* e = table_find(pid);
    if (!e)
        return -ESRCH;
    return signal_entry(e, signo, caller);
}

/* pgid 0 with all: every process but pid 1 and the caller (kill(-1)). The caller is never
 * signalled here: it delivers its own signal before its kill returns, as Linux guarantees. */
static int op_kill_many(int caller, int pgid, int signo, bool all, int* caller_member) {
    int found = 0;

    *caller_member = 0;
    for (int i = 0; i < g_table.count; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (all ? e->pid == 1 : e->pgid != pgid)
            continue;
        if (e->pid == caller) {
            *caller_member = !all;
            found++;
            continue;
        }
        found++;
        signal_entry(e, signo, caller);
    }
    return found ? 0 : -ESRCH;
}

/* tcsetpgrp: the group must exist in the caller's session. There is one terminal: the host's,
 * which all guest processes share. */
static int op_set_foreground(int caller, int pgid) {
    struct table_entry* me = table_find(caller);

    if (!me)
        return -ESRCH;
    for (int i = 0; i < g_table.count; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (e->pgid == pgid && !e->exited) {
            if (e->sid != me->sid)
                return -EPERM;
            g_table.foreground = pgid;
            g_table.tty_sid = me->sid;
            return 0;
        }
    }
    return -EPERM;
}

static int op_info(int pid, struct process_info* info) {
    struct table_entry* e = table_find(pid);
    if (!e)
        return -ESRCH;
    *info = (struct process_info){.pid = e->pid, .ppid = e->ppid, .pgid = e->pgid,
                                  .sid = e->sid,
                                  .state = e->exited    ? 'Z'
                                           : e->stopped ? 'T'
                                                        : 'S',
                                  .cmdline_size = e->cmdline_size};
    memcpy(info->cmdline, e->cmdline, e->cmdline_size);
    return 0;
}

static int op_list(struct leader_reply* rep) {
    rep->count = 0;
    for (int i = 0; i < g_table.count && rep->count < PROC_LIST_MAX; i++)
        rep->pids[rep->count++] = g_table.entries[i].pid;
    return rep->count;
}

static int leader_handle(const struct leader_request* rq, struct leader_reply* rep) {
    struct table_entry* e;
    int ret;

    spinlock_lock(&g_table.lock);
    ret = table_init_locked();
    if (ret < 0)
        goto out;
    switch (rq->op) {
        case OP_NEW:
            ret = op_new(rq);
            break;
        case OP_EXIT:
            ret = op_exit(rq->caller);
            break;
        case OP_REAPED:
            ret = op_reaped(rq->pid);
            break;
        case OP_SETPGID:
            ret = op_setpgid(rq->caller, rq->pid, rq->arg);
            break;
        case OP_SETSID:
            ret = op_setsid(rq->caller);
            break;
        case OP_GETPGID:
        case OP_GETSID:
        case OP_GETPPID:
            e = table_find(rq->pid);
            ret = !e ? -ESRCH : rq->op == OP_GETPGID ? e->pgid : rq->op == OP_GETSID ? e->sid
                                                                                 : e->ppid;
            break;
        case OP_KILL:
            ret = op_kill(rq->caller, rq->pid, rq->arg);
            break;
        case OP_KILLPG:
        case OP_KILLALL:
            ret = op_kill_many(rq->caller, rq->pid, rq->arg, rq->op == OP_KILLALL,
                               &rep->caller_member);
            break;
        case OP_EXEC:
            e = table_find(rq->caller);
            ret = e ? 0 : -ESRCH;
            if (e)
                entry_set_cmdline(e, rq->cmdline, rq->cmdline_size);
            break;
        case OP_INFO:
            ret = op_info(rq->pid, &rep->info);
            break;
        case OP_LIST:
            ret = op_list(rep);
            break;
        case OP_GETFG:
            ret = g_table.foreground;
            break;
        case OP_SETFG:
            ret = op_set_foreground(rq->caller, rq->arg);
            break;
        case OP_STOP:
            ret = op_stop(rq->caller, rq->arg, rq->conts_seen);
            break;
        case OP_STOPSIG:
            e = table_find(rq->pid);
            ret = !e ? -ESRCH : e->stop_signal ? e->stop_signal : LINUX_SIGSTOP;
            break;
        case OP_CHILDREN:
            ret = op_children(rq->caller, rq->arg, rep);
            break;
        case OP_TTY_ACCESS:
            ret = op_tty_access(rq->caller);
            break;
        default:
            ret = -EINVAL;
    }
out:
    spinlock_unlock(&g_table.lock);
    rep->result = ret;
    return ret;
}

/* ---- Serving other processes ---------------------------------------------------------------- */

static void leader_serve(void* arg) {
    struct leader_request* rq = malloc(sizeof(*rq));
    struct leader_reply* rep = malloc(sizeof(*rep));

    for (;;) {
        pal_handle_t* ends[2];
        pal_thread_clear_interrupt();
        int ret = rq && rep ? pal_stream_recv_handles(g_table.server, ends, 2) : -ENOMEM;
        /* The server process ends with the last guest process, which closes the last client
         * end of the channel. */
        if (ret == -ECONNRESET && g_table.is_server)
            pal_process_exit(0);
        if (ret < 0)
            continue;
        memset(rep, 0, sizeof(*rep));
        if (channel_read_all(ends[0], rq, sizeof(*rq)) == 0)
            leader_handle(rq, rep);
        else
            rep->result = -EPROTO;
        channel_write_all(ends[1], rep, sizeof(*rep));
        pal_stream_close(ends[0]);
        pal_stream_close(ends[1]);
    }
}

/* The leader's first fork sets up the channel its descendants send requests on. */
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
    strlcpy(pt->name, "leader", sizeof(pt->name));
    g_table.server = ends[0];
    ret = pal_thread_create(&pt->base.pal, leader_serve, pt);
    if (ret < 0) {
        free(pt);
        goto fail;
    }
    g_leader_channel = ends[1];
    return 0;
fail:
    g_table.server = NULL;
    pal_stream_close(ends[0]);
    pal_stream_close(ends[1]);
    return ret;
}

/* ---- Asking the leader ---------------------------------------------------------------------- */

static int leader_send_once(const struct leader_request* rq, struct leader_reply* rep) {
    pal_handle_t* req[2] = {NULL, NULL};
    pal_handle_t* reply[2] = {NULL, NULL};
    int ret = pal_pipe_open(0, req);

    if (ret < 0)
        return ret;
    ret = pal_pipe_open(0, reply);
    if (ret < 0)
        goto out;
    ret = channel_write_all(req[1], rq, sizeof(*rq)) == 0 ? 0 : -EPIPE;
    pal_stream_close(req[1]);
    req[1] = NULL;
    if (ret == 0) {
        pal_handle_t* sent[2] = {req[0], reply[1]};
        ret = pal_stream_send_handles(g_leader_channel, sent, 2) < 0 ? -ENOSYS : 0;
    }
    pal_stream_close(reply[1]);
    reply[1] = NULL;
    /* The signal that cuts the wait short stays pending in the library OS. */
    if (ret == 0)
        ret = channel_read_all(reply[0], rep, sizeof(*rep)) == 0 ? rep->result : -EAGAIN;
out:
    for (int i = 0; i < 2; i++) {
        if (req[i])
            pal_stream_close(req[i]);
        if (reply[i])
            pal_stream_close(reply[i]);
    }
    return ret;
}

/* A request that got no reply was taken by a first process that was handing its table over
 * and did not serve it; the server process, which has the table now, gets it again. */
static int leader_send(const struct leader_request* rq, struct leader_reply* rep) {
    int ret = -EAGAIN;

    for (int tries = 0; tries < 3 && ret == -EAGAIN; tries++)
        ret = leader_send_once(rq, rep);
    return ret == -EAGAIN ? -ESRCH : ret;
}

/* Runs a request: in the leader directly, elsewhere over the channel. -ENOSYS means there is
 * no leader to ask (it has exited, or this process never had one). */
static int leader_call(uint32_t op, int pid, int arg, struct leader_reply* rep) {
    struct leader_request* rq = calloc(1, sizeof(*rq));
    struct leader_reply* own = NULL;
    int ret;

    if (!rep)
        rep = own = calloc(1, sizeof(*rep));
    if (!rq || !rep) {
        ret = -ENOMEM;
        goto out;
    }
    *rq = (struct leader_request){.op = op, .caller = g_process.pid, .pid = pid, .arg = arg};
    if (op == OP_EXEC) {
        rq->cmdline_size = g_process.cmdline_size < PROC_CMDLINE_MAX
                               ? (uint32_t)g_process.cmdline_size
                               : PROC_CMDLINE_MAX;
        memcpy(rq->cmdline, g_process.cmdline, rq->cmdline_size);
    }
    if (g_process.pid == 1 && __atomic_load_n(&g_table.handed_over, __ATOMIC_ACQUIRE))
        ret = -ESRCH; /* on its way out */
    else if (g_process.pid == 1)
        ret = leader_handle(rq, rep);
    else if (g_leader_channel)
        ret = leader_send(rq, rep);
    else
        ret = -ENOSYS;
out:
    free(rq);
    free(own);
    return ret;
}

int leader_register_child(int host_pid) {
    struct leader_request* rq;
    struct leader_reply* rep;
    int ret;

    if (g_process.pid == 1 && !g_leader_channel) {
        ret = leader_start();
        if (ret < 0)
            return ret;
    }
    if (!g_leader_channel)
        return -EAGAIN;
    rq = calloc(1, sizeof(*rq));
    rep = calloc(1, sizeof(*rep));
    if (!rq || !rep) {
        ret = -ENOMEM;
        goto out;
    }
    *rq = (struct leader_request){.op = OP_NEW, .caller = g_process.pid, .host_pid = host_pid,
                                  .pgid = g_process.pgid, .sid = g_process.sid};
    rq->cmdline_size = g_process.cmdline_size < PROC_CMDLINE_MAX ? (uint32_t)g_process.cmdline_size
                                                                 : PROC_CMDLINE_MAX;
    memcpy(rq->cmdline, g_process.cmdline, rq->cmdline_size);
    ret = g_process.pid == 1 ? leader_handle(rq, rep) : leader_send(rq, rep);
    if (ret >= 0 && ret < 2)
        ret = -EAGAIN;
out:
    free(rq);
    free(rep);
    return ret < 0 ? -EAGAIN : ret;
}

static bool table_has_live_locked(void) {
    for (int i = 0; i < g_table.count; i++) {
        if (!g_table.entries[i].exited)
            return true;
    }
    return false;
}

/* Drops the zombies only the first process would have reaped: the host reaps them now. */
static void table_drop_orphan_zombies_locked(void) {
    for (int i = 0; i < g_table.count;) {
        struct table_entry* e = &g_table.entries[i];
        if (e->exited && e->ppid == 1)
            *e = g_table.entries[--g_table.count];
        else
            i++;
    }
}

/* The first process ends while others may go on (on Linux they would all be killed with the
 * namespace; here they keep running). A server process takes the table over, so that they can
 * still signal each other, stop and continue, and wait for groups. The table lock stays held
 * until this process is gone: its helper thread serves no more requests, and one it took and
 * could not answer is sent again by its client, to the server. */
static void leader_hand_over(void) {
    pal_handle_t* channel = NULL;
    int host_pid;
    char ack = 0;

    __atomic_store_n(&g_table.handed_over, true, __ATOMIC_RELEASE);
    spinlock_lock(&g_table.lock);
    if (table_init_locked() < 0)
        return;
    op_exit(1);
    table_drop_orphan_zombies_locked();
    if (!table_has_live_locked())
        return;
    if (pal_process_create_server(&channel, &host_pid) < 0) {
        log_warning("the process table cannot outlive the first process: no server process");
        return;
    }
    struct table_header hdr = {g_table.count, g_table.next_pid, g_table.foreground,
                               g_table.tty_sid, g_process.uid};
    size_t entries_size = (size_t)hdr.count * sizeof(g_table.entries[0]);
    bool sent = channel_write_all(channel, &hdr, sizeof(hdr)) == 0 &&
                channel_write_all(channel, g_table.entries, entries_size) == 0 &&
                pal_stream_send_handles(channel, &g_table.server, 1) == 0;
    while (sent && pal_stream_read(channel, &ack, 1, -1) == -EINTR)
        pal_thread_clear_interrupt();
    if (ack != 'k')
        log_warning("the process table cannot outlive the first process: hand-over failed");
    pal_stream_close(channel);
}

void leader_note_exit(void) {
    if (g_process.pid == 1 && g_leader_channel)
        leader_hand_over();
    else if (g_process.pid == 1 || g_leader_channel)
        leader_call(OP_EXIT, 0, 0, NULL);
}

static void server_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx) {
    if (ev == PAL_EVENT_HOST_SIGNAL && info->signo == LINUX_SIGTERM)
        pal_process_exit(0);
}

/* The server process: the table from channel, then the leader's service loop on this thread.
 * It runs no app; host signals other than SIGTERM (a terminal's Ctrl-C among them) pass it by. */
void libos_start_server(pal_handle_t* channel) {
    struct table_header hdr;
    pal_handle_t* server = NULL;

    log_current_level = LOG_ERROR;
    pal_set_event_handler(server_event);
    g_table.entries = calloc(TABLE_MAX, sizeof(struct table_entry));
    if (!g_table.entries || channel_read_all(channel, &hdr, sizeof(hdr)) < 0 || hdr.count < 0 ||
        hdr.count > TABLE_MAX ||
        channel_read_all(channel, g_table.entries,
                         (size_t)hdr.count * sizeof(g_table.entries[0])) < 0 ||
        pal_stream_recv_handles(channel, &server, 1) < 0) {
        log_error("process table server: bad hand-over");
        pal_process_exit(127);
    }
    g_table.count = hdr.count;
    g_table.next_pid = hdr.next_pid;
    g_table.foreground = hdr.foreground;
    g_table.tty_sid = hdr.tty_sid;
    g_table.server = server;
    g_table.is_server = true;
    g_process.uid = hdr.uid;
    pal_stream_write(channel, "k", 1, -1);
    pal_stream_close(channel);
    leader_serve(NULL);
    pal_process_exit(0);
}

void leader_note_reaped(int pid) {
    leader_call(OP_REAPED, pid, 0, NULL);
}

void leader_note_exec(void) {
    leader_call(OP_EXEC, 0, 0, NULL);
}

int leader_setpgid(int pid, int pgid) {
    return leader_call(OP_SETPGID, pid, pgid, NULL);
}

int leader_setsid(void) {
    return leader_call(OP_SETSID, 0, 0, NULL);
}

/* op is one of getpgid, getsid, getppid for pid. */
static int leader_get(uint32_t op, int pid) {
    return leader_call(op, pid, 0, NULL);
}

int leader_getpgid(int pid) {
    return leader_get(OP_GETPGID, pid);
}

int leader_getsid(int pid) {
    return leader_get(OP_GETSID, pid);
}

int leader_getppid(int pid) {
    return leader_get(OP_GETPPID, pid);
}

int leader_kill(int pid, int signo) {
    return leader_call(OP_KILL, pid, signo, NULL);
}

int leader_kill_group(int pgid, int signo, bool all, bool* caller_member) {
    struct leader_reply* rep = calloc(1, sizeof(*rep));
    int ret;

    if (!rep)
        return -ENOMEM;
    ret = leader_call(all ? OP_KILLALL : OP_KILLPG, pgid, signo, rep);
    *caller_member = rep->caller_member;
    free(rep);
    return ret;
}

/* SIGCONTs other processes sent this one, counted as they arrive (see op_stop). */
static uint32_t g_conts_seen;

void leader_note_continued(void) {
    __atomic_add_fetch(&g_conts_seen, 1, __ATOMIC_ACQ_REL);
}

int leader_stop(int signo) {
    struct leader_request* rq = calloc(1, sizeof(*rq));
    struct leader_reply* rep = calloc(1, sizeof(*rep));
    int ret = -ENOMEM;

    if (rq && rep) {
        uint32_t seen = __atomic_load_n(&g_conts_seen, __ATOMIC_ACQUIRE);
        *rq = (struct leader_request){
            .op = OP_STOP, .caller = g_process.pid, .arg = signo, .conts_seen = seen};
        if (g_process.pid == 1)
            ret = leader_handle(rq, rep);
        else
            ret = g_leader_channel ? leader_send(rq, rep) : -ENOSYS;
    }
    free(rq);
    free(rep);
    return ret;
}

int leader_stop_signal(int pid) {
    return leader_call(OP_STOPSIG, pid, 0, NULL);
}

int leader_group_children(int pgid, int* host_pids, int max) {
    struct leader_reply* rep = calloc(1, sizeof(*rep));
    int ret;

    if (!rep)
        return -ENOMEM;
    ret = leader_call(OP_CHILDREN, 0, pgid, rep);
    if (ret >= 0) {
        ret = rep->count < max ? rep->count : max;
        memcpy(host_pids, rep->pids, (size_t)ret * sizeof(int));
    }
    free(rep);
    return ret;
}

int leader_process_info(int pid, struct process_info* info) {
    struct leader_reply* rep = calloc(1, sizeof(*rep));
    int ret;

    if (!rep)
        return -ENOMEM;
    ret = leader_call(OP_INFO, pid, 0, rep);
    if (ret >= 0)
        *info = rep->info;
    free(rep);
    return ret;
}

int leader_list_pids(int* pids, int max) {
    struct leader_reply* rep = calloc(1, sizeof(*rep));
    int ret;

    if (!rep)
        return -ENOMEM;
    ret = leader_call(OP_LIST, 0, 0, rep);
    if (ret >= 0) {
        ret = rep->count < max ? rep->count : max;
        memcpy(pids, rep->pids, (size_t)ret * sizeof(int));
    }
    free(rep);
    return ret;
}

/* The leader's host process: is this guest pid one of its adopted (orphan) host children? */
int leader_adopted_host_pid(int pid) {
    int host_pid = -ECHILD;

    if (g_process.pid != 1 || __atomic_load_n(&g_table.handed_over, __ATOMIC_ACQUIRE))
        return -ECHILD;
    spinlock_lock(&g_table.lock);
    for (int i = 0; g_table.entries && i < g_table.count; i++) {
        struct table_entry* e = &g_table.entries[i];
        if (e->ppid == 1 && e->pid != 1 && (pid <= 0 || e->pid == pid))
            host_pid = pid <= 0 ? -1 : e->host_pid;
    }
    spinlock_unlock(&g_table.lock);
    return host_pid;
}

int leader_guest_pid_of_host(int host_pid) {
    int pid = 0;

    if (__atomic_load_n(&g_table.handed_over, __ATOMIC_ACQUIRE))
        return 0;
    spinlock_lock(&g_table.lock);
    for (int i = 0; g_table.entries && i < g_table.count; i++) {
        if (g_table.entries[i].host_pid == host_pid)
            pid = g_table.entries[i].pid;
    }
    spinlock_unlock(&g_table.lock);
    return pid;
}

/* ---- The terminal's foreground group ------------------------------------------------------ */

int process_tty_foreground(void) {
    int ret = leader_call(OP_GETFG, 0, 0, NULL);
    return ret == -ENOSYS ? sys_getpgid(0) : ret;
}

int process_tty_set_foreground(int pgid) {
    if (pgid < 0)
        return -EINVAL;
    int ret = leader_call(OP_SETFG, 0, pgid, NULL);
    if (ret == -ENOSYS)
        return pgid == g_process.pgid ? 0 : -EPERM;
    return ret;
}

/* Job control on the terminal, as Linux's: a process of a background group that reads it, or
 * writes it while TOSTOP is set (the caller checks that), signals its whole group with SIGTTIN
 * or SIGTTOU, and the call restarts once the group is continued, in the foreground or not. With
 * that signal ignored or blocked, a read fails with EIO and a write goes ahead; in an orphaned
 * group, where no shell could continue it, both fail with EIO. */
int process_tty_access(bool write) {
    int signo = write ? LINUX_SIGTTOU : LINUX_SIGTTIN;
    int ret = leader_call(OP_TTY_ACCESS, 0, 0, NULL);
    bool self = false;

    if (ret <= 0)
        return 0; /* in the foreground, or alone: no leader, no other group */
    spinlock_lock(&g_process.lock);
    bool refused = g_process.sigactions[signo].handler == LINUX_SIG_IGN ||
                   (libos_current()->sigmask & SIGBIT(signo));
    spinlock_unlock(&g_process.lock);
    if (refused)
        return write ? 0 : -EIO;
    if (ret == 2)
        return -EIO;
    ret = leader_kill_group((int)sys_getpgid(0), signo, false, &self);
    if (ret < 0)
        return ret;
    struct linux_siginfo si = {.signo = signo, .code = LINUX_SI_KERNEL};
    signal_send(0, signo, &si);
    return -ERESTARTSYS;
}

/* Signals the terminal raises (Ctrl-C, Ctrl-\\, Ctrl-Z, a resize) reach every host process of
 * the host's foreground group, which all guest processes share; only the guest foreground group
 * takes them. */
bool process_takes_tty_signal(void) {
    int fg = leader_call(OP_GETFG, 0, 0, NULL);
    return fg < 0 || fg == sys_getpgid(0);
}

/* Terminal signals that arrived while the process sat in a blocking call, where the upcall may
 * take no lock: the foreground check runs on the way back to the app. */
static uint64_t g_tty_pending;

void process_note_tty_signal(int signo) {
    __atomic_or_fetch(&g_tty_pending, SIGBIT(signo), __ATOMIC_RELEASE);
}

void process_settle_tty_signals(void) {
    uint64_t bits = __atomic_exchange_n(&g_tty_pending, 0, __ATOMIC_ACQ_REL);

    if (!bits || !process_takes_tty_signal())
        return;
    for (int sig = 1; sig < LIBOS_NSIG; sig++) {
        if (bits & SIGBIT(sig)) {
            struct linux_siginfo si = {.signo = sig, .code = LINUX_SI_KERNEL};
            signal_send(0, sig, &si);
        }
    }
}

bool process_tty_signal_noted(void) {
    return __atomic_load_n(&g_tty_pending, __ATOMIC_ACQUIRE) != 0;
}
