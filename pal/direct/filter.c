/* How the app's syscalls are caught: Syscall User Dispatch, or a seccomp filter where the kernel
 * lacks it or the user chose it.
 *
 * Both send every syscall instruction outside the PAL's gate (gate.S, kernite_gate) to the
 * SIGSYS handler, which hands it to the library OS; the gate's own calls go straight to the host.
 *
 * Dispatch costs the PAL's host calls nothing beyond the kernel's check of the instruction
 * address, where a filter that reads that address runs on every call, gate or not. Why the app
 * cannot get around it:
 * - It cannot turn dispatch off. There is no selector byte, only the gate's address range, and
 *   its own prctl is dispatched like every other call: the library OS refuses
 *   PR_SET_SYSCALL_USER_DISPATCH. Nor can it put code in the range: the gate lies in the
 *   Kernite image, which the library OS does not let the app map over.
 * - Dispatch is per host thread and cleared by execve, so the PAL turns it on in every host
 *   thread it creates before that thread runs anything else, and at the start of every host
 *   process. The app makes no host thread or process itself: its clone, fork, vfork and execve
 *   are dispatched too, the library OS makes threads with pal_thread_create and processes with
 *   pal_process_create (a host execve of kernite-direct itself, which turns dispatch on again at
 *   start), and it runs the app's execve in place, without a host execve.
 * - What remains is a jump to a syscall instruction in the gate with registers of the app's
 *   choosing, or into the middle of an instruction whose bytes hold one: that is a host call
 *   under either mechanism.
 * What a filter gives that dispatch does not: it stays on across execve, so a host execve of a
 *   foreign program that Kernite did not make would still run filtered (and die on its first
 *   call). Under dispatch such a program would run free; the app can reach a host execve only
 *   through that same jump into the gate, from where it could make any host call anyway.
 *
 * A process that already runs under Kernite's filter (a child of a process that chose seccomp,
 * told so on its command line) keeps it, since a filter cannot be removed. A filter the host
 * put there (a container's) is not Kernite's and does not count. */
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/errno.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#include "log.h"
#include "pal_direct.h"
#include "rt.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF          0
#define PR_SYS_DISPATCH_ON           1
#endif

#define HOST_SYS_SECCOMP       1
#define HOST_SYS_USER_DISPATCH 2

static enum pal_syscall_filter g_filter = PAL_FILTER_NONE;

static const char* const g_filter_names[] = {
    [PAL_FILTER_DISPATCH] = "dispatch",
    [PAL_FILTER_SECCOMP] = "seccomp",
};

static enum pal_syscall_filter filter_by_name(const char* name) {
    for (size_t i = 0; i < sizeof(g_filter_names) / sizeof(g_filter_names[0]); i++) {
        if (g_filter_names[i] && !strcmp(g_filter_names[i], name))
            return (enum pal_syscall_filter)i;
    }
    return PAL_FILTER_NONE;
}

/* KERNITE_SYSCALL_FILTER in the host environment: NULL when it is not set. */
static const char* filter_from_env(char** envp) {
    static const char name[] = "KERNITE_SYSCALL_FILTER=";

    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], name, sizeof(name) - 1))
            return envp[i] + sizeof(name) - 1;
    }
    return NULL;
}

/* Every syscall not made from the gate traps, from every thread of this process and of every
 * process it starts: the filter survives execve and cannot be removed. Since the image sits at
 * the same address in all Kernite processes, the gate's address holds in them all. A call of
 * another ABI (int $0x80) traps too, and the SIGSYS handler ends the process. */
static int seccomp_install(void) {
    uint64_t start = (uint64_t)__start_kernite_gate;
    uint64_t end = (uint64_t)__stop_kernite_gate;
    if ((start >> 32) != (end >> 32))
        pal_fatal("syscall gate crosses a 4 GiB boundary");

    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(start >> 32), 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)start, 0, 1),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)end, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    long ret = HOST_SYSCALL5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);

    if (ret < 0)
        return (int)ret;
    return (int)HOST_SYSCALL3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* The kernel compares the address after the syscall instruction with the range, so the range
 * starts 2 bytes (one syscall instruction) into the gate and ends 2 bytes after the last
 * syscall instruction that fits in it: exactly the instructions inside the gate pass. */
static int dispatch_enable(void) {
    uint64_t start = (uint64_t)__start_kernite_gate;
    uint64_t size = (uint64_t)__stop_kernite_gate - start;

    return (int)HOST_SYSCALL5(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
                              start + 2, size - 1, 0 /* no selector: always dispatch */);
}

int pal_syscall_filter_init(char** envp, const char* inherited) {
    const char* chosen = inherited ? inherited : filter_from_env(envp);
    enum pal_syscall_filter want = chosen ? filter_by_name(chosen) : PAL_FILTER_DISPATCH;
    int ret;

    if (want == PAL_FILTER_NONE) {
        log_error("KERNITE_SYSCALL_FILTER='%s': expected seccomp or dispatch", chosen);
        return -EINVAL;
    }
    if (want == PAL_FILTER_SECCOMP && inherited && HOST_SYSCALL1(__NR_prctl, PR_GET_SECCOMP) == 2) {
        g_filter = PAL_FILTER_SECCOMP;
        return 0;
    }
    if (want == PAL_FILTER_DISPATCH) {
        ret = dispatch_enable();
        if (ret == 0) {
            g_filter = PAL_FILTER_DISPATCH;
            return 0;
        }
        if (chosen) {
            log_error("Syscall User Dispatch, which KERNITE_SYSCALL_FILTER=dispatch asks for, "
                      "is not available: prctl says %d",
                      ret);
            return ret;
        }
        /* Not logged here: the log level is not known yet. The library OS says at log level
         * debug which mechanism catches the app's calls. */
    }
    ret = seccomp_install();
    if (ret == 0)
        g_filter = PAL_FILTER_SECCOMP;
    return ret;
}

int pal_syscall_filter_thread(void) {
    if (g_filter != PAL_FILTER_DISPATCH)
        return 0;
    return dispatch_enable();
}

const char* pal_syscall_filter_name(void) {
    return g_filter == PAL_FILTER_NONE ? "none" : g_filter_names[g_filter];
}

int pal_syscall_filter_sigsys_code(void) {
    return g_filter == PAL_FILTER_DISPATCH ? HOST_SYS_USER_DISPATCH : HOST_SYS_SECCOMP;
}
