/* Memory shared between a parent and its forked child: POSIX named semaphores, a shared
 * anonymous counter under a process-shared mutex, and a shm_open object. Each mode prints what
 * both processes saw; names carry the pid so that runs side by side do not meet. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 2000

static int wait_exit_code(pid_t pid) {
    int status;

    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void object_name(char* buf, size_t size, const char* what) {
    snprintf(buf, size, "/kernite-test-%s-%d", what, (int)getpid());
}

/* Ping-pong between two named semaphores: each side waits for the other's post, ROUNDS times,
 * so no round can pass unless posts reach the other process. The names are unlinked at once,
 * as Python's multiprocessing does: the mappings alone carry them into the child. */
static int mode_semaphores(void) {
    char ping_name[64], pong_name[64];
    object_name(ping_name, sizeof(ping_name), "ping");
    object_name(pong_name, sizeof(pong_name), "pong");
    sem_t* ping = sem_open(ping_name, O_CREAT | O_EXCL, 0600, 0);
    sem_t* pong = sem_open(pong_name, O_CREAT | O_EXCL, 0600, 0);
    if (ping == SEM_FAILED || pong == SEM_FAILED) {
        printf("sem_open: %s\n", strerror(errno));
        return 1;
    }
    printf("second O_EXCL open fails: %s\n",
           sem_open(ping_name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED ? strerror(errno) : "no");
    sem_t* again = sem_open(ping_name, 0);
    printf("open by name: %s\n", again == SEM_FAILED ? strerror(errno) : "ok");
    if (again != SEM_FAILED)
        sem_close(again);
    sem_unlink(ping_name);
    sem_unlink(pong_name);
    printf("after unlink: %s\n", sem_open(ping_name, 0) == SEM_FAILED ? strerror(errno) : "open");

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            sem_wait(ping);
            sem_post(pong);
        }
        _exit(0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        sem_post(ping);
        sem_wait(pong);
    }
    int value = -1;
    sem_getvalue(ping, &value);
    printf("%d rounds of ping-pong, child exit %d, ping value %d\n", ROUNDS, wait_exit_code(pid),
           value);
    return 0;
}

struct counter {
    pthread_mutex_t lock;
    long value;
};

/* Parent and child each add ROUNDS * 10 to one counter in MAP_SHARED|MAP_ANONYMOUS memory under
 * a PTHREAD_PROCESS_SHARED mutex; the sum is exact only if both the memory and the lock's
 * futex are shared. */
static int mode_counter(void) {
    struct counter* c =
        mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t attr;

    if (c == MAP_FAILED) {
        printf("mmap: %s\n", strerror(errno));
        return 1;
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&c->lock, &attr);
    c->value = 0;

    fflush(stdout);
    pid_t pids[2];
    for (int p = 0; p < 2; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            for (int i = 0; i < ROUNDS * 10; i++) {
                pthread_mutex_lock(&c->lock);
                long v = c->value;
                if (i % 64 == 0)
                    sched_yield(); /* let the other process contend for the lock */
                c->value = v + 1;
                pthread_mutex_unlock(&c->lock);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < ROUNDS * 10; i++) {
        pthread_mutex_lock(&c->lock);
        c->value++;
        pthread_mutex_unlock(&c->lock);
    }
    int codes = wait_exit_code(pids[0]) + wait_exit_code(pids[1]);
    printf("counter %ld (expected %d), children exit %d\n", c->value, ROUNDS * 30, codes);

    /* A private mapping stays private: the child's write is not seen. */
    int* private_word =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *private_word = 1;
    pid_t pid = fork();
    if (pid == 0) {
        *private_word = 2;
        _exit(0);
    }
    wait_exit_code(pid);
    printf("private word after the child wrote it: %d\n", *private_word);
    return 0;
}

/* A shm_open object: sized with ftruncate, written by the child through its own mapping made
 * after the fork, seen by the parent in the mapping it made before; then read back by name. */
static int mode_shm_open(void) {
    char name[64];
    object_name(name, sizeof(name), "obj");
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        printf("shm_open: %s\n", strerror(errno));
        return 1;
    }
    if (ftruncate(fd, 8192) < 0) {
        printf("ftruncate: %s\n", strerror(errno));
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    printf("size %ld, regular %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    char* parent_map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    strcpy(parent_map, "from the parent");

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = shm_open(name, O_RDWR, 0);
        char* child_map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        printf("child reads: %s\n", child_map);
        strcpy(child_map + 4096, "from the child");
        strcpy(parent_map, "changed by the child"); /* the mapping inherited over fork */
        fflush(stdout);
        _exit(0);
    }
    int code = wait_exit_code(pid);
    printf("child exit %d; parent sees: '%s' and '%s'\n", code, parent_map, parent_map + 4096);

    char buf[32] = {0};
    pread(fd, buf, sizeof(buf) - 1, 4096);
    printf("read(2) sees: %s\n", buf);
    munmap(parent_map, 8192);
    close(fd);
    printf("unlink: %d\n", shm_unlink(name));
    printf("open after unlink: %s\n", shm_open(name, O_RDWR, 0) < 0 ? strerror(errno) : "ok");
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: shm semaphores|counter|shm_open\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "semaphores"))
        return mode_semaphores();
    if (!strcmp(argv[1], "counter"))
        return mode_counter();
    if (!strcmp(argv[1], "shm_open"))
        return mode_shm_open();
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
