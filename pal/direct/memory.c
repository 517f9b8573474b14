/* Host memory for the library OS and the app: thin, checked wrappers over mmap and friends. */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "pal_direct.h"
#include "rt.h"

static int host_map_flags(int flags) {
    int host = MAP_PRIVATE | MAP_ANONYMOUS;

    if (flags & PAL_MAP_FIXED)
        host |= MAP_FIXED;
    else if (flags & PAL_MAP_NOREPLACE)
        host |= MAP_FIXED_NOREPLACE;
    if (flags & PAL_MAP_NORESERVE)
        host |= MAP_NORESERVE;
    if (flags & PAL_MAP_GROWSDOWN)
        host |= MAP_GROWSDOWN;
    return host;
}

static bool range_ok(const void* addr, size_t size) {
    uint64_t a = (uint64_t)addr;
    return !(a & (PAL_PAGE_SIZE - 1)) && size && a + size > a;
}

/* The image of kernite-direct is never handed to the app. */
static bool overlaps_image(uint64_t addr, size_t size) {
    return addr < (uint64_t)_end && addr + size > (uint64_t)__executable_start;
}

int pal_mem_map(void** addr, size_t size, int prot, int flags) {
    uint64_t want = (uint64_t)*addr;
    long ret;

    if (!size || (want & (PAL_PAGE_SIZE - 1)))
        return -EINVAL;
    if ((flags & (PAL_MAP_FIXED | PAL_MAP_NOREPLACE)) && overlaps_image(want, size))
        return -EEXIST;
    ret = HOST_SYSCALL6(__NR_mmap, want, size, prot, host_map_flags(flags), -1, 0);
    if (ret < 0)
        return (int)ret;
    if ((flags & (PAL_MAP_FIXED | PAL_MAP_NOREPLACE)) && (uint64_t)ret != want) {
        HOST_SYSCALL2(__NR_munmap, ret, size);
        return -EEXIST;
    }
    *addr = (void*)ret;
    return 0;
}

int pal_mem_unmap(void* addr, size_t size) {
    if (!range_ok(addr, size) || overlaps_image((uint64_t)addr, size))
        return -EINVAL;
    return (int)HOST_SYSCALL2(__NR_munmap, addr, size);
}

int pal_mem_protect(void* addr, size_t size, int prot) {
    if (!range_ok(addr, size) || overlaps_image((uint64_t)addr, size))
        return -EINVAL;
    return (int)HOST_SYSCALL3(__NR_mprotect, addr, size, prot);
}

/* The host's page table, through /proc/self/pagemap: a page that is neither present nor
 * swapped out has never been touched; a present one that is not anonymous is the page cache's
 * (the file's own bytes); a written page of a private file mapping is an anonymous copy.
 * Opened once per process, on first use. */
static long pagemap_fd(void) {
    static long fd = -1;
    long cur = __atomic_load_n(&fd, __ATOMIC_ACQUIRE);

    if (cur >= 0)
        return cur;
    long opened = HOST_SYSCALL4(__NR_openat, AT_FDCWD, "/proc/self/pagemap",
                                O_RDONLY | O_CLOEXEC, 0);
    if (opened < 0)
        return opened;
    if (!__atomic_compare_exchange_n(&fd, &cur, opened, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        HOST_SYSCALL1(__NR_close, opened);
        return cur;
    }
    return opened;
}

#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define PAGEMAP_FILE    (1ULL << 61)

static uint8_t page_kind_of(uint64_t entry) {
    if (entry & PAGEMAP_SWAPPED)
        return PAL_PAGE_OWN;
    if (!(entry & PAGEMAP_PRESENT))
        return PAL_PAGE_UNTOUCHED;
    return (entry & PAGEMAP_FILE) ? PAL_PAGE_FILE : PAL_PAGE_OWN;
}

int pal_mem_page_kinds(const void* addr, size_t count, uint8_t* kinds) {
    uint64_t entries[256];
    uint64_t page = (uint64_t)addr / PAL_PAGE_SIZE;
    long fd = pagemap_fd();

    if ((uint64_t)addr & (PAL_PAGE_SIZE - 1))
        return -EINVAL;
    for (size_t done = 0; done < count;) {
        size_t n = count - done < 256 ? count - done : 256;
        long got = fd < 0 ? fd
                          : HOST_SYSCALL4(__NR_pread64, fd, entries, n * sizeof(uint64_t),
                                          (page + done) * sizeof(uint64_t));
        if (got <= 0 || got % sizeof(uint64_t)) {
            /* Cannot tell: every page may hold data of its own. */
            memset(kinds + done, PAL_PAGE_OWN, count - done);
            return 0;
        }
        n = (size_t)got / sizeof(uint64_t);
        for (size_t i = 0; i < n; i++)
            kinds[done + i] = page_kind_of(entries[i]);
        done += n;
    }
    return 0;
}

int pal_mem_zero_pages(void* addr, size_t size) {
    if (!range_ok(addr, size) || overlaps_image((uint64_t)addr, size))
        return -EINVAL;
    return (int)HOST_SYSCALL3(__NR_madvise, addr, size, MADV_DONTNEED);
}

#define HOST_MFD_CLOEXEC 0x1

/* A memfd: memory with no name on the host, shared by whoever maps it or holds its fd. */
int pal_mem_shared_open(uint64_t size, pal_handle_t** out) {
    long fd;
    long ret;

    if (size > INT64_MAX)
        return -EINVAL;
    fd = HOST_SYSCALL2(__NR_memfd_create, "kernite-shared", HOST_MFD_CLOEXEC);
    if (fd < 0)
        return (int)fd;
    ret = HOST_SYSCALL2(__NR_ftruncate, fd, size);
    if (ret == 0)
        ret = pal_handle_new(PAL_HANDLE_FILE, (int)fd, O_RDWR, out);
    if (ret < 0)
        HOST_SYSCALL1(__NR_close, fd);
    return (int)ret;
}

void* pal_stack_alloc(size_t size) {
    void* base = NULL;

    if (pal_mem_map(&base, size + PAL_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE, 0) < 0)
        return NULL;
    HOST_SYSCALL3(__NR_mprotect, base, PAL_PAGE_SIZE, PAL_PROT_NONE);
    return (char*)base + PAL_PAGE_SIZE;
}

void pal_stack_free(void* base, size_t size) {
    HOST_SYSCALL2(__NR_munmap, (char*)base - PAL_PAGE_SIZE, size + PAL_PAGE_SIZE);
}
