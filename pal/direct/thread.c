/* Host threads, the thread register, and futexes for the library OS. */
#include <asm/prctl.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/time_types.h>

#include "pal_direct.h"
#include "rt.h"

extern long gate_clone_thread(unsigned long flags, void* stack, int* ptid, int* ctid, void* tls);

struct thread_start {
    struct pal_tcb* tcb;
    void (*fn)(void*);
    void* arg;
};

struct host_stack_t {
    void* sp;
    int flags;
    size_t size;
};

void pal_set_tcb(struct pal_tcb* tcb) {
    tcb->self = tcb;
    HOST_SYSCALL2(__NR_arch_prctl, ARCH_SET_GS, tcb);
}

int pal_signal_stack_install(struct pal_tcb* tcb) {
    struct host_stack_t ss;

    if (!tcb->signal_stack) {
        tcb->signal_stack = pal_stack_alloc(PAL_SIGNAL_STACK_SIZE);
        if (!tcb->signal_stack)
            return -ENOMEM;
        tcb->signal_stack_size = PAL_SIGNAL_STACK_SIZE;
    }
    ss.sp = tcb->signal_stack;
    ss.flags = 0;
    ss.size = tcb->signal_stack_size;
    return (int)HOST_SYSCALL2(__NR_sigaltstack, &ss, NULL);
}

int pal_thread_init_main(struct pal_tcb* tcb) {
    struct pal_tcb* boot;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(boot));

    /* The first thread keeps the signal stack it was given at start-up. */
    tcb->signal_stack = boot->signal_stack;
    tcb->signal_stack_size = boot->signal_stack_size;
    tcb->host_tid = boot->host_tid;
    tcb->stack = NULL;
    tcb->exit_word = 1;
    tcb->interrupted = 0;
    tcb->fast_stack_top = (uint64_t)tcb->signal_stack + tcb->signal_stack_size;
    pal_set_tcb(tcb);
    return 0;
}

static void thread_trampoline(void* start_block) {
    struct thread_start* start = start_block;
    struct pal_tcb* tcb = start->tcb;

    /* Dispatch is not inherited by clone: on before any app code can run here. */
    if (pal_syscall_filter_thread() < 0)
        pal_fatal("cannot catch a new thread's syscalls");
    pal_set_tcb(tcb);
    pal_async_signals_block(true);
    if (pal_signal_stack_install(tcb) < 0)
        pal_fatal("cannot install a thread's signal stack");
    start->fn(start->arg);
    pal_thread_exit();
}

int pal_thread_create(struct pal_tcb* tcb, void (*fn)(void*), void* arg) {
    const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID;
    void* stack = pal_stack_alloc(PAL_THREAD_STACK_SIZE);
    void* sigstack = pal_stack_alloc(PAL_SIGNAL_STACK_SIZE);
    uint64_t* top;
    struct thread_start* start;
    long ret;

    if (!stack || !sigstack) {
        ret = -ENOMEM;
        goto fail;
    }
    tcb->self = tcb;
    tcb->stack = stack;
    tcb->stack_size = PAL_THREAD_STACK_SIZE;
    tcb->signal_stack = sigstack;
    tcb->signal_stack_size = PAL_SIGNAL_STACK_SIZE;
    /* Fast calls run on the signal stack: while the app runs, no handler is on it. */
    tcb->fast_stack_top = (uint64_t)sigstack + PAL_SIGNAL_STACK_SIZE;
    tcb->fast_active = 0;
    tcb->exit_word = 1;
    tcb->interrupted = 0;

    start = (struct thread_start*)((char*)stack + PAL_THREAD_STACK_SIZE) - 1;
    start->tcb = tcb;
    start->fn = fn;
    start->arg = arg;
    top = (uint64_t*)((uint64_t)start & ~15UL) - 2;
    top[0] = (uint64_t)thread_trampoline;
    top[1] = (uint64_t)start;

    ret = gate_clone_thread(flags, top, &tcb->host_tid, NULL, NULL);
    if (ret < 0)
        goto fail;
    return 0;

fail:
    if (stack)
        pal_stack_free(stack, PAL_THREAD_STACK_SIZE);
    if (sigstack)
        pal_stack_free(sigstack, PAL_SIGNAL_STACK_SIZE);
    return (int)ret;
}

/* An exiting thread cannot unmap the stacks it runs on, so it moves to a shared exit stack,
 * held by a lock that the kernel itself releases when the thread is gone (set_tid_address). */
static uint8_t g_exit_stack[16384] __attribute__((aligned(16)));
static volatile int g_exit_lock;
static struct {
    void* stack;
    size_t stack_size;
    void* sigstack;
    size_t sigstack_size;
} g_exit_args;

static void __attribute__((noreturn, used)) exit_on_exit_stack(void) {
    if (g_exit_args.stack)
        pal_stack_free(g_exit_args.stack, g_exit_args.stack_size);
    if (g_exit_args.sigstack)
        pal_stack_free(g_exit_args.sigstack, g_exit_args.sigstack_size);
    HOST_SYSCALL1(__NR_set_tid_address, &g_exit_lock);
    for (;;)
        HOST_SYSCALL1(__NR_exit, 0);
}

void pal_thread_exit(void) {
    struct pal_tcb* tcb;
    uint64_t all = ~0ULL;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(tcb));
    HOST_SYSCALL4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &all, NULL, sizeof(all));

    while (__atomic_exchange_n(&g_exit_lock, 1, __ATOMIC_ACQUIRE))
        HOST_SYSCALL6(__NR_futex, &g_exit_lock, FUTEX_WAIT, 1, NULL, NULL, 0);
    g_exit_args.stack = tcb->stack;
    g_exit_args.stack_size = tcb->stack_size;
    g_exit_args.sigstack = tcb->signal_stack;
    g_exit_args.sigstack_size = tcb->signal_stack_size;
    __atomic_store_n(&tcb->exit_word, 0, __ATOMIC_RELEASE);

    __asm__ volatile("mov %0, %%rsp\n\t"
                     "call exit_on_exit_stack\n\t"
                     :
                     : "r"(g_exit_stack + sizeof(g_exit_stack))
                     : "memory");
    __builtin_unreachable();
}

int pal_thread_set_fs(uint64_t fs_base) {
    return (int)HOST_SYSCALL2(__NR_arch_prctl, ARCH_SET_FS, fs_base);
}

uint64_t pal_thread_get_fs(void) {
    uint64_t base = 0;
    HOST_SYSCALL2(__NR_arch_prctl, ARCH_GET_FS, &base);
    return base;
}

int pal_thread_yield(void) {
    return (int)HOST_SYSCALL0(__NR_sched_yield);
}

int pal_thread_set_affinity(int host_tid, const void* mask, size_t size) {
    return (int)HOST_SYSCALL3(__NR_sched_setaffinity, host_tid, size, mask);
}

int pal_thread_get_affinity(int host_tid, void* mask, size_t size) {
    long ret = HOST_SYSCALL3(__NR_sched_getaffinity, host_tid, size, mask);
    if (ret > (long)size)
        return -EINVAL;
    return (int)ret;
}

static void ns_to_timespec(int64_t ns, struct __kernel_timespec* ts) {
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

/* private is FUTEX_PRIVATE_FLAG for words of this process alone, 0 for shared memory. */
static int futex_wait(uint32_t* addr, uint32_t expected, int64_t timeout_ns, uint32_t bitset,
                      int private) {
    struct __kernel_timespec ts;
    struct __kernel_timespec* tsp = NULL;
    long ret;

    if (bitset == FUTEX_BITSET_MATCH_ANY) {
        if (timeout_ns >= 0) {
            ns_to_timespec(timeout_ns, &ts);
            tsp = &ts;
        }
        ret = HOST_BLOCKING6(__NR_futex, addr, FUTEX_WAIT | private, expected, tsp, NULL, 0);
    } else {
        /* FUTEX_WAIT_BITSET takes an absolute monotonic deadline. */
        if (timeout_ns >= 0) {
            uint64_t now = 0;
            pal_clock_get(PAL_CLOCK_MONOTONIC, &now);
            ns_to_timespec((int64_t)now + timeout_ns, &ts);
            tsp = &ts;
        }
        ret = HOST_BLOCKING6(__NR_futex, addr, FUTEX_WAIT_BITSET | private, expected, tsp, NULL,
                             bitset);
    }
    if (ret > 0)
        ret = 0;
    return (int)ret;
}

static int futex_wake(uint32_t* addr, int count, uint32_t bitset, int private) {
    if (bitset == FUTEX_BITSET_MATCH_ANY)
        return (int)HOST_SYSCALL6(__NR_futex, addr, FUTEX_WAKE | private, count, NULL, NULL, 0);
    return (int)HOST_SYSCALL6(__NR_futex, addr, FUTEX_WAKE_BITSET | private, count, NULL, NULL,
                              bitset);
}

static int futex_requeue(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                         const uint32_t* expected, int private) {
    if (expected)
        return (int)HOST_SYSCALL6(__NR_futex, addr, FUTEX_CMP_REQUEUE | private, wake,
                                  (long)requeue, addr2, *expected);
    return (int)HOST_SYSCALL6(__NR_futex, addr, FUTEX_REQUEUE | private, wake, (long)requeue, addr2,
                              0);
}

int pal_futex_wait(uint32_t* addr, uint32_t expected, int64_t timeout_ns, uint32_t bitset) {
    return futex_wait(addr, expected, timeout_ns, bitset, FUTEX_PRIVATE_FLAG);
}

int pal_futex_wake(uint32_t* addr, int count, uint32_t bitset) {
    return futex_wake(addr, count, bitset, FUTEX_PRIVATE_FLAG);
}

int pal_futex_requeue(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                      const uint32_t* expected) {
    return futex_requeue(addr, wake, addr2, requeue, expected, FUTEX_PRIVATE_FLAG);
}

int pal_futex_wait_shared(uint32_t* addr, uint32_t expected, int64_t timeout_ns, uint32_t bitset) {
    return futex_wait(addr, expected, timeout_ns, bitset, 0);
}

int pal_futex_wake_shared(uint32_t* addr, int count, uint32_t bitset) {
    return futex_wake(addr, count, bitset, 0);
}

int pal_futex_requeue_shared(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                             const uint32_t* expected) {
    return futex_requeue(addr, wake, addr2, requeue, expected, 0);
}
