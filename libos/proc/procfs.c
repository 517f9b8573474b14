/* /proc/PID of the other guest processes: stat, status, cmdline and comm from the leader's
 * table. Only what the table holds is shown; memory, fds and threads of another process are
 * not visible (its library OS keeps them), so those entries do not exist. */
#include "fs/pseudo.h"
#include "libos.h"
#include "proc.h"
#include "process.h"

static bool parse_pid(const char* name, int* out) {
    long v = 0;

    if (!name[0] || name[0] == '0')
        return false;
    for (const char* p = name; *p; p++) {
        if (*p < '0' || *p > '9' || v > 10000000)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return true;
}

bool procfs_match_other_pid(const char* name, struct pseudo_ctx* ctx) {
    struct process_info info;
    int pid;

    if (!parse_pid(name, &pid) || pid == g_process.pid || leader_process_info(pid, &info) < 0)
        return false;
    ctx->pid = pid;
    return true;
}

int procfs_list_other_pids(const struct pseudo_ctx* ctx, struct vfs_dir_list* list,
                           uint8_t type) {
    int pids[PROC_LIST_MAX];
    int count = leader_list_pids(pids, PROC_LIST_MAX);

    for (int i = 0; i < count; i++) {
        char name[16];
        if (pids[i] == g_process.pid)
            continue;
        snprintf(name, sizeof(name), "%d", pids[i]);
        int ret = vfs_dir_add(list, name, 0, type);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* The command name: the base name of argv[0], at most 15 bytes, as Linux keeps it. */
static void info_comm(const struct process_info* info, char* buf, size_t size) {
    size_t len = strnlen(info->cmdline, info->cmdline_size);
    char first[PROC_CMDLINE_MAX + 1];

    memcpy(first, info->cmdline, len);
    first[len] = '\0';
    const char* slash = strrchr(first, '/');
    strlcpy(buf, slash ? slash + 1 : first, size < 16 ? size : 16);
}

static int info_of(const struct pseudo_ctx* ctx, struct process_info* info) {
    int ret = leader_process_info(ctx->pid, info);
    return ret < 0 ? -ESRCH : 0;
}

static int text_other_stat(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    struct process_info info;
    char comm[16];
    int ret = info_of(ctx, &info);

    if (ret < 0)
        return ret;
    info_comm(&info, comm, sizeof(comm));
    return vfs_text_printf(t,
                           "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 "
                           "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 "
                           "0 0 0 0 0\n",
                           info.pid, comm, info.state, info.ppid, info.pgid, info.sid);
}

static int text_other_status(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    struct process_info info;
    char comm[16];
    int ret = info_of(ctx, &info);

    if (ret < 0)
        return ret;
    info_comm(&info, comm, sizeof(comm));
    return vfs_text_printf(t, "Name:\t%s\nState:\t%c (%s)\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n",
                           comm, info.state,
                           info.state == 'Z'   ? "zombie"
                           : info.state == 'T' ? "stopped"
                                               : "sleeping",
                           info.pid, info.pid, info.ppid);
}

/* A zombie's command line reads empty, as on Linux. */
static int text_other_cmdline(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    struct process_info info;
    int ret = info_of(ctx, &info);

    if (ret < 0 || info.state == 'Z')
        return ret;
    return vfs_text_append(t, info.cmdline, info.cmdline_size);
}

static int text_other_comm(const struct pseudo_ctx* ctx, struct vfs_text* t) {
    struct process_info info;
    char comm[16];
    int ret = info_of(ctx, &info);

    if (ret < 0)
        return ret;
    info_comm(&info, comm, sizeof(comm));
    return vfs_text_printf(t, "%s\n", comm);
}

const struct pseudo_node procfs_other_pid_dir[] = {
    {.name = "stat", .kind = PSEUDO_FILE, .perm = 0444, .text = text_other_stat},
    {.name = "status", .kind = PSEUDO_FILE, .perm = 0444, .text = text_other_status},
    {.name = "cmdline", .kind = PSEUDO_FILE, .perm = 0444, .text = text_other_cmdline},
    {.name = "comm", .kind = PSEUDO_FILE, .perm = 0444, .text = text_other_comm},
    {0},
};
