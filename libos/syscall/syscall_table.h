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

/* Prints one strace-like line for a finished syscall at log level trace. */
void syscall_trace(long nr, const long args[6], long result);

#endif
