/* The app's vDSO serves time without a syscall, and its clock agrees with the syscall's:
 * interleaved readings from both never go back. */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec* ts) {
    return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

int main(void) {
    struct timespec a, b, c;
    int ordered = 1;

    printf("vdso %s\n", getauxval(AT_SYSINFO_EHDR) ? "present" : "none");
    for (int i = 0; i < 10000 && ordered; i++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
        clock_gettime(CLOCK_MONOTONIC, &c);
        ordered = ns(&a) <= ns(&b) && ns(&b) <= ns(&c);
    }
    printf("vdso and syscall clocks agree: %s\n", ordered ? "yes" : "no");
    time_t t = time(NULL);
    clock_gettime(CLOCK_REALTIME, &a);
    printf("time() matches CLOCK_REALTIME: %s\n", a.tv_sec - t <= 1 ? "yes" : "no");
    return 0;
}
