/* The real-time interval timer (alarm, setitimer ITIMER_REAL), run by a helper thread. */
#include "libos.h"
#include "proc.h"

#include <linux/time.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_USEC 1000ULL
/* The helper wakes at least this often when no timer is armed. */
#define IDLE_SLEEP_NS (3600ULL * NSEC_PER_SEC)

struct linux_itimerval {
    struct linux_timeval interval;
    struct linux_timeval value;
};

/* deadline is on the monotonic clock; 0 means disarmed. */
static struct {
    spinlock_t lock;
    uint64_t deadline_ns;
    uint64_t interval_ns;
    struct proc_thread* helper;
} g_itimer = {.lock = SPINLOCK_INIT};

static uint64_t now_ns(void) {
    uint64_t ns = 0;
    pal_clock_get(PAL_CLOCK_MONOTONIC, &ns);
    return ns;
}

/* Fires the timer if it is due; returns how long to sleep until it is. */
static uint64_t itimer_check(void) {
    uint64_t now = now_ns();
    bool fire = false;
    uint64_t sleep = IDLE_SLEEP_NS;

    spinlock_lock(&g_itimer.lock);
    if (g_itimer.deadline_ns && now >= g_itimer.deadline_ns) {
        fire = true;
        if (g_itimer.interval_ns) {
            /* Expirations missed while the host did not run us are dropped, not queued. */
            uint64_t late = now - g_itimer.deadline_ns;
            g_itimer.deadline_ns += (late / g_itimer.interval_ns + 1) * g_itimer.interval_ns;
        } else {
            g_itimer.deadline_ns = 0;
        }
    }
    if (g_itimer.deadline_ns)
        sleep = g_itimer.deadline_ns > now ? g_itimer.deadline_ns - now : 0;
    spinlock_unlock(&g_itimer.lock);

    if (fire) {
        struct linux_siginfo info = {.signo = LINUX_SIGALRM, .code = LINUX_SI_KERNEL};
        signal_send(0, LINUX_SIGALRM, &info);
    }
    return sleep;
}

/* setitimer interrupts this thread after every change, so it never sleeps past a deadline. */
static void itimer_thread_main(void* arg) {
    for (;;) {
        uint64_t left;
        pal_thread_clear_interrupt();
        uint64_t sleep = itimer_check();
        if (sleep)
            pal_sleep(sleep, &left);
    }
}

static int itimer_start_helper_locked(void) {
    if (g_itimer.helper)
        return 0;
    struct proc_thread* pt = calloc(1, sizeof(*pt));
    if (!pt)
        return -ENOMEM;
    pt->helper = true;
    pt->base.sigmask = ~0ULL;
    strlcpy(pt->name, "itimer", sizeof(pt->name));
    int ret = pal_thread_create(&pt->base.pal, itimer_thread_main, pt);
    if (ret < 0) {
        free(pt);
        return ret;
    }
    g_itimer.helper = pt;
    return 0;
}

static struct linux_timeval ns_to_timeval(uint64_t ns) {
    return (struct linux_timeval){(int64_t)(ns / NSEC_PER_SEC),
                                  (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC)};
}

static int timeval_to_ns(const struct linux_timeval* tv, uint64_t* ns) {
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        return -EINVAL;
    *ns = (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * NSEC_PER_USEC;
    return 0;
}

static void itimer_read_locked(struct linux_itimerval* out, uint64_t now) {
    uint64_t left = 0;
    if (g_itimer.deadline_ns)
        left = g_itimer.deadline_ns > now ? g_itimer.deadline_ns - now : 1;
    out->value = ns_to_timeval(left);
    out->interval = ns_to_timeval(g_itimer.interval_ns);
}

/* Arms (value > 0) or disarms the timer; *old receives the previous setting. */
static int itimer_set(uint64_t value_ns, uint64_t interval_ns, struct linux_itimerval* old) {
    uint64_t now = now_ns();
    int ret = 0;

    spinlock_lock(&g_itimer.lock);
    itimer_read_locked(old, now);
    if (value_ns) {
        ret = itimer_start_helper_locked();
        if (ret < 0)
            goto out;
    }
    g_itimer.deadline_ns = value_ns ? now + value_ns : 0;
    g_itimer.interval_ns = value_ns ? interval_ns : 0;
    if (g_itimer.helper)
        pal_thread_interrupt(&g_itimer.helper->base.pal);
out:
    spinlock_unlock(&g_itimer.lock);
    return ret;
}

/* Only ITIMER_REAL exists: virtual and profiling timers need per-thread CPU time accounting
 * the PAL does not offer, so they fail with ENOSYS. */
long sys_setitimer(int which, const struct linux_itimerval* unew, struct linux_itimerval* uold) {
    struct linux_itimerval new, old;
    uint64_t value = 0, interval = 0;

    if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
        return -ENOSYS;
    if (which != ITIMER_REAL)
        return -EINVAL;
    /* A NULL new value disarms, as Linux still accepts. */
    memset(&new, 0, sizeof(new));
    if (unew && copy_from_app(&new, unew, sizeof(new)) < 0)
        return -EFAULT;
    int ret = timeval_to_ns(&new.value, &value);
    if (ret == 0)
        ret = timeval_to_ns(&new.interval, &interval);
    if (ret < 0)
        return ret;
    ret = itimer_set(value, interval, &old);
    if (ret < 0)
        return ret;
    if (uold && copy_to_app(uold, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_getitimer(int which, struct linux_itimerval* ucur) {
    struct linux_itimerval cur;

    if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
        return -ENOSYS;
    if (which != ITIMER_REAL)
        return -EINVAL;
    spinlock_lock(&g_itimer.lock);
    itimer_read_locked(&cur, now_ns());
    spinlock_unlock(&g_itimer.lock);
    return copy_to_app(ucur, &cur, sizeof(cur));
}

/* Seconds left on the previous alarm, rounded as Linux rounds them (never 0 if one was set). */
long sys_alarm(unsigned int seconds) {
    struct linux_itimerval old;

    int ret = itimer_set((uint64_t)seconds * NSEC_PER_SEC, 0, &old);
    if (ret < 0)
        return ret;
    long left = old.value.tv_sec;
    if (old.value.tv_usec >= 500000 || (!left && old.value.tv_usec))
        left++;
    return left;
}
