/* Process identity: ids, credentials and capabilities, sessions, uname and sysinfo. */
#include "libos.h"
#include "manifest.h"
#include "proc.h"
#include "process.h"

#include <linux/capability.h>
#include <linux/sysinfo.h>
#include <linux/wait.h>

#define NSEC_PER_SEC 1000000000ULL
#define GROUPS_MAX   64 /* supplementary groups kept; Linux allows 65536 */
#define ID_UNCHANGED ((uint32_t)-1)

#define CAP_ALL ((1ULL << (CAP_LAST_CAP + 1)) - 1)

/* The credentials the shared process structure does not carry. */
struct proc_creds {
    uint32_t suid, sgid;   /* saved set-user and set-group ids */
    uint32_t fsuid, fsgid; /* ids for file access */
    uint32_t groups[GROUPS_MAX];
    int group_count;
    uint64_t cap_effective, cap_permitted, cap_inheritable;
    bool keep_caps;
};

static struct proc_creds g_creds;
static spinlock_t g_creds_lock = SPINLOCK_INIT;

/* The first process is pid 1, leads its own group and session, and has no parent. */
void proc_identity_init(void) {
    if (!g_process.pid)
        g_process.pid = 1;
    g_process.pgid = g_process.pid;
    g_process.sid = g_process.pid;
    if (g_process.manifest) {
        g_process.uid = g_process.euid = g_process.manifest->uid;
        g_process.gid = g_process.egid = g_process.manifest->gid;
    }
    g_creds.suid = g_creds.fsuid = g_process.euid;
    g_creds.sgid = g_creds.fsgid = g_process.egid;
    g_creds.cap_permitted = g_process.euid == 0 ? CAP_ALL : 0;
    g_creds.cap_effective = g_creds.cap_permitted;
}

long sys_getpid(void) {
    return g_process.pid;
}

long sys_getuid(void) {
    return g_process.uid;
}

long sys_geteuid(void) {
    return g_process.euid;
}

long sys_getgid(void) {
    return g_process.gid;
}

long sys_getegid(void) {
    return g_process.egid;
}

static bool creds_privileged(void) {
    return g_creds.cap_effective & (1ULL << CAP_SETUID);
}

static bool creds_group_privileged(void) {
    return g_creds.cap_effective & (1ULL << CAP_SETGID);
}

static bool id_is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c) {
    return id == a || id == b || id == c;
}

/* Capabilities follow uid changes as Linux does without securebits: losing uid 0 everywhere
 * drops them (unless PR_SET_KEEPCAPS), and the effective set follows the effective uid. */
static void creds_update_caps(uint32_t old_r, uint32_t old_e, uint32_t old_s) {
    bool was_root = old_r == 0 || old_e == 0 || old_s == 0;
    bool is_root = g_process.uid == 0 || g_process.euid == 0 || g_creds.suid == 0;

    if (was_root && !is_root && !g_creds.keep_caps)
        g_creds.cap_permitted = g_creds.cap_effective = 0;
    if (old_e == 0 && g_process.euid != 0)
        g_creds.cap_effective = 0;
    if (old_e != 0 && g_process.euid == 0)
        g_creds.cap_effective = g_creds.cap_permitted;
}

/* Without privilege, each of setres*id's new ids (ID_UNCHANGED: keep) must be one the process
 * already has. */
static bool ids_allowed(uint32_t r, uint32_t e, uint32_t s, uint32_t old_r, uint32_t old_e,
                        uint32_t old_s) {
    return (r == ID_UNCHANGED || id_is_one_of(r, old_r, old_e, old_s)) &&
           (e == ID_UNCHANGED || id_is_one_of(e, old_r, old_e, old_s)) &&
           (s == ID_UNCHANGED || id_is_one_of(s, old_r, old_e, old_s));
}

static void ids_apply(uint32_t* real, uint32_t* eff, uint32_t* saved, uint32_t r, uint32_t e,
                      uint32_t s) {
    if (r != ID_UNCHANGED)
        *real = r;
    if (e != ID_UNCHANGED)
        *eff = e;
    if (s != ID_UNCHANGED)
        *saved = s;
}

static long creds_set_uids(uint32_t r, uint32_t e, uint32_t s) {
    long ret = 0;

    spinlock_lock(&g_creds_lock);
    uint32_t old_r = g_process.uid, old_e = g_process.euid, old_s = g_creds.suid;
    if (!creds_privileged() && !ids_allowed(r, e, s, old_r, old_e, old_s)) {
        ret = -EPERM;
        goto out;
    }
    ids_apply(&g_process.uid, &g_process.euid, &g_creds.suid, r, e, s);
    g_creds.fsuid = g_process.euid;
    creds_update_caps(old_r, old_e, old_s);
out:
    spinlock_unlock(&g_creds_lock);
    return ret;
}

static long creds_set_gids(uint32_t r, uint32_t e, uint32_t s) {
    long ret = 0;

    spinlock_lock(&g_creds_lock);
    if (!creds_group_privileged() &&
        !ids_allowed(r, e, s, g_process.gid, g_process.egid, g_creds.sgid)) {
        ret = -EPERM;
        goto out;
    }
    ids_apply(&g_process.gid, &g_process.egid, &g_creds.sgid, r, e, s);
    g_creds.fsgid = g_process.egid;
out:
    spinlock_unlock(&g_creds_lock);
    return ret;
}

/* setuid: with privilege it sets all three ids, without it only the effective one. */
long sys_setuid(uint32_t uid) {
    if (creds_privileged())
        return creds_set_uids(uid, uid, uid);
    if (uid != g_process.uid && uid != g_creds.suid)
        return -EPERM;
    return creds_set_uids(ID_UNCHANGED, uid, ID_UNCHANGED);
}

long sys_setgid(uint32_t gid) {
    if (creds_group_privileged())
        return creds_set_gids(gid, gid, gid);
    if (gid != g_process.gid && gid != g_creds.sgid)
        return -EPERM;
    return creds_set_gids(ID_UNCHANGED, gid, ID_UNCHANGED);
}

/* setreuid: the saved id follows the new effective id when the real one is set or the
 * effective one moves away from the old real id. */
long sys_setreuid(uint32_t r, uint32_t e) {
    uint32_t s = ID_UNCHANGED;
    uint32_t new_e = e != ID_UNCHANGED ? e : g_process.euid;

    if (!creds_privileged()) {
        if (r != ID_UNCHANGED && r != g_process.uid && r != g_process.euid)
            return -EPERM;
    }
    if (r != ID_UNCHANGED || (e != ID_UNCHANGED && e != g_process.uid))
        s = new_e;
    return creds_set_uids(r, e, s);
}

long sys_setregid(uint32_t r, uint32_t e) {
    uint32_t s = ID_UNCHANGED;
    uint32_t new_e = e != ID_UNCHANGED ? e : g_process.egid;

    if (!creds_group_privileged()) {
        if (r != ID_UNCHANGED && r != g_process.gid && r != g_process.egid)
            return -EPERM;
    }
    if (r != ID_UNCHANGED || (e != ID_UNCHANGED && e != g_process.gid))
        s = new_e;
    return creds_set_gids(r, e, s);
}

long sys_setresuid(uint32_t r, uint32_t e, uint32_t s) {
    return creds_set_uids(r, e, s);
}

long sys_setresgid(uint32_t r, uint32_t e, uint32_t s) {
    return creds_set_gids(r, e, s);
}

static long copy_three_ids(uint32_t* a, uint32_t* b, uint32_t* c, uint32_t va, uint32_t vb,
                           uint32_t vc) {
    if (copy_to_app(a, &va, sizeof(va)) < 0 || copy_to_app(b, &vb, sizeof(vb)) < 0 ||
        copy_to_app(c, &vc, sizeof(vc)) < 0)
        return -EFAULT;
    return 0;
}

long sys_getresuid(uint32_t* r, uint32_t* e, uint32_t* s) {
    return copy_three_ids(r, e, s, g_process.uid, g_process.euid, g_creds.suid);
}

long sys_getresgid(uint32_t* r, uint32_t* e, uint32_t* s) {
    return copy_three_ids(r, e, s, g_process.gid, g_process.egid, g_creds.sgid);
}

/* setfsuid/setfsgid report the old value whether or not the change is allowed. */
long sys_setfsuid(uint32_t uid) {
    spinlock_lock(&g_creds_lock);
    uint32_t old = g_creds.fsuid;
    if (creds_privileged() || id_is_one_of(uid, g_process.uid, g_process.euid, g_creds.suid))
        g_creds.fsuid = uid;
    spinlock_unlock(&g_creds_lock);
    return old;
}

long sys_setfsgid(uint32_t gid) {
    spinlock_lock(&g_creds_lock);
    uint32_t old = g_creds.fsgid;
    if (creds_group_privileged() ||
        id_is_one_of(gid, g_process.gid, g_process.egid, g_creds.sgid))
        g_creds.fsgid = gid;
    spinlock_unlock(&g_creds_lock);
    return old;
}

long sys_getgroups(int size, uint32_t* list) {
    uint32_t groups[GROUPS_MAX];

    if (size < 0)
        return -EINVAL;
    spinlock_lock(&g_creds_lock);
    int count = g_creds.group_count;
    memcpy(groups, g_creds.groups, sizeof(groups));
    spinlock_unlock(&g_creds_lock);

    if (size == 0)
        return count;
    if (size < count)
        return -EINVAL;
    if (copy_to_app(list, groups, count * sizeof(uint32_t)) < 0)
        return -EFAULT;
    return count;
}

/* Keeps at most GROUPS_MAX supplementary groups; a longer list fails with EINVAL. */
long sys_setgroups(int size, const uint32_t* list) {
    uint32_t groups[GROUPS_MAX];

    if (!creds_group_privileged())
        return -EPERM;
    if (size < 0 || size > GROUPS_MAX)
        return -EINVAL;
    if (size && copy_from_app(groups, list, size * sizeof(uint32_t)) < 0)
        return -EFAULT;

    spinlock_lock(&g_creds_lock);
    memcpy(g_creds.groups, groups, size * sizeof(uint32_t));
    g_creds.group_count = size;
    spinlock_unlock(&g_creds_lock);
    return 0;
}

/* capget and capset name only the calling process. */
static bool pid_is_self(int pid) {
    return pid == 0 || pid == g_process.pid;
}

long sys_wait4(int pid, int* status, int options, void* rusage) {
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH; /* -INT_MIN names no group */
    return process_wait4(pid, status, options, rusage);
}

long sys_waitid(int which, int id, void* info, int options, void* rusage) {
    if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD |
                    __WCLONE | __WALL))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    if (which < P_ALL || which > P_PIDFD)
        return -EINVAL;
    return process_waitid(which, id, info, options, rusage);
}

long sys_uname(struct new_utsname* buf) {
    struct new_utsname u;

    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, "Linux", sizeof(u.sysname));
    strlcpy(u.nodename, g_host.hostname[0] ? g_host.hostname : "localhost", sizeof(u.nodename));
    strlcpy(u.release, g_host.kernel_release[0] ? g_host.kernel_release : "6.1.0",
            sizeof(u.release));
    strlcpy(u.version, "#1 SMP Kernite", sizeof(u.version));
    strlcpy(u.machine, "x86_64", sizeof(u.machine));
    strlcpy(u.domainname, "(none)", sizeof(u.domainname));
    return copy_to_app(buf, &u, sizeof(u));
}

/* Memory figures are the app's own limit, as /proc/meminfo shows; load averages read 0. */
long sys_sysinfo(struct sysinfo* info) {
    struct sysinfo si;
    uint64_t now = 0;

    memset(&si, 0, sizeof(si));
    pal_clock_get(PAL_CLOCK_MONOTONIC, &now);
    si.uptime = (long)(now / NSEC_PER_SEC);
    si.totalram = g_host.mem_total;
    si.freeram = g_host.mem_available < g_host.mem_total ? g_host.mem_available
                                                          : g_host.mem_total;
    si.procs = 1;
    si.mem_unit = 1;
    return copy_to_app(info, &si, sizeof(si));
}

static int cap_header_check(cap_user_header_t app_hdr, int* u32s) {
    struct __user_cap_header_struct hdr;

    if (copy_from_app(&hdr, app_hdr, sizeof(hdr)) < 0)
        return -EFAULT;
    switch (hdr.version) {
        case _LINUX_CAPABILITY_VERSION_1:
            *u32s = _LINUX_CAPABILITY_U32S_1;
            break;
        case _LINUX_CAPABILITY_VERSION_2:
        case _LINUX_CAPABILITY_VERSION_3:
            *u32s = _LINUX_CAPABILITY_U32S_3;
            break;
        default:
            /* Linux tells the caller which version it prefers. */
            hdr.version = _LINUX_CAPABILITY_VERSION_3;
            if (copy_to_app(app_hdr, &hdr, sizeof(hdr)) < 0)
                return -EFAULT;
            return -EINVAL;
    }
    if (hdr.pid < 0)
        return -EINVAL;
    return pid_is_self(hdr.pid) ? 0 : -ESRCH;
}

long sys_capget(cap_user_header_t hdr, cap_user_data_t data) {
    struct __user_cap_data_struct out[2];
    int u32s;

    int ret = cap_header_check(hdr, &u32s);
    if (ret < 0 || !data)
        return ret;
    spinlock_lock(&g_creds_lock);
    for (int i = 0; i < 2; i++) {
        out[i].effective = (uint32_t)(g_creds.cap_effective >> (32 * i));
        out[i].permitted = (uint32_t)(g_creds.cap_permitted >> (32 * i));
        out[i].inheritable = (uint32_t)(g_creds.cap_inheritable >> (32 * i));
    }
    spinlock_unlock(&g_creds_lock);
    return copy_to_app(data, out, u32s * sizeof(out[0]));
}

/* New sets must stay within the permitted set, and effective within the new permitted. */
long sys_capset(cap_user_header_t hdr, const cap_user_data_t data) {
    struct __user_cap_data_struct in[2];
    int u32s;

    memset(in, 0, sizeof(in));
    int ret = cap_header_check(hdr, &u32s);
    if (ret < 0)
        return ret;
    if (copy_from_app(in, data, u32s * sizeof(in[0])) < 0)
        return -EFAULT;
    uint64_t eff = in[0].effective | (uint64_t)in[1].effective << 32;
    uint64_t perm = in[0].permitted | (uint64_t)in[1].permitted << 32;
    uint64_t inh = in[0].inheritable | (uint64_t)in[1].inheritable << 32;

    spinlock_lock(&g_creds_lock);
    if ((perm & ~g_creds.cap_permitted) || (eff & ~perm) ||
        (inh & ~(g_creds.cap_inheritable | g_creds.cap_permitted))) {
        ret = -EPERM;
    } else {
        g_creds.cap_effective = eff;
        g_creds.cap_permitted = perm;
        g_creds.cap_inheritable = inh;
    }
    spinlock_unlock(&g_creds_lock);
    return ret;
}

/* PR_SET_KEEPCAPS / PR_GET_KEEPCAPS and PR_CAPBSET_READ, for prctl. */
int creds_keep_caps(int set) {
    if (set >= 0)
        g_creds.keep_caps = set;
    return g_creds.keep_caps;
}

bool creds_cap_bounded(int cap) {
    return cap >= 0 && cap <= CAP_LAST_CAP;
}
