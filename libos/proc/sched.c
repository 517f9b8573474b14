/* Scheduling syscalls: yield, CPU affinity through the host, plausible policy and nice values. */
#include "libos.h"
#include "proc.h"

/* Enough bits for 4096 CPUs; the host's own mask size is what the PAL reports. */
#define AFFINITY_MAX_BYTES 512

#define NICE_MIN (-20)
#define NICE_MAX 19

/* Scheduling policies, as Linux numbers them, with their priority range. Real-time policies
 * are refused: Kernite does not let an app claim real-time priority on the host. */
struct sched_policy_row {
    int min_priority, max_priority;
    bool allowed;
    bool known;
};

static const struct sched_policy_row g_policies[] = {
    [SCHED_NORMAL] = {0, 0, true, true}, [SCHED_FIFO] = {1, 99, false, true},
    [SCHED_RR] = {1, 99, false, true},   [SCHED_BATCH] = {0, 0, true, true},
    [SCHED_IDLE] = {0, 0, true, true},   [SCHED_DEADLINE] = {0, 0, false, true},
};

#define POLICY_COUNT ((int)(sizeof(g_policies) / sizeof(g_policies[0])))

/* The whole process shares one policy and one nice value; neither reaches the host. */
static int g_policy = SCHED_NORMAL;
static int g_nice;

struct linux_sched_param {
    int32_t priority;
};

long sys_sched_yield(void) {
    pal_thread_yield();
    return 0;
}

/* Host thread id of guest thread tid (0: the caller), or -ESRCH. */
static int sched_host_tid(int tid) {
    int host_tid = -ESRCH;

    if (tid == 0)
        return libos_current()->pal.host_tid;
    spinlock_lock(&g_process.lock);
    struct libos_thread* t = thread_lookup(tid);
    if (t)
        host_tid = t->pal.host_tid;
    spinlock_unlock(&g_process.lock);
    return host_tid;
}

/* The process id names the main thread, as on Linux. */
static bool sched_pid_valid(int pid) {
    return pid >= 0 && sched_host_tid(pid) >= 0;
}

long sys_sched_getaffinity(int tid, unsigned int len, void* mask) {
    uint8_t buf[AFFINITY_MAX_BYTES];

    if (len & (sizeof(uint64_t) - 1))
        return -EINVAL;
    if ((uint64_t)len * 8 < g_host.cpu_count)
        return -EINVAL;
    int host_tid = sched_host_tid(tid);
    if (host_tid < 0)
        return host_tid;
    memset(buf, 0, sizeof(buf));
    int ret = pal_thread_get_affinity(host_tid, buf, sizeof(buf));
    if (ret < 0)
        return ret;

    /* Like Linux: the host's mask size, or less if the app's buffer is smaller. */
    size_t size = (size_t)ret < len ? (size_t)ret : len;
    if (copy_to_app(mask, buf, size) < 0)
        return -EFAULT;
    return (long)size;
}

long sys_sched_setaffinity(int tid, unsigned int len, const void* mask) {
    uint8_t buf[AFFINITY_MAX_BYTES];

    memset(buf, 0, sizeof(buf));
    size_t size = len < sizeof(buf) ? len : sizeof(buf);
    if (copy_from_app(buf, mask, size) < 0)
        return -EFAULT;
    int host_tid = sched_host_tid(tid);
    if (host_tid < 0)
        return host_tid;
    return pal_thread_set_affinity(host_tid, buf, size);
}

long sys_sched_getscheduler(int pid) {
    if (pid < 0)
        return -EINVAL;
    if (!sched_pid_valid(pid))
        return -ESRCH;
    return g_policy;
}

long sys_sched_getparam(int pid, struct linux_sched_param* param) {
    struct linux_sched_param p = {0};
    if (pid < 0 || !param)
        return -EINVAL;
    if (!sched_pid_valid(pid))
        return -ESRCH;
    return copy_to_app(param, &p, sizeof(p));
}

static int sched_check(int policy, const struct linux_sched_param* param) {
    struct linux_sched_param p;

    if (policy < 0 || policy >= POLICY_COUNT || !g_policies[policy].known || !param)
        return -EINVAL;
    if (copy_from_app(&p, param, sizeof(p)) < 0)
        return -EFAULT;
    if (p.priority < g_policies[policy].min_priority ||
        p.priority > g_policies[policy].max_priority)
        return -EINVAL;
    return g_policies[policy].allowed ? 0 : -EPERM;
}

long sys_sched_setscheduler(int pid, int policy, const struct linux_sched_param* param) {
    if (pid < 0)
        return -EINVAL;
    if (!sched_pid_valid(pid))
        return -ESRCH;
    /* SCHED_RESET_ON_FORK may be or-ed in; there is no fork yet for it to act on. */
    int ret = sched_check(policy & ~SCHED_RESET_ON_FORK, param);
    if (ret < 0)
        return ret;
    g_policy = policy & ~SCHED_RESET_ON_FORK;
    return 0;
}

long sys_sched_setparam(int pid, const struct linux_sched_param* param) {
    if (pid < 0)
        return -EINVAL;
    if (!sched_pid_valid(pid))
        return -ESRCH;
    return sched_check(g_policy, param);
}

long sys_sched_get_priority_max(int policy) {
    if (policy < 0 || policy >= POLICY_COUNT || !g_policies[policy].known)
        return -EINVAL;
    return g_policies[policy].max_priority;
}

long sys_sched_get_priority_min(int policy) {
    if (policy < 0 || policy >= POLICY_COUNT || !g_policies[policy].known)
        return -EINVAL;
    return g_policies[policy].min_priority;
}

long sys_sched_rr_get_interval(int pid, struct linux_timespec* interval) {
    /* The kernel's default round-robin slice, 100 ms. */
    struct linux_timespec ts = {0, 100000000};
    if (pid < 0)
        return -EINVAL;
    if (!sched_pid_valid(pid))
        return -ESRCH;
    return copy_to_app(interval, &ts, sizeof(ts));
}

/* PRIO_PROCESS, PRIO_PGRP and PRIO_USER all name this one process (or its user). */
static int prio_target_valid(int which, int who) {
    switch (which) {
        case PRIO_PROCESS:
            return who == 0 || sched_pid_valid(who) ? 0 : -ESRCH;
        case PRIO_PGRP:
            return who == 0 || who == g_process.pgid ? 0 : -ESRCH;
        case PRIO_USER:
            return who == 0 || (uint32_t)who == g_process.uid ? 0 : -ESRCH;
        default:
            return -EINVAL;
    }
}

/* The raw syscall returns 20 - nice so that the value is never negative. */
long sys_getpriority(int which, int who) {
    int ret = prio_target_valid(which, who);
    return ret < 0 ? ret : 20 - g_nice;
}

long sys_setpriority(int which, int who, int nice) {
    int ret = prio_target_valid(which, who);
    if (ret < 0)
        return ret;
    if (nice < NICE_MIN)
        nice = NICE_MIN;
    if (nice > NICE_MAX)
        nice = NICE_MAX;
    if (nice < g_nice && g_process.euid != 0)
        return -EACCES;
    g_nice = nice;
    return 0;
}

/* The PAL cannot tell which host CPU runs the thread; Kernite reports CPU 0 on node 0. */
long sys_getcpu(uint32_t* cpu, uint32_t* node, void* cache) {
    uint32_t zero = 0;
    if (cpu && copy_to_app(cpu, &zero, sizeof(zero)) < 0)
        return -EFAULT;
    if (node && copy_to_app(node, &zero, sizeof(zero)) < 0)
        return -EFAULT;
    return 0;
}
