/* The syscall table and the dispatcher's helpers. */
#ifndef KERNITE_SYSCALL_TABLE_H
#define KERNITE_SYSCALL_TABLE_H

#include "libos.h"

#define SYSCALL_TABLE_SIZE 460

struct syscall_entry {
    const char* name;
    syscall_handler_t handler;
};

extern const struct syscall_entry g_syscall_table[SYSCALL_TABLE_SIZE];

/* -ENOSYS for a syscall with no handler, with a warning the first time for each number. */
long syscall_unimplemented(long nr);

/* What libos_syscall_dispatch does, inlined where the syscall fast path calls it. */
static inline long syscall_table_dispatch(long nr, long a0, long a1, long a2, long a3, long a4,
                                          long a5) {
    if (nr < 0 || nr >= SYSCALL_TABLE_SIZE || !g_syscall_table[nr].handler)
        return syscall_unimplemented(nr);
    return g_syscall_table[nr].handler(a0, a1, a2, a3, a4, a5);
}

/* Prints one strace-like line for a finished syscall at log level trace. */
void syscall_trace(long nr, const long args[6], long result);

struct manifest;

/* Syscall rewriting (rewrite.c). */
void rewrite_init(const struct manifest* m);
/* Whether syscalls go through the fast path (the vDSO uses it too). */
bool rewrite_enabled(void);
/* After a trapped syscall from the instruction at site: patch the site if it can be. */
void rewrite_consider(uint64_t site, long nr);
void rewrite_count_trap(uint64_t site);
/* Where a thread that met the int3 at addr goes on, if rewriting placed it: addr itself to
 * retry while a patch is in progress, or the stub's copy of a Go site's instruction; else 0. */
uint64_t rewrite_breakpoint_resume(uint64_t addr);
/* Executable memory in [start, end) was unmapped or replaced: its sites are new code now.
 * The memory subsystem holds rewrite_lock across the unmap and this call, so that no site
 * there can be patched in between (it would lose its stub to a later one). */
void rewrite_forget_range(uint64_t start, uint64_t end);
void rewrite_lock(void);
void rewrite_unlock(void);
/* fork: the site table and the stub pages, as a record of at most REWRITE_STATE_MAX bytes for
 * the child (malloc'd). The caller holds rewrite_lock from before it copies the code and stub
 * pages until this returns, so that the child gets one consistent picture of them. */
#define REWRITE_STATE_MAX (1 << 20)
int rewrite_export(uint8_t** out, size_t* size);
/* In the child, after its memory is in place: takes the parent's record over, checking each
 * stub page and stub against the child's memory. -EPROTO for a record that does not fit it. */
int rewrite_import(const uint8_t* data, size_t size);
/* execve: the patched code and the stub pages are gone with the old image. */
void rewrite_forget(void);
/* Prints, at log level debug, what was patched and where syscalls still trapped. */
void rewrite_report(void);

#endif
