/* /proc: the process's own entries (self, <pid>), cpuinfo, meminfo and the sysctls apps read. */
#include "pseudo.h"

#define KB 1024ULL

/* ---- Dynamic names ------------------------------------------------------------------------- */

static bool parse_number(const char* name, int* out) {
    char* end;
    long v;

    if (!name[0] || name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
        return false;
    v = strtol(name, &end, 10);
    if (*end || v < 0 || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* Only the process's own pid is visible: other guest processes are not shown yet. */
static bool match_pid(const char* name, struct pseudo_ctx* ctx) {
    int pid;

    if (!parse_number(name, &pid) || pid != g_process.pid)
        return false;
    ctx->pid = pid;
    return true;
}

static int list_pid(const struct pseudo_ctx* ctx, struct vfs_dir_list* list, uint8_t type) {
    char name[16];

    snprintf(name, sizeof(name), "%d", g_process.pid);
    return vfs_dir_add(list, name, 0, type);
}

static bool match_fd(const char* name, struct pseudo_ctx* ctx) {
    struct libos_file* f;
    int fd;

    if (!parse_number(name, &fd))
        return false;
    f = fd_get(fd);
    if (!f)
        return false;
    vfs_file_put(f);
    ctx->fd = fd;
    return true;
}

struct fd_list_ctx {
    struct vfs_dir_list* list;
    uint8_t type;
    int ret;
};

static void add_fd_name(int fd, struct libos_file* file, bool cloexec, void* arg) {
    struct fd_list_ctx* c = arg;
    char name[16];

    if (c->ret < 0)
        return;
    snprintf(name, sizeof(name), "%d", fd);
    c->ret = vfs_dir_add(c->list, name, 0, c->type);
}

static int list_fds(const struct pseudo_ctx* ctx, struct vfs_dir_list* list, uint8_t type) {
    struct fd_list_ctx c = {list, type, 0};

    fd_for_each(add_fd_name, &c);
    return c.ret;
}

/* ---- Links --------------------------------------------------------------------------------- */

static long copy_link(const char* s, char* buf, size_t size) {
    size_t len = strlen(s);

    len = len < size ? len : size;
    memcpy(buf, s, len);
    return (long)len;
}

static long link_self(const struct pseudo_ctx* ctx, char* buf, size_t size) {
    char s[16];

    snprintf(s, sizeof(s), "%d", g_process.pid);
    return copy_link(s, buf, size);
}

static long link_exe(const struct pseudo_ctx* ctx, char* buf, size_t size) {
    return copy_link(g_process.exe_path ? g_process.exe_path : "/", buf, size);
}

static long link_cwd(const struct pseudo_ctx* ctx, char* buf, size_t size) {
    char* cwd = vfs_cwd_get();
    long ret;

    if (!cwd)
        return -ENOMEM;
    ret = copy_link(cwd, buf, size);
    free(cwd);
    return ret;
}

static long link_fd(const struct pseudo_ctx* ctx, char* buf, size_t size) {
    struct libos_file* f = fd_get(ctx->fd);
    long ret;

    if (!f)
        return -ENOENT;
    ret = copy_link(vfs_file_path(f), buf, size);
    vfs_file_put(f);
    return ret;
}

/* Files with a guest path are reopened by that path; pipes, stdio and other objects without
 * one are handed out themselves. */
static int magic_fd(const struct pseudo_ctx* ctx, struct libos_file** out) {
    struct libos_file* f = fd_get(ctx->fd);

    if (!f)
        return -ENOENT;
    if (f->mount && f->path[0] == '/') {
        vfs_file_put(f);
        return 0;
    }
    *out = f;
    return 1;
}

/* ---- Per-process files -------------------------------------------------------------------- */

static int text_maps(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    size_t need = mm_format_maps(NULL, 0);

    /* The map may grow between the two calls; ask again until it fits. */
    for (;;) {
        char* buf = malloc(need + 4096);
        size_t got;

        if (!buf)
            return -ENOMEM;
        got = mm_format_maps(buf, need + 4096);
        if (got < need + 4096) {
            free(t->buf);
            t->buf = buf;
            t->len = got;
            t->cap = need + 4096;
            return 0;
        }
        free(buf);
        need = got;
    }
}

static const char* exe_name(char* buf, size_t size) {
    const char* exe = g_process.exe_path ? g_process.exe_path : "";

    strlcpy(buf, vfs_path_basename(exe), size);
    return buf;
}

static int text_comm(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    char name[16];

    return vfs_text_printf(t, "%s\n", exe_name(name, sizeof(name)));
}

static int text_cmdline(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    if (!g_process.cmdline)
        return 0;
    return vfs_text_append(t, (const char*)g_process.cmdline, g_process.cmdline_size);
}

/* Signals the process ignores and catches, for SigIgn and SigCgt. */
static void signal_dispositions(uint64_t* ignored, uint64_t* caught) {
    *ignored = *caught = 0;
    spinlock_lock(&g_process.lock);
    for (int sig = 1; sig < LIBOS_NSIG; sig++) {
        uint64_t h = g_process.sigactions[sig].handler;

        if (h == LINUX_SIG_IGN)
            *ignored |= SIGBIT(sig);
        else if (h != LINUX_SIG_DFL)
            *caught |= SIGBIT(sig);
    }
    spinlock_unlock(&g_process.lock);
}

static int text_status(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    char name[16];
    struct libos_thread* self = libos_current();
    uint64_t ignored, caught;

    signal_dispositions(&ignored, &caught);

    return vfs_text_printf(
        t,
        "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\n"
        "Ngid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
        "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\n"
        "Groups:\t\nThreads:\t%d\nSigQ:\t0/%d\nSigPnd:\t%016lx\n"
        "ShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
        "SigCgt:\t%016lx\nCapInh:\t0000000000000000\n"
        "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
        "CapBnd:\t000001ffffffffff\nNoNewPrivs:\t1\nSeccomp:\t2\n"
        "Cpus_allowed_list:\t0-%u\n",
        exe_name(name, sizeof(name)), g_process.umask, g_process.pid, g_process.pid, g_process.ppid,
        g_process.uid, g_process.euid, g_process.euid, g_process.euid, g_process.gid,
        g_process.egid, g_process.egid, g_process.egid, fd_limit(), g_process.thread_count,
        fd_limit(), (unsigned long)self->pending, (unsigned long)g_process.pending,
        (unsigned long)self->sigmask, (unsigned long)ignored, (unsigned long)caught,
        g_host.cpu_count ? g_host.cpu_count - 1 : 0);
}

/* Clock ticks (100 per second) of a host-measured time. */
static unsigned long ns_ticks(uint64_t ns) {
    return (unsigned long)(ns / 10000000ULL);
}

static int text_stat(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    struct pal_usage self, children;
    char name[16];

    memset(&self, 0, sizeof(self));
    memset(&children, 0, sizeof(children));
    pal_process_usage(PAL_USAGE_SELF, &self);
    pal_process_usage(PAL_USAGE_CHILDREN, &children);
    /* Faults and CPU times are the host's figures, as getrusage and times report them. Fields
     * after the thread count are zero. */
    return vfs_text_printf(t,
                           "%d (%s) R %d %d %d 0 -1 4194560 %lu %lu %lu %lu %lu %lu %lu %lu 20 0 "
                           "%d 0 0 0 0 "
                           "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 "
                           "0 0 0 0 0\n",
                           g_process.pid, exe_name(name, sizeof(name)), g_process.ppid,
                           g_process.pgid, g_process.sid, (unsigned long)self.minflt,
                           (unsigned long)children.minflt, (unsigned long)self.majflt,
                           (unsigned long)children.majflt, ns_ticks(self.user_ns),
                           ns_ticks(self.system_ns), ns_ticks(children.user_ns),
                           ns_ticks(children.system_ns), g_process.thread_count);
}

static int text_statm(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "0 0 0 0 0 0 0\n");
}

static int text_mounts(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    int ret = 0;

    for (size_t i = 0; ret == 0; i++) {
        const struct vfs_mount* m = vfs_mount_get(i);

        if (!m)
            break;
        ret = vfs_text_printf(t, "%s %s %s rw,relatime 0 0\n", m->ops->type, m->path, m->ops->type);
    }
    return ret;
}

/* ---- System-wide files --------------------------------------------------------------------- */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* CPU feature names as Linux prints them, by CPUID leaf register and bit. */
static const struct cpu_flag {
    uint8_t reg; /* 0: leaf 1 edx, 1: leaf 1 ecx, 2: leaf 7 ebx, 3: leaf 7 ecx */
    uint8_t bit;
    const char* name;
} cpu_flags[] = {
    {0, 0, "fpu"},        {0, 4, "tsc"},       {0, 5, "msr"},      {0, 6, "pae"},
    {0, 8, "cx8"},        {0, 9, "apic"},      {0, 11, "sep"},     {0, 13, "pge"},
    {0, 15, "cmov"},      {0, 16, "pat"},      {0, 19, "clflush"}, {0, 23, "mmx"},
    {0, 24, "fxsr"},      {0, 25, "sse"},      {0, 26, "sse2"},    {0, 28, "ht"},
    {1, 0, "pni"},        {1, 1, "pclmulqdq"}, {1, 9, "ssse3"},    {1, 12, "fma"},
    {1, 13, "cx16"},      {1, 19, "sse4_1"},   {1, 20, "sse4_2"},  {1, 22, "movbe"},
    {1, 23, "popcnt"},    {1, 25, "aes"},      {1, 26, "xsave"},   {1, 28, "avx"},
    {1, 29, "f16c"},      {1, 30, "rdrand"},   {2, 0, "fsgsbase"}, {2, 3, "bmi1"},
    {2, 5, "avx2"},       {2, 8, "bmi2"},      {2, 9, "erms"},     {2, 16, "avx512f"},
    {2, 18, "rdseed"},    {2, 19, "adx"},      {2, 29, "sha_ni"},  {2, 2, "sgx"},
    {3, 1, "avx512vbmi"}, {3, 8, "gfni"},      {3, 9, "vaes"},     {3, 10, "vpclmulqdq"},
};

static int cpu_flags_text(struct vfs_text* t) {
    uint32_t l1[4], l7[4];
    uint32_t regs[4];
    int ret = 0;

    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    regs[0] = l1[3];
    regs[1] = l1[2];
    regs[2] = l7[1];
    regs[3] = l7[2];
    for (size_t i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]) && ret == 0; i++) {
        if (regs[cpu_flags[i].reg] & (1U << cpu_flags[i].bit))
            ret = vfs_text_printf(t, " %s", cpu_flags[i].name);
    }
    return ret;
}

static int text_cpuinfo(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    uint32_t r[4];
    char vendor[13];
    char brand[49] = "";
    uint32_t family, model, stepping;
    uint32_t count = g_host.cpu_count ? g_host.cpu_count : 1;
    int ret = 0;

    cpuid(0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';
    cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(brand + 16 * i, r, 16);
        }
        brand[48] = '\0';
    }
    cpuid(1, 0, r);
    stepping = r[0] & 0xf;
    family = (r[0] >> 8) & 0xf;
    model = (r[0] >> 4) & 0xf;
    if (family == 0xf)
        family += (r[0] >> 20) & 0xff;
    if (family >= 6)
        model |= ((r[0] >> 16) & 0xf) << 4;

    for (uint32_t cpu = 0; cpu < count && ret == 0; cpu++) {
        ret = vfs_text_printf(t,
                              "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\n"
                              "model\t\t: %u\nmodel name\t: %s\nstepping\t: %u\n"
                              "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
                              "cpu cores\t: %u\napicid\t\t: %u\nfpu\t\t: yes\n"
                              "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
                              cpu, vendor, family, model, brand, stepping, count, cpu, count, cpu,
                              0x0du);
        if (ret == 0)
            ret = cpu_flags_text(t);
        if (ret == 0)
            ret = vfs_text_printf(t, "\nclflush size\t: 64\ncache_alignment\t: 64\n"
                                     "address sizes\t: 48 bits physical, 48 bits virtual\n\n");
    }
    return ret;
}

static int text_meminfo(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    uint64_t total = g_host.mem_total ? g_host.mem_total : g_host.host_mem_total;
    uint64_t avail = g_host.mem_available < total ? g_host.mem_available : total;

    return vfs_text_printf(t,
                           "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n"
                           "MemAvailable:   %8lu kB\nBuffers:               0 kB\n"
                           "Cached:                0 kB\nSwapCached:            0 kB\n"
                           "SwapTotal:             0 kB\nSwapFree:              0 kB\n"
                           "Shmem:                 0 kB\n",
                           (unsigned long)(total / KB), (unsigned long)(avail / KB),
                           (unsigned long)(avail / KB));
}

static int text_uptime(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    uint64_t ns = 0;

    pal_clock_get(PAL_CLOCK_MONOTONIC, &ns);
    return vfs_text_printf(t, "%lu.%02lu 0.00\n", (unsigned long)(ns / 1000000000),
                           (unsigned long)(ns / 10000000 % 100));
}

static int text_loadavg(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "0.00 0.00 0.00 1/%d %d\n", g_process.thread_count, g_process.pid);
}

static int text_proc_stat(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    uint32_t count = g_host.cpu_count ? g_host.cpu_count : 1;
    int ret = vfs_text_printf(t, "cpu  0 0 0 0 0 0 0 0 0 0\n");

    for (uint32_t i = 0; i < count && ret == 0; i++)
        ret = vfs_text_printf(t, "cpu%u 0 0 0 0 0 0 0 0 0 0\n", i);
    if (ret == 0)
        ret = vfs_text_printf(t, "btime 0\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n");
    return ret;
}

static int text_version(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "Linux version %s (kernite) #1 SMP\n", g_host.kernel_release);
}

static int text_ostype(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "Linux\n");
}

static int text_osrelease(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "%s\n", g_host.kernel_release);
}

static int text_hostname(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "%s\n", g_host.hostname);
}

static int text_pid_max(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "4194304\n");
}

static int text_ngroups_max(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "65536\n");
}

static int text_overcommit(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "0\n");
}

static int text_max_map_count(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "65530\n");
}

static int text_file_max(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "%d\n", fd_limit());
}

static int text_somaxconn(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    return vfs_text_printf(t, "4096\n");
}

/* A fresh random UUID on every read, as the kernel's random/uuid gives. */
static int text_uuid(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    uint8_t b[16];
    int ret = pal_random(b, sizeof(b));

    if (ret < 0)
        return ret;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    return vfs_text_printf(t,
                           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x\n",
                           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                           b[12], b[13], b[14], b[15]);
}

/* ---- The tree ------------------------------------------------------------------------------ */

#define FILE_NODE(n, fn)                                                                           \
    { .name = (n), .kind = PSEUDO_FILE, .perm = 0444, .text = (fn) }
#define DIR_NODE(n, kids)                                                                          \
    { .name = (n), .kind = PSEUDO_DIR, .perm = 0555, .children = (kids) }

static const struct pseudo_node fd_dir[] = {
    {.kind = PSEUDO_LINK,
     .perm = 0700,
     .match = match_fd,
     .list_names = list_fds,
     .link = link_fd,
     .magic = magic_fd},
    {0},
};

static const struct pseudo_node pid_dir[] = {
    {.name = "exe", .kind = PSEUDO_LINK, .perm = 0777, .link = link_exe},
    {.name = "cwd", .kind = PSEUDO_LINK, .perm = 0777, .link = link_cwd},
    {.name = "root", .kind = PSEUDO_LINK, .perm = 0777, .target = "/"},
    DIR_NODE("fd", fd_dir),
    FILE_NODE("maps", text_maps),
    FILE_NODE("status", text_status),
    FILE_NODE("stat", text_stat),
    FILE_NODE("statm", text_statm),
    FILE_NODE("cmdline", text_cmdline),
    FILE_NODE("comm", text_comm),
    FILE_NODE("mounts", text_mounts),
    {0},
};

static const struct pseudo_node sys_kernel_random[] = {
    FILE_NODE("boot_id", text_uuid),
    FILE_NODE("uuid", text_uuid),
    {0},
};

static const struct pseudo_node sys_kernel[] = {
    FILE_NODE("ostype", text_ostype),
    FILE_NODE("osrelease", text_osrelease),
    FILE_NODE("hostname", text_hostname),
    FILE_NODE("pid_max", text_pid_max),
    FILE_NODE("ngroups_max", text_ngroups_max),
    DIR_NODE("random", sys_kernel_random),
    {0},
};

static const struct pseudo_node sys_vm[] = {
    FILE_NODE("overcommit_memory", text_overcommit),
    FILE_NODE("max_map_count", text_max_map_count),
    {0},
};

static const struct pseudo_node sys_fs[] = {
    FILE_NODE("file-max", text_file_max),
    FILE_NODE("nr_open", text_file_max),
    {0},
};

static const struct pseudo_node sys_net_core[] = {
    FILE_NODE("somaxconn", text_somaxconn),
    {0},
};

static const struct pseudo_node sys_net[] = {
    DIR_NODE("core", sys_net_core),
    {0},
};

static const struct pseudo_node sys_dir[] = {
    DIR_NODE("kernel", sys_kernel),
    DIR_NODE("vm", sys_vm),
    DIR_NODE("fs", sys_fs),
    DIR_NODE("net", sys_net),
    {0},
};

static const struct pseudo_node proc_children[] = {
    {.name = "self", .kind = PSEUDO_LINK, .perm = 0777, .link = link_self},
    {.kind = PSEUDO_DIR,
     .perm = 0555,
     .match = match_pid,
     .list_names = list_pid,
     .children = pid_dir},
    {.kind = PSEUDO_DIR,
     .perm = 0555,
     .match = procfs_match_other_pid,
     .list_names = procfs_list_other_pids,
     .children = procfs_other_pid_dir},
    FILE_NODE("cpuinfo", text_cpuinfo),
    FILE_NODE("meminfo", text_meminfo),
    FILE_NODE("uptime", text_uptime),
    FILE_NODE("loadavg", text_loadavg),
    FILE_NODE("stat", text_proc_stat),
    FILE_NODE("version", text_version),
    FILE_NODE("mounts", text_mounts),
    DIR_NODE("sys", sys_dir),
    {0},
};

static const struct pseudo_node proc_root = {
    .kind = PSEUDO_DIR,
    .perm = 0555,
    .children = proc_children,
};

static int proc_mount(struct vfs_mount* m, const char* host_path) {
    m->data = (void*)&proc_root;
    return 0;
}

const struct vfs_fs_ops vfs_proc_ops = {
    .type = "proc",
    .mount = proc_mount,
    .lookup = pseudo_lookup,
    .readlink = pseudo_readlink,
    .follow_magic = pseudo_follow_magic,
    .open = pseudo_open,
    .access = pseudo_access,
    .magic = 0x9fa0,
};
