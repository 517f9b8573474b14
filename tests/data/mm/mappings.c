/* Exercises mmap, mprotect, mremap, munmap, brk and madvise, printing what an app can observe. */
#define _GNU_SOURCE
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf g_jump;

static void on_segv(int sig) {
    siglongjmp(g_jump, 1);
}

static int faults_on_write(volatile char* p) {
    if (sigsetjmp(g_jump, 1))
        return 1;
    *p = 1;
    return 0;
}

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    char* a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    signal(SIGSEGV, on_segv);
    printf("mmap %s\n", a == MAP_FAILED ? "failed" : "ok");
    printf("zero-filled %s\n", a[0] == 0 && a[4 * page - 1] == 0 ? "yes" : "no");
    memset(a, 'x', 4 * page);

    mprotect(a + page, page, PROT_READ);
    printf("write to read-only page faults: %d\n", faults_on_write(a + page));
    printf("write to writable page faults: %d\n", faults_on_write(a));
    mprotect(a + page, page, PROT_READ | PROT_WRITE);

    char* b = mremap(a, 4 * page, 64 * page, MREMAP_MAYMOVE);
    if (b == MAP_FAILED) {
        printf("mremap failed\n");
        return 1;
    }
    printf("mremap ok, contents kept: %s\n",
           b[2 * page] == 'x' && b[4 * page - 1] == 'x' ? "yes" : "no");
    printf("grown part zero: %s\n", b[64 * page - 1] == 0 ? "yes" : "no");

    madvise(b, page, MADV_DONTNEED);
    printf("after MADV_DONTNEED reads zero: %s\n", b[0] == 0 ? "yes" : "no");

    munmap(b + page, page);
    printf("munmap hole faults: %d\n", faults_on_write(b + page));
    printf("after hole still mapped: %d\n", !faults_on_write(b + 2 * page));
    munmap(b, 64 * page);

    char* fixed = mmap((void*)0x300000000000, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("fixed at chosen address: %s\n", fixed == (void*)0x300000000000 ? "yes" : "no");
    char* again = mmap((void*)0x300000000000, page, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("noreplace over it refused: %s\n", again == MAP_FAILED ? "yes" : "no");

    char* start = sbrk(0);
    printf("brk grows: %s\n", sbrk(3 * page) == start && sbrk(0) == start + 3 * page ? "yes"
                                                                                       : "no");
    memset(start, 'y', 3 * page);
    printf("brk shrinks: %s\n", sbrk(-3 * page) != (void*)-1 && sbrk(0) == start ? "yes" : "no");
    return 0;
}
