/* execve and execveat: replace the guest process's image in place, keeping its pid and fds. */
#include <linux/elf.h>

#include "errstr.h"
#include "libos.h"
#include "syscall/syscall_table.h"
#include "loader/loader.h"
#include "mm/mm.h"
#include "proc.h"
#include "process.h"
#include "vfs.h"

/* Linux's limits on what execve copies: each string at most MAX_ARG_STRLEN, all of them
 * together (with their pointers) within the room an 8 MiB stack gives. */
#define EXEC_MAX_STRLEN  (32 * 4096)
#define EXEC_MAX_TOTAL   (2 * 1024 * 1024)

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100
#endif

static void strv_free(char** v) {
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Copies a NULL-terminated vector of app strings; *total accumulates their sizes. */
static long strv_from_app(const uint64_t* app_vec, size_t* total, char*** out) {
    char** v = NULL;
    size_t count = 0, cap = 0;
    long ret;

    *out = NULL;
    for (;;) {
        uint64_t ptr = 0;
        if (app_vec && copy_from_app(&ptr, app_vec + count, sizeof(ptr)) < 0) {
            ret = -EFAULT;
            goto fail;
        }
        if (count + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char** grown = realloc(v, ncap * sizeof(char*));
            if (!grown) {
                ret = -ENOMEM;
                goto fail;
            }
            v = grown;
            cap = ncap;
        }
        v[count] = NULL;
        if (!ptr)
            break;
        char* s;
        ret = strdup_from_app((const char*)ptr, EXEC_MAX_STRLEN, &s);
        if (ret < 0) {
            ret = ret == -ENAMETOOLONG ? -E2BIG : ret;
            goto fail;
        }
        *total += (size_t)ret + 1 + sizeof(char*);
        if (*total > EXEC_MAX_TOTAL) {
            free(s);
            ret = -E2BIG;
            goto fail;
        }
        v[count++] = s;
        v[count] = NULL;
    }
    *out = v;
    return 0;
fail:
    strv_free(v);
    return ret;
}

/* The guest path execveat names: dirfd and path as for openat, or the fd itself. */
static int exec_path_at(int dirfd, const char* path, int flags, char** out) {
    struct vfs_resolved r;
    int ret;

    if (!*path && (flags & AT_EMPTY_PATH)) {
        struct libos_file* f = fd_get(dirfd);
        if (!f)
            return -EBADF;
        *out = strdup(vfs_file_path(f));
        vfs_file_put(f);
        return *out ? 0 : -ENOMEM;
    }
    if (!*path)
        return -ENOENT;
    ret = vfs_resolve_at(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_FOLLOW, &r);
    if (ret < 0)
        return ret;
    if (!r.exists)
        ret = -ENOENT;
    else if ((r.st.st_mode & S_IFMT) == S_IFLNK)
        ret = -ELOOP;
    else
        *out = strdup(r.path);
    if (ret == 0 && !*out)
        ret = -ENOMEM;
    vfs_resolved_free(&r);
    return ret;
}

/* Checks, before anything is torn down, what Linux checks before the point of no return: the
 * file exists, is a regular file with an execute bit, and starts like an ELF file or a script
 * whose interpreter exists. loader_load checks the rest; a failure there ends the process. */
static int exec_precheck(const char* path) {
    struct libos_file* file = NULL;
    struct linux_stat st;
    unsigned char head[SELFMAG + 3];
    int ret = vfs_open(path, O_RDONLY, 0, &file);

    if (ret < 0)
        return ret;
    ret = vfs_file_stat(file, &st);
    if (ret < 0)
        goto out;
    if ((st.st_mode & S_IFMT) != S_IFREG || !(st.st_mode & 0111)) {
        ret = -EACCES;
        goto out;
    }
    long n = vfs_pread(file, head, sizeof(head), 0);
    if (n < 0) {
        ret = (int)n;
        goto out;
    }
    if (n >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG)) {
        ret = 0;
    } else if (n >= 2 && head[0] == '#' && head[1] == '!') {
        /* The interpreter is looked at by loader_load; here only the script's own bits. */
        ret = 0;
    } else {
        ret = -ENOEXEC;
    }
out:
    vfs_file_put(file);
    return ret;
}

/* Handlers the app installed go back to SIG_DFL; ignored signals stay ignored, the mask and
 * pending signals are kept, as execve(2) specifies. */
static void exec_reset_signals(struct libos_thread* self) {
    spinlock_lock(&g_process.lock);
    for (int sig = 1; sig < LIBOS_NSIG; sig++) {
        struct libos_sigaction* act = &g_process.sigactions[sig];
        if (act->handler != LINUX_SIG_IGN)
            memset(act, 0, sizeof(*act));
    }
    self->altstack_sp = 0;
    self->altstack_size = 0;
    self->altstack_flags = LINUX_SS_DISABLE;
    self->clear_child_tid = NULL;
    self->robust_list = 0;
    self->robust_list_len = 0;
    proc_thread_of(self)->name[0] = '\0';
    spinlock_unlock(&g_process.lock);
}

/* /proc/self/cmdline and the argv the process reports follow the new image. */
static void exec_set_cmdline(char** argv) {
    size_t argc = 0, size = 0;

    while (argv[argc])
        size += strlen(argv[argc++]) + 1;
    uint8_t* cmdline = malloc(size ? size : 1);
    if (!cmdline)
        return;
    size_t pos = 0;
    for (size_t i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + 1;
        memcpy(cmdline + pos, argv[i], len);
        pos += len;
    }
    free(g_process.cmdline);
    g_process.cmdline = cmdline;
    g_process.cmdline_size = size;
    g_process.argv = argv;
    g_process.argc = argc;
}

/* As Linux does, the other threads end before the image goes: each is told to, leaves what
 * it was doing (app code or a blocking call) and exits; the caller then takes the process's
 * pid as its thread id. */
static void exec_end_other_threads(void) {
    struct libos_thread* self = libos_current();
    int others = 0;

    spinlock_lock(&g_process.lock);
    for (struct libos_thread* t = g_process.threads; t; t = t->next) {
        if (t == self || proc_thread_of(t)->helper)
            continue;
        proc_thread_of(t)->exec_doomed = true;
        pal_thread_interrupt(&t->pal);
        others++;
    }
    spinlock_unlock(&g_process.lock);

    for (uint64_t waited_ms = 0; others; waited_ms++) {
        spinlock_lock(&g_process.lock);
        others = g_process.thread_count - 1;
        spinlock_unlock(&g_process.lock);
        if (others && waited_ms % 1000 == 999)
            log_warning("execve: still waiting for %d threads to end", others);
        if (others)
            pal_sleep(1000000, NULL);
    }
    thread_reap_dead();
    self->tid = g_process.pid;
}

/* Past the point of no return: the old image is gone, so a failure ends the process. */
static void exec_replace_image(const char* path, char** argv, char** envp) {
    struct libos_thread* self = libos_current();
    struct pal_context* ctx = self->ctx;
    struct pal_context saved = *ctx;

    /* Others see the new command line before the close-on-exec fds close: a parent that
     * waits for that EOF then finds the new program in /proc, as it does on Linux. */
    exec_set_cmdline(argv);
    leader_note_exec();
    mm_unmap_all();
    rewrite_forget();
    fd_close_on_exec();
    exec_reset_signals(self);
    pal_thread_set_fs(0);

    int ret = loader_load(path, argv, envp, ctx);
    if (ret < 0) {
        log_error("execve: cannot run %s after the old image was released",
                  *loader_last_error() ? loader_last_error() : errstr(ret));
        process_die_by_signal(LINUX_SIGSEGV);
    }
    /* The loader zeroes the context; the segment selectors must stay valid for the return. */
    ctx->cs = saved.cs;
    ctx->ss = saved.ss;
    ctx->gs = saved.gs;
    ctx->fs = saved.fs;
    ctx->fpstate = NULL;
}

static long exec_common(int dirfd, const char* app_path, const uint64_t* app_argv,
                        const uint64_t* app_envp, int flags) {
    char* given = NULL;
    char* path = NULL;
    char** argv = NULL;
    char** envp = NULL;
    size_t total = 0;
    long ret;

    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    ret = strdup_from_app(app_path, VFS_PATH_MAX, &given);
    if (ret < 0)
        return ret;
    ret = strv_from_app(app_argv, &total, &argv);
    if (ret < 0)
        goto out;
    ret = strv_from_app(app_envp, &total, &envp);
    if (ret < 0)
        goto out;
    ret = exec_path_at(dirfd, given, flags, &path);
    if (ret < 0)
        goto out;
    ret = exec_precheck(path);
    if (ret < 0)
        goto out;

    exec_end_other_threads();
    log_debug("execve '%s'", path);
    /* argv[0] may be missing (argc 0); the loader and Linux then run with an empty argv. */
    exec_replace_image(path, argv, envp);
    argv = NULL; /* owned by g_process now */
    ret = 0;
out:
    free(given);
    free(path);
    strv_free(argv);
    strv_free(envp);
    return ret;
}

long sys_execve(const char* path, const uint64_t* argv, const uint64_t* envp) {
    return exec_common(AT_FDCWD, path, argv, envp, 0);
}

long sys_execveat(int dirfd, const char* path, const uint64_t* argv, const uint64_t* envp,
                  int flags) {
    return exec_common(dirfd, path, argv, envp, flags);
}
