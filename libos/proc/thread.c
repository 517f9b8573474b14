/* Threads of the one guest process: the main thread, clone/clone3 with CLONE_THREAD, and exit. */
#include "libos.h"
#include "manifest.h"
#include "proc.h"
#include "process.h"

/* The flags glibc's pthread_create passes: a thread sharing everything with its creator. */
#define CLONE_THREAD_REQUIRED (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
/* Flags that may be added to that set; each is handled below (CLONE_DETACHED is ignored by Linux
 * as well). Any other flag set, fork and vfork included, is not supported yet: -ENOSYS. */
#define CLONE_THREAD_OPTIONAL                                                                  \
    (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |                 \
     CLONE_CHILD_CLEARTID | CLONE_DETACHED)

#define CLONE_ARGS_SIZE_VER0 64

/* The kernel stops walking a robust list after this many entries (a loop guard). */
#define ROBUST_LIST_LIMIT 2048

struct linux_robust_list_head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t list_op_pending;
};

struct libos_process g_process;

/* Threads that have exited but whose host thread may still run its last instructions on the
 * structure; freed once the PAL reports the host thread gone. Guarded by g_process.lock. */
static struct proc_thread* g_dead_threads;

static bool thread_host_gone(struct proc_thread* pt) {
    return __atomic_load_n(&pt->base.pal.exit_word, __ATOMIC_ACQUIRE) == 0;
}

static void thread_free(struct proc_thread* pt) {
    free(pt);
}

void thread_reap_dead(void) {
    struct proc_thread* gone = NULL;

    spinlock_lock(&g_process.lock);
    struct proc_thread** link = &g_dead_threads;
    while (*link) {
        struct proc_thread* pt = *link;
        if (thread_host_gone(pt)) {
            *link = pt->dead_next;
            pt->dead_next = gone;
            gone = pt;
        } else {
            link = &pt->dead_next;
        }
    }
    spinlock_unlock(&g_process.lock);

    while (gone) {
        struct proc_thread* next = gone->dead_next;
        thread_free(gone);
        gone = next;
    }
}

static struct proc_thread* thread_alloc(void) {
    struct proc_thread* pt = calloc(1, sizeof(*pt));
    if (!pt)
        return NULL;
    pt->base.altstack_flags = LINUX_SS_DISABLE;
    return pt;
}

static uint32_t thread_limit(void) {
    if (g_process.max_threads)
        return g_process.max_threads;
    return g_process.manifest ? g_process.manifest->max_threads : 0;
}

int thread_init_main(void) {
    struct proc_thread* pt = thread_alloc();
    if (!pt)
        return -ENOMEM;

    proc_identity_init();
    proc_rlimit_init();
    if (!g_process.start_time_ns)
        pal_clock_get(PAL_CLOCK_MONOTONIC, &g_process.start_time_ns);

    pt->base.tid = g_process.pid;
    int ret = pal_thread_init_main(&pt->base.pal);
    if (ret < 0) {
        thread_free(pt);
        return ret;
    }

    spinlock_lock(&g_process.lock);
    pt->base.next = g_process.threads;
    g_process.threads = &pt->base;
    g_process.thread_count++;
    if (g_process.next_tid <= g_process.pid)
        g_process.next_tid = g_process.pid + 1;
    spinlock_unlock(&g_process.lock);
    return 0;
}

/* The caller holds g_process.lock; the result is valid until it releases it. */
struct libos_thread* thread_lookup(int tid) {
    for (struct libos_thread* t = g_process.threads; t; t = t->next) {
        if (t->tid == tid)
            return t;
    }
    return NULL;
}

/* A thread that was never named carries the executable's base name, as on Linux. */
void thread_get_name(struct libos_thread* t, char* buf, size_t size) {
    char name[16];

    spinlock_lock(&g_process.lock);
    strlcpy(name, proc_thread_of(t)->name, sizeof(name));
    spinlock_unlock(&g_process.lock);

    if (!name[0] && g_process.exe_path) {
        const char* slash = strrchr(g_process.exe_path, '/');
        strlcpy(name, slash ? slash + 1 : g_process.exe_path, sizeof(name));
    }
    strlcpy(buf, name, size);
}

/* Runs on the new host thread: enter app code where the creator's clone returned. */
static void thread_start(void* arg) {
    struct proc_thread* pt = arg;

    pal_thread_set_fs(pt->start_fs);
    pal_context_jump(&pt->start_ctx);
}

/* The new thread's registers: the creator's, with clone returning 0 on a new stack. Its FPU
 * starts in the initial state (pal_context_jump gives it a fresh one) instead of a copy of the
 * creator's; code after clone in glibc sets up what it needs itself. */
static void thread_prepare_context(struct proc_thread* pt, uint64_t stack, uint64_t tls,
                                   bool set_tls) {
    pt->start_ctx = *libos_current()->ctx;
    pt->start_ctx.rax = 0;
    pt->start_ctx.fpstate = NULL;
    if (stack)
        pt->start_ctx.rsp = stack;
    pt->start_fs = set_tls ? tls : pal_thread_get_fs();
}

/* Adds pt to the process with a fresh tid, unless the thread limit is reached. */
static int thread_register(struct proc_thread* pt) {
    struct libos_thread* self = libos_current();
    uint32_t limit = thread_limit();
    int ret = 0;

    spinlock_lock(&g_process.lock);
    if (limit && (uint32_t)g_process.thread_count >= limit) {
        ret = -EAGAIN;
        goto out;
    }
    pt->base.tid = g_process.next_tid++;
    pt->base.sigmask = self->sigmask;
    strlcpy(pt->name, proc_thread_of(self)->name, sizeof(pt->name));
    pt->base.next = g_process.threads;
    g_process.threads = &pt->base;
    g_process.thread_count++;
out:
    spinlock_unlock(&g_process.lock);
    return ret;
}

static void thread_unregister_locked(struct libos_thread* t) {
    for (struct libos_thread** link = &g_process.threads; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            g_process.thread_count--;
            return;
        }
    }
}

static long thread_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                         uint64_t tls) {
    if (!(flags & CLONE_THREAD))
        return process_clone(flags, stack, parent_tid, child_tid, tls);
    uint64_t exit_signal = flags & CSIGNAL;
    flags &= ~CSIGNAL;
    if ((flags & CLONE_THREAD_REQUIRED) != CLONE_THREAD_REQUIRED ||
        (flags & ~(CLONE_THREAD_REQUIRED | CLONE_THREAD_OPTIONAL)) || exit_signal) {
        log_debug("clone: flags 0x%lx not supported (only threads so far)",
                  (unsigned long)(flags | exit_signal));
        return -ENOSYS;
    }

    thread_reap_dead();
    struct proc_thread* pt = thread_alloc();
    if (!pt)
        return -ENOMEM;
    thread_prepare_context(pt, stack, tls, flags & CLONE_SETTLS);
    long ret = thread_register(pt);
    if (ret < 0)
        goto fail;

    int tid = pt->base.tid;
    if (flags & CLONE_CHILD_CLEARTID)
        pt->base.clear_child_tid = (uint32_t*)child_tid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_app((void*)parent_tid, &tid, sizeof(tid)) < 0)
        ret = -EFAULT;
    if (ret == 0 && (flags & CLONE_CHILD_SETTID) &&
        copy_to_app((void*)child_tid, &tid, sizeof(tid)) < 0)
        ret = -EFAULT;
    if (ret == 0)
        ret = pal_thread_create(&pt->base.pal, thread_start, pt);
    if (ret < 0) {
        spinlock_lock(&g_process.lock);
        thread_unregister_locked(&pt->base);
        spinlock_unlock(&g_process.lock);
        goto fail;
    }
    log_debug("clone: thread %d started", tid);
    return tid;

fail:
    thread_free(pt);
    return ret;
}

long sys_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
               uint64_t tls) {
    return thread_clone(flags, stack, parent_tid, child_tid, tls);
}

long sys_clone3(const struct clone_args* uargs, size_t size) {
    struct clone_args args;

    if (size < CLONE_ARGS_SIZE_VER0 || size > PAL_PAGE_SIZE)
        return -EINVAL;
    memset(&args, 0, sizeof(args));
    if (copy_from_app(&args, uargs, size < sizeof(args) ? size : sizeof(args)) < 0)
        return -EFAULT;
    if (args.exit_signal > 64 || (args.flags & CSIGNAL))
        return -EINVAL;
    if ((!args.stack) != (!args.stack_size))
        return -EINVAL;
    /* pidfd and cgroup only mean something with CLONE_PIDFD or CLONE_INTO_CGROUP, which are
     * refused with the other flags below (glibc fills pidfd in anyway). */
    if (args.set_tid_size)
        return -ENOSYS;

    uint64_t stack = args.stack ? args.stack + args.stack_size : 0;
    return thread_clone(args.flags | args.exit_signal, stack, args.parent_tid, args.child_tid,
                        args.tls);
}

/* Marks one robust futex of the exiting thread as owner-died and wakes a waiter, as Linux does
 * so that a process sharing the lock sees EOWNERDEAD instead of hanging. */
static void robust_futex_release(uint64_t uaddr, int tid) {
    uint32_t* word = (uint32_t*)uaddr;

    if ((uaddr & 3) || !mm_is_accessible(uaddr, sizeof(uint32_t), PAL_PROT_READ | PAL_PROT_WRITE))
        return;
    uint32_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
    for (;;) {
        if ((old & FUTEX_TID_MASK) != (uint32_t)tid)
            return;
        uint32_t new = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
            break;
    }
    if (old & FUTEX_WAITERS)
        futex_wake(word, 1, FUTEX_BITSET_MATCH_ANY);
}

static void robust_list_walk(struct libos_thread* t) {
    struct linux_robust_list_head head;
    uint64_t head_addr = t->robust_list;

    if (!head_addr || copy_from_app(&head, (void*)head_addr, sizeof(head)) < 0)
        return;

    /* The lowest bit of each entry pointer marks a PI futex; Linux strips it the same way. */
    uint64_t entry = head.next & ~1ULL;
    uint64_t pending = head.list_op_pending & ~1ULL;
    for (int i = 0; entry != head_addr && i < ROBUST_LIST_LIMIT; i++) {
        uint64_t next;
        if (copy_from_app(&next, (void*)entry, sizeof(next)) < 0)
            return;
        if (entry != pending)
            robust_futex_release(entry + head.futex_offset, t->tid);
        entry = next & ~1ULL;
    }
    if (pending)
        robust_futex_release(pending + head.futex_offset, t->tid);
}

/* After this the thread no longer counts; the last one to leave ends the process. */
__attribute__((noreturn)) static void thread_exit(int status) {
    struct libos_thread* t = libos_current();
    struct proc_thread* pt = proc_thread_of(t);

    t->exiting = 1;
    robust_list_walk(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (copy_to_app(t->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake(t->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
    }

    spinlock_lock(&g_process.lock);
    thread_unregister_locked(t);
    int remaining = g_process.thread_count;
    if (remaining > 0) {
        pt->dead_next = g_dead_threads;
        g_dead_threads = pt;
        signal_retarget_locked();
    }
    spinlock_unlock(&g_process.lock);

    if (remaining == 0)
        process_exit(status);
    log_debug("thread %d exited with %d", t->tid, status);
    pal_thread_exit();
}

void thread_exit_for_exec(void) {
    thread_exit(0);
}

long sys_exit(int status) {
    thread_exit(status & 0xff);
}

long sys_exit_group(int status) {
    process_exit(status & 0xff);
}

long sys_set_tid_address(uint32_t* tidptr) {
    struct libos_thread* t = libos_current();
    t->clear_child_tid = tidptr;
    return t->tid;
}

long sys_set_robust_list(uint64_t head, size_t len) {
    if (len != sizeof(struct linux_robust_list_head))
        return -EINVAL;
    libos_current()->robust_list = head;
    libos_current()->robust_list_len = len;
    return 0;
}

long sys_get_robust_list(int tid, uint64_t* head_ptr, size_t* len_ptr) {
    uint64_t head = 0;
    size_t len = sizeof(struct linux_robust_list_head);
    long ret = 0;

    spinlock_lock(&g_process.lock);
    struct libos_thread* t = tid ? thread_lookup(tid) : libos_current();
    if (t)
        head = t->robust_list;
    else
        ret = -ESRCH;
    spinlock_unlock(&g_process.lock);
    if (ret < 0)
        return ret;

    if (copy_to_app(head_ptr, &head, sizeof(head)) < 0 ||
        copy_to_app(len_ptr, &len, sizeof(len)) < 0)
        return -EFAULT;
    return 0;
}

long sys_gettid(void) {
    return libos_current()->tid;
}
