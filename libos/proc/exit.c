/* Ending the process: by exit status or by a signal, as the host parent will see it. */
#include "libos.h"
#include "syscall/syscall_table.h"
#include "proc.h"
#include "process.h"

__attribute__((noreturn)) void process_exit(int status) {
    rewrite_report();
    log_debug("process %d exits with status %d", g_process.pid, status & 0xff);
    leader_note_exit();
    pal_process_exit(status & 0xff);
}

__attribute__((noreturn)) void process_die_by_signal(int signo) {
    log_debug("process %d killed by signal %d", g_process.pid, signo);
    leader_note_exit();
    pal_process_die_by_signal(signo);
}
