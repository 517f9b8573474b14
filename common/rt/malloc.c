/* The heap of the freestanding runtime: malloc, calloc, realloc, free and memalign over pages
 * from the allocator the library OS installs with rt_set_page_allocator().
 *
 * Every block starts with a 16-byte header, so every pointer handed out is 16-byte aligned when
 * the page allocator returns 16-byte aligned memory. The header's magic word says what the block
 * is, and lets free() catch a double free or a pointer it never handed out, cheaply:
 *
 * - Small blocks (up to 16 KiB) belong to one of a few size classes. Each class has a free
 *   list and a 64 KiB chunk it carves new blocks from, both behind the class's own spinlock.
 *   Known limit: a freed small block is reused only by its own class, and chunks are never
 *   given back to the page allocator.
 * - Large blocks are mapped one by one and unmapped on free; they take no lock here, so the
 *   page allocator must be thread-safe itself.
 * - memalign() over-allocates a block and puts an extra "aligned" header just before the
 *   aligned address; it records how far back the real block starts.
 *
 * The locks make the heap safe for threads, and for signal handlers that interrupt a *different*
 * thread; a handler that calls malloc while its own thread holds a class lock would deadlock,
 * which the library OS rules out by never calling the heap re-entrantly on one thread. */
#include "rt.h"

#define MAGIC_USED    0x6b6e7475u /* "utnk" */
#define MAGIC_FREE    0x6b6e7466u
#define MAGIC_LARGE   0x6b6e746cu
#define MAGIC_ALIGNED 0x6b6e7461u

#define HEADER_SIZE 16
#define CHUNK_SIZE  (64 * 1024)
#define PAGE_SIZE   4096

struct header {
    uint32_t magic;
    uint32_t class_index; /* small blocks only */
    size_t size;          /* large: bytes mapped, header included; aligned: offset to block */
};

_Static_assert(sizeof(struct header) == HEADER_SIZE, "header keeps blocks 16-byte aligned");

/* A free small block: its user area holds the free-list link. */
struct free_block {
    struct header header;
    struct free_block* next;
};

/* Usable bytes of each class; steps of about a quarter keep the waste small. */
static const uint32_t g_class_sizes[] = {
    16,   32,   48,   64,   96,   128,  192,  256,   384,   512,
    768,  1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384,
};
#define CLASS_COUNT ((int)(sizeof(g_class_sizes) / sizeof(g_class_sizes[0])))
#define SMALL_MAX   16384

struct size_class {
    int lock;
    struct free_block* free_list;
    char* carve_next; /* unused part of the current chunk */
    size_t carve_left;
};

static struct size_class g_classes[CLASS_COUNT];
static rt_page_alloc_fn g_page_alloc;
static rt_page_free_fn g_page_free;

void rt_set_page_allocator(rt_page_alloc_fn alloc, rt_page_free_fn release) {
    g_page_alloc = alloc;
    g_page_free = release;
}

static void lock_acquire(int* lock) {
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
    }
}

static void lock_release(int* lock) {
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static int class_for_size(size_t size) {
    for (int i = 0; i < CLASS_COUNT; i++) {
        if (size <= g_class_sizes[i])
            return i;
    }
    return -1;
}

static struct header* header_of(void* ptr) {
    return (struct header*)((char*)ptr - HEADER_SIZE);
}

/* Takes a block from the class's free list, or carves one from its chunk. Called locked. */
static struct header* class_take_block(struct size_class* cls, size_t block_size) {
    struct free_block* block = cls->free_list;

    if (block) {
        if (block->header.magic != MAGIC_FREE)
            rt_abort("heap corruption: a free block was overwritten");
        cls->free_list = block->next;
        return &block->header;
    }

    if (cls->carve_left < block_size) {
        char* chunk = g_page_alloc ? g_page_alloc(CHUNK_SIZE) : NULL;
        if (!chunk)
            return NULL;
        cls->carve_next = chunk;
        cls->carve_left = CHUNK_SIZE;
    }
    struct header* fresh = (struct header*)cls->carve_next;
    cls->carve_next += block_size;
    cls->carve_left -= block_size;
    return fresh;
}

static void* small_alloc(int index) {
    struct size_class* cls = &g_classes[index];
    struct header* h;

    lock_acquire(&cls->lock);
    h = class_take_block(cls, HEADER_SIZE + g_class_sizes[index]);
    if (h) {
        h->magic = MAGIC_USED;
        h->class_index = index;
        h->size = 0;
    }
    lock_release(&cls->lock);
    return h ? (char*)h + HEADER_SIZE : NULL;
}

static void* large_alloc(size_t size) {
    size_t mapped;
    struct header* h;

    if (size > SIZE_MAX - HEADER_SIZE - PAGE_SIZE || !g_page_alloc)
        return NULL;
    mapped = (size + HEADER_SIZE + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
    h = g_page_alloc(mapped);
    if (!h)
        return NULL;
    h->magic = MAGIC_LARGE;
    h->class_index = 0;
    h->size = mapped;
    return (char*)h + HEADER_SIZE;
}

void* malloc(size_t size) {
    int index = class_for_size(size);

    return index >= 0 ? small_alloc(index) : large_alloc(size);
}

static void small_free(struct header* h) {
    struct free_block* block = (struct free_block*)h;
    struct size_class* cls;

    if (h->class_index >= CLASS_COUNT)
        rt_abort("free(): corrupted block header");
    cls = &g_classes[h->class_index];

    lock_acquire(&cls->lock);
    h->magic = MAGIC_FREE;
    block->next = cls->free_list;
    cls->free_list = block;
    lock_release(&cls->lock);
}

void free(void* ptr) {
    struct header* h;

    if (!ptr)
        return;
    h = header_of(ptr);

    switch (h->magic) {
        case MAGIC_USED:
            small_free(h);
            break;
        case MAGIC_LARGE:
            h->magic = MAGIC_FREE;
            if (g_page_free)
                g_page_free(h, h->size);
            break;
        case MAGIC_ALIGNED:
            h->magic = MAGIC_FREE;
            free((char*)ptr - h->size);
            break;
        case MAGIC_FREE:
            rt_abort("free(): double free");
        default:
            rt_abort("free(): pointer not from malloc");
    }
}

/* Bytes the caller may use at ptr, which must be a live block. */
static size_t usable_size(void* ptr) {
    struct header* h = header_of(ptr);

    switch (h->magic) {
        case MAGIC_USED:
            if (h->class_index >= CLASS_COUNT)
                rt_abort("realloc(): corrupted block header");
            return g_class_sizes[h->class_index];
        case MAGIC_LARGE:
            return h->size - HEADER_SIZE;
        case MAGIC_ALIGNED:
            return usable_size((char*)ptr - h->size) - h->size;
        case MAGIC_FREE:
            rt_abort("realloc(): block already freed");
        default:
            rt_abort("realloc(): pointer not from malloc");
    }
}

void* calloc(size_t count, size_t size) {
    size_t total;
    void* ptr;

    if (__builtin_mul_overflow(count, size, &total))
        return NULL;
    ptr = malloc(total);
    if (ptr)
        memset(ptr, 0, total);
    return ptr;
}

/* A block is resized in place if it stays in its size class, or for a large one, if it shrinks
 * by less than half. */
static bool keeps_place(size_t size, size_t old_size) {
    if (size > old_size)
        return false;
    if (old_size <= SMALL_MAX)
        return class_for_size(size) == class_for_size(old_size);
    return size > old_size / 2;
}

/* Like glibc, realloc(ptr, 0) frees ptr and returns NULL. A moved block does not keep the
 * alignment memalign gave it. */
void* realloc(void* ptr, size_t size) {
    size_t old_size;
    void* fresh;

    if (!ptr)
        return malloc(size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }

    old_size = usable_size(ptr);
    if (keeps_place(size, old_size))
        return ptr;

    fresh = malloc(size);
    if (!fresh)
        return NULL;
    memcpy(fresh, ptr, size < old_size ? size : old_size);
    free(ptr);
    return fresh;
}

void* memalign(size_t align, size_t size) {
    char* raw;
    char* aligned;
    struct header* h;

    if (align == 0 || (align & (align - 1)))
        return NULL;
    if (align <= HEADER_SIZE)
        return malloc(size);
    if (size > SIZE_MAX - align)
        return NULL;

    raw = malloc(size + align);
    if (!raw)
        return NULL;
    aligned = (char*)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    if (aligned == raw)
        return raw;

    /* Both are 16-byte aligned and differ, so the extra header fits inside raw's block. */
    h = header_of(aligned);
    h->magic = MAGIC_ALIGNED;
    h->class_index = 0;
    h->size = aligned - raw;
    return aligned;
}
