/* Where app syscalls arrive: dispatch through the table, then deliver pending signals. */
#include "libos.h"
#include "proc.h"
#include "syscall_table.h"

/* One bit per syscall number already reported as unimplemented. */
static uint64_t g_reported_enosys[(SYSCALL_TABLE_SIZE + 63) / 64];

const char* libos_syscall_name(long nr) {
    if (nr < 0 || nr >= SYSCALL_TABLE_SIZE || !g_syscall_table[nr].name)
        return NULL;
    return g_syscall_table[nr].name;
}

long syscall_unimplemented(long nr) {
    const char* name = libos_syscall_name(nr);
    uint64_t bit;

    if (nr < 0 || nr >= SYSCALL_TABLE_SIZE) {
        log_warning("unknown syscall number %ld: returning ENOSYS", nr);
        return -ENOSYS;
    }
    bit = 1ULL << (nr % 64);
    if (!(__atomic_fetch_or(&g_reported_enosys[nr / 64], bit, __ATOMIC_RELAXED) & bit))
        log_warning("unimplemented syscall %s (%ld): returning ENOSYS", name ? name : "?", nr);
    return -ENOSYS;
}

long libos_syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    return syscall_table_dispatch(nr, a0, a1, a2, a3, a4, a5);
}

static void handle_syscall(long nr, struct pal_context* ctx) {
    struct libos_thread* thread = libos_current();
    long args[6] = {(long)ctx->rdi, (long)ctx->rsi, (long)ctx->rdx,
                    (long)ctx->r10, (long)ctx->r8,  (long)ctx->r9};
    uint64_t site = ctx->rip - 2;
    long ret;

    thread->ctx = ctx;
    thread->syscall_nr = nr;
    thread->in_syscall = true;
    /* These do not come back: show them before they run. */
    if (log_current_level >= LOG_TRACE && (nr == __NR_exit || nr == __NR_exit_group))
        syscall_trace(nr, args, 0);
    ret = libos_syscall_dispatch(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    thread->in_syscall = false;
    if (log_current_level >= LOG_TRACE)
        syscall_trace(nr, args, ret);
    if (log_current_level >= LOG_DEBUG)
        rewrite_count_trap(site);
    rewrite_consider(site, nr);
    signal_deliver_pending(ctx, &ret);
}

void libos_handle_event(enum pal_event ev, struct pal_event_info* info, struct pal_context* ctx) {
    if (ev == PAL_EVENT_SYSCALL) {
        handle_syscall(info->syscall, ctx);
        return;
    }
    /* The int3 of a site being rewritten (run the site again, it will be whole by then), or
     * the one left in a Go site (go on in its stub). */
    if (ev == PAL_EVENT_TRAP && !info->in_pal) {
        uint64_t resume = rewrite_breakpoint_resume(ctx->rip - 1);
        if (resume) {
            ctx->rip = resume;
            return;
        }
    }
    proc_handle_event(ev, info, ctx);
}
