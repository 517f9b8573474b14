/* What the direct PAL assumes of the host kernel's Syscall User Dispatch, checked natively: the
 * SIGSYS of a dispatched call (si_code, si_syscall, si_arch, rax rolled back to the number, rip
 * and si_call_addr just after the syscall instruction); the range compared with the address
 * after the instruction, so that a range from 2 bytes into the gate to 1 byte past its end lets
 * through exactly the instructions inside; and dispatch not passed on by clone (thread or
 * process) nor kept across execve. While dispatch is on, only the gate makes syscalls.
 * Usage: dispatch_kernel [after-exec] */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF          0
#define PR_SYS_DISPATCH_ON           1
#endif

#define MARKER (-12345L)

/* The gate: gate_call(nr, a1, ..., a5), a thread start, and last the signal restorer, whose
 * syscall instruction ends exactly at gate_end. The syscall instruction of
 * just_before_gate_getpid ends exactly at gate_start. */
extern char gate_start[], gate_end[], after_own_getpid[];
long gate_call(long nr, long a1, long a2, long a3, long a4, long a5);
long gate_clone_thread(unsigned long flags, void* stack);
long just_before_gate_getpid(void);
void gate_restorer(void);
__asm__(".text\n"
        "just_before_gate_getpid:\n"
        " mov $39, %eax\n"
        " syscall\n"
        "gate_start:\n"
        " ret\n"
        "gate_call:\n"
        " mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n mov %rcx, %rdx\n mov %r8, %r10\n"
        " mov %r9, %r8\n syscall\n ret\n"
        "gate_clone_thread:\n"
        " mov $56, %eax\n xor %edx, %edx\n xor %r10d, %r10d\n xor %r8d, %r8d\n syscall\n"
        " test %rax, %rax\n jnz 1f\n pop %rax\n call *%rax\n ud2\n"
        "1: ret\n"
        "gate_restorer:\n"
        " mov $15, %eax\n syscall\n"
        "gate_end:\n");

static volatile long g_code, g_nr, g_arch, g_rax, g_rip, g_call_addr;
static volatile long g_thread_pid;
static char g_thread_stack[65536] __attribute__((aligned(16)));

static void on_sigsys(int signo, siginfo_t* si, void* ucontext) {
    ucontext_t* uc = ucontext;

    (void)signo;
    g_code = si->si_code;
    g_nr = si->si_syscall;
    g_arch = si->si_arch;
    g_rax = uc->uc_mcontext.gregs[REG_RAX];
    g_rip = uc->uc_mcontext.gregs[REG_RIP];
    g_call_addr = (long)si->si_call_addr;
    uc->uc_mcontext.gregs[REG_RAX] = MARKER;
}

static __attribute__((noinline)) long own_getpid(void) {
    long ret;
    __asm__ volatile("syscall\n"
                     ".globl after_own_getpid\n"
                     "after_own_getpid:\n"
                     : "=a"(ret)
                     : "a"((long)SYS_getpid)
                     : "rcx", "r11", "memory");
    return ret;
}

static void say(const char* what, long pid) {
    char line[160];
    int n = snprintf(line, sizeof(line), "%s: %s\n", what,
                     pid == MARKER ? "dispatched" : "not dispatched");
    gate_call(SYS_write, 1, (long)line, n, 0, 0);
}

static void thread_main(void) {
    g_thread_pid = own_getpid();
    gate_call(SYS_exit, 0, 0, 0, 0, 0);
}

static void check_thread(void) {
    void** top = (void**)(g_thread_stack + sizeof(g_thread_stack)) - 2;
    long tid;

    g_thread_pid = 0;
    top[0] = (void*)thread_main;
    tid = gate_clone_thread(
        CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, top);
    if (tid < 0) {
        say("clone of a thread failed", 0);
        return;
    }
    while (!__atomic_load_n(&g_thread_pid, __ATOMIC_ACQUIRE))
        gate_call(SYS_sched_yield, 0, 0, 0, 0, 0);
    say("own getpid in a new thread", g_thread_pid);
}

static void check_fork(void) {
    long pid = gate_call(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    int status = 0;

    if (pid == 0) {
        say("own getpid in a forked child", own_getpid());
        gate_call(SYS_exit_group, 0, 0, 0, 0, 0);
    }
    gate_call(SYS_wait4, pid, (long)&status, 0, 0, 0);
}

int main(int argc, char** argv) {
    struct {
        void* handler;
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
    } sa = {(void*)on_sigsys, SA_SIGINFO | 0x04000000 /* SA_RESTORER */, gate_restorer, 0};
    char* exec_argv[] = {argv[0], (char*)"after-exec", NULL};
    char line[256];
    long ret, pid;
    int n;

    if (argc > 1 && !strcmp(argv[1], "after-exec")) {
        /* Nothing handles SIGSYS here: a dispatched call would end the process. */
        say("own getpid after execve", own_getpid());
        return 0;
    }
    if (gate_call(SYS_rt_sigaction, SIGSYS, (long)&sa, 0, 8, 0) < 0)
        return 1;
    ret = gate_call(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
                    (long)gate_start + 2, gate_end - gate_start - 1, 0 /* no selector */);
    if (ret < 0) {
        printf("PR_SET_SYSCALL_USER_DISPATCH: %ld\n", ret);
        return 1;
    }

    pid = own_getpid();
    n = snprintf(line, sizeof(line),
                 "own getpid: %s, si_code %ld, si_syscall %ld, si_arch %s, rax %ld, rip %s, "
                 "si_call_addr %s\n",
                 pid == MARKER ? "dispatched" : "not dispatched", g_code, g_nr,
                 g_arch == AUDIT_ARCH_X86_64 ? "x86_64" : "other", g_rax,
                 g_rip == (long)after_own_getpid ? "after the instruction" : "elsewhere",
                 g_call_addr == g_rip ? "= rip" : "!= rip");
    gate_call(SYS_write, 1, (long)line, n, 0, 0);
    say("syscall instruction ending at the gate's start", just_before_gate_getpid());
    /* The handler came back through the restorer, whose rt_sigreturn would otherwise have been
     * dispatched with SIGSYS blocked, which ends the process. */
    say("syscall instruction ending at the gate's end (rt_sigreturn)", 0);
    check_thread();
    check_fork();
    gate_call(SYS_execve, (long)"/proc/self/exe", (long)exec_argv, 0, 0, 0);
    say("execve failed", 0);
    return 1;
}
