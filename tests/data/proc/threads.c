/* Threads and futexes as glibc uses them; prints one "ok" line per behaviour, the same natively
 * and under Kernite, and exits non-zero at the first behaviour that differs from Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS  20000

static void check(int cond, const char* what) {
    if (!cond) {
        printf("FAIL %s (errno %d)\n", what, errno);
        exit(1);
    }
}

static void ok(const char* what) {
    printf("ok %s\n", what);
    fflush(stdout);
}

static long futex(uint32_t* addr, int op, uint32_t val, const struct timespec* ts, uint32_t* addr2,
                  uint32_t val3) {
    return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_counter;
static __thread int t_local = 7;
static pid_t g_tids[THREADS];

static void* count_worker(void* arg) {
    int idx = (int)(intptr_t)arg;
    g_tids[idx] = gettid();
    t_local += idx;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&g_lock);
        g_counter++;
        pthread_mutex_unlock(&g_lock);
    }
    return (void*)(intptr_t)(t_local * 100 + idx);
}

static void test_create_join_mutex_tls(void) {
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        check(pthread_create(&th[i], NULL, count_worker, (void*)(intptr_t)i) == 0, "create");
    for (int i = 0; i < THREADS; i++) {
        void* ret;
        check(pthread_join(th[i], &ret) == 0, "join");
        check((intptr_t)ret == (7 + i) * 100 + i, "thread-local storage per thread");
    }
    check(g_counter == (long)THREADS * ROUNDS, "mutex counts every increment");
    check(t_local == 7, "main thread's TLS untouched");
    for (int i = 0; i < THREADS; i++) {
        check(g_tids[i] != getpid(), "thread tid differs from pid");
        for (int j = 0; j < i; j++)
            check(g_tids[i] != g_tids[j], "thread tids are unique");
    }
    ok("8 threads with a mutex, join values and TLS");
}

static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_turn;

static void* pingpong_worker(void* arg) {
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&g_lock);
        while (g_turn % 2 != me)
            pthread_cond_wait(&g_cond, &g_lock);
        g_turn++;
        pthread_cond_broadcast(&g_cond);
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

static void test_condvar_pingpong(void) {
    pthread_t a, b;
    g_turn = 0;
    check(pthread_create(&a, NULL, pingpong_worker, (void*)0) == 0, "create a");
    check(pthread_create(&b, NULL, pingpong_worker, (void*)1) == 0, "create b");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    check(g_turn == 2000, "condition variable ping-pong");
    ok("condition variable ping-pong between two threads");
}

static void test_futex_wait_value_and_timeout(void) {
    uint32_t word = 1;
    struct timespec ts = {0, 20 * 1000 * 1000};
    struct timespec t0, t1;

    errno = 0;
    check(futex(&word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0) == -1 && errno == EAGAIN,
          "FUTEX_WAIT on a changed word fails with EAGAIN");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    check(futex(&word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0) == -1 && errno == ETIMEDOUT,
          "FUTEX_WAIT with a timeout fails with ETIMEDOUT");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    check(ms >= 19 && ms < 2000, "the timeout lasts about as long as asked");

    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 10 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    errno = 0;
    check(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &abs, NULL,
                FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT,
          "FUTEX_WAIT_BITSET with an absolute CLOCK_REALTIME deadline times out");
    errno = 0;
    check(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EINVAL,
          "an empty bitset is EINVAL");
    errno = 0;
    check(futex((uint32_t*)((char*)&word + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == -1 &&
          errno == EINVAL, "an unaligned futex is EINVAL");
    errno = 0;
    check(futex(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) == -1, "FUTEX_LOCK_PI fails");
    ok("futex wait: value mismatch, relative and absolute timeouts, bad arguments");
}

static uint32_t g_wait_word;
static atomic_int g_waiting;

static void* futex_waiter(void* arg) {
    atomic_fetch_add(&g_waiting, 1);
    while (__atomic_load_n(&g_wait_word, __ATOMIC_SEQ_CST) == 0)
        futex(&g_wait_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void test_futex_wake_op_and_requeue(void) {
    uint32_t word2 = 5;
    pthread_t th[4];

    /* WAKE_OP: *word2 += 3, and wake on word2 too when the old value was 5 (it was). */
    long woken = futex(&g_wait_word, FUTEX_WAKE_OP_PRIVATE, 1, (void*)1, &word2,
                       FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5));
    check(woken == 0 && word2 == 8, "FUTEX_WAKE_OP adds to the second word");
    woken = futex(&g_wait_word, FUTEX_WAKE_OP_PRIVATE, 1, (void*)1, &word2,
                  FUTEX_OP(FUTEX_OP_ANDN, 8, FUTEX_OP_CMP_GT, 100));
    check(woken == 0 && word2 == 0, "FUTEX_WAKE_OP and-not");
    woken = futex(&g_wait_word, FUTEX_WAKE_OP_PRIVATE, 1, (void*)1, &word2,
                  FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_EQ, 0) | (FUTEX_OP_OPARG_SHIFT << 28));
    check(woken == 0 && word2 == 16, "FUTEX_WAKE_OP with a shifted operand");

    g_wait_word = 0;
    atomic_store(&g_waiting, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, futex_waiter, NULL);
    while (atomic_load(&g_waiting) < 4)
        sched_yield();
    usleep(50000);
    uint32_t target = 0;
    errno = 0;
    check(futex(&g_wait_word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void*)1, &target, 1) == -1 &&
          errno == EAGAIN, "FUTEX_CMP_REQUEUE checks the value");
    long moved = futex(&g_wait_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void*)2, &target, 0);
    check(moved == 3, "FUTEX_CMP_REQUEUE wakes one and requeues two");
    __atomic_store_n(&g_wait_word, 1, __ATOMIC_SEQ_CST);
    check(futex(&target, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 2,
          "the requeued waiters wait on the second word");
    futex(&g_wait_word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ok("futex wake-op arithmetic, cmp-requeue");
}

static pthread_mutex_t g_robust;

static void* robust_owner(void* arg) {
    pthread_mutex_lock(&g_robust);
    return NULL; /* exits holding it */
}

static void test_robust_mutex_owner_died(void) {
    pthread_mutexattr_t attr;
    pthread_t th;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&g_robust, &attr);
    pthread_create(&th, NULL, robust_owner, NULL);
    pthread_join(th, NULL);
    check(pthread_mutex_lock(&g_robust) == EOWNERDEAD, "robust mutex reports EOWNERDEAD");
    check(pthread_mutex_consistent(&g_robust) == 0, "and can be made consistent");
    pthread_mutex_unlock(&g_robust);
    ok("robust mutex of an exited owner is EOWNERDEAD");
}

static void* detached_worker(void* arg) {
    atomic_fetch_add((atomic_int*)arg, 1);
    return NULL;
}

static void test_detached_threads_and_exit(void) {
    atomic_int done = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20; i++) {
            pthread_t th;
            check(pthread_create(&th, &attr, detached_worker, &done) == 0, "create detached");
        }
        while (atomic_load(&done) < (round + 1) * 20)
            sched_yield();
    }
    ok("100 short-lived detached threads");
}

static void test_names_affinity_time(void) {
    char name[16];
    check(prctl(PR_SET_NAME, "worker-name") == 0, "PR_SET_NAME");
    check(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "worker-name") == 0, "PR_GET_NAME");

    cpu_set_t set;
    CPU_ZERO(&set);
    check(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1,
          "sched_getaffinity reports a CPU");

    struct timespec req = {0, 30 * 1000 * 1000}, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    check(ms >= 29 && ms < 2000, "clock_nanosleep sleeps as long as asked");

    struct timespec cpu;
    check(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0, "process CPU clock");
    check(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0, "thread CPU clock");
    clockid_t cid;
    check(pthread_getcpuclockid(pthread_self(), &cid) == 0 && clock_gettime(cid, &cpu) == 0,
          "pthread_getcpuclockid of the calling thread");
    ok("thread name, affinity, sleeps and CPU clocks");
}

static void* outlive_main(void* arg) {
    usleep(50000);
    ok("the process outlives its main thread");
    printf("all ok\n");
    exit(0);
}

int main(void) {
    test_create_join_mutex_tls();
    test_condvar_pingpong();
    test_futex_wait_value_and_timeout();
    test_futex_wake_op_and_requeue();
    test_robust_mutex_owner_died();
    test_detached_threads_and_exit();
    test_names_affinity_time();
    pthread_t th;
    check(pthread_create(&th, NULL, outlive_main, NULL) == 0, "create");
    pthread_exit(NULL);
}
