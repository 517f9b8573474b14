/* Memory syscalls: mmap, munmap, mprotect, mremap, brk, madvise and friends. */
#include "libos.h"
#include "manifest.h"
#include "mm.h"
#include "vfs.h"

#define PAGE_SIZE 4096UL
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static const int g_known_map_flags = MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED |
                                     MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE |
                                     MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
                                     MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |
                                     MAP_FIXED_NOREPLACE | (0x3f << 26) /* huge page size */;

static const int g_legacy_map_flags = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |
                                      MAP_DENYWRITE | MAP_EXECUTABLE | MAP_GROWSDOWN |
                                      MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
                                      MAP_STACK | MAP_HUGETLB | (0x3f << 26);

long sys_mmap(uint64_t addr, uint64_t length, int prot, int flags, int fd, uint64_t offset) {
    struct libos_file* file = NULL;
    int type = flags & MAP_TYPE;
    long ret;

    if (!length || (offset & (PAGE_SIZE - 1)))
        return -EINVAL;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    /* Linux ignores flags and protection bits it does not know. MAP_SHARED_VALIDATE is for
     * files only, and fails on any flag outside the legacy set (MAP_SYNC needs DAX). */
    if (type == MAP_SHARED_VALIDATE && (flags & MAP_ANONYMOUS))
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE && (flags & ~g_legacy_map_flags))
        return -EOPNOTSUPP;
    flags &= g_known_map_flags;
    if (flags & MAP_HUGETLB)
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE)
        flags = (flags & ~MAP_TYPE) | MAP_SHARED;

    if (!(flags & MAP_ANONYMOUS)) {
        file = fd_get(fd);
        if (!file)
            return -EBADF;
    }
    ret = mm_map(addr, length, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), flags, file, offset);
    if (file)
        vfs_file_put(file);
    return ret;
}

long sys_munmap(uint64_t addr, uint64_t length) {
    return mm_unmap(addr, length);
}

long sys_mprotect(uint64_t addr, uint64_t length, int prot) {
    struct mm_region r;

    /* x86 has no upward-growing mappings; PROT_GROWSDOWN needs a MAP_GROWSDOWN one. */
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN))
        return -EINVAL;
    if (prot & PROT_GROWSDOWN) {
        if (mm_lookup(addr, 1, &r) < 0)
            return -ENOMEM;
        if (r.file)
            vfs_file_put(r.file);
        if (!(r.flags & MAP_GROWSDOWN))
            return -EINVAL;
    }
    return mm_protect(addr, length, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
}

/* Moves or grows a mapping. Anonymous memory that must move is copied: the host interface
 * has no remap, and under SGX there is none either. */
long sys_mremap(uint64_t old_addr, uint64_t old_size, uint64_t new_size, int flags,
                uint64_t new_addr) {
    struct mm_region r;
    long ret;

    if ((old_addr & (PAGE_SIZE - 1)) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if (old_size > LINUX_TASK_SIZE || new_size > LINUX_TASK_SIZE)
        return -EINVAL;
    old_size = PAGE_UP(old_size);
    new_size = PAGE_UP(new_size);
    if (!new_size || !old_size)
        return -EINVAL;
    if ((flags & MREMAP_FIXED) &&
        ((new_addr & (PAGE_SIZE - 1)) || new_addr > LINUX_TASK_SIZE - new_size ||
         (new_addr < old_addr + old_size && new_addr + new_size > old_addr)))
        return -EINVAL;
    /* Shrinking needs a mapping at old_addr only; the tail goes whatever it spans. */
    if (!(flags & MREMAP_FIXED) && new_size <= old_size) {
        if (mm_lookup(old_addr, PAGE_SIZE, &r) < 0)
            return -EFAULT;
        if (r.file)
            vfs_file_put(r.file);
        if (new_size < old_size)
            mm_unmap(old_addr + new_size, old_size - new_size);
        return (long)old_addr;
    }
    if (mm_lookup(old_addr, old_size, &r) < 0)
        return -EFAULT;

    if (!(flags & MREMAP_FIXED)) {
        uint64_t tail = old_addr + old_size;
        if (r.end == tail && mm_range_is_free(tail, old_addr + new_size)) {
            ret = mm_map(tail, new_size - old_size, r.prot,
                         (r.flags & ~(MAP_FIXED)) | MAP_FIXED_NOREPLACE, r.file,
                         r.offset + (tail - r.start));
            if (ret >= 0) {
                ret = (long)old_addr;
                goto out;
            }
        }
        if (!(flags & MREMAP_MAYMOVE)) {
            ret = -ENOMEM;
            goto out;
        }
        new_addr = 0;
    }

    uint64_t offset = r.offset + (old_addr - r.start);
    int map_flags = (r.flags & ~MAP_GROWSDOWN) | ((flags & MREMAP_FIXED) ? MAP_FIXED : 0);
    ret = mm_map(new_addr, new_size, r.prot | PROT_READ | PROT_WRITE, map_flags, r.file, offset);
    if (ret < 0)
        goto out;
    if (!r.file || (r.flags & MAP_PRIVATE)) {
        if (!(r.prot & PROT_READ))
            mm_protect(old_addr, old_size, r.prot | PROT_READ);
        memcpy((void*)ret, (void*)old_addr, old_size < new_size ? old_size : new_size);
    }
    if (r.prot != (r.prot | PROT_READ | PROT_WRITE))
        mm_protect((uint64_t)ret, new_size, r.prot);
    mm_unmap(old_addr, old_size);
out:
    if (r.file)
        vfs_file_put(r.file);
    return ret;
}

/* The advice values Linux accepts on x86-64; the guard-page ones (102, 103) are not supported
 * and fail as on a kernel before 6.13, since a hint that is ignored would leave no guard. */
static bool madvise_known(int advice) {
    switch (advice) {
    case MADV_NORMAL ... MADV_DONTNEED:
    case MADV_FREE ... 24: /* through MADV_DONTNEED_LOCKED */
        return true;
    default:
        return false;
    }
}

long sys_madvise(uint64_t addr, uint64_t length, int advice) {
    struct mm_region r;

    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (!madvise_known(advice))
        return -EINVAL;
    length = PAGE_UP(length);
    if (!length)
        return 0;
    if (advice != MADV_DONTNEED && advice != MADV_FREE)
        return 0; /* hints only */
    if (!mm_is_accessible(addr, length, 0))
        return -ENOMEM;
    /* Private anonymous memory reads back as zero afterwards, as on Linux. */
    if (mm_lookup(addr, length, &r) == 0) {
        if (!r.file && (r.flags & MAP_PRIVATE))
            pal_mem_zero_pages((void*)addr, length);
        if (r.file)
            vfs_file_put(r.file);
    }
    return 0;
}

long sys_mincore(uint64_t addr, uint64_t length, uint8_t* vec) {
    uint64_t pages = PAGE_UP(length) / PAGE_SIZE;

    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    if (!mm_is_accessible(addr, length, 0))
        return -ENOMEM;
    if (!mm_is_accessible((uint64_t)vec, pages, PROT_WRITE))
        return -EFAULT;
    /* Residency is the host's business; report every page resident. */
    memset(vec, 1, pages);
    return 0;
}

long sys_msync(uint64_t addr, uint64_t length, int flags) {
    if ((addr & (PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    return mm_is_accessible(addr, length, 0) ? 0 : -ENOMEM;
}

long sys_mlock(uint64_t addr, uint64_t length) {
    return 0;
}

long sys_munlock(uint64_t addr, uint64_t length) {
    return 0;
}

long sys_mlockall(int flags) {
    return 0;
}

long sys_munlockall(void) {
    return 0;
}

/* ---- brk ---------------------------------------------------------------------------------- */

static struct {
    spinlock_t lock;
    uint64_t start;   /* page-aligned end of the executable */
    uint64_t current; /* what the app set, not page-aligned */
    uint64_t max_end;
} g_brk;

int mm_brk_init(uint64_t start) {
    uint64_t max = g_process.manifest ? g_process.manifest->brk_max_size : (256UL << 20);

    g_brk.start = PAGE_UP(start);
    g_brk.current = g_brk.start;
    g_brk.max_end = g_brk.start + max;
    mm_reserve_range(g_brk.start, g_brk.max_end);
    return 0;
}

void mm_brk_get(uint64_t* start, uint64_t* current) {
    spinlock_lock(&g_brk.lock);
    *start = g_brk.start;
    *current = g_brk.current;
    spinlock_unlock(&g_brk.lock);
}

/* The child's VMAs already hold the heap pages; only the bookkeeping is set here. */
void mm_brk_restore(uint64_t start, uint64_t current) {
    mm_brk_init(start);
    g_brk.current = current;
}

long sys_brk(uint64_t addr) {
    long ret;

    spinlock_lock(&g_brk.lock);
    ret = (long)g_brk.current;
    if (!addr || addr < g_brk.start || addr > g_brk.max_end)
        goto out;

    uint64_t old_end = PAGE_UP(g_brk.current);
    uint64_t new_end = PAGE_UP(addr);
    if (new_end > old_end) {
        long r = mm_map(old_end, new_end - old_end, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
        if (r < 0)
            goto out;
        mm_set_name(old_end, new_end, "[heap]");
    } else if (new_end < old_end) {
        mm_unmap(new_end, old_end - new_end);
    }
    g_brk.current = addr;
    ret = (long)addr;
out:
    spinlock_unlock(&g_brk.lock);
    return ret;
}
