/* Start of the library OS: manifest, argv and environment, mounts, first thread, the app. */
#include "errstr.h"
#include "libos.h"
#include "loader/loader.h"
#include "manifest.h"
#include "mm/mm.h"
#include "proc.h"
#include "syscall/syscall_table.h"

/* g_process lives with the threads in proc/. */
struct pal_host_info g_host;

void libos_handle_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx);

/* Our own override of loader.log_level, for debugging an app without editing its manifest. */
static const char g_log_env[] = "KERNITE_LOG_LEVEL=";

static const char* host_env_lookup(char** envp, const char* name) {
    size_t len = strlen(name);

    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], name, len) && envp[i][len] == '=')
            return envp[i] + len + 1;
    }
    return NULL;
}

static void apply_log_level(const struct manifest* m, char** host_envp) {
    const char* override = host_env_lookup(host_envp, "KERNITE_LOG_LEVEL");

    log_current_level = m ? m->log_level : LOG_ERROR;
    if (override) {
        int level = log_level_from_name(override);
        if (level < 0)
            log_warning("ignoring %s%s: not one of none, error, warning, debug, trace",
                        g_log_env, override);
        else
            log_current_level = level;
    }
}

/* loader.log_file: the messages are appended to that host file instead of going to stderr. */
static pal_handle_t* g_log_handle;

static void log_to_file(const char* buf, unsigned long size) {
    pal_stream_write(g_log_handle, buf, size, -1);
}

int libos_open_log_file(const struct manifest* m) {
    pal_handle_t* h;

    if (!m->log_file || g_log_handle)
        return 0;
    int ret = pal_file_open(m->log_file, O_WRONLY | O_CREAT | O_APPEND, 0600, &h);
    if (ret < 0) {
        log_error("%s: loader.log_file: cannot open '%s': %s", m->file, m->log_file,
                  errstr(ret));
        return ret;
    }
    g_log_handle = h;
    log_set_sink(log_to_file);
    return 0;
}

/* Sets name=value in a NULL-terminated vector, replacing an existing entry of that name. */
static int env_set(char*** envp, size_t* count, const char* name, const char* value) {
    size_t len = strlen(name);
    size_t size = len + strlen(value) + 2;
    char* entry = malloc(size);

    if (!entry)
        return -ENOMEM;
    snprintf(entry, size, "%s=%s", name, value);
    for (size_t i = 0; i < *count; i++) {
        if (!strncmp((*envp)[i], name, len) && (*envp)[i][len] == '=') {
            (*envp)[i] = entry;
            return 0;
        }
    }
    char** grown = realloc(*envp, (*count + 2) * sizeof(char*));
    if (!grown) {
        free(entry);
        return -ENOMEM;
    }
    grown[(*count)++] = entry;
    grown[*count] = NULL;
    *envp = grown;
    return 0;
}

static char** build_envp(const struct manifest* m, char** host_envp) {
    char** envp = calloc(1, sizeof(char*));
    size_t count = 0;

    if (!envp)
        return NULL;
    if (m->use_host_env) {
        for (size_t i = 0; host_envp[i]; i++) {
            char* eq = strchr(host_envp[i], '=');
            if (!eq)
                continue;
            char* name = strndup(host_envp[i], eq - host_envp[i]);
            if (!name || env_set(&envp, &count, name, eq + 1) < 0)
                return NULL;
            free(name);
        }
    }
    for (size_t i = 0; i < m->env_count; i++) {
        const char* value = m->env[i].value;
        if (m->env[i].passthrough) {
            value = host_env_lookup(host_envp, m->env[i].name);
            if (!value)
                continue;
        }
        if (env_set(&envp, &count, m->env[i].name, value ? value : "") < 0)
            return NULL;
    }
    return envp;
}

/* The app's argv[0] is the app's name without the directory of its manifest, as a user types
 * `python3` natively: programs that look themselves up in PATH, or pick an applet by name, then
 * behave as they do natively. */
static char* app_name(const char* app_path) {
    const char* slash = strrchr(app_path, '/');
    return (char*)(slash && slash[1] ? slash + 1 : app_path);
}

/* argv comes from the command line only if the manifest allows it, as in Gramine. */
static char** build_argv(const struct manifest* m, const struct libos_start_args* args) {
    char** argv;

    if (m->use_cmdline_argv) {
        argv = calloc(args->argc + 1, sizeof(char*));
        if (!argv)
            return NULL;
        for (int i = 0; i < args->argc; i++)
            argv[i] = args->argv[i];
        argv[0] = m->argv0_override ? (char*)m->argv0_override : app_name(args->argv[0]);
        return argv;
    }
    if (args->argc > 1 && m->argv_given)
        log_warning("%s: command-line arguments ignored: the manifest's loader.argv gives "
                    "the arguments (loader.insecure__use_cmdline_argv = true takes them from "
                    "the command line)",
                    args->manifest_path);
    else if (args->argc > 1)
        log_warning("%s: command-line arguments ignored: the manifest sets neither "
                    "loader.argv nor loader.insecure__use_cmdline_argv",
                    args->manifest_path);
    if (m->argv_given) {
        argv = calloc(m->argc + 1, sizeof(char*));
        if (!argv)
            return NULL;
        for (size_t i = 0; i < m->argc; i++)
            argv[i] = m->argv[i];
        return argv;
    }
    argv = calloc(2, sizeof(char*));
    if (!argv)
        return NULL;
    argv[0] = m->argv0_override ? (char*)m->argv0_override : app_name(args->argv[0]);
    return argv;
}

static void process_init(const struct manifest* m, char** argv) {
    g_process.pid = g_process.pgid = g_process.sid = 1;
    g_process.ppid = 0;
    g_process.uid = g_process.euid = m->uid;
    g_process.gid = g_process.egid = m->gid;
    g_process.umask = 022;
    g_process.max_threads = m->max_threads;
    g_process.manifest = m;
    g_process.argv = argv;
    for (g_process.argc = 0; argv[g_process.argc]; g_process.argc++)
        g_process.cmdline_size += strlen(argv[g_process.argc]) + 1;
    g_process.cmdline = malloc(g_process.cmdline_size ? g_process.cmdline_size : 1);
    if (g_process.cmdline) {
        size_t pos = 0;
        for (size_t i = 0; i < g_process.argc; i++) {
            size_t len = strlen(argv[i]) + 1;
            memcpy(g_process.cmdline + pos, argv[i], len);
            pos += len;
        }
    }
    pal_clock_get(PAL_CLOCK_MONOTONIC, &g_process.start_time_ns);
}

static __attribute__((noreturn)) void fail(int status) {
    pal_process_exit(status);
}

void libos_start(const struct libos_start_args* args) {
    struct manifest* m = NULL;
    struct pal_context ctx;
    char err[512];
    char** argv;
    char** envp;
    int ret;

    apply_log_level(NULL, args->host_envp);
    ret = manifest_parse(args->manifest_text, args->manifest_size, args->manifest_path, &m, err,
                         sizeof(err));
    if (ret < 0) {
        log_error("%s", err);
        fail(1);
    }
    apply_log_level(m, args->host_envp);
    if (libos_open_log_file(m) < 0)
        fail(1);
    if (args->syscall_filter)
        log_debug("the app's syscalls are caught by %s", args->syscall_filter);
    g_manifest_text = args->manifest_text;
    g_manifest_size = args->manifest_size;
    pal_host_info(&g_host);
    mm_set_limit(m->enclave_size);

    argv = build_argv(m, args);
    envp = build_envp(m, args->host_envp);
    if (!argv || !envp || mm_init() < 0) {
        log_error("out of memory while starting");
        fail(1);
    }
    process_init(m, argv);

    ret = thread_init_main();
    if (ret < 0) {
        log_error("cannot set up the first thread: %s", errstr(ret));
        fail(1);
    }
    ret = vfs_init(m);
    if (ret < 0)
        fail(1);

    rewrite_init(m);
    ret = loader_load(m->entrypoint, argv, envp, &ctx);
    if (ret < 0) {
        const char* why = loader_last_error();
        if (*why)
            log_error("%s:%d:%d: key 'libos.entrypoint': cannot run %s", m->file,
                      m->entrypoint_pos.line, m->entrypoint_pos.col, why);
        else
            log_error("%s:%d:%d: key 'libos.entrypoint': cannot run '%s': %s", m->file,
                      m->entrypoint_pos.line, m->entrypoint_pos.col, m->entrypoint,
                      errstr(ret));
        fail(ret == -ENOENT ? 127 : 126);
    }
    log_debug("starting '%s' at %p with stack %p", m->entrypoint, (void*)ctx.rip,
              (void*)ctx.rsp);
    pal_set_event_handler(libos_handle_event);
    pal_context_jump(&ctx);
}
