/* Faults on purpose (SIGSEGV, SIGFPE, SIGILL, SIGBUS) and reports what its handlers saw. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf resume;
static volatile sig_atomic_t last_signo;
static volatile int last_code;
static void* volatile last_addr;

static void on_fault(int signo, siginfo_t* info, void* uctx) {
    last_signo = signo;
    last_code = info->si_code;
    last_addr = info->si_addr;
    siglongjmp(resume, 1);
}

static int* volatile near_null = (int*)16;

static void fault_segv(void) {
    *near_null = 1;
}

static void fault_fpe(void) {
    volatile int zero = 0;
    volatile int x = 7 / zero;
    (void)x;
}

static void fault_ill(void) {
    __asm__ volatile("ud2");
}

static void* bus_addr;

static void fault_bus(void) {
    *(volatile char*)bus_addr = 1;
}

static void try(const char* name, void (*fault)(void), void* expected_addr) {
    last_signo = 0;
    if (sigsetjmp(resume, 1) == 0) {
        fault();
        printf("%s: no signal\n", name);
        return;
    }
    printf("%s: caught %s, si_code %d, address %s\n", name, strsignal(last_signo), last_code,
           expected_addr == NULL ? "-" : last_addr == expected_addr ? "as expected" : "wrong");
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    for (int signo = 1; signo < 32; signo++)
        sigaction(signo, &sa, NULL);

    const char* path = "sync_signals.mapped";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        return 2;
    bus_addr = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (bus_addr == MAP_FAILED)
        return 2;
    bus_addr = (char*)bus_addr + 4096;
    unlink(path);

    try("null write", fault_segv, (void*)16);
    try("divide by zero", fault_fpe, NULL);
    try("ud2", fault_ill, NULL);
    try("past end of file mapping", fault_bus, bus_addr);
    try("null write again", fault_segv, (void*)16);
    return 0;
}
