/* Time, randomness, diagnostics, process exit and host information. */
#include <asm/unistd.h>
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/time.h>
#include <linux/utsname.h>

#include "elf_symbols.h"
#include "pal_direct.h"
#include "rt.h"

static const int g_host_clocks[] = {
    [PAL_CLOCK_REALTIME] = CLOCK_REALTIME,
    [PAL_CLOCK_MONOTONIC] = CLOCK_MONOTONIC,
    [PAL_CLOCK_PROCESS] = CLOCK_PROCESS_CPUTIME_ID,
    [PAL_CLOCK_THREAD] = CLOCK_THREAD_CPUTIME_ID,
};

int pal_clock_get(int clock, uint64_t* ns) {
    struct __kernel_timespec ts;
    long ret;

    if (clock < 0 || clock > PAL_CLOCK_THREAD)
        return -EINVAL;
    ret = HOST_SYSCALL2(__NR_clock_gettime, g_host_clocks[clock], &ts);
    if (ret < 0)
        return (int)ret;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return -EINVAL;
    *ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
    return 0;
}

int pal_sleep(uint64_t ns, uint64_t* remaining_ns) {
    struct __kernel_timespec req = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    struct __kernel_timespec rem = {0, 0};
    long ret = HOST_BLOCKING4(__NR_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &rem);

    if (remaining_ns) {
        *remaining_ns = 0;
        if (ret == -EINTR && rem.tv_sec >= 0 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000)
            *remaining_ns = (uint64_t)rem.tv_sec * 1000000000 + (uint64_t)rem.tv_nsec;
    }
    return (int)ret;
}

int pal_random(void* buf, size_t size) {
    size_t done = 0;

    while (done < size) {
        long ret = HOST_SYSCALL3(__NR_getrandom, (char*)buf + done, size - done, 0);
        if (ret == -EINTR)
            continue;
        if (ret < 0)
            return (int)ret;
        if (ret == 0 || (size_t)ret > size - done)
            return -EIO;
        done += ret;
    }
    return 0;
}

void pal_debug_write(const char* buf, size_t size) {
    while (size) {
        long ret = HOST_SYSCALL3(__NR_write, 2, buf, size);
        if (ret == -EINTR)
            continue;
        if (ret <= 0 || (size_t)ret > size)
            return;
        buf += ret;
        size -= ret;
    }
}

void pal_process_exit(int status) {
    for (;;)
        HOST_SYSCALL1(__NR_exit_group, status);
}

struct host_sigaction {
    uint64_t handler, flags, restorer, mask;
};

void pal_process_die_by_signal(int signo) {
    struct host_sigaction dfl = {0, 0, 0, 0};
    uint64_t bit = 1ULL << (signo - 1);

    HOST_SYSCALL4(__NR_rt_sigaction, signo, &dfl, NULL, 8);
    HOST_SYSCALL4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &bit, NULL, 8);
    HOST_SYSCALL3(__NR_tgkill, g_host_pid, HOST_SYSCALL0(__NR_gettid), signo);
    /* Signals whose default is to be ignored by the host end the process this way. */
    pal_process_exit(128 + signo);
}

__attribute__((noreturn)) void pal_fatal(const char* msg) {
    pal_debug_write("kernite: fatal: ", 16);
    pal_debug_write(msg, strlen(msg));
    pal_debug_write("\n", 1);
    pal_process_exit(127);
}

void rt_abort(const char* why) {
    pal_fatal(why);
}

struct host_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[8];
};

static uint32_t count_cpus(void) {
    uint64_t mask[16];
    long ret = HOST_SYSCALL3(__NR_sched_getaffinity, 0, sizeof(mask), mask);
    uint32_t count = 0;

    if (ret <= 0 || ret > (long)sizeof(mask))
        return 1;
    for (long i = 0; i < ret / 8; i++)
        count += __builtin_popcountll(mask[i]);
    return count ? count : 1;
}

int pal_host_info_init(uint64_t mem_limit) {
    struct host_sysinfo si;
    struct new_utsname uts;

    memset(&g_pal_info, 0, sizeof(g_pal_info));
    g_pal_info.cpu_count = count_cpus();
    if (HOST_SYSCALL1(__NR_sysinfo, &si) == 0 && si.mem_unit && si.mem_unit <= 4096) {
        g_pal_info.host_mem_total = si.totalram * si.mem_unit;
        g_pal_info.mem_available = si.freeram * si.mem_unit;
    }
    g_pal_info.mem_total = mem_limit ? mem_limit : g_pal_info.host_mem_total;
    g_pal_info.app_area_start = PAL_APP_AREA_START;
    g_pal_info.app_area_end = PAL_APP_AREA_END;
    g_pal_info.pal_start = (uint64_t)__executable_start;
    g_pal_info.pal_end = ((uint64_t)_end + PAL_PAGE_SIZE - 1) & ~(PAL_PAGE_SIZE - 1);
    if (HOST_SYSCALL1(__NR_uname, &uts) == 0) {
        strlcpy(g_pal_info.hostname, uts.nodename, sizeof(g_pal_info.hostname));
        strlcpy(g_pal_info.kernel_release, uts.release, sizeof(g_pal_info.kernel_release));
    }
    return 0;
}

int pal_host_info(struct pal_host_info* info) {
    *info = g_pal_info;
    return 0;
}

/* The host's vDSO, from the auxiliary vector this process started with. */
static const uint8_t* g_host_vdso;
static size_t g_host_vdso_size;

void pal_host_vdso_init(uint64_t* auxv) {
    for (; auxv[0] != 0; auxv += 2) {
        if (auxv[0] == 33 /* AT_SYSINFO_EHDR */)
            g_host_vdso = (const uint8_t*)auxv[1];
    }
    if (!g_host_vdso)
        return;
    /* The image as a file: through the end of the furthest part its program headers name. */
    const Elf64_Ehdr* eh = (const Elf64_Ehdr*)g_host_vdso;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phnum > 16) {
        g_host_vdso = NULL;
        return;
    }
    const Elf64_Phdr* ph = (const Elf64_Phdr*)(g_host_vdso + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > g_host_vdso_size)
            g_host_vdso_size = ph[i].p_offset + ph[i].p_filesz;
    }
    /* The kernel maps the whole image, section headers at its end included, in whole pages. */
    uint64_t shdr_end = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
    if (shdr_end > g_host_vdso_size &&
        (shdr_end + 4095) / 4096 == (g_host_vdso_size + 4095) / 4096)
        g_host_vdso_size = shdr_end;
}

uint64_t pal_time_function(const char* name) {
    uint64_t offset;

    if (!g_host_vdso)
        return 0;
    offset = elf_image_symbol(g_host_vdso, g_host_vdso_size, name);
    return offset ? (uint64_t)g_host_vdso + offset : 0;
}
