/* The app's vDSO: mapped by the loader, refreshed in a forked child. */
#ifndef KERNITE_VDSO_H
#define KERNITE_VDSO_H

#include <stdbool.h>
#include <stdint.h>

/* Maps the vDSO into the app; *ehdr is what AT_SYSINFO_EHDR gives. fast_entry: its syscalls
 * go through the syscall fast path rather than a trap. */
int vdso_map(bool fast_entry, uint64_t* ehdr);
/* In a forked child: the inherited copy points at the parent's time source; point it here. */
int vdso_refresh(bool fast_entry);

#endif
