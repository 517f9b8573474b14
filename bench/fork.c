/* fork + _exit + waitpid latency, optionally with a heap of touched memory the child inherits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    size_t mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    char* heap = NULL;
    struct timespec a, b;

    if (mb) {
        heap = malloc(mb << 20);
        if (!heap)
            return 1;
        for (size_t i = 0; i < (mb << 20); i += 4096)
            heap[i] = (char)(i >> 12 | 1); /* every page touched and not zero */
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(heap ? heap[4096] : 0);
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / rounds;
    printf("%.1f us/fork\n", us);
    return 0;
}
