/* Guest processes: fork by checkpoint, guest pids, children and wait; shared by proc/ files. */
#ifndef KERNITE_PROC_PROCESS_H
#define KERNITE_PROC_PROCESS_H

#include "libos.h"

/* The channel to the leader (the first process), which hands out guest pids. Every process,
 * the leader too once it has forked, holds the client end; children inherit it. */
extern pal_handle_t* g_leader_channel;

/* Writes the calling process's state into channel for a child with guest pid child_pid; ctx
 * and fs_base are the registers the child starts with. */
int checkpoint_write(pal_handle_t* channel, int child_pid, const struct pal_context* ctx,
                     uint64_t fs_base);

/* Rebuilds the process from channel (in a fresh host process) and fills ctx and *fs_base;
 * returns 0 or a negative errno with the reason logged. */
int checkpoint_read(pal_handle_t* channel, struct pal_context* ctx, uint64_t* fs_base);

/* A fresh guest pid for a child, from the leader. */
int process_pid_alloc(void);

long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls);
long process_wait4(int pid, int* status, int options, void* rusage);
long process_waitid(int which, int id, void* info, int options, void* rusage);
/* kill(2) for a pid that is not the calling process. */
long process_kill(int pid, int signo);

#endif
