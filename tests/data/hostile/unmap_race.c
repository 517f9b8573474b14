/* One thread unmaps, maps again and protects a buffer over and over while the main thread
 * passes it to syscalls that copy into or out of it: each call must answer (with bytes or
 * EFAULT), never bring the process down. argv[1] is a directory to write a scratch file in. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SIZE (64 * 1024)
#define ROUNDS 3000

static char* g_region;
static atomic_int g_stop;

static void* flipper(void* arg) {
    (void)arg;
    for (unsigned i = 0; !g_stop; i++) {
        if (i % 3 == 2) {
            mprotect(g_region, SIZE, PROT_NONE);
            mprotect(g_region, SIZE, PROT_READ | PROT_WRITE);
            continue;
        }
        munmap(g_region, SIZE);
        mmap(g_region, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
             0);
    }
    return NULL;
}

static long g_answered, g_odd;

static void note(long ret) {
    if (ret >= 0 || errno == EFAULT || errno == ENOENT || errno == ENAMETOOLONG ||
        errno == EAGAIN)
        g_answered++;
    else
        g_odd++;
}

int main(int argc, char** argv) {
    char path[4096];
    pthread_t t;
    int zero = open("/dev/zero", O_RDONLY);
    int null = open("/dev/null", O_WRONLY);
    int maps = open("/proc/self/maps", O_RDONLY);
    int p[2];

    if (argc < 2 || zero < 0 || null < 0 || maps < 0 || pipe2(p, O_NONBLOCK) < 0)
        return 2;
    snprintf(path, sizeof(path), "%s/race-file", argv[1]);
    int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (file < 0 || ftruncate(file, SIZE) < 0)
        return 2;
    g_region = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_create(&t, NULL, flipper, NULL);

    for (int i = 0; i < ROUNDS; i++) {
        struct iovec iov[2] = {{g_region, SIZE / 2}, {g_region + SIZE / 2, SIZE / 2}};
        note(read(zero, g_region, SIZE));
        note(write(null, g_region, SIZE));
        note(pread(file, g_region, SIZE, 0));
        note(pwrite(file, g_region, SIZE, 0));
        note(readv(zero, iov, 2));
        note(pwritev(file, iov, 2, 0));
        note(pread(maps, g_region, SIZE, 0));
        note(write(p[1], g_region, 512));
        note(read(p[0], g_region, 512));
        note(open(g_region, O_RDONLY));
        note(stat(g_region, (struct stat*)(g_region + 4096)));
        note(fstat(file, (struct stat*)g_region));
        note(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, g_region)); /* not the vDSO */
        note(syscall(SYS_uname, g_region));
        note(syscall(SYS_getcwd, g_region, 4096));
    }
    g_stop = 1;
    pthread_join(t, NULL);
    printf("answered %ld of %d calls, %ld odd\n", g_answered, ROUNDS * 15, g_odd);
    unlink(path);
    return 0;
}
