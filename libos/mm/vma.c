/* The app's address space: a sorted table of mappings (VMAs) over PAL memory. */
#include "libos.h"
#include "mm.h"
#include "syscall/syscall_table.h"
#include "vfs.h"

#define PAGE_SIZE 4096UL
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* Lowest address an app may map, as Linux's default vm.mmap_min_addr; highest user address. */
#define USER_MIN 0x10000UL
#define USER_MAX 0x7ffffffff000UL

struct vma {
    uint64_t start, end;
    int prot;
    int flags; /* MAP_SHARED / MAP_PRIVATE, MAP_ANONYMOUS, MAP_STACK, MAP_GROWSDOWN */
    struct libos_file* file;
    uint64_t offset;
    const char* name; /* "[heap]", "[stack]" or NULL */
};

static struct {
    spinlock_t lock;
    struct vma* vmas; /* sorted by start, never overlapping */
    size_t count, cap;
    uint64_t total;   /* bytes mapped, for the memory limit */
    uint64_t limit;   /* 0: no limit */
    uint64_t reserved_start, reserved_end; /* kept free for brk */
    bool code_dropped; /* an executable mapping went: rewritten syscall sites there are stale */
} g_mm;

/* Under the rewrite lock, after [start, end) was unmapped or replaced: the rewritten syscall
 * sites of executable memory there are forgotten before anyone can patch new code there. */
static void after_code_dropped(uint64_t start, uint64_t end) {
    spinlock_lock(&g_mm.lock);
    bool dropped = g_mm.code_dropped;
    g_mm.code_dropped = false;
    spinlock_unlock(&g_mm.lock);
    if (dropped)
        rewrite_forget_range(start, end);
    rewrite_unlock();
}

void mm_set_limit(uint64_t limit) {
    g_mm.limit = limit;
}

void mm_reserve_range(uint64_t start, uint64_t end) {
    g_mm.reserved_start = start;
    g_mm.reserved_end = end;
}

int mm_init(void) {
    g_mm.cap = 64;
    g_mm.vmas = malloc(g_mm.cap * sizeof(*g_mm.vmas));
    return g_mm.vmas ? 0 : -ENOMEM;
}

/* Index of the first VMA whose end is above addr. */
static size_t vma_lower_bound(uint64_t addr) {
    size_t lo = 0, hi = g_mm.count;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g_mm.vmas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool range_overlaps_vmas(uint64_t start, uint64_t end) {
    size_t i = vma_lower_bound(start);
    return i < g_mm.count && g_mm.vmas[i].start < end;
}

static bool range_overlaps_pal(uint64_t start, uint64_t end) {
    return start < g_host.pal_end && end > g_host.pal_start;
}

static int vma_reserve_slots(size_t extra) {
    if (g_mm.count + extra <= g_mm.cap)
        return 0;
    size_t cap = g_mm.cap * 2 + extra;
    struct vma* vmas = realloc(g_mm.vmas, cap * sizeof(*vmas));
    if (!vmas)
        return -ENOMEM;
    g_mm.vmas = vmas;
    g_mm.cap = cap;
    return 0;
}

static void vma_insert_at(size_t i, const struct vma* vma) {
    memmove(&g_mm.vmas[i + 1], &g_mm.vmas[i], (g_mm.count - i) * sizeof(*vma));
    g_mm.vmas[i] = *vma;
    g_mm.count++;
}

static void vma_remove_at(size_t i) {
    memmove(&g_mm.vmas[i], &g_mm.vmas[i + 1], (g_mm.count - i - 1) * sizeof(struct vma));
    g_mm.count--;
}

static bool vma_mergeable(const struct vma* a, const struct vma* b) {
    if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->name != b->name)
        return false;
    if (!a->file && !b->file)
        return true;
    return a->file == b->file && a->offset + (a->end - a->start) == b->offset;
}

/* Joins the VMAs around [start, end) that split_at or a prot change left side by side, so a
 * range mapped in one piece stays one VMA (mremap needs that, as on Linux). */
static void vma_merge_around(uint64_t start, uint64_t end) {
    size_t i = vma_lower_bound(start);

    if (i > 0)
        i--;
    while (i + 1 < g_mm.count && g_mm.vmas[i].start <= end) {
        struct vma* a = &g_mm.vmas[i];
        struct vma* b = &g_mm.vmas[i + 1];
        if (!vma_mergeable(a, b)) {
            i++;
            continue;
        }
        a->end = b->end;
        if (b->file)
            vfs_file_put(b->file);
        vma_remove_at(i + 1);
    }
}

/* Splits the VMA containing addr so that a VMA boundary falls on addr. */
static int vma_split_at(uint64_t addr) {
    size_t i = vma_lower_bound(addr);
    struct vma* v;
    struct vma tail;

    if (i >= g_mm.count || g_mm.vmas[i].start >= addr)
        return 0;
    if (vma_reserve_slots(1) < 0)
        return -ENOMEM;
    v = &g_mm.vmas[i];
    tail = *v;
    tail.start = addr;
    if (tail.file) {
        tail.offset += addr - v->start;
        vfs_file_get_ref(tail.file);
    }
    v->end = addr;
    vma_insert_at(i + 1, &tail);
    return 0;
}

/* Drops the bookkeeping of [start, end); the caller unmaps or replaces the memory. */
static int vma_forget_range(uint64_t start, uint64_t end) {
    int ret = vma_split_at(start);
    if (ret == 0)
        ret = vma_split_at(end);
    if (ret < 0)
        return ret;

    size_t i = vma_lower_bound(start);
    while (i < g_mm.count && g_mm.vmas[i].start < end) {
        g_mm.total -= g_mm.vmas[i].end - g_mm.vmas[i].start;
        if (g_mm.vmas[i].prot & PROT_EXEC)
            g_mm.code_dropped = true;
        if (g_mm.vmas[i].file)
            vfs_file_put(g_mm.vmas[i].file);
        vma_remove_at(i);
    }
    return 0;
}

/* Takes over vma's file reference; a VMA it joins keeps its own. A VMA joined from below now
 * starts at vma's offset in the file. */
static void vma_add(const struct vma* vma) {
    size_t i = vma_lower_bound(vma->start);

    if (i > 0 && vma_mergeable(&g_mm.vmas[i - 1], vma)) {
        g_mm.vmas[i - 1].end = vma->end;
        if (vma->file)
            vfs_file_put(vma->file);
        if (i < g_mm.count && vma_mergeable(&g_mm.vmas[i - 1], &g_mm.vmas[i])) {
            g_mm.vmas[i - 1].end = g_mm.vmas[i].end;
            if (g_mm.vmas[i].file)
                vfs_file_put(g_mm.vmas[i].file);
            vma_remove_at(i);
        }
    } else if (i < g_mm.count && vma_mergeable(vma, &g_mm.vmas[i])) {
        g_mm.vmas[i].start = vma->start;
        g_mm.vmas[i].offset = vma->offset;
        if (vma->file)
            vfs_file_put(vma->file);
    } else {
        vma_insert_at(i, vma);
    }
    g_mm.total += vma->end - vma->start;
}

/* Finds room for size bytes in the app area, top-down, skipping what the host already holds. */
static int find_free_range(uint64_t size, uint64_t* out) {
    uint64_t top = g_host.app_area_end;

    /* Only host refusals count as attempts: stepping past our own VMAs is bounded by their
     * number, and a busy address space has far more than 64 of them. */
    for (int attempts = 0; attempts < 64;) {
        uint64_t start = top - size;
        if (size > top - g_host.app_area_start)
            return -ENOMEM;

        size_t i = vma_lower_bound(start);
        if (i < g_mm.count && g_mm.vmas[i].start < top) {
            /* Move below the lowest VMA that overlaps [start, top). */
            top = g_mm.vmas[i].start;
            continue;
        }
        if (start < g_mm.reserved_end && top > g_mm.reserved_start) {
            top = g_mm.reserved_start;
            continue;
        }
        void* addr = (void*)start;
        int ret = pal_mem_map(&addr, size, PAL_PROT_NONE, PAL_MAP_NOREPLACE | PAL_MAP_NORESERVE);
        if (ret == -EEXIST) {
            top = start;
            attempts++;
            continue;
        }
        if (ret < 0)
            return ret;
        *out = start;
        return 0;
    }
    return -ENOMEM;
}

static int map_memory(uint64_t addr, uint64_t size, int prot, int flags, struct libos_file* file,
                      uint64_t offset) {
    if (file)
        return vfs_mmap(file, addr, size, prot, flags & (MAP_SHARED | MAP_PRIVATE), offset);
    void* a = (void*)addr;
    return pal_mem_map(&a, size, prot, PAL_MAP_FIXED);
}

long mm_map(uint64_t addr, uint64_t size, int prot, int flags, struct libos_file* file,
            uint64_t offset) {
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    struct libos_file* anon = NULL;
    struct vma vma;
    long ret;

    if (!size || (offset & (PAGE_SIZE - 1)) || (fixed && (addr & (PAGE_SIZE - 1))))
        return -EINVAL;
    size = PAGE_UP(size);
    if (!size)
        return -ENOMEM;
    /* Shared anonymous memory is a host object, so that a forked child can map it too. */
    if (!file && (flags & MAP_SHARED)) {
        ret = shm_anon_new(size, &anon);
        if (ret < 0)
            return ret;
        file = anon;
        offset = 0;
    }

    if (fixed)
        rewrite_lock();
    spinlock_lock(&g_mm.lock);
    if (g_mm.limit && g_mm.total + size > g_mm.limit) {
        ret = -ENOMEM;
        goto out;
    }
    if (fixed) {
        if (addr < USER_MIN || addr + size > USER_MAX || addr + size < addr) {
            ret = addr < USER_MIN ? -EPERM : -ENOMEM;
            goto out;
        }
        if (range_overlaps_pal(addr, addr + size)) {
            ret = -ENOMEM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && range_overlaps_vmas(addr, addr + size)) {
            ret = -EEXIST;
            goto out;
        }
        ret = vma_forget_range(addr, addr + size);
        if (ret < 0)
            goto out;
    } else {
        uint64_t hint = addr & ~(PAGE_SIZE - 1);
        void* try_addr = (void*)hint;
        if (hint >= USER_MIN && hint + size <= USER_MAX && hint + size > hint &&
            !range_overlaps_vmas(hint, hint + size) && !range_overlaps_pal(hint, hint + size) &&
            pal_mem_map(&try_addr, size, PAL_PROT_NONE,
                        PAL_MAP_NOREPLACE | PAL_MAP_NORESERVE) == 0) {
            addr = hint;
        } else {
            uint64_t found;
            ret = find_free_range(size, &found);
            if (ret < 0)
                goto out;
            addr = found;
        }
    }
    if (vma_reserve_slots(2) < 0) {
        ret = -ENOMEM;
        goto out;
    }

    ret = map_memory(addr, size, prot, flags, file, offset);
    if (ret < 0) {
        if (!fixed)
            pal_mem_unmap((void*)addr, size);
        goto out;
    }
    vma = (struct vma){
        .start = addr,
        .end = addr + size,
        .prot = prot,
        .flags = flags & (MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_GROWSDOWN),
        .file = file,
        .offset = offset,
        .name = (flags & MAP_STACK) && !file ? "[stack]" : NULL,
    };
    if (file)
        vfs_file_get_ref(file);
    vma_add(&vma);
    ret = (long)addr;
out:
    spinlock_unlock(&g_mm.lock);
    if (fixed)
        after_code_dropped(addr, addr + size);
    if (anon)
        vfs_file_put(anon);
    return ret;
}

/* Unmaps the parts of [start, end) that belong to the app; never PAL memory in between. */
static void unmap_app_parts(uint64_t start, uint64_t end) {
    size_t i = vma_lower_bound(start);

    while (i < g_mm.count && g_mm.vmas[i].start < end) {
        uint64_t s = g_mm.vmas[i].start > start ? g_mm.vmas[i].start : start;
        uint64_t e = g_mm.vmas[i].end < end ? g_mm.vmas[i].end : end;
        pal_mem_unmap((void*)s, e - s);
        i++;
    }
}

int mm_unmap(uint64_t addr, uint64_t size) {
    int ret;

    if ((addr & (PAGE_SIZE - 1)) || !size)
        return -EINVAL;
    size = PAGE_UP(size);
    if (addr + size < addr || addr + size > USER_MAX)
        return -EINVAL;

    rewrite_lock();
    spinlock_lock(&g_mm.lock);
    unmap_app_parts(addr, addr + size);
    ret = vma_forget_range(addr, addr + size);
    spinlock_unlock(&g_mm.lock);
    after_code_dropped(addr, addr + size);
    return ret;
}

/* execve: every app mapping goes; the PAL and library OS memory outside the VMAs stays. */
void mm_unmap_all(void) {
    spinlock_lock(&g_mm.lock);
    for (size_t i = 0; i < g_mm.count; i++) {
        pal_mem_unmap((void*)g_mm.vmas[i].start, g_mm.vmas[i].end - g_mm.vmas[i].start);
        if (g_mm.vmas[i].file)
            vfs_file_put(g_mm.vmas[i].file);
    }
    g_mm.count = 0;
    g_mm.total = 0;
    g_mm.reserved_start = g_mm.reserved_end = 0;
    spinlock_unlock(&g_mm.lock);
}

int mm_snapshot(struct mm_region** out, const char*** names, size_t* count) {
    struct mm_region* regions;
    const char** region_names;
    size_t n;

    spinlock_lock(&g_mm.lock);
    n = g_mm.count;
    regions = malloc((n ? n : 1) * sizeof(*regions));
    region_names = malloc((n ? n : 1) * sizeof(*region_names));
    if (!regions || !region_names) {
        spinlock_unlock(&g_mm.lock);
        free(regions);
        free(region_names);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct vma* v = &g_mm.vmas[i];
        regions[i] = (struct mm_region){v->start, v->end, v->prot, v->flags, v->file, v->offset};
        region_names[i] = v->name;
        if (v->file)
            vfs_file_get_ref(v->file);
    }
    spinlock_unlock(&g_mm.lock);
    *out = regions;
    *names = region_names;
    *count = n;
    return 0;
}

void mm_snapshot_free(struct mm_region* regions, const char** names, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (regions[i].file)
            vfs_file_put(regions[i].file);
    }
    free(regions);
    free(names);
}

int mm_protect(uint64_t addr, uint64_t size, int prot) {
    int ret;

    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    size = PAGE_UP(size);
    if (!size)
        return 0;
    if (addr + size < addr)
        return -ENOMEM;

    spinlock_lock(&g_mm.lock);
    /* Linux fails with ENOMEM if any page of the range is unmapped. */
    uint64_t cursor = addr;
    for (size_t i = vma_lower_bound(addr); i < g_mm.count && cursor < addr + size; i++) {
        if (g_mm.vmas[i].start > cursor)
            break;
        cursor = g_mm.vmas[i].end;
    }
    if (cursor < addr + size) {
        ret = -ENOMEM;
        goto out;
    }
    ret = vma_split_at(addr);
    if (ret == 0)
        ret = vma_split_at(addr + size);
    if (ret < 0)
        goto out;
    ret = pal_mem_protect((void*)addr, size, prot);
    if (ret < 0)
        goto out;
    for (size_t i = vma_lower_bound(addr); i < g_mm.count && g_mm.vmas[i].start < addr + size;
         i++)
        g_mm.vmas[i].prot = prot;
    vma_merge_around(addr, addr + size);
out:
    spinlock_unlock(&g_mm.lock);
    return ret;
}

bool mm_is_accessible(uint64_t addr, uint64_t size, int prot) {
    uint64_t end = addr + size;
    bool ok = true;

    if (end < addr)
        return false;
    if (!size)
        return true;
    spinlock_lock(&g_mm.lock);
    size_t i = vma_lower_bound(addr);
    uint64_t cursor = addr;
    while (cursor < end) {
        if (i >= g_mm.count || g_mm.vmas[i].start > cursor ||
            (g_mm.vmas[i].prot & prot) != prot) {
            ok = false;
            break;
        }
        cursor = g_mm.vmas[i].end;
        i++;
    }
    spinlock_unlock(&g_mm.lock);
    return ok;
}

/* Finds the single VMA that holds all of [addr, addr + size); copies it out. */
int mm_lookup(uint64_t addr, uint64_t size, struct mm_region* out) {
    int ret = -EFAULT;

    spinlock_lock(&g_mm.lock);
    size_t i = vma_lower_bound(addr);
    if (i < g_mm.count && g_mm.vmas[i].start <= addr && g_mm.vmas[i].end >= addr + size) {
        out->start = g_mm.vmas[i].start;
        out->end = g_mm.vmas[i].end;
        out->prot = g_mm.vmas[i].prot;
        out->flags = g_mm.vmas[i].flags;
        out->file = g_mm.vmas[i].file;
        out->offset = g_mm.vmas[i].offset;
        if (out->file)
            vfs_file_get_ref(out->file);
        ret = 0;
    }
    spinlock_unlock(&g_mm.lock);
    return ret;
}

bool mm_is_shared(uint64_t addr) {
    bool shared;

    spinlock_lock(&g_mm.lock);
    size_t i = vma_lower_bound(addr);
    shared = i < g_mm.count && g_mm.vmas[i].start <= addr && (g_mm.vmas[i].flags & MAP_SHARED);
    spinlock_unlock(&g_mm.lock);
    return shared;
}

bool mm_range_is_free(uint64_t start, uint64_t end) {
    bool free;

    spinlock_lock(&g_mm.lock);
    free = !range_overlaps_vmas(start, end) && !range_overlaps_pal(start, end);
    spinlock_unlock(&g_mm.lock);
    return free;
}

void mm_set_name(uint64_t start, uint64_t end, const char* name) {
    spinlock_lock(&g_mm.lock);
    for (size_t i = vma_lower_bound(start); i < g_mm.count && g_mm.vmas[i].start < end; i++)
        g_mm.vmas[i].name = name;
    spinlock_unlock(&g_mm.lock);
}

size_t mm_format_maps(char* buf, size_t size) {
    size_t len = 0;

    spinlock_lock(&g_mm.lock);
    for (size_t i = 0; i < g_mm.count; i++) {
        const struct vma* v = &g_mm.vmas[i];
        const char* name = v->file ? vfs_file_path(v->file) : (v->name ? v->name : "");
        char line[512];
        int n = snprintf(line, sizeof(line), "%012lx-%012lx %c%c%c%c %08lx 00:00 0%s%s\n",
                         v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
                         v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-',
                         v->flags & MAP_SHARED ? 's' : 'p', v->file ? v->offset : 0,
                         *name ? "                          " : "", name);
        if (n < 0)
            continue;
        if ((size_t)n >= sizeof(line))
            n = sizeof(line) - 1;
        if (len + n <= size)
            memcpy(buf + len, line, n);
        len += n;
    }
    spinlock_unlock(&g_mm.lock);
    return len;
}

uint64_t mm_total_mapped(void) {
    return g_mm.total;
}
