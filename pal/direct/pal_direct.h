/* State and helpers shared by the files of the direct PAL. */
#ifndef KERNITE_PAL_DIRECT_H
#define KERNITE_PAL_DIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "pal.h"

/* Fixed layout of every Kernite process (see image_base in meson.build). App mappings that
 * name no address are placed in the app area, which lies below the image. */
#define PAL_APP_AREA_END   0x7c0000000000UL
#define PAL_APP_AREA_START 0x7b0000000000UL

/* Host signal that carries pal_thread_interrupt(); a real-time number nobody else sends. */
#define PAL_SIGNAL_INTERRUPT 33
/* Host signal that carries a guest signal from another Kernite process (pal_process_signal). */
#define PAL_SIGNAL_GUEST 34

#define PAL_SIGNAL_STACK_SIZE (256 * 1024)
#define PAL_THREAD_STACK_SIZE (256 * 1024)

extern int g_host_pid;
extern struct pal_host_info g_pal_info;
extern pal_event_handler_t g_event_handler;

/* Symbols placed by the linker. */
extern char __start_kernite_gate[], __stop_kernite_gate[];
extern char __executable_start[], _end[];

int pal_signals_init(void);

/* How the app's syscalls are caught (filter.c). */
enum pal_syscall_filter {
    PAL_FILTER_NONE,
    PAL_FILTER_DISPATCH,
    PAL_FILTER_SECCOMP,
};
/* Catches the syscalls of this process's first thread: the mechanism named by inherited (a
 * child is told its parent's), else by KERNITE_SYSCALL_FILTER in envp, else dispatch where the
 * kernel has it and seccomp where not. */
int pal_syscall_filter_init(char** envp, const char* inherited);
/* Catches a new host thread's syscalls; called first thing in the thread. */
int pal_syscall_filter_thread(void);
/* The mechanism in use, by the name pal_syscall_filter_init takes. */
const char* pal_syscall_filter_name(void);
/* The si_code of a SIGSYS for a caught syscall. */
int pal_syscall_filter_sigsys_code(void);
/* Maps a stack with a guard page below it; returns its lowest usable address. */
void* pal_stack_alloc(size_t size);
void pal_stack_free(void* base, size_t size);
int pal_signal_stack_install(struct pal_tcb* tcb);
void pal_set_tcb(struct pal_tcb* tcb);
/* Blocks (true) or unblocks (false) every asynchronous host signal for the calling thread. */
void pal_async_signals_block(bool block);

__attribute__((noreturn)) void pal_fatal(const char* msg);

/* Finds the host's vDSO in the auxiliary vector (misc.c). */
void pal_host_vdso_init(uint64_t* auxv);

/* The syscall fast path (fastcall.c). */
int pal_fast_init(char** envp);
bool pal_fast_active(void);
bool pal_fast_handle_trap(int signo, struct pal_context* ctx);
bool pal_fast_handle_async(const struct pal_event_info* info, struct pal_context* ctx);

/* The host environment kernite-direct started with; child processes get the same. */
extern char** g_host_envp;
/* Wraps the channel fd a child process was started with (--kernite-child FD). */
int pal_process_child_channel(int fd, pal_handle_t** out);

#endif
