/* Internal interface of the memory subsystem. */
#ifndef KERNITE_MM_H
#define KERNITE_MM_H

#include "libos.h"

struct mm_region {
    uint64_t start, end;
    int prot;
    int flags;
    struct libos_file* file; /* referenced; drop with vfs_file_put */
    uint64_t offset;
};

/* Caps the bytes the app may have mapped (the manifest's sgx.enclave_size); 0: no cap. */
void mm_set_limit(uint64_t limit);
/* Keeps [start, end) out of the placement of mappings that name no address (the brk area). */
void mm_reserve_range(uint64_t start, uint64_t end);
int mm_lookup(uint64_t addr, uint64_t size, struct mm_region* out);
/* True if addr lies in a MAP_SHARED mapping (futex words there are shared with others). */
bool mm_is_shared(uint64_t addr);
bool mm_range_is_free(uint64_t start, uint64_t end);
void mm_set_name(uint64_t start, uint64_t end, const char* name);
uint64_t mm_total_mapped(void);
/* Unmaps every app mapping (execve). */
void mm_unmap_all(void);
/* A copy of the VMA table in address order, each file referenced (checkpointing); names are
 * "[heap]", "[stack]" or NULL. Freed with mm_snapshot_free. */
int mm_snapshot(struct mm_region** out, const char*** names, size_t* count);
void mm_snapshot_free(struct mm_region* regions, const char** names, size_t count);
/* The brk area as the app sees it, to carry it into a forked child. */
void mm_brk_get(uint64_t* start, uint64_t* current);
void mm_brk_restore(uint64_t start, uint64_t current);

#endif
