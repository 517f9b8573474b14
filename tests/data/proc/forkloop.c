/* fork + exit + wait, many times in a row: prints the exit statuses' sum and the time taken. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1000;
    long sum = 0;
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(i % 7);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
            fprintf(stderr, "round %d: bad wait\n", i);
            return 1;
        }
        sum += WEXITSTATUS(status);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("rounds %d sum %ld\n", rounds, sum);
    fprintf(stderr, "%.1f us per fork+exit+wait\n",
            ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / rounds);
    return 0;
}
