/* futex(2) on the app's own words, mapped onto the PAL's futexes: private ones, and shared ones
 * for words in MAP_SHARED mappings, which other processes may wait on or wake. */
#include "libos.h"
#include "mm/mm.h"
#include "proc.h"

#define NSEC_PER_SEC 1000000000LL

/* FUTEX_WAKE_OP's encoded operation, as in the kernel's uapi: op, cmp, oparg, cmparg. */
#define WAKE_OP_OP(v)     (((v) >> 28) & 0x7)
#define WAKE_OP_SHIFT(v)  (((v) >> 28) & FUTEX_OP_OPARG_SHIFT)
#define WAKE_OP_CMP(v)    (((v) >> 24) & 0xf)
#define WAKE_OP_OPARG(v)  sign_extend12(((v) >> 12) & 0xfff)
#define WAKE_OP_CMPARG(v) sign_extend12((v)&0xfff)

static int32_t sign_extend12(uint32_t v) {
    return (int32_t)(v << 20) >> 20;
}

/* Whether a word is shared follows from its mapping alone, whatever the app's
 * FUTEX_PRIVATE_FLAG says, so that every waiter and waker of one word agree. */
static bool futex_word_shared(const uint32_t* addr) {
    return mm_is_shared((uint64_t)addr);
}

int futex_wake(uint32_t* addr, int count, uint32_t bitset) {
    if (futex_word_shared(addr))
        return pal_futex_wake_shared(addr, count, bitset);
    return pal_futex_wake(addr, count, bitset);
}

/* Without FUTEX_PRIVATE_FLAG, Linux keys the word by its page, and a read-only page of private
 * anonymous memory has no key: EFAULT even for a wake. */
static int futex_check_word(const uint32_t* addr, int prot, bool private_op) {
    struct mm_region r;

    if ((uintptr_t)addr & 3)
        return -EINVAL;
    if (!mm_is_accessible((uint64_t)addr, sizeof(uint32_t), prot))
        return -EFAULT;
    if (!private_op) {
        if (mm_lookup((uint64_t)addr, sizeof(uint32_t), &r) < 0)
            return -EFAULT;
        if (r.file)
            vfs_file_put(r.file);
        else if ((r.flags & MAP_PRIVATE) && !(r.prot & PROT_WRITE))
            return -EFAULT;
    }
    return 0;
}

/* Turns the app's timeout into a deadline in nanoseconds on clock; *deadline = -1 for none.
 * FUTEX_WAIT's timeout is relative, the others' absolute (as in Linux). */
static int futex_deadline(const struct linux_timespec* utime, bool relative, int clock,
                          int64_t* deadline) {
    struct linux_timespec ts;
    uint64_t now;

    *deadline = -1;
    if (!utime)
        return 0;
    if (copy_from_app(&ts, utime, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
        return -EINVAL;

    int64_t ns = ts.tv_sec > INT64_MAX / NSEC_PER_SEC - 1 ? INT64_MAX
                                                          : ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
    if (relative) {
        int ret = time_clock_get_ns(clock, &now);
        if (ret < 0)
            return ret;
        ns = ns > INT64_MAX - (int64_t)now ? INT64_MAX : ns + (int64_t)now;
    }
    *deadline = ns;
    return 0;
}

/*
 * Waits until woken, the word differs from val, the deadline passes or a signal is pending.
 * A wait without timeout restarts after a signal handler with SA_RESTART; one with a timeout
 * returns EINTR, as Linux does for both (it would also restart a timed wait after a stop).
 */
static long futex_wait(uint32_t* addr, uint32_t val, int64_t deadline, int clock, uint32_t bitset,
                       bool private_op) {
    if (!bitset)
        return -EINVAL;
    int ret = futex_check_word(addr, PAL_PROT_READ, private_op);
    if (ret < 0)
        return ret;
    bool shared = futex_word_shared(addr);

    for (;;) {
        pal_thread_clear_interrupt();
        if (signal_pending())
            return deadline < 0 ? -ERESTARTSYS : -EINTR;

        int64_t timeout = -1;
        if (deadline >= 0) {
            uint64_t now;
            ret = time_clock_get_ns(clock, &now);
            if (ret < 0)
                return ret;
            if ((int64_t)now >= deadline)
                return __atomic_load_n(addr, __ATOMIC_SEQ_CST) != val ? -EAGAIN : -ETIMEDOUT;
            timeout = deadline - (int64_t)now;
        }
        ret = shared ? pal_futex_wait_shared(addr, val, timeout, bitset)
                     : pal_futex_wait(addr, val, timeout, bitset);
        if (ret != -EINTR)
            return ret;
    }
}

static int futex_op_apply(int op, int32_t oparg, uint32_t old) {
    switch (op) {
        case FUTEX_OP_SET:
            return oparg;
        case FUTEX_OP_ADD:
            return (int32_t)(old + (uint32_t)oparg);
        case FUTEX_OP_OR:
            return (int32_t)(old | (uint32_t)oparg);
        case FUTEX_OP_ANDN:
            return (int32_t)(old & ~(uint32_t)oparg);
        default: /* FUTEX_OP_XOR, checked by the caller */
            return (int32_t)(old ^ (uint32_t)oparg);
    }
}

static bool futex_op_compare(int cmp, int32_t old, int32_t cmparg) {
    switch (cmp) {
        case FUTEX_OP_CMP_EQ:
            return old == cmparg;
        case FUTEX_OP_CMP_NE:
            return old != cmparg;
        case FUTEX_OP_CMP_LT:
            return old < cmparg;
        case FUTEX_OP_CMP_LE:
            return old <= cmparg;
        case FUTEX_OP_CMP_GT:
            return old > cmparg;
        default: /* FUTEX_OP_CMP_GE, checked by the caller */
            return old >= cmparg;
    }
}

/* FUTEX_WAKE_OP: atomically change *addr2, wake on addr, and wake on addr2 too if the old
 * value of *addr2 passes the encoded comparison. */
static long futex_wake_op(uint32_t* addr, int wake, uint32_t* addr2, int wake2, uint32_t encoded,
                          bool private_op) {
    int op = WAKE_OP_OP(encoded) & ~FUTEX_OP_OPARG_SHIFT;
    int cmp = WAKE_OP_CMP(encoded);
    int32_t oparg = WAKE_OP_OPARG(encoded);
    int32_t cmparg = WAKE_OP_CMPARG(encoded);

    if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE)
        return -ENOSYS;
    if (WAKE_OP_SHIFT(encoded))
        oparg = 1 << (oparg & 31); /* Linux masks an out-of-range shift the same way */
    int ret = futex_check_word(addr, PAL_PROT_READ, private_op);
    if (ret == 0)
        ret = futex_check_word(addr2, PAL_PROT_READ | PAL_PROT_WRITE, private_op);
    if (ret < 0)
        return ret;

    uint32_t old = __atomic_load_n(addr2, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(addr2, &old, (uint32_t)futex_op_apply(op, oparg, old),
                                        false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        ;

    long woken = futex_wake(addr, wake, FUTEX_BITSET_MATCH_ANY);
    if (woken < 0)
        return woken;
    if (futex_op_compare(cmp, (int32_t)old, cmparg)) {
        int more = futex_wake(addr2, wake2, FUTEX_BITSET_MATCH_ANY);
        if (more < 0)
            return more;
        woken += more;
    }
    return woken;
}

static long futex_requeue(uint32_t* addr, int wake, uint32_t* addr2, int requeue,
                          const uint32_t* expected, bool private_op) {
    if (wake < 0 || requeue < 0)
        return -EINVAL;
    int ret = futex_check_word(addr, PAL_PROT_READ, private_op);
    if (ret == 0)
        ret = futex_check_word(addr2, PAL_PROT_READ, private_op);
    if (ret < 0)
        return ret;
    /* One kind for both words, as Linux has: that of the word the waiters sleep on. */
    if (futex_word_shared(addr))
        return pal_futex_requeue_shared(addr, wake, addr2, requeue, expected);
    return pal_futex_requeue(addr, wake, addr2, requeue, expected);
}

long sys_futex(uint32_t* uaddr, int op, uint32_t val, const struct linux_timespec* utime,
               uint32_t* uaddr2, uint32_t val3) {
    int cmd = op & FUTEX_CMD_MASK;
    bool private_op = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    int clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    /* For the requeue and wake-op commands the timeout argument carries a count. */
    int val2 = (int)(long)utime;
    int64_t deadline;
    long ret;

    /* Linux takes the clock flag with FUTEX_WAIT_BITSET only (and the PI waits). */
    if (realtime && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;

    switch (cmd) {
        case FUTEX_WAIT:
            val3 = FUTEX_BITSET_MATCH_ANY;
            /* fall through */
        case FUTEX_WAIT_BITSET:
            ret = futex_deadline(utime, cmd == FUTEX_WAIT, clock, &deadline);
            if (ret < 0)
                return ret;
            return futex_wait(uaddr, val, deadline, clock, val3, private_op);
        case FUTEX_WAKE:
            val3 = FUTEX_BITSET_MATCH_ANY;
            /* fall through */
        case FUTEX_WAKE_BITSET:
            if (!val3)
                return -EINVAL;
            /* A private wake never touches the word: Linux wakes nobody at an address of the
             * user half that is not mapped, and so does this, without asking the host. */
            if (private_op && !((uintptr_t)uaddr & 3) && (uint64_t)uaddr < LINUX_TASK_SIZE &&
                !mm_is_accessible((uint64_t)uaddr, sizeof(uint32_t), PAL_PROT_READ))
                return 0;
            ret = futex_check_word(uaddr, PAL_PROT_READ, private_op);
            if (ret < 0)
                return ret;
            return futex_wake(uaddr, (int)val, val3);
        case FUTEX_REQUEUE:
            return futex_requeue(uaddr, (int)val, uaddr2, val2, NULL, private_op);
        case FUTEX_CMP_REQUEUE:
            return futex_requeue(uaddr, (int)val, uaddr2, val2, &val3, private_op);
        case FUTEX_WAKE_OP:
            return futex_wake_op(uaddr, (int)val, uaddr2, val2, val3, private_op);
        default:
            /* Priority-inheritance futexes (FUTEX_LOCK_PI and the rest) are not implemented. */
            return -ENOSYS;
    }
}
