/* Parent, process group and session ids: the leader's table is the authority once processes
 * exist; a process on its own (no leader to ask) answers for itself. */
#include "libos.h"
#include "proc.h"
#include "process.h"

/* The answer about the caller when the leader cannot give one. */
static bool pid_is_self(int pid) {
    return pid == 0 || pid == g_process.pid;
}

/* After a change made by another process (a parent's setpgid on its child), the local copy is
 * refreshed whenever the caller asks about itself. */
static long ask_leader(int (*get)(int), int pid, int* local) {
    int target = pid ? pid : g_process.pid;
    int ret = get(target);

    if (ret == -ENOSYS)
        return pid_is_self(pid) ? *local : -ESRCH;
    if (ret >= 0 && target == g_process.pid)
        *local = ret;
    return ret;
}

long sys_getppid(void) {
    if (g_process.ppid == 1 || g_process.ppid == 0)
        return g_process.ppid; /* pid 1 never goes away while others can ask it */
    return ask_leader(leader_getppid, 0, &g_process.ppid);
}

/* A negative pid names no process: ESRCH, as Linux. */
long sys_getpgid(int pid) {
    if (pid < 0)
        return -ESRCH;
    return ask_leader(leader_getpgid, pid, &g_process.pgid);
}

long sys_getpgrp(void) {
    return sys_getpgid(0);
}

long sys_getsid(int pid) {
    if (pid < 0)
        return -ESRCH;
    return ask_leader(leader_getsid, pid, &g_process.sid);
}

long sys_setpgid(int pid, int pgid) {
    if (pid < 0 || pgid < 0)
        return -EINVAL;
    int ret = leader_setpgid(pid, pgid);
    if (ret == -ENOSYS) {
        /* Alone, the process leads its session and can only stay in its own group. */
        if (!pid_is_self(pid))
            return -ESRCH;
        return pgid == 0 || pgid == g_process.pid ? 0 : -EPERM;
    }
    if (ret == 0 && pid_is_self(pid))
        g_process.pgid = pgid ? pgid : g_process.pid;
    return ret;
}

long sys_setsid(void) {
    int ret = leader_setsid();

    if (ret == -ENOSYS)
        return -EPERM; /* the lone first process already leads its group and session */
    if (ret > 0)
        g_process.pgid = g_process.sid = ret;
    return ret;
}
