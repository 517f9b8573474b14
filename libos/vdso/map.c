/* Maps the library OS's vDSO into the app and points it at the time source and fast entry. */
#include <linux/elf.h>

#include "elf_symbols.h"
#include "libos.h"
#include "mm/mm.h"
#include "vdso.h"

/* objcopy names the embedded image after its path in the build tree. */
extern const uint8_t _binary_libos_vdso_vdso_so_start[], _binary_libos_vdso_vdso_so_end[];

/* Same layout as in vdso.c. */
struct kernite_vvar {
    uint64_t clock_gettime;
    uint64_t gettimeofday;
    uint64_t getcpu;
    uint64_t fast_entry;
    uint64_t fast_clocks;
};

/* Clocks the host's vDSO reads without a syscall: REALTIME, MONOTONIC, MONOTONIC_RAW,
 * REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME. */
static const uint64_t g_fast_clocks = (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) |
                                      (1 << 7);

static size_t image_size(void) {
    return (size_t)(_binary_libos_vdso_vdso_so_end - _binary_libos_vdso_vdso_so_start);
}

/* The same address in every process, so that a forked child finds the copy it inherited. */
static uint64_t vdso_base(void) {
    return g_host.app_area_end;
}

static uint64_t image_span(const Elf64_Ehdr* eh) {
    const Elf64_Phdr* ph = (const Elf64_Phdr*)((const uint8_t*)eh + eh->e_phoff);
    uint64_t end = 0;

    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > end)
            end = ph[i].p_vaddr + ph[i].p_memsz;
    }
    return (end + 4095) & ~4095UL;
}

/* Points the mapped image's variables at this process's time source. */
static int vvar_fill(uint64_t base, bool fast_entry) {
    uint64_t offset = elf_image_symbol(_binary_libos_vdso_vdso_so_start, image_size(),
                                       "kernite_vvar_export");
    struct kernite_vvar vv = {
        .clock_gettime = pal_time_function("__vdso_clock_gettime"),
        .gettimeofday = pal_time_function("__vdso_gettimeofday"),
        .getcpu = pal_time_function("__vdso_getcpu"),
        .fast_entry = fast_entry ? pal_fast_entry_address() : 0,
    };
    uint64_t span = image_span((const Elf64_Ehdr*)_binary_libos_vdso_vdso_so_start);
    int ret;

    if (!offset || offset + sizeof(vv) > span)
        return -ENOEXEC;
    vv.fast_clocks = vv.clock_gettime ? g_fast_clocks : 0;
    log_debug("vDSO at %#lx: host clock_gettime %s", base,
              vv.clock_gettime ? "used" : "absent, time calls are syscalls");
    ret = mm_protect(base, span, PROT_READ | PROT_WRITE);
    if (ret < 0)
        return ret;
    memcpy((void*)(base + offset), &vv, sizeof(vv));
    return mm_protect(base, span, PROT_READ | PROT_EXEC);
}

int vdso_map(bool fast_entry, uint64_t* ehdr) {
    const Elf64_Ehdr* eh = (const Elf64_Ehdr*)_binary_libos_vdso_vdso_so_start;
    const Elf64_Phdr* ph = (const Elf64_Phdr*)((const uint8_t*)eh + eh->e_phoff);
    uint64_t base = vdso_base();
    uint64_t span = image_span(eh);
    long addr;

    addr = mm_map(base, span, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
    if (addr < 0)
        return (int)addr;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_offset + ph[i].p_filesz > image_size())
            continue;
        memcpy((void*)(base + ph[i].p_vaddr), _binary_libos_vdso_vdso_so_start + ph[i].p_offset,
               ph[i].p_filesz);
    }
    mm_set_name(base, base + span, "[vdso]");
    int ret = vvar_fill(base, fast_entry);
    if (ret < 0) {
        mm_unmap(base, span);
        return ret;
    }
    *ehdr = base;
    return 0;
}

int vdso_refresh(bool fast_entry) {
    struct mm_region r;
    uint64_t base = vdso_base();

    if (mm_lookup(base, 4096, &r) < 0)
        return 0;
    if (r.file)
        vfs_file_put(r.file);
    return vvar_fill(base, fast_entry);
}
