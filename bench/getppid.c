/* Times a loop of getppid system calls and prints the mean cost of one call in nanoseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (iterations <= 0) {
        fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
        return 2;
    }

    /* The raw syscall, so that no libc caching can stand in for the kernel (or Kernite). */
    long sink = 0;
    double start = now_ns();
    for (long i = 0; i < iterations; i++)
        sink += syscall(SYS_getppid);
    double elapsed = now_ns() - start;

    printf("%.1f ns/call over %ld calls (checksum %ld)\n", elapsed / iterations, iterations,
           sink);
    return 0;
}
