/* Times a loop of one system call made through glibc's own wrapper, as apps make them, and
 * prints the mean cost of one call in nanoseconds. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    const char* call = argc > 1 ? argv[1] : "";
    long sink = 0;
    double start;

    if (iterations <= 0 || (strcmp(call, "getppid") && strcmp(call, "sched_yield") &&
                            strcmp(call, "clock_gettime"))) {
        fprintf(stderr, "usage: %s getppid|sched_yield|clock_gettime [ITERATIONS]\n", argv[0]);
        return 2;
    }
    start = now_ns();
    if (!strcmp(call, "getppid")) {
        for (long i = 0; i < iterations; i++)
            sink += getppid();
    } else if (!strcmp(call, "sched_yield")) {
        for (long i = 0; i < iterations; i++)
            sink += sched_yield();
    } else {
        struct timespec ts;
        for (long i = 0; i < iterations; i++) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            sink += ts.tv_nsec & 1;
        }
    }
    double elapsed = now_ns() - start;
    printf("%.1f ns/call over %ld calls (checksum %ld)\n", elapsed / iterations, iterations,
           sink);
    return 0;
}
