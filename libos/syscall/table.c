/* The syscall table: every Linux syscall by number, with the handler a subsystem defines. */
#include "libos.h"
#include "syscall_table.h"

/* Each subsystem defines `long sys_NAME(...)` with the argument types of that syscall. The
 * references here are weak, so a syscall no subsystem implements has a NULL handler and the
 * dispatcher answers it with -ENOSYS. */
#define SYSCALL(nr, name) long sys_##name(long, long, long, long, long, long) __attribute__((weak));
#include "names.h"
#undef SYSCALL

const struct syscall_entry g_syscall_table[SYSCALL_TABLE_SIZE] = {
#define SYSCALL(nr, name) [nr] = {#name, sys_##name},
#include "names.h"
#undef SYSCALL
};
