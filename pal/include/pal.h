/* The host interface: the only functions the library OS may call to reach the host. */
#ifndef KERNITE_PAL_H
#define KERNITE_PAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Conventions
 * - Every function returns 0 (or a non-negative count) on success and a negative Linux errno
 *   value on failure. Flags, modes, errno values and structure layouts are Linux x86-64 ones:
 *   the library OS implements the Linux ABI, so the host interface speaks it too.
 * - A handle is an opaque host object (file, directory, pipe end, socket, process channel).
 *   The library OS never looks inside it.
 * - Values returned by the host are checked by the PAL before they are handed back (sizes
 *   within the buffer given, counts within the range asked for).
 */

typedef struct pal_handle pal_handle_t;

/* ---- Memory ---------------------------------------------------------------------------- */

#define PAL_PROT_NONE  0x0
#define PAL_PROT_READ  0x1
#define PAL_PROT_WRITE 0x2
#define PAL_PROT_EXEC  0x4

#define PAL_MAP_FIXED      0x1 /* place exactly at *addr, replacing what is there */
#define PAL_MAP_NOREPLACE  0x2 /* place exactly at *addr, fail with -EEXIST if occupied */
#define PAL_MAP_SHARED     0x4 /* pal_stream_map: writes reach the file */
#define PAL_MAP_NORESERVE  0x8
#define PAL_MAP_GROWSDOWN  0x10

#define PAL_PAGE_SIZE 4096UL

/* Maps zero-filled memory. Without a FIXED flag *addr is a hint and receives the address. */
int pal_mem_map(void** addr, size_t size, int prot, int flags);
int pal_mem_unmap(void* addr, size_t size);
int pal_mem_protect(void* addr, size_t size, int prot);
/* Drops the contents of anonymous pages so they read back as zero. */
int pal_mem_zero_pages(void* addr, size_t size);
/* Copy and clear for app memory that passed an access check: another app thread may unmap or
 * protect it before the bytes move, and then they return -EFAULT (bytes up to the fault have
 * moved) instead of faulting in the library OS. 0 when all moved. */
int pal_user_copy(void* dst, const void* src, size_t size);
int pal_user_zero(void* dst, size_t size);
/* Creates a host object of size zero-filled bytes for memory shared between processes
 * (MAP_SHARED|MAP_ANONYMOUS): pal_stream_map with PAL_MAP_SHARED maps it, pal_stream_truncate
 * resizes it, and a copy of the handle sent to another process maps the same memory. */
int pal_mem_shared_open(uint64_t size, pal_handle_t** out);
/* What a page of private memory holds, for a fork to send only what the child cannot map
 * again: never touched since it was mapped (it reads as zero, or as the mapped file's bytes),
 * the mapped file's own unmodified page, or the process's own data (written, anonymous, or
 * swapped out). */
enum pal_page_kind {
    PAL_PAGE_UNTOUCHED = 0,
    PAL_PAGE_FILE = 1,
    PAL_PAGE_OWN = 2,
};
/* Sets kinds[i] for each of the count pages from addr (page-aligned). A backend that cannot
 * tell says PAL_PAGE_OWN for every page. */
int pal_mem_page_kinds(const void* addr, size_t count, uint8_t* kinds);

/* ---- Streams: files, directories, pipes, stdio ------------------------------------------ */

/* Opens a host path; flags and mode are Linux O_* and permission bits. */
int pal_file_open(const char* host_path, int flags, int mode, pal_handle_t** out);
/* Wraps one of the host's standard descriptors 0, 1, 2 (the terminal or redirections). */
int pal_stdio_open(int which, pal_handle_t** out);
/* Creates a unidirectional host pipe: out[0] reads, out[1] writes. flags: O_NONBLOCK. */
int pal_pipe_open(int flags, pal_handle_t* out[2]);
/* Moves up to size bytes from in to out within the host, at least one of them a pipe and
 * neither at an offset (Linux splice; flags are its SPLICE_F_* bits). May block as the two
 * streams do; -EINTR when pal_thread_interrupt() reached the thread. */
long pal_pipe_splice(pal_handle_t* in, pal_handle_t* out, size_t size, unsigned int flags);

/* offset < 0 means "at the stream's own position" (pipes, ttys, append). */
long pal_stream_read(pal_handle_t* h, void* buf, size_t size, int64_t offset);
long pal_stream_write(pal_handle_t* h, const void* buf, size_t size, int64_t offset);
int pal_stream_close(pal_handle_t* h);
/* Duplicates a handle so both may be closed independently. */
int pal_stream_dup(pal_handle_t* h, pal_handle_t** out);
int pal_stream_set_nonblocking(pal_handle_t* h, bool on);
/* Linux struct stat layout (x86-64), filled for the handle's object. */
struct pal_stat;
int pal_stream_stat(pal_handle_t* h, struct pal_stat* st);
int pal_stream_truncate(pal_handle_t* h, uint64_t size);
int pal_stream_flush(pal_handle_t* h);
/* Host position of a seekable stream (used only for O_APPEND emulation and stdio). */
long pal_stream_seek(pal_handle_t* h, int64_t offset, int whence);
/* Terminal and FIONREAD controls; other requests return -ENOTTY. arg points to a buffer of the
 * request's Linux size, read or written by the PAL. */
int pal_stream_ioctl(pal_handle_t* h, unsigned int request, void* arg);
/* Reads Linux struct linux_dirent64 records of a directory handle; 0 at the end. */
long pal_dir_read(pal_handle_t* h, void* buf, size_t size);
int pal_dir_rewind(pal_handle_t* h);
/* Maps a file's contents; flags: PAL_MAP_FIXED/NOREPLACE and PAL_MAP_SHARED. */
int pal_stream_map(pal_handle_t* h, void** addr, size_t size, int prot, int flags,
                   uint64_t offset);

/* Waits until one of the handles is ready. events/revents use Linux POLL* bits.
 * timeout_ns < 0 waits forever. Returns the number of ready handles, 0 on timeout,
 * -EINTR when a host signal arrived. */
int pal_stream_poll(pal_handle_t** handles, const short* events, short* revents, size_t count,
                    int64_t timeout_ns);

/* ---- Sockets ----------------------------------------------------------------------------- */

/* Addresses are Linux struct sockaddr_* in their Linux layout; the library OS has already turned
 * guest names (UNIX paths) into host ones. type may carry SOCK_NONBLOCK; every socket handle is
 * close-on-exec on the host. Calls on a blocking socket may block and then return -EINTR when
 * pal_thread_interrupt() reaches the thread (blocking connect keeps connecting, as on Linux). */
int pal_socket_open(int domain, int type, int protocol, pal_handle_t** out);
int pal_socket_pair(int domain, int type, int protocol, pal_handle_t* out[2]);
int pal_socket_bind(pal_handle_t* h, const void* addr, size_t addrlen);
int pal_socket_listen(pal_handle_t* h, int backlog);
/* flags: SOCK_NONBLOCK for the new handle. addr may be NULL; *addrlen is in/out. */
int pal_socket_accept(pal_handle_t* h, int flags, pal_handle_t** out, void* addr,
                      size_t* addrlen);
int pal_socket_connect(pal_handle_t* h, const void* addr, size_t addrlen);
/* peer false: the local name (getsockname); true: the peer's (getpeername). */
int pal_socket_name(pal_handle_t* h, bool peer, void* addr, size_t* addrlen);
int pal_socket_shutdown(pal_handle_t* h, int how);
/* Options from a fixed list (SOL_SOCKET, IPPROTO_TCP, IPPROTO_IPV6 ones servers use); others
 * return -ENOPROTOOPT. */
int pal_socket_setopt(pal_handle_t* h, int level, int name, const void* val, size_t len);
int pal_socket_getopt(pal_handle_t* h, int level, int name, void* val, size_t* len);

/* One message of sendmsg/recvmsg. iov entries are {base, len} pairs like struct iovec. name
 * may be NULL. handles carries passed handles (SCM_RIGHTS): on send, nhandles of them; on
 * receive, room for nhandles, set to how many came. flags out: Linux MSG_TRUNC/MSG_CTRUNC. */
struct pal_iovec {
    void* base;
    size_t len;
};
struct pal_msg {
    void* name;
    size_t namelen;
    const struct pal_iovec* iov;
    size_t iovlen;
    pal_handle_t** handles;
    size_t nhandles;
    int flags;
};
#define PAL_MSG_MAX_HANDLES 253 /* SCM_MAX_FD of Linux */
/* flags: Linux MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_OOB, MSG_TRUNC, MSG_MORE, MSG_EOR.
 * The host never raises SIGPIPE: -EPIPE is returned and the library OS decides. */
long pal_socket_send(pal_handle_t* h, struct pal_msg* msg, int flags);
long pal_socket_recv(pal_handle_t* h, struct pal_msg* msg, int flags);

/* ---- Event objects: counters, timers, readiness sets ------------------------------------- */

/* An eventfd counter (flags: Linux EFD_SEMAPHORE, EFD_NONBLOCK); read and written as a stream
 * of 8-byte values with pal_stream_read/write. */
int pal_eventfd_open(uint32_t initval, int flags, pal_handle_t** out);
/* A timer that becomes readable when it expires (clock: Linux CLOCK_REALTIME, CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME; flags: TFD_NONBLOCK); read gives the 8-byte expiry count. Times are
 * {value_sec, value_nsec, interval_sec, interval_nsec}, with TFD_TIMER_ABSTIME in settime's
 * flags. */
int pal_timer_open(int clock, int flags, pal_handle_t** out);
int pal_timer_set(pal_handle_t* h, int flags, const int64_t new_value[4], int64_t old_value[4]);
int pal_timer_get(pal_handle_t* h, int64_t value[4]);
/* A host readiness set over handles (epoll). Events are Linux EPOLL* bits, including EPOLLET,
 * EPOLLONESHOT and EPOLLEXCLUSIVE; data is returned as given. op: Linux EPOLL_CTL_*. */
struct pal_ready_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));
int pal_readyset_open(pal_handle_t** out);
int pal_readyset_ctl(pal_handle_t* set, int op, pal_handle_t* h, uint32_t events, uint64_t data);
/* Waits for up to count events; timeout_ns < 0 waits forever. Returns the number filled, 0 on
 * timeout, -EINTR when a signal for the thread arrived. */
int pal_readyset_wait(pal_handle_t* set, struct pal_ready_event* out, size_t count,
                      int64_t timeout_ns);

/* ---- Paths on the host (used by host-directory mounts) ---------------------------------- */

struct pal_stat {
    uint64_t dev;
    uint64_t ino;
    uint64_t nlink;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint32_t pad0;
    uint64_t rdev;
    int64_t size;
    int64_t blksize;
    int64_t blocks;
    uint64_t atime_sec, atime_nsec;
    uint64_t mtime_sec, mtime_nsec;
    uint64_t ctime_sec, ctime_nsec;
    int64_t reserved[3];
};

/* follow: false behaves as lstat. */
int pal_path_stat(const char* host_path, bool follow, struct pal_stat* st);
int pal_path_mkdir(const char* host_path, int mode);
int pal_path_rmdir(const char* host_path);
int pal_path_unlink(const char* host_path);
int pal_path_rename(const char* from, const char* to, unsigned int flags);
int pal_path_symlink(const char* target, const char* link_path);
long pal_path_readlink(const char* host_path, char* buf, size_t size);
int pal_path_link(const char* from, const char* to);
int pal_path_chmod(const char* host_path, int mode);
/* times[0] access, times[1] modification, each {sec, nsec} with Linux UTIME_NOW/UTIME_OMIT. */
int pal_path_utimens(const char* host_path, const int64_t times[4], bool follow);
int pal_path_access(const char* host_path, int mode);
int pal_path_truncate(const char* host_path, uint64_t size);

/* ---- Threads and synchronisation -------------------------------------------------------- */

/* The head of every thread's control block. The library OS embeds it as the first member of
 * its own per-thread structure; the PAL points the thread register (GS base) at it, so
 * %gs:0 is the block's own address on every thread. */
struct pal_tcb {
    struct pal_tcb* self;
    int host_tid;
    volatile int interrupted; /* set by pal_thread_interrupt; makes blocking calls return */
    void* stack;              /* host stack of a PAL-created thread */
    size_t stack_size;
    void* signal_stack;       /* where host signal handlers (the upcalls) run */
    size_t signal_stack_size;
    volatile int exit_word;   /* 1 while the PAL may use this block; 0 once it never will */
    /* The syscall fast path (see pal_fast_*); the offsets are fixed for its entry code. */
    uint64_t fast_stack_top;              /* 56: stack the fast path runs on */
    uint64_t fast_app_rsp;                /* 64: the app's stack pointer during the call */
    uint64_t fast_app_ret;                /* 72: where the app resumes */
    volatile int fast_active;             /* 80: library OS code runs for a fast call */
    volatile int fast_slow_exit;          /* 84: the call must return through the trap path */
    volatile uint64_t fast_deferred;      /* 88: host signals that arrived during the call */
    volatile uint64_t fast_deferred_guest; /* 96: signals other guest processes sent meanwhile */
    volatile uint64_t fast_deferred_kernel; /* of fast_deferred, those the host kernel raised */
    /* The last SIGCHLD among fast_deferred: its si_code, the child's host pid and status. */
    volatile int fast_deferred_child[3];
};

/* Starts a host thread running fn(arg) with tcb installed, on a PAL-provided stack.
 * The thread ends with pal_thread_exit. */
int pal_thread_create(struct pal_tcb* tcb, void (*fn)(void*), void* arg);
/* Ends the calling host thread and releases its stacks. Once tcb->exit_word reads 0 the PAL
 * no longer touches the tcb and the library OS may free it. */
__attribute__((noreturn)) void pal_thread_exit(void);
/* Installs tcb on the calling thread (the first thread; created threads get theirs from
 * pal_thread_create) and gives it a signal stack. */
int pal_thread_init_main(struct pal_tcb* tcb);
/* Sets the FS base, the application's thread pointer. */
int pal_thread_set_fs(uint64_t fs_base);
uint64_t pal_thread_get_fs(void);
int pal_thread_yield(void);
/* Makes the given thread leave a blocking PAL call with -EINTR, or return -EINTR from the next
 * one it starts if it is not blocked now; an app thread running app code gets
 * PAL_EVENT_INTERRUPT instead. The library OS clears the request with pal_thread_clear_interrupt
 * before it checks its own pending work and then blocks, so no wake-up is ever lost. */
int pal_thread_interrupt(struct pal_tcb* tcb);
void pal_thread_clear_interrupt(void);
int pal_thread_set_affinity(int host_tid, const void* mask, size_t size);
int pal_thread_get_affinity(int host_tid, void* mask, size_t size);

/* Private futex on a 32-bit word. timeout_ns < 0: forever; relative otherwise.
 * Returns 0 when woken, -EAGAIN if *addr != expected, -ETIMEDOUT, -EINTR. */
int pal_futex_wait(uint32_t* addr, uint32_t expected, int64_t timeout_ns, uint32_t bitset);
int pal_futex_wake(uint32_t* addr, int count, uint32_t bitset);
int pal_futex_requeue(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                      const uint32_t* expected);
/* The same on words in memory shared with other processes (host files or pal_mem_shared_open
 * objects mapped with PAL_MAP_SHARED): a waiter in one process is woken from another. */
int pal_futex_wait_shared(uint32_t* addr, uint32_t expected, int64_t timeout_ns,
                          uint32_t bitset);
int pal_futex_wake_shared(uint32_t* addr, int count, uint32_t bitset);
int pal_futex_requeue_shared(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                             const uint32_t* expected);

/* ---- Time and randomness ---------------------------------------------------------------- */

#define PAL_CLOCK_REALTIME  0
#define PAL_CLOCK_MONOTONIC 1
#define PAL_CLOCK_PROCESS   2 /* CPU time of the whole host process */
#define PAL_CLOCK_THREAD    3 /* CPU time of the calling host thread */

int pal_clock_get(int clock, uint64_t* ns);
/* Sleeps, interruptible by host signals: returns -EINTR with *remaining_ns set. */
int pal_sleep(uint64_t ns, uint64_t* remaining_ns);
int pal_random(void* buf, size_t size);

/* ---- Upcalls: syscalls, exceptions, host signals ----------------------------------------- */

/* Register state of the interrupted application code; same layout as Linux's x86-64
 * struct sigcontext, so it can be used to build a Linux signal frame directly. */
struct pal_context {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    void* fpstate; /* XSAVE area, Linux struct _fpstate layout */
    uint64_t reserved[8];
};

enum pal_event {
    PAL_EVENT_SYSCALL,   /* the app executed a syscall instruction; number in info->syscall */
    PAL_EVENT_MEMFAULT,  /* SIGSEGV / SIGBUS */
    PAL_EVENT_ARITH,     /* SIGFPE */
    PAL_EVENT_ILLEGAL,   /* SIGILL */
    PAL_EVENT_TRAP,      /* SIGTRAP */
    PAL_EVENT_INTERRUPT, /* pal_thread_interrupt() reached this thread */
    PAL_EVENT_HOST_SIGNAL, /* an asynchronous signal sent by the host (SIGINT, SIGTERM, ...) */
};

/* When events arrive:
 * - SYSCALL and the faults arrive only for app code (a fault in the PAL or library OS is fatal).
 * - INTERRUPT and HOST_SIGNAL arrive for app code (in_pal false) or, with in_pal true, while the
 *   thread sits in a blocking PAL call of an upcall. In that case the handler interrupted the
 *   library OS in the middle of its work: it must only record the signal without taking locks,
 *   and return; the blocking call then returns -EINTR. INTERRUPT never arrives with in_pal set:
 *   it only makes the blocking call return. Outside blocking calls, upcalls do not nest. */

struct pal_event_info {
    int signo;        /* host signal number that carried the event */
    int code;         /* si_code */
    uint64_t addr;    /* faulting address for MEMFAULT */
    long syscall;     /* syscall number for SYSCALL */
    int sender_pid;   /* host pid for HOST_SIGNAL, when known */
    bool in_pal;      /* the event interrupted library OS or PAL code, not the app */
    bool from_process; /* HOST_SIGNAL: signo sent by another Kernite process with
                        * pal_process_signal; sender_value is the value it gave */
    int sender_value;
    int status;        /* HOST_SIGNAL SIGCHLD: the child's exit status or signal (code: CLD_*) */
};

/* Called on the thread's signal stack. The handler may change ctx; execution resumes there. */
typedef void (*pal_event_handler_t)(enum pal_event ev, struct pal_event_info* info,
                                    struct pal_context* ctx);
void pal_set_event_handler(pal_event_handler_t handler);

/* Resumes the given context on the calling thread (used to start threads in app code). With
 * ctx->fpstate NULL the FPU starts fresh; otherwise it is loaded from that XSAVE image (Linux
 * signal-frame layout, 64-byte aligned), as a forked child continues its parent's. */
__attribute__((noreturn)) void pal_context_jump(const struct pal_context* ctx);

/* ---- Syscall fast path -------------------------------------------------------------------- */

/* An app syscall site rewritten by the library OS jumps to pal_fast_entry_address() with the
 * syscall number in rax and the resume address in r11, instead of trapping. The PAL switches to
 * the thread's signal stack, keeps every register the kernel's syscall ABI keeps (all but rax,
 * rcx, r11; flags; the SSE registers; the red zone), and calls the fast handler with no
 * struct pal_context: *slow set by the handler (or a host signal meanwhile) sends the return
 * through the exit handler, which gets the app's full context as a trap would have it, with rax
 * holding the result and rip the resume address, and the signals that arrived during the call
 * for it to deliver. */
struct pal_deferred_signals {
    uint64_t host;        /* a bit per host signal */
    uint64_t guest;       /* a bit per guest signal other guest processes sent */
    uint64_t host_kernel; /* of host, those the host kernel raised (a terminal's, SI_KERNEL) */
    int child_code;       /* SIGCHLD among host: the last one's CLD_* code, */
    int child_host_pid;   /* child and */
    int child_status;     /* status */
};
typedef long (*pal_fast_syscall_fn)(long nr, const long args[6], bool* slow);
typedef void (*pal_fast_exit_fn)(struct pal_context* ctx,
                                 const struct pal_deferred_signals* sigs);
void pal_set_fast_syscall_handlers(pal_fast_syscall_fn call, pal_fast_exit_fn exit);
uint64_t pal_fast_entry_address(void);

/* Writes instruction bytes into app code, whatever the page protection, without changing the
 * mapping (private file pages get their own copy, as a debugger's write would). Each byte store
 * is atomic; the caller orders them so no thread ever runs a torn instruction. -ENOSYS when the
 * host offers no way to do it. */
int pal_code_write(uint64_t addr, const void* bytes, size_t size);

/* Address of a time function (e.g. "__vdso_clock_gettime") that app code may call directly
 * and that reads the same clock as pal_clock_get, or 0 if the host offers none. In direct mode
 * it is the host's own vDSO; it may fall back to a syscall, which then traps like any other. */
uint64_t pal_time_function(const char* name);

/* ---- Process ---------------------------------------------------------------------------- */

__attribute__((noreturn)) void pal_process_exit(int status);
/* Ends the host process as if killed by signo, so that the host parent sees the same. */
__attribute__((noreturn)) void pal_process_die_by_signal(int signo);

/* Starts a new host process running the library OS in child mode, connected to the caller by
 * a stream channel (the checkpoint travels over it). */
int pal_process_create(pal_handle_t** channel, int* host_pid);
/* The same for a library OS service that runs no app (libos_start_server): the process table,
 * kept after the first process has ended. It keeps none of the caller's standard streams. */
int pal_process_create_server(pal_handle_t** channel, int* host_pid);
/* A connected pair of channels: byte streams, or (packets true) messages kept whole. */
int pal_channel_pair(bool packets, pal_handle_t* out[2]);
/* Passes up to 64 handles over a channel; the receiver gets its own copies of the same host
 * objects (files share their position, as after fork). */
int pal_stream_send_handles(pal_handle_t* channel, pal_handle_t** handles, size_t count);
/* Receives exactly count handles of one send; -EPROTO if what arrived differs. */
int pal_stream_recv_handles(pal_handle_t* channel, pal_handle_t** handles, size_t count);

/* What the host measured of a process or thread (Linux struct rusage, in nanoseconds). */
struct pal_usage {
    uint64_t user_ns, system_ns;
    uint64_t maxrss_kb;
    uint64_t minflt, majflt, inblock, oublock, nvcsw, nivcsw;
};

#define PAL_USAGE_SELF     0 /* the calling host process, all its threads */
#define PAL_USAGE_CHILDREN 1 /* its children that have been waited for, and theirs */
#define PAL_USAGE_THREAD   2 /* the calling host thread */
int pal_process_usage(int who, struct pal_usage* out);

#define PAL_WAIT_NOHANG    0x1
#define PAL_WAIT_NOWAIT    0x2
#define PAL_WAIT_EXITED    0x4
#define PAL_WAIT_STOPPED   0x8
#define PAL_WAIT_CONTINUED 0x10
struct pal_child_status {
    int host_pid;
    int code;   /* Linux CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED */
    int status; /* exit status or signal number */
    struct pal_usage usage; /* the child's, with its waited-for descendants */
};
/* Waits for a child process (host_pid, or any with host_pid <= 0) to end, or with
 * PAL_WAIT_STOPPED / PAL_WAIT_CONTINUED to stop or continue; without any of the three event
 * flags, only ends count. Returns 1 with out filled, 0 if PAL_WAIT_NOHANG and nothing
 * happened, -ECHILD, -EINTR. */
int pal_process_wait(int host_pid, int options, struct pal_child_status* out);
/* Sends guest signal signo to another Kernite process (host_pid 0: the calling one); sender is
 * given to the receiver. SIGKILL and SIGSTOP act on the host process itself; SIGCONT both
 * resumes it and reaches its library OS as a guest signal. */
int pal_process_signal(int host_pid, int signo, int sender);

/* Writes to the host's diagnostic output (stderr). */
void pal_debug_write(const char* buf, size_t size);

/* ---- Host information ------------------------------------------------------------------- */

struct pal_host_info {
    uint32_t cpu_count;
    uint64_t mem_total;      /* bytes the app may use: the manifest's limit */
    uint64_t host_mem_total; /* bytes of host memory, for /proc/meminfo */
    uint64_t mem_available;
    uint64_t app_area_start; /* app mappings without a fixed address are placed in here */
    uint64_t app_area_end;
    uint64_t pal_start;      /* PAL and library OS image: the app may not map over it */
    uint64_t pal_end;
    char hostname[65];
    char kernel_release[65];
};
int pal_host_info(struct pal_host_info* info);

#endif
