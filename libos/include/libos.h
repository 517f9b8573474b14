/* Library OS core: per-thread and per-process state, and the contracts between subsystems. */
#ifndef KERNITE_LIBOS_H
#define KERNITE_LIBOS_H

#include "linux_abi.h"
#include "log.h"
#include "pal.h"
#include "rt.h"
#include "spinlock.h"

struct manifest;
struct libos_file;

/* Restart codes a handler may return; the dispatcher turns them into -EINTR or a restart
 * depending on the signal handled meanwhile (as Linux does). Never reach the app. */
#define ERESTARTSYS    512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514

#define LIBOS_NSIG 65 /* signals 1..64 */

typedef uint64_t sigset64_t;

struct libos_sigaction {
    uint64_t handler; /* SIG_DFL = 0, SIG_IGN = 1, or an app address */
    uint64_t flags;
    uint64_t restorer;
    sigset64_t mask;
};

struct libos_thread {
    struct pal_tcb pal;        /* must stay first: %gs:0 points here */
    int tid;                   /* guest thread id */
    struct libos_thread* next; /* in the process's thread list */

    sigset64_t sigmask;
    sigset64_t pending;                       /* thread-directed signals */
    struct linux_siginfo pending_info[LIBOS_NSIG];
    uint64_t altstack_sp, altstack_size;      /* the app's sigaltstack */
    int altstack_flags;

    uint32_t* clear_child_tid; /* app address, cleared and woken at exit */
    uint64_t robust_list;
    uint64_t robust_list_len;

    struct pal_context* ctx; /* app registers during the current syscall or event */
    long syscall_nr;         /* current syscall, for restarts */
    bool in_syscall;
    bool sigsuspend_restore; /* sigmask_saved must be restored after the handler runs */
    sigset64_t sigmask_saved;

    volatile int exiting;
};

static inline struct libos_thread* libos_current(void) {
    struct libos_thread* t;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(t));
    return t;
}

struct libos_process {
    int pid, ppid, pgid, sid;
    uint32_t uid, gid, euid, egid;
    uint32_t umask;
    char* exe_path;      /* guest path of the running executable */
    char** argv;         /* the argv the app was started with */
    size_t argc;
    uint8_t* cmdline;    /* argv joined with NULs, for /proc/self/cmdline */
    size_t cmdline_size;
    struct libos_sigaction sigactions[LIBOS_NSIG];
    sigset64_t pending;  /* process-directed signals */
    struct linux_siginfo pending_info[LIBOS_NSIG];
    spinlock_t lock;     /* guards threads, sigactions and pending */
    struct libos_thread* threads;
    int thread_count;
    int next_tid;
    uint64_t start_time_ns;
    uint32_t max_threads;
    struct linux_rlimit rlimits[16];
    const struct manifest* manifest;
};

extern struct libos_process g_process;
extern struct pal_host_info g_host;

/* ---- Syscall dispatch (syscall/) ---------------------------------------------------------- */

/* Every handler has this shape; arguments arrive as the app passed them. */
typedef long (*syscall_handler_t)(long, long, long, long, long, long);
long libos_syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
const char* libos_syscall_name(long nr);

/* ---- Memory (mm/) ------------------------------------------------------------------------- */

int mm_init(void);
/* Reserves and maps app memory the way mmap(2) would; returns the address or -errno. */
long mm_map(uint64_t addr, uint64_t size, int prot, int flags, struct libos_file* file,
            uint64_t offset);
int mm_unmap(uint64_t addr, uint64_t size);
int mm_protect(uint64_t addr, uint64_t size, int prot);
/* Checks that [addr, addr+size) is app memory mapped with at least prot. */
bool mm_is_accessible(uint64_t addr, uint64_t size, int prot);
/* Writes /proc/self/maps text into buf; returns the length it needs. */
size_t mm_format_maps(char* buf, size_t size);
/* Sets the brk start just after the loaded executable. */
int mm_brk_init(uint64_t start);

/* Copies checked against the app's mappings; return 0 or -EFAULT. */
int copy_from_app(void* dst, const void* app_src, size_t size);
int copy_to_app(void* app_dst, const void* src, size_t size);
/* Copies a NUL-terminated string of at most max bytes (incl. NUL) into a malloc'ed buffer. */
long strdup_from_app(const char* app_str, size_t max, char** out);

/* ---- Files (fs/) -------------------------------------------------------------------------- */

/* Mounts the file systems of the manifest and opens fds 0, 1, 2. */
int vfs_init(const struct manifest* manifest);
/* Opens a guest path (absolute, or relative to the cwd) as open(2) would. */
int vfs_open(const char* path, int flags, int mode, struct libos_file** out);
long vfs_pread(struct libos_file* file, void* buf, size_t size, uint64_t offset);
/* Maps the file's contents at exactly addr, as mmap(2) with MAP_FIXED would. */
int vfs_mmap(struct libos_file* file, uint64_t addr, size_t size, int prot, int flags,
             uint64_t offset);
void vfs_file_get_ref(struct libos_file* file);
void vfs_file_put(struct libos_file* file);
/* Guest path the file was opened under (for /proc/self/maps); never NULL. */
const char* vfs_file_path(struct libos_file* file);
int vfs_file_stat(struct libos_file* file, struct linux_stat* st);
/* Resolves a guest path to its canonical absolute form following symlinks. */
int vfs_realpath(const char* path, char** out);
/* Closes every fd marked close-on-exec (execve). */
void fd_close_on_exec(void);

/* ---- Processes, threads, signals (proc/) -------------------------------------------------- */

int thread_init_main(void);
struct libos_thread* thread_lookup(int tid);
/* Sends a signal to the process (tid 0) or one thread, as kill/tgkill do. */
int signal_send(int tid, int signo, const struct linux_siginfo* info);
/* True if an unblocked signal is pending for the calling thread: blocking calls return. */
bool signal_pending(void);
/* Delivers pending unblocked signals by rewriting ctx to enter the app's handlers. */
void signal_deliver_pending(struct pal_context* ctx, long* syscall_result);
/* Handles a synchronous fault in app code (SIGSEGV and friends). */
void signal_handle_fault(int signo, int code, uint64_t addr, struct pal_context* ctx);
__attribute__((noreturn)) void process_exit(int status);
/* The terminal's foreground process group (tcgetpgrp/tcsetpgrp), kept by the leader. */
int process_tty_foreground(void);
int process_tty_set_foreground(int pgid);
/* False when a signal the terminal raised is not for this process (not in the foreground). */
bool process_takes_tty_signal(void);
/* For the upcall inside a blocking call: the check waits for process_settle_tty_signals. */
void process_note_tty_signal(int signo);
void process_settle_tty_signals(void);
bool process_tty_signal_noted(void);
/* Before a read (write false) or write of the terminal: 0 to go ahead, -ERESTARTSYS once the
 * caller's background group has been sent SIGTTIN/SIGTTOU, or -EIO. */
int process_tty_access(bool write);
__attribute__((noreturn)) void process_die_by_signal(int signo);

/* ---- Loader (loader/) --------------------------------------------------------------------- */

/* Loads the executable and its interpreter and builds the initial stack; fills ctx. */
int loader_load(const char* path, char** argv, char** envp, struct pal_context* ctx);

/* ---- Start (libos/main.c) ----------------------------------------------------------------- */

struct libos_start_args {
    const char* manifest_path;
    const char* manifest_text;
    size_t manifest_size;
    int argc;         /* the command-line arguments after the app name */
    char** argv;
    char** host_envp;
    const char* syscall_filter; /* how the host catches the app's syscalls, for the log */
};
__attribute__((noreturn)) void libos_start(const struct libos_start_args* args);
/* Start of a forked child: the process comes from the checkpoint read from channel. */
__attribute__((noreturn)) void libos_start_child(pal_handle_t* channel);
/* Reads or writes a whole message on a stream between Kernite processes, going on after
 * interruptions: 0, or -ENODATA when the stream ends first (read), -EPIPE when it takes
 * nothing (write), or the stream's error. */
int channel_read_all(pal_handle_t* ch, void* data, size_t size);
int channel_write_all(pal_handle_t* ch, const void* data, size_t size);
/* Sends the messages to loader.log_file when the manifest names one (once per process). */
struct manifest;
int libos_open_log_file(const struct manifest* m);
/* Start of the process that keeps the leader's table once the first process has ended; the
 * table comes from channel (leader.c). */
__attribute__((noreturn)) void libos_start_server(pal_handle_t* channel);
/* The manifest's text, kept so that a fork can hand it to the child. */
extern const char* g_manifest_text;
extern size_t g_manifest_size;
void libos_handle_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx);

#endif
