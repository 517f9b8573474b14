/* Resource limits: defaults from the manifest, getrlimit/setrlimit/prlimit64. */
#include "libos.h"
#include "manifest.h"
#include "proc.h"

#define RLIM_INF UINT64_MAX
#define MiB      (1024ULL * 1024)

/* Where a limit's default comes from: a fixed value like Linux's, or the manifest. */
enum rlimit_source {
    RLSRC_FIXED,
    RLSRC_STACK,  /* sys.stack.size, the main thread's stack as the loader maps it */
    RLSRC_NOFILE, /* sys.fds.limit, the size of the fd table */
    RLSRC_AS,     /* the app's memory limit */
    RLSRC_NPROC,  /* sgx.max_threads when set */
};

struct rlimit_default {
    enum rlimit_source source;
    uint64_t cur, max; /* for RLSRC_FIXED, and the fallback otherwise */
};

/* Linux's usual defaults where Kernite has nothing better to say. Only NOFILE is enforced (by
 * the fd table); the others are reported and stored. */
static const struct rlimit_default g_rlimit_defaults[RLIM_NLIMITS] = {
    [RLIMIT_CPU] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
    [RLIMIT_FSIZE] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
    [RLIMIT_DATA] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
    [RLIMIT_STACK] = {RLSRC_STACK, 8 * MiB, RLIM_INF},
    [RLIMIT_CORE] = {RLSRC_FIXED, 0, RLIM_INF},
    [RLIMIT_RSS] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
    [RLIMIT_NPROC] = {RLSRC_NPROC, 4096, 4096},
    [RLIMIT_NOFILE] = {RLSRC_NOFILE, 1024, 1024},
    [RLIMIT_MEMLOCK] = {RLSRC_FIXED, 8 * MiB, 8 * MiB},
    [RLIMIT_AS] = {RLSRC_AS, RLIM_INF, RLIM_INF},
    [RLIMIT_LOCKS] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
    [RLIMIT_SIGPENDING] = {RLSRC_FIXED, 4096, 4096},
    [RLIMIT_MSGQUEUE] = {RLSRC_FIXED, 819200, 819200},
    [RLIMIT_NICE] = {RLSRC_FIXED, 0, 0},
    [RLIMIT_RTPRIO] = {RLSRC_FIXED, 0, 0},
    [RLIMIT_RTTIME] = {RLSRC_FIXED, RLIM_INF, RLIM_INF},
};

static spinlock_t g_rlimit_lock = SPINLOCK_INIT;
/* The hard NOFILE limit may not rise above what the fd table holds. */
static uint64_t g_nofile_ceiling = 1024;

static struct linux_rlimit rlimit_default_of(int resource) {
    const struct rlimit_default* d = &g_rlimit_defaults[resource];
    const struct manifest* m = g_process.manifest;
    struct linux_rlimit r = {d->cur, d->max};

    switch (d->source) {
        case RLSRC_STACK:
            if (m && m->stack_size)
                r.cur = m->stack_size;
            break;
        case RLSRC_NOFILE:
            if (m && m->fds_limit)
                r.cur = r.max = m->fds_limit;
            break;
        case RLSRC_AS:
            if (g_host.mem_total)
                r.cur = r.max = g_host.mem_total;
            break;
        case RLSRC_NPROC:
            if (m && m->max_threads)
                r.cur = r.max = m->max_threads;
            break;
        case RLSRC_FIXED:
            break;
    }
    return r;
}

void proc_rlimit_init(void) {
    _Static_assert(RLIM_NLIMITS <= sizeof(g_process.rlimits) / sizeof(g_process.rlimits[0]),
                   "g_process.rlimits holds every limit");
    for (int i = 0; i < RLIM_NLIMITS; i++)
        g_process.rlimits[i] = rlimit_default_of(i);
    g_nofile_ceiling = g_process.rlimits[RLIMIT_NOFILE].max;
}

int proc_rlimit_get(int resource, struct linux_rlimit* out) {
    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    spinlock_lock(&g_rlimit_lock);
    *out = g_process.rlimits[resource];
    spinlock_unlock(&g_rlimit_lock);
    return 0;
}

static int rlimit_set(int resource, const struct linux_rlimit* new, struct linux_rlimit* old) {
    int ret = 0;

    if (new&& new->cur > new->max)
        return -EINVAL;
    spinlock_lock(&g_rlimit_lock);
    struct linux_rlimit* cur = &g_process.rlimits[resource];
    *old = *cur;
    if (!new)
        goto out;
    if (new->max > cur->max && g_process.euid != 0) {
        ret = -EPERM;
        goto out;
    }
    if (resource == RLIMIT_NOFILE && new->max > g_nofile_ceiling) {
        ret = -EPERM;
        goto out;
    }
    *cur = *new;
out:
    spinlock_unlock(&g_rlimit_lock);
    return ret;
}

long sys_prlimit64(int pid, int resource, const struct linux_rlimit* new_limit,
                   struct linux_rlimit* old_limit) {
    struct linux_rlimit new, old;

    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    if (pid != 0 && pid != g_process.pid)
        return -ESRCH;
    if (new_limit && copy_from_app(&new, new_limit, sizeof(new)) < 0)
        return -EFAULT;
    int ret = rlimit_set(resource, new_limit ? &new : NULL, &old);
    if (ret < 0)
        return ret;
    if (old_limit && copy_to_app(old_limit, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_getrlimit(int resource, struct linux_rlimit* rlim) {
    struct linux_rlimit r;
    int ret = proc_rlimit_get(resource, &r);
    if (ret < 0)
        return ret;
    return copy_to_app(rlim, &r, sizeof(r));
}

long sys_setrlimit(int resource, const struct linux_rlimit* rlim) {
    if (!rlim)
        return -EFAULT;
    return sys_prlimit64(0, resource, rlim, NULL);
}
