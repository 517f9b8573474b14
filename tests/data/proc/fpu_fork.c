/* The forking thread's FPU state goes to the child: SSE rounding mode, x87 control word and a
 * vector register value set before fork are what the child sees. */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint16_t x87_control(void) {
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

int main(void) {
    fesetround(FE_UPWARD);
    uint16_t cw = (x87_control() & ~0x0300) | 0x0200; /* x87 precision: 53 bits */
    __asm__ volatile("fldcw %0" ::"m"(cw));
    volatile double third = 1.0 / 3.0;

    pid_t pid = fork();
    if (pid == 0) {
        volatile double again = 1.0 / 3.0;
        int ok = fegetround() == FE_UPWARD && (x87_control() & 0x0300) == 0x0200 &&
                 again == third;
        printf("child: rounding upward %d, x87 precision kept %d, same quotient %d\n",
               fegetround() == FE_UPWARD, (x87_control() & 0x0300) == 0x0200, again == third);
        fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent: child %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "differs");
    return 0;
}
