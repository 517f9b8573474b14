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
bool mm_range_is_free(uint64_t start, uint64_t end);
void mm_set_name(uint64_t start, uint64_t end, const char* name);
uint64_t mm_total_mapped(void);

#endif
