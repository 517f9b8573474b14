/* The app's vDSO: clock_gettime, gettimeofday, time and getcpu without a trap. The library OS
 * fills kernite_vvar when it maps this image: the time functions of its time source (in direct
 * mode the host's own vDSO, the same clock the library OS's time syscalls read) and the fast
 * syscall entry for everything those do not serve. */
#include <stdint.h>

struct kernite_vvar {
    long (*clock_gettime)(long clock, void* ts);
    long (*gettimeofday)(void* tv, void* tz);
    long (*getcpu)(unsigned* cpu, unsigned* node, void* cache);
    uint64_t fast_entry; /* 0: make a real syscall (it traps into the library OS) */
    uint64_t fast_clocks; /* bit per clock id the time source serves without a syscall */
};

/* In the image itself (the loader makes the page writable only while it fills it). */
struct kernite_vvar kernite_vvar __attribute__((visibility("hidden"), section(".vvar"))) = {0};
extern struct kernite_vvar kernite_vvar_export
    __attribute__((alias("kernite_vvar"), visibility("default")));

static long syscall2(long nr, long a, long b) {
    long ret;

    if (kernite_vvar.fast_entry) {
        __asm__ volatile("lea 1f(%%rip), %%r11\n\t"
                         "jmp *%[entry]\n"
                         "1:"
                         : "=a"(ret)
                         : "0"(nr), "D"(a), "S"(b), [entry] "m"(kernite_vvar.fast_entry)
                         : "rcx", "r11", "memory");
    } else {
        __asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11",
                         "memory");
    }
    return ret;
}

static long vdso_clock_gettime(long clock, void* ts) {
    if (clock >= 0 && clock < 64 && (kernite_vvar.fast_clocks >> clock & 1) &&
        kernite_vvar.clock_gettime)
        return kernite_vvar.clock_gettime(clock, ts);
    return syscall2(228 /* clock_gettime */, clock, (long)ts);
}

long __vdso_clock_gettime(long clock, void* ts) {
    return vdso_clock_gettime(clock, ts);
}

long __vdso_gettimeofday(void* tv, void* tz) {
    if (kernite_vvar.gettimeofday)
        return kernite_vvar.gettimeofday(tv, tz);
    return syscall2(96 /* gettimeofday */, (long)tv, (long)tz);
}

long __vdso_time(long* out) {
    struct {
        long sec, nsec;
    } ts;
    long ret = vdso_clock_gettime(0 /* CLOCK_REALTIME */, &ts);

    if (ret < 0)
        return ret;
    if (out)
        *out = ts.sec;
    return ts.sec;
}

long __vdso_getcpu(unsigned* cpu, unsigned* node, void* cache) {
    if (kernite_vvar.getcpu)
        return kernite_vvar.getcpu(cpu, node, cache);
    return syscall2(309 /* getcpu */, (long)cpu, (long)node);
}

long clock_gettime(long, void*) __attribute__((weak, alias("__vdso_clock_gettime")));
long gettimeofday(void*, void*) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long*) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned*, unsigned*, void*) __attribute__((weak, alias("__vdso_getcpu")));
