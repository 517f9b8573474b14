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

/* ---- The leader's process table (leader.c) ---- */

#define PROC_CMDLINE_MAX 256 /* bytes of a command line the table keeps for /proc */
#define PROC_LIST_MAX    256 /* pids one listing returns */

/* What the leader knows of a guest process, for /proc/PID. */
struct process_info {
    int32_t pid, ppid, pgid, sid;
    char state; /* 'S' alive, 'T' stopped, 'Z' exited and not yet reaped */
    uint32_t cmdline_size;
    char cmdline[PROC_CMDLINE_MAX];
};

/* Enters a new child (already started as host_pid) and returns its fresh guest pid. */
int leader_register_child(int host_pid);
void leader_note_exit(void);
void leader_note_reaped(int pid);
void leader_note_exec(void);
int leader_setpgid(int pid, int pgid);
int leader_setsid(void);
int leader_getpgid(int pid);
int leader_getsid(int pid);
int leader_getppid(int pid);
int leader_kill(int pid, int signo);
/* kill(-pgid), or with all kill(-1); *caller_member: the caller must signal itself. */
int leader_kill_group(int pgid, int signo, bool all, bool* caller_member);
int leader_process_info(int pid, struct process_info* info);
/* The caller takes a stop signal: the leader stops it (1, returned once continued) or finds
 * the stop discarded (0). */
int leader_stop(int signo);
/* Counts a SIGCONT from another process, for leader_stop. */
void leader_note_continued(void);
/* The signal that last stopped pid. */
int leader_stop_signal(int pid);
/* Host pids of the caller's children in group pgid; their number. */
int leader_group_children(int pgid, int* host_pids, int max);
int leader_list_pids(int* pids, int max);
/* As the init of a Linux pid namespace, pid 1 is not reached by a group signal (or one from
 * another process) that has no handler in it. */
bool leader_shielded(int signo);
/* In the leader: host pid of an adopted orphan pid (-1 for any if there is one), or -ECHILD. */
int leader_adopted_host_pid(int pid);
int leader_guest_pid_of_host(int host_pid);

long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls);
long process_wait4(int pid, int* status, int options, void* rusage);
long process_waitid(int which, int id, void* info, int options, void* rusage);
long sys_getpgid(int pid);
/* kill(2) for a pid that is not the calling process. */
long process_kill(int pid, int signo);
/* A SIGCHLD came from the host: group waits look at their children again. */
void process_note_child_event(void);
/* Guest pid of a child (or, in the leader, an adopted orphan) by its host pid; 0 if none. */
int process_child_pid_of_host(int host_pid);

#endif
