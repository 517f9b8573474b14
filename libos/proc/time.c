/* Clocks and sleeps: clock_gettime and friends, nanosleep; times and getrusage from the host. */
#include "libos.h"
#include "proc.h"

#include <linux/time.h>
#include <linux/times.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define USER_HZ       100ULL
/* The coarse clocks tick at the kernel's usual 250 Hz; the others are as fine as the host's. */
#define COARSE_RES_NS 4000000ULL

/* Linux encodes the CPU clock of another thread or process in a negative clock id:
 * (~pid << 3) | type, with bit 2 set for a thread. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_TYPE_MASK 3
#define CPUCLOCK_TYPE_MAX  2

struct clock_row {
    int pal_clock;
    uint64_t resolution_ns;
    bool can_sleep;
};

/* What each Linux clock id is made of. BOOTTIME equals MONOTONIC: the host's suspend time
 * cannot be told apart here. */
static const struct clock_row g_clocks[] = {
    [CLOCK_REALTIME] = {PAL_CLOCK_REALTIME, 1, true},
    [CLOCK_MONOTONIC] = {PAL_CLOCK_MONOTONIC, 1, true},
    [CLOCK_PROCESS_CPUTIME_ID] = {PAL_CLOCK_PROCESS, 1, false},
    [CLOCK_THREAD_CPUTIME_ID] = {PAL_CLOCK_THREAD, 1, false},
    [CLOCK_MONOTONIC_RAW] = {PAL_CLOCK_MONOTONIC, 1, false},
    [CLOCK_REALTIME_COARSE] = {PAL_CLOCK_REALTIME, COARSE_RES_NS, false},
    [CLOCK_MONOTONIC_COARSE] = {PAL_CLOCK_MONOTONIC, COARSE_RES_NS, false},
    [CLOCK_BOOTTIME] = {PAL_CLOCK_MONOTONIC, 1, true},
};

#define CLOCK_COUNT ((int)(sizeof(g_clocks) / sizeof(g_clocks[0])))

/* Maps a negative CPU clock id naming this process or one of its threads. Only the caller's
 * own thread clock can be read: the PAL measures CPU time of the calling host thread only. */
static int clock_cpu_row(int clockid, const struct clock_row** row) {
    int id = ~(clockid >> 3);
    bool thread = clockid & CPUCLOCK_PERTHREAD;

    if ((clockid & CPUCLOCK_TYPE_MASK) > CPUCLOCK_TYPE_MAX)
        return -EINVAL;
    if (thread && (id == 0 || id == libos_current()->tid)) {
        *row = &g_clocks[CLOCK_THREAD_CPUTIME_ID];
        return 0;
    }
    if (!thread && (id == 0 || id == g_process.pid)) {
        *row = &g_clocks[CLOCK_PROCESS_CPUTIME_ID];
        return 0;
    }
    return -EINVAL;
}

static int clock_row_of(int clockid, const struct clock_row** row) {
    if (clockid < 0)
        return clock_cpu_row(clockid, row);
    if (clockid >= CLOCK_COUNT || !g_clocks[clockid].resolution_ns)
        return -EINVAL;
    *row = &g_clocks[clockid];
    return 0;
}

int time_clock_get_ns(int clockid, uint64_t* ns) {
    const struct clock_row* row;
    int ret = clock_row_of(clockid, &row);
    if (ret < 0)
        return ret;
    ret = pal_clock_get(row->pal_clock, ns);
    if (ret < 0)
        return ret;
    if (row->resolution_ns > 1)
        *ns -= *ns % row->resolution_ns;
    return 0;
}

static struct linux_timespec ns_to_timespec(uint64_t ns) {
    return (struct linux_timespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

static struct linux_timeval ns_to_timeval(uint64_t ns) {
    return (struct linux_timeval){(int64_t)(ns / NSEC_PER_SEC),
                                  (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC)};
}

long sys_clock_gettime(int clockid, struct linux_timespec* tp) {
    uint64_t ns;
    int ret = time_clock_get_ns(clockid, &ns);
    if (ret < 0)
        return ret;
    struct linux_timespec ts = ns_to_timespec(ns);
    return copy_to_app(tp, &ts, sizeof(ts));
}

long sys_clock_getres(int clockid, struct linux_timespec* res) {
    const struct clock_row* row;
    int ret = clock_row_of(clockid, &row);
    if (ret < 0)
        return ret;
    if (!res)
        return 0;
    struct linux_timespec ts = ns_to_timespec(row->resolution_ns);
    return copy_to_app(res, &ts, sizeof(ts));
}

/* Setting the clock is the host's business, not an app's. */
long sys_clock_settime(int clockid, const struct linux_timespec* tp) {
    const struct clock_row* row;
    int ret = clock_row_of(clockid, &row);
    return ret < 0 ? ret : -EPERM;
}

long sys_gettimeofday(struct linux_timeval* tv, void* tz) {
    uint64_t ns;
    int ret = pal_clock_get(PAL_CLOCK_REALTIME, &ns);
    if (ret < 0)
        return ret;
    if (tv) {
        struct linux_timeval v = ns_to_timeval(ns);
        if (copy_to_app(tv, &v, sizeof(v)) < 0)
            return -EFAULT;
    }
    if (tz) {
        /* struct timezone: minutes west of UTC and the obsolete DST flag, both 0. */
        int32_t zone[2] = {0, 0};
        if (copy_to_app(tz, zone, sizeof(zone)) < 0)
            return -EFAULT;
    }
    return 0;
}

long sys_time(int64_t* tloc) {
    uint64_t ns;
    int ret = pal_clock_get(PAL_CLOCK_REALTIME, &ns);
    if (ret < 0)
        return ret;
    int64_t sec = (int64_t)(ns / NSEC_PER_SEC);
    if (tloc && copy_to_app(tloc, &sec, sizeof(sec)) < 0)
        return -EFAULT;
    return sec;
}

static int timespec_from_app(const struct linux_timespec* app, uint64_t* ns) {
    struct linux_timespec ts;
    if (copy_from_app(&ts, app, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    if ((uint64_t)ts.tv_sec > (UINT64_MAX >> 1) / NSEC_PER_SEC)
        *ns = UINT64_MAX >> 1;
    else
        *ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}

/* Sleeps until the deadline on clockid. Host interruptions that carry no signal for this thread
 * just continue the sleep. Returns 0, or -EINTR with *left_ns set when a signal is pending. */
static int time_sleep_until(int clockid, uint64_t deadline, uint64_t* left_ns) {
    for (;;) {
        uint64_t now, left;
        int ret = time_clock_get_ns(clockid, &now);
        if (ret < 0)
            return ret;
        *left_ns = deadline > now ? deadline - now : 0;
        pal_thread_clear_interrupt();
        if (signal_pending())
            return -EINTR;
        if (!*left_ns)
            return 0;
        ret = pal_sleep(*left_ns, &left);
        if (ret != -EINTR)
            return ret;
    }
}

/* A relative sleep interrupted by a handler reports the time left and fails with EINTR (never
 * restarted, as on Linux); an absolute one restarts when no handler runs. */
static long time_nanosleep(int clockid, int flags, const struct linux_timespec* req,
                           struct linux_timespec* rem) {
    uint64_t ns, now, left = 0;
    int ret = timespec_from_app(req, &ns);
    if (ret < 0)
        return ret;

    bool absolute = flags & TIMER_ABSTIME;
    uint64_t deadline = ns;
    if (!absolute) {
        ret = time_clock_get_ns(clockid, &now);
        if (ret < 0)
            return ret;
        deadline = ns + now;
    }
    ret = time_sleep_until(clockid, deadline, &left);
    if (ret != -EINTR)
        return ret;
    if (absolute)
        return -ERESTARTNOHAND;
    if (rem) {
        struct linux_timespec ts = ns_to_timespec(left);
        if (copy_to_app(rem, &ts, sizeof(ts)) < 0)
            return -EFAULT;
    }
    return -EINTR;
}

long sys_nanosleep(const struct linux_timespec* req, struct linux_timespec* rem) {
    return time_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}

long sys_clock_nanosleep(int clockid, int flags, const struct linux_timespec* req,
                         struct linux_timespec* rem) {
    const struct clock_row* row;
    int ret = clock_row_of(clockid, &row);
    if (ret < 0)
        return ret;
    if (clockid == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    /* Sleeping on a CPU-time clock is not supported: its rate is not the wall clock's. */
    if (!row->can_sleep)
        return -EOPNOTSUPP;
    return time_nanosleep(clockid, flags, req, rem);
}

static long ns_to_ticks(uint64_t ns) {
    return (long)(ns / (NSEC_PER_SEC / USER_HZ));
}

/* User and system time of the process and of its reaped children, as the host measured them
 * for the host processes (the library OS's own work included: it runs for the app). */
long sys_times(struct tms* buf) {
    struct pal_usage self, children;
    uint64_t now;
    int ret = pal_clock_get(PAL_CLOCK_MONOTONIC, &now);

    if (ret < 0)
        return ret;
    if (buf) {
        ret = pal_process_usage(PAL_USAGE_SELF, &self);
        if (ret == 0)
            ret = pal_process_usage(PAL_USAGE_CHILDREN, &children);
        if (ret < 0)
            return ret;
        struct tms t = {
            .tms_utime = ns_to_ticks(self.user_ns),
            .tms_stime = ns_to_ticks(self.system_ns),
            .tms_cutime = ns_to_ticks(children.user_ns),
            .tms_cstime = ns_to_ticks(children.system_ns),
        };
        if (copy_to_app(buf, &t, sizeof(t)) < 0)
            return -EFAULT;
    }
    return ns_to_ticks(now);
}

void time_rusage_from_pal(const struct pal_usage* u, struct linux_rusage* ru) {
    memset(ru, 0, sizeof(*ru));
    ru->utime = ns_to_timeval(u->user_ns);
    ru->stime = ns_to_timeval(u->system_ns);
    ru->maxrss = (int64_t)u->maxrss_kb;
    ru->minflt = (int64_t)u->minflt;
    ru->majflt = (int64_t)u->majflt;
    ru->inblock = (int64_t)u->inblock;
    ru->oublock = (int64_t)u->oublock;
    ru->nvcsw = (int64_t)u->nvcsw;
    ru->nivcsw = (int64_t)u->nivcsw;
}

/* The host's figures for the host process, its reaped children or the calling thread. Peak
 * RSS counts the library OS's memory too; counters Linux leaves at zero stay zero. */
long sys_getrusage(int who, struct linux_rusage* usage) {
    struct linux_rusage ru;
    struct pal_usage u;
    int pal_who;

    switch (who) {
        case RUSAGE_SELF:
            pal_who = PAL_USAGE_SELF;
            break;
        case RUSAGE_THREAD:
            pal_who = PAL_USAGE_THREAD;
            break;
        case RUSAGE_CHILDREN:
            pal_who = PAL_USAGE_CHILDREN;
            break;
        default:
            return -EINVAL;
    }
    int ret = pal_process_usage(pal_who, &u);
    if (ret < 0)
        return ret;
    time_rusage_from_pal(&u, &ru);
    return copy_to_app(usage, &ru, sizeof(ru));
}
