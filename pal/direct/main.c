/* Process entry of kernite-direct: reads the command line and the manifest, prepares the
 * host side (signals, syscall filter, first thread) and starts the library OS. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>

#include "errstr.h"
#include "libos.h"
#include "log.h"
#include "pal_direct.h"
#include "rt.h"

int g_host_pid;
struct pal_host_info g_pal_info;

int pal_host_info_init(uint64_t mem_limit);

/* Until the library OS installs its own, the first thread runs with this one. */
static struct pal_tcb g_boot_tcb;

static void* page_alloc(size_t size) {
    void* addr = NULL;
    if (pal_mem_map(&addr, size, PAL_PROT_READ | PAL_PROT_WRITE, 0) < 0)
        return NULL;
    return addr;
}

static void page_free(void* addr, size_t size) {
    pal_mem_unmap(addr, size);
}

static void log_sink(const char* buf, unsigned long size) {
    pal_debug_write(buf, size);
}

static void say(const char* a, const char* b, const char* c) {
    pal_debug_write(a, strlen(a));
    pal_debug_write(b, strlen(b));
    pal_debug_write(c, strlen(c));
}

/* Reads a whole host file into fresh memory. */
static int read_host_file(const char* path, char** out, size_t* out_size) {
    struct pal_stat st;
    char* buf = NULL;
    size_t done = 0;
    long fd = HOST_SYSCALL4(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    int ret;

    if (fd < 0)
        return (int)fd;
    ret = (int)HOST_SYSCALL2(__NR_fstat, fd, &st);
    if (ret < 0)
        goto out;
    if ((st.mode & 0170000) != 0100000 || st.size < 0 || st.size > (64 << 20)) {
        ret = (st.mode & 0170000) == 0040000 ? -EISDIR : -EINVAL;
        goto out;
    }
    buf = malloc(st.size + 1);
    if (!buf) {
        ret = -ENOMEM;
        goto out;
    }
    while (done < (size_t)st.size) {
        long n = HOST_SYSCALL3(__NR_read, fd, buf + done, st.size - done);
        if (n == -EINTR)
            continue;
        if (n < 0) {
            ret = (int)n;
            goto out;
        }
        if (n == 0 || (size_t)n > st.size - done)
            break;
        done += n;
    }
    buf[done] = '\0';
    *out = buf;
    *out_size = done;
    buf = NULL;
    ret = 0;
out:
    free(buf);
    HOST_SYSCALL1(__NR_close, fd);
    return ret;
}

static void usage(void) {
    say("usage: kernite-direct APP [ARGS...]\n",
        "Runs the app described by the manifest APP.manifest through the Kernite library OS.\n"
        "(kernite-direct --kernite-child FD [FILTER] and --kernite-server FD [FILTER] are\n"
        "internal: a forked guest process, and the process table once the first process has\n"
        "ended, start so.)\n",
        "Environment: KERNITE_LOG_LEVEL=none|error|warning|debug|trace overrides "
        "loader.log_level;\nKERNITE_SYSCALL_FILTER=dispatch|seccomp chooses how the app's "
        "syscalls are caught.\n");
}

static int parse_channel_fd(const char* fd_text) {
    int fd = 0;

    for (const char* p = fd_text; *p; p++) {
        if (*p < '0' || *p > '9' || fd > 65535)
            pal_fatal("bad channel fd");
        fd = fd * 10 + (*p - '0');
    }
    return fd;
}

/* A process started by pal_process_create: the same host set-up, then the checkpoint; or, by
 * pal_process_create_server, a library OS service with no app, which keeps no terminal or
 * other standard stream of its starter open. filter names the parent's way of catching
 * syscalls (NULL: choose as the first process does). */
static __attribute__((noreturn)) void start_child(const char* fd_text, const char* filter,
                                                  bool server) {
    pal_handle_t* channel;
    int fd = parse_channel_fd(fd_text);

    pal_host_info_init(0);
    if (pal_signal_stack_install(&g_boot_tcb) < 0 || pal_signals_init() < 0)
        pal_fatal("cannot set up host signal handling");
    pal_async_signals_block(true);
    /* Without /proc/self/mem the fast path stays off and every syscall traps. */
    pal_fast_init(g_host_envp);
    if (pal_syscall_filter_init(g_host_envp, filter) < 0 ||
        pal_process_child_channel(fd, &channel) < 0)
        pal_fatal("cannot start a child process");
    if (!server)
        libos_start_child(channel);
    for (int std = 0; std < 3; std++) {
        if (std != fd)
            HOST_SYSCALL1(__NR_close, std);
    }
    libos_start_server(channel);
}

void pal_main(uint64_t* initial_sp) {
    int argc = (int)initial_sp[0];
    char** argv = (char**)(initial_sp + 1);
    char** envp = argv + argc + 1;
    struct libos_start_args args;
    char* manifest_path;
    int ret;

    g_boot_tcb.self = &g_boot_tcb;
    pal_set_tcb(&g_boot_tcb);
    g_host_pid = (int)HOST_SYSCALL0(__NR_getpid);
    g_boot_tcb.host_tid = g_host_pid;
    rt_set_page_allocator(page_alloc, page_free);
    log_set_sink(log_sink);
    g_host_envp = envp;
    char** after_env = envp;
    while (*after_env)
        after_env++;
    pal_host_vdso_init((uint64_t*)(after_env + 1));
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--kernite-child"))
        start_child(argv[2], argv[3], false);
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--kernite-server"))
        start_child(argv[2], argv[3], true);

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        pal_process_exit(argc < 2 ? 2 : 0);
    }

    size_t len = strlen(argv[1]);
    manifest_path = malloc(len + sizeof(".manifest"));
    if (!manifest_path)
        pal_fatal("out of memory");
    memcpy(manifest_path, argv[1], len);
    memcpy(manifest_path + len, ".manifest", sizeof(".manifest"));

    memset(&args, 0, sizeof(args));
    args.manifest_path = manifest_path;
    ret = read_host_file(manifest_path, (char**)&args.manifest_text, &args.manifest_size);
    if (ret < 0) {
        say("kernite-direct: cannot read manifest '", manifest_path, "': ");
        say(errstr(ret), "\n", "");
        pal_process_exit(1);
    }
    args.argc = argc - 1;
    args.argv = argv + 1;
    args.host_envp = envp;

    pal_host_info_init(0);
    if (pal_signal_stack_install(&g_boot_tcb) < 0 || pal_signals_init() < 0)
        pal_fatal("cannot set up host signal handling");
    /* Upcalls block asynchronous signals; so does the library OS's own start-up. */
    pal_async_signals_block(true);
    pal_fast_init(envp);
    ret = pal_syscall_filter_init(envp, NULL);
    if (ret < 0) {
        say("kernite-direct: cannot catch the app's syscalls: ", errstr(ret), "\n");
        pal_process_exit(1);
    }
    args.syscall_filter = pal_syscall_filter_name();
    libos_start(&args);
}
