/* Times raw sched_yield calls natively, without and with a seccomp filter of the kind
 * kernite-direct can install (the architecture, then the instruction address against a range
 * that holds the calling instruction), and with Syscall User Dispatch over the same range (what
 * kernite-direct uses where the kernel has it): what each alone adds to every host syscall.
 * Usage: seccomp none|filter|dispatch [ITERATIONS] */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON           1
#endif

/* The only syscall instructions the filter lets through: long gate_call(nr, a1, a2, a3). */
extern char gate_start[], gate_end[];
long gate_call(long nr, long a1, long a2, long a3);
__asm__(".pushsection .text\n"
        "gate_start:\n"
        "gate_call:\n mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n mov %rcx, %rdx\n"
        " syscall\n ret\n"
        "gate_end:\n"
        ".popsection\n");

static double now_ns(void) {
    struct timespec ts;
    gate_call(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int install_filter(void) {
    uint64_t start = (uint64_t)gate_start, end = (uint64_t)gate_end;
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(start >> 32), 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)start, 0, 1),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)end, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};

    if ((start >> 32) != (end >> 32)) {
        fprintf(stderr, "seccomp: the gate crosses a 4 GiB boundary\n");
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        perror("seccomp");
        return -1;
    }
    return 0;
}

/* Every syscall outside the gate would raise SIGSYS, which nothing here handles. */
static int enable_dispatch(void) {
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)gate_start,
              (unsigned long)(gate_end - gate_start), 0) < 0) {
        perror("PR_SET_SYSCALL_USER_DISPATCH");
        return -1;
    }
    return 0;
}

int main(int argc, char** argv) {
    static const char* const modes[] = {"none", "filter", "dispatch"};
    static const char* const labels[] = {"no filter", "filter", "dispatch"};
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    int mode = -1;
    char line[128];
    double start, elapsed;
    int len;

    for (int i = 0; argc > 1 && i < 3; i++) {
        if (!strcmp(argv[1], modes[i]))
            mode = i;
    }
    if (mode < 0 || iterations <= 0) {
        fprintf(stderr, "usage: %s none|filter|dispatch [ITERATIONS]\n", argv[0]);
        return 2;
    }
    /* From here on, with the filter or dispatch, only the gate may make syscalls. */
    if ((mode == 1 && install_filter() < 0) || (mode == 2 && enable_dispatch() < 0))
        return 1;
    start = now_ns();
    for (long i = 0; i < iterations; i++)
        gate_call(SYS_sched_yield, 0, 0, 0);
    elapsed = now_ns() - start;
    len = snprintf(line, sizeof(line), "%.1f ns/call over %ld calls (%s)\n", elapsed / iterations,
                   iterations, labels[mode]);
    gate_call(SYS_write, 1, (long)line, len);
    gate_call(SYS_exit_group, 0, 0, 0);
    return 0;
}
