/* Calls a system call number that Linux leaves unassigned, twice, and prints what came back. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define UNASSIGNED_SYSCALL 400

int main(void) {
    for (int i = 0; i < 2; i++) {
        errno = 0;
        long ret = syscall(UNASSIGNED_SYSCALL);
        printf("syscall %d returned %ld, errno %d\n", UNASSIGNED_SYSCALL, ret, errno);
    }
    return 0;
}
