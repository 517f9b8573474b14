/* Stress of syscall rewriting: threads hammer syscalls through glibc while others keep calling
 * fresh syscall sites in code mapped from new files, so sites are patched (and their pages
 * unmapped) all the time. Prints only facts that hold for any correct run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HAMMERS 8
#define PATCHERS 2
#define SITES 240
#define SLOT 16

static atomic_int g_stop;
static atomic_int g_failures;
static pid_t g_pid;
static const char* g_dir;
static double g_seconds;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char* what) {
    if (atomic_fetch_add(&g_failures, 1) < 5)
        fprintf(stderr, "FAIL %s\n", what);
}

static void* hammer(void* arg) {
    struct timespec last = {0, 0};

    while (!atomic_load(&g_stop)) {
        struct timespec ts;
        if (getpid() != g_pid)
            fail("getpid changed");
        if (getppid() < 0)
            fail("getppid");
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (ts.tv_sec < last.tv_sec || (ts.tv_sec == last.tv_sec && ts.tv_nsec < last.tv_nsec))
            fail("monotonic clock went back");
        last = ts;
        sched_yield();
    }
    return NULL;
}

/* SITES functions of `mov $39, %eax; syscall; ret` (getpid), one per 16-byte slot. */
static void make_code(unsigned char* code) {
    static const unsigned char site[] = {0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xc3};

    memset(code, 0x90, SITES * SLOT);
    for (int i = 0; i < SITES; i++)
        memcpy(code + i * SLOT, site, sizeof(site));
}

static void call_sites_from_file(int round, int shared) {
    unsigned char code[SITES * SLOT], back[SITES * SLOT];
    char path[4096];

    snprintf(path, sizeof(path), "%s/code-%d-%ld", g_dir, round, (long)pthread_self() % 100000);
    make_code(code);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
    if (fd < 0 || write(fd, code, sizeof(code)) != (ssize_t)sizeof(code)) {
        fail("write code file");
        return;
    }
    void* text = mmap(NULL, sizeof(code), PROT_READ | PROT_EXEC, shared ? MAP_SHARED : MAP_PRIVATE,
                      fd, 0);
    if (text == MAP_FAILED) {
        fail("mmap code");
        close(fd);
        return;
    }
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < SITES; i++) {
            long (*site)(void) = (long (*)(void))((char*)text + i * SLOT);
            if (site() != g_pid)
                fail("fresh site returned a wrong value");
        }
    }
    munmap(text, sizeof(code));
    if (pread(fd, back, sizeof(back), 0) != (ssize_t)sizeof(back) ||
        memcmp(back, code, sizeof(code)))
        fail("code file changed on disk");
    close(fd);
    unlink(path);
}

static void* patcher(void* arg) {
    for (int round = 0; !atomic_load(&g_stop); round++)
        call_sites_from_file(round, round % 5 == 4);
    return NULL;
}

int main(int argc, char** argv) {
    pthread_t threads[HAMMERS + PATCHERS];

    if (argc != 3) {
        fprintf(stderr, "usage: stress DIR SECONDS\n");
        return 2;
    }
    g_dir = argv[1];
    g_seconds = atof(argv[2]);
    g_pid = getpid();
    for (int i = 0; i < HAMMERS; i++)
        pthread_create(&threads[i], NULL, hammer, NULL);
    for (int i = 0; i < PATCHERS; i++)
        pthread_create(&threads[HAMMERS + i], NULL, patcher, NULL);
    double end = now() + g_seconds;
    while (now() < end)
        usleep(100000);
    atomic_store(&g_stop, 1);
    for (int i = 0; i < HAMMERS + PATCHERS; i++)
        pthread_join(threads[i], NULL);
    printf("%d threads hammered syscalls while %d kept calling fresh sites: %s\n", HAMMERS,
           PATCHERS, atomic_load(&g_failures) ? "FAILED" : "ok");
    return atomic_load(&g_failures) ? 1 : 0;
}
