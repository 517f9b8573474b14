/* Process and thread control knobs: prctl, arch_prctl, personality, and the refused rseq/ptrace. */
#include "libos.h"
#include "proc.h"

#include <asm/prctl.h>
#include <linux/personality.h>
#include <linux/prctl.h>

/* Not in every UAPI header version. */
#define LINUX_ARCH_CET_STATUS  0x3001
#define LINUX_USER_ADDR_END    0x800000000000ULL
#define TIMER_SLACK_DEFAULT_NS 50000

/* Process-wide prctl settings; none of them changes how Kernite behaves yet. */
struct prctl_state {
    int dumpable;
    int no_new_privs;
    int child_subreaper;
    uint64_t timer_slack_ns;
    uint32_t personality;
};

static struct prctl_state g_prctl = {
    .dumpable = 1,
    .timer_slack_ns = TIMER_SLACK_DEFAULT_NS,
};

static int prctl_set_name(uint64_t app_name) {
    char name[16];

    /* Like Linux, take at most 15 bytes; the rest of the app's string is not read. */
    memset(name, 0, sizeof(name));
    for (size_t i = 0; i < sizeof(name) - 1; i++) {
        if (copy_from_app(&name[i], (const char*)app_name + i, 1) < 0)
            return -EFAULT;
        if (!name[i])
            break;
    }
    spinlock_lock(&g_process.lock);
    memcpy(proc_current()->name, name, sizeof(name));
    spinlock_unlock(&g_process.lock);
    return 0;
}

static int prctl_get_name(uint64_t app_buf) {
    char name[16];

    memset(name, 0, sizeof(name));
    thread_get_name(libos_current(), name, sizeof(name));
    return copy_to_app((void*)app_buf, name, sizeof(name));
}

static int prctl_put_int(uint64_t app_addr, int value) {
    return copy_to_app((void*)app_addr, &value, sizeof(value));
}

long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5) {
    switch (option) {
        case PR_SET_NAME:
            return prctl_set_name(arg2);
        case PR_GET_NAME:
            return prctl_get_name(arg2);
        case PR_SET_PDEATHSIG:
            /* Accepted and kept: the first process has no parent whose death could fire it. */
            if (arg2 >= LIBOS_NSIG)
                return -EINVAL;
            proc_current()->pdeathsig = (int)arg2;
            return 0;
        case PR_GET_PDEATHSIG:
            return prctl_put_int(arg2, proc_current()->pdeathsig);
        case PR_GET_DUMPABLE:
            return g_prctl.dumpable;
        case PR_SET_DUMPABLE:
            if (arg2 > 1)
                return -EINVAL;
            g_prctl.dumpable = (int)arg2;
            return 0;
        case PR_GET_KEEPCAPS:
            return creds_keep_caps(-1);
        case PR_SET_KEEPCAPS:
            if (arg2 > 1)
                return -EINVAL;
            creds_keep_caps((int)arg2);
            return 0;
        case PR_CAPBSET_READ:
            return creds_cap_bounded((int)arg2) ? 1 : -EINVAL;
        case PR_SET_NO_NEW_PRIVS:
            if (arg2 != 1 || arg3 || arg4 || arg5)
                return -EINVAL;
            g_prctl.no_new_privs = 1;
            return 0;
        case PR_GET_NO_NEW_PRIVS:
            if (arg2 || arg3 || arg4 || arg5)
                return -EINVAL;
            return g_prctl.no_new_privs;
        case PR_SET_CHILD_SUBREAPER:
            g_prctl.child_subreaper = arg2 != 0;
            return 0;
        case PR_GET_CHILD_SUBREAPER:
            return prctl_put_int(arg2, g_prctl.child_subreaper);
        case PR_SET_TIMERSLACK:
            g_prctl.timer_slack_ns = arg2 ? arg2 : TIMER_SLACK_DEFAULT_NS;
            return 0;
        case PR_GET_TIMERSLACK:
            return (long)g_prctl.timer_slack_ns;
        case PR_GET_SECCOMP:
            /* The app itself installed no filter; Kernite's own is not the app's business. */
            return 0;
        case PR_SET_SYSCALL_USER_DISPATCH:
            /* Kernite catches the app's syscalls with it; the app gets the answer of a kernel
             * without it rather than a way to turn it off. */
            return -EINVAL;
        default:
            return -EINVAL;
    }
}

/* The library OS owns the GS base (its per-thread block), so an app cannot have one. */
long sys_arch_prctl(int code, uint64_t addr) {
    uint64_t value;

    switch (code) {
        case ARCH_SET_FS:
            if (addr >= LINUX_USER_ADDR_END)
                return -EPERM;
            return pal_thread_set_fs(addr);
        case ARCH_GET_FS:
            value = pal_thread_get_fs();
            return copy_to_app((void*)addr, &value, sizeof(value));
        case ARCH_SET_GS:
            return -EPERM;
        case ARCH_GET_GS:
            value = 0;
            return copy_to_app((void*)addr, &value, sizeof(value));
        case ARCH_GET_CPUID:
            return 1; /* CPUID is not made to fault */
        case ARCH_SET_CPUID:
            return -ENODEV;
        case LINUX_ARCH_CET_STATUS:
        default:
            return -EINVAL;
    }
}

/* Only the Linux personality exists; ADDR_NO_RANDOMIZE is remembered for whoever asks. */
long sys_personality(uint32_t persona) {
    uint32_t old = g_prctl.personality;

    if (persona == 0xffffffff)
        return old;
    if (persona & ~(uint32_t)ADDR_NO_RANDOMIZE)
        return -EINVAL;
    g_prctl.personality = persona;
    return old;
}

/* Restartable sequences are not offered; glibc checks for this and does without them. */
long sys_rseq(void* rseq, uint32_t len, int flags, uint32_t sig) {
    return -ENOSYS;
}

/* No debugging of or by the app inside Kernite. */
long sys_ptrace(long request, int pid, void* addr, void* data) {
    return -EPERM;
}
