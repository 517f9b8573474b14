/* Under Kernite the app must not see the host's vDSO: time comes from the library OS. */
#include <stdio.h>
#include <sys/auxv.h>
#include <time.h>

int main(void) {
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("vdso %s\n", getauxval(AT_SYSINFO_EHDR) ? "host" : "none");
    printf("monotonic %s\n", b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)
                                 ? "ok" : "went back");
    return 0;
}
