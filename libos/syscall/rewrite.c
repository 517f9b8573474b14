/* Syscall rewriting: app syscall sites that trapped once are patched into jumps to the
 * library OS, so later calls from them cost a function call instead of a signal.
 *
 * The pattern is glibc's `mov $NR, %eax; syscall` (b8 NN NN NN NN 0f 05). Only the mov is
 * replaced, by `jmp STUB` of the same five bytes; the syscall instruction stays where it was.
 * STUB, in a page of stubs within reach of the site, sets eax and r11 (the resume address) and
 * jumps to the PAL's fast entry. Hazards, and how each is handled:
 * - A thread between the old mov and the syscall (preempted, or resumed from a signal there)
 *   runs the untouched syscall instruction, which traps as before.
 * - A jump to the syscall instruction from elsewhere, with another number in eax, lands on the
 *   same untouched instruction. No valid code jumps into the middle of the mov.
 * - Torn instructions: the five bytes are written as int3, then the displacement, then the jmp
 *   opcode, each store atomic and all in one cache line; a thread that meets the int3 is sent
 *   back to retry (rewrite_breakpoint_resume), so it sees either the old or the new instruction.
 * - Read-only and execute-only code: bytes go in through the PAL's code write, which needs no
 *   change of protection; code that cannot be read is not patched.
 * - Pages shared by several processes: only private file mappings are patched; a write to
 *   them gives this process its own copy. Shared mappings and anonymous memory (JIT code,
 *   which may be rewritten or moved by its owner) keep trapping.
 * - Forked children inherit patched code, stub pages and this table, copied together under
 *   the lock (rewrite_export), so none of them is caught in the middle of a patch. The child
 *   checks each stub page and each site against its own memory (rewrite_import): a site whose
 *   code came back as built (mapped from a file again) is forgotten and its stub reused, one
 *   whose code is neither keeps its stub out of use; the child then frees stubs of code it
 *   unmaps and patches new sites in the stub space the parent had not used. execve drops
 *   code, stubs and table (rewrite_forget).
 * - munmap or mprotect of a patched page by the app needs nothing: the stubs only jump back.
 * - Readers of their own code (including through /proc/self/mem) see the jmp: a known
 *   difference from Linux.
 * Syscalls that need the app's full register state (sigreturn, clone, fork, execve, exit,
 * sigaltstack, sigsuspend) are never rewritten.
 *
 * The Go runtime makes the calls of its syscall package from one site whose number arrives in
 * rax: `syscall; cmp $-4095, %rax` (0f 05 48 3d 01 f0 ff ff). glibc's wrappers that set the
 * number further up (read's `xor %eax, %eax`, or a mov followed by other argument moves) end
 * the same way with -4096 (0f 05 48 3d 00 f0 ff ff), and are patched alike. Those eight bytes
 * become
 * `jmp .+3; int3; jmp STUB` (eb 01 cc e9 REL32), so that each old instruction start is still
 * one: a thread at the syscall takes the jumps, and one at the cmp (back from a trapped call
 * or a signal, or preempted right after the syscall) meets the int3, which sends it to the
 * stub's copy of the cmp (rewrite_breakpoint_resume). The stub checks the number against the
 * ones never rewritten and makes those with a syscall instruction of its own, which traps;
 * the others go to the fast entry. While the bytes are written, int3 stands at both
 * instruction starts. */
#include "hashmap.h"
#include "libos.h"
#include "manifest.h"
#include "mm/mm.h"
#include "proc.h"
#include "syscall_table.h"

#define STUB_SIZE       32
#define STUB_PAGE_SIZE  4096
#define STUB_FIRST_SLOT 128 /* the fast entry address, then NEVER_BITMAP */
#define NEVER_BITMAP    64  /* a bit per syscall number that is never rewritten */
#define GO_STUB_SIZE    64
#define MAX_STUB_PAGES  64

/* A site's entry in the map: its state in the low bits, its stub's address (32-aligned) above. */
enum site_state {
    SITE_PATCHING = 1, /* the int3 is in place */
    SITE_PATCHED,
    SITE_REFUSED, /* does not match, or cannot be reached */
};
#define SITE_GO       4 /* flag: a Go-style site (number in rax) */
#define SITE_STATE(v) ((enum site_state)((uintptr_t)(v) & 3))
#define SITE_STUB(v)  ((uint64_t)(uintptr_t)(v) & ~31UL)
#define MAX_FREE_STUBS 4096

struct stub_page {
    uint64_t base;
    uint32_t used; /* bytes handed out, from STUB_FIRST_SLOT */
};

static struct {
    bool enabled;
    spinlock_t lock;
    struct libos_thread* owner; /* holder of lock, for rewrite_lock from inside a patch */
    int depth;
    struct u64map sites;  /* site address (the syscall instruction) -> enum site_state */
    struct u64map traps;  /* site -> traps counted, at log level debug */
    struct stub_page pages[MAX_STUB_PAGES];
    size_t page_count;
    uint64_t free_stubs[MAX_FREE_STUBS]; /* stubs of sites whose code went away */
    size_t free_count;
    uint64_t patched;
} g_rw;

/* The lock may be taken again by its holder: patching maps stub pages, and mm calls back. */
static void rw_lock(void) {
    struct libos_thread* self = libos_current();

    if (g_rw.owner == self) {
        g_rw.depth++;
        return;
    }
    spinlock_lock(&g_rw.lock);
    g_rw.owner = self;
    g_rw.depth = 1;
}

static void rw_unlock(void) {
    if (--g_rw.depth)
        return;
    g_rw.owner = NULL;
    spinlock_unlock(&g_rw.lock);
}

void rewrite_lock(void) {
    rw_lock();
}

void rewrite_unlock(void) {
    rw_unlock();
}

static const int g_never_rewritten[] = {
    __NR_rt_sigreturn, __NR_clone, __NR_clone3,      __NR_fork,       __NR_vfork,
    __NR_execve,       __NR_execveat, __NR_exit,      __NR_exit_group, __NR_sigaltstack,
    __NR_rt_sigsuspend,
};

static bool rewritable_syscall(long nr) {
    for (size_t i = 0; i < sizeof(g_never_rewritten) / sizeof(g_never_rewritten[0]); i++) {
        if (g_never_rewritten[i] == nr)
            return false;
    }
    return nr >= 0 && nr < SYSCALL_TABLE_SIZE;
}

/* ---- The fast path: calls that arrive from rewritten sites -------------------------------- */

static long fast_call(long nr, const long args[6], bool* slow) {
    struct libos_thread* thread = libos_current();
    long ret;

    thread->ctx = NULL;
    thread->syscall_nr = nr;
    thread->in_syscall = true;
    ret = syscall_table_dispatch(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    thread->in_syscall = false;
    if (log_current_level >= LOG_TRACE)
        syscall_trace(nr, args, ret);

    /* A restart code or a signal to deliver needs the full context: the slow return. */
    if ((ret <= -ERESTARTSYS && ret >= -ERESTARTNOHAND) || ret == -516 /* RESTART_RESTARTBLOCK */
        || signal_pending())
        *slow = true;
    return ret;
}

/* The slow return: ctx is the app's state with the result in rax; the signals that arrived
 * during the call are recorded first, then delivered as after any syscall. */
static void fast_exit(struct pal_context* ctx, const struct pal_deferred_signals* sigs) {
    struct libos_thread* thread = libos_current();
    long ret = (long)ctx->rax;

    thread->ctx = ctx;
    for (int from_process = 0; from_process < 2; from_process++) {
        uint64_t set = from_process ? sigs->guest : sigs->host;
        while (set) {
            int signo = __builtin_ctzll(set) + 1;
            bool child = !from_process && signo == LINUX_SIGCHLD;
            int code = child ? sigs->child_code : 0;
            if (!from_process && (sigs->host_kernel & SIGBIT(signo)))
                code = LINUX_SI_KERNEL;
            struct pal_event_info info = {
                .signo = signo,
                .code = code,
                .sender_pid = child ? sigs->child_host_pid : 0,
                .status = child ? sigs->child_status : 0,
                .in_pal = true, /* record only: delivery follows below */
                .from_process = from_process,
            };
            set &= set - 1;
            proc_handle_event(PAL_EVENT_HOST_SIGNAL, &info, ctx);
        }
    }
    signal_deliver_pending(ctx, &ret);
}

/* ---- Patching ----------------------------------------------------------------------------- */

static bool within_rel32(uint64_t from, uint64_t to) {
    int64_t delta = (int64_t)(to - from);
    return delta > INT32_MIN / 2 && delta < INT32_MAX / 2;
}

static int stub_page_new(uint64_t site, struct stub_page** out) {
    static const int64_t hints[] = {-(32L << 20), 32L << 20, -(256L << 20), 256L << 20,
                                    -(1L << 30)};
    uint64_t entry = pal_fast_entry_address();
    uint8_t never[(SYSCALL_TABLE_SIZE + 7) / 8] = {0};

    _Static_assert(NEVER_BITMAP + sizeof(never) <= STUB_FIRST_SLOT, "bitmap within the header");
    for (size_t i = 0; i < sizeof(g_never_rewritten) / sizeof(g_never_rewritten[0]); i++)
        never[g_never_rewritten[i] / 8] |= (uint8_t)(1 << (g_never_rewritten[i] % 8));
    if (g_rw.page_count == MAX_STUB_PAGES)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        uint64_t hint = ((site & ~0xfffffUL) + hints[i]) & ~(STUB_PAGE_SIZE - 1UL);
        long addr = mm_map(hint, STUB_PAGE_SIZE, PROT_READ | PROT_EXEC,
                           MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        if (addr < 0)
            continue;
        if (!within_rel32(site, (uint64_t)addr) ||
            pal_code_write((uint64_t)addr, &entry, sizeof(entry)) < 0 ||
            pal_code_write((uint64_t)addr + NEVER_BITMAP, never, sizeof(never)) < 0) {
            mm_unmap((uint64_t)addr, STUB_PAGE_SIZE);
            continue;
        }
        mm_set_name((uint64_t)addr, (uint64_t)addr + STUB_PAGE_SIZE, "[kernite-stubs]");
        struct stub_page* page = &g_rw.pages[g_rw.page_count++];
        page->base = (uint64_t)addr;
        page->used = STUB_FIRST_SLOT;
        *out = page;
        return 0;
    }
    return -ENOMEM;
}

/* A stub of size bytes (STUB_SIZE or GO_STUB_SIZE); freed stubs are STUB_SIZE ones. */
static int stub_alloc(uint64_t site, size_t size, uint64_t* out) {
    struct stub_page* page = NULL;

    for (size_t i = 0; size == STUB_SIZE && i < g_rw.free_count; i++) {
        if (within_rel32(site, g_rw.free_stubs[i])) {
            *out = g_rw.free_stubs[i];
            g_rw.free_stubs[i] = g_rw.free_stubs[--g_rw.free_count];
            return 0;
        }
    }

    for (size_t i = 0; i < g_rw.page_count && !page; i++) {
        if (g_rw.pages[i].used + size <= STUB_PAGE_SIZE &&
            within_rel32(site, g_rw.pages[i].base))
            page = &g_rw.pages[i];
    }
    if (!page) {
        int ret = stub_page_new(site, &page);
        if (ret < 0)
            return ret;
    }
    *out = page->base + page->used;
    page->used += (uint32_t)size;
    return 0;
}

static void put32(uint8_t* p, uint32_t v) {
    memcpy(p, &v, sizeof(v));
}

/* The stub: mov $nr, %eax; lea resume(%rip), %r11; jmp *entry(%rip). */
static int stub_write(uint64_t stub, uint64_t page, long nr, uint64_t resume) {
    uint8_t code[STUB_SIZE];

    memset(code, 0xcc, sizeof(code));
    code[0] = 0xb8;
    put32(code + 1, (uint32_t)nr);
    code[5] = 0x4c;
    code[6] = 0x8d;
    code[7] = 0x1d;
    put32(code + 8, (uint32_t)(resume - (stub + 12)));
    code[12] = 0xff;
    code[13] = 0x25;
    put32(code + 14, (uint32_t)(page - (stub + 18)));
    return pal_code_write(stub, code, sizeof(code));
}

/* Code in [start, start + size) that may be patched: readable code of a private file mapping,
 * within one cache line. */
static bool code_patchable(uint64_t start, size_t size) {
    struct mm_region r;
    bool ok;

    if (mm_lookup(start, size, &r) < 0)
        return false;
    ok = r.file && (r.flags & MAP_PRIVATE) && (r.prot & PROT_EXEC) && (r.prot & PROT_READ);
    vfs_file_put(r.file);
    return ok && (start >> 6) == ((start + size - 1) >> 6);
}

static bool site_matches(uint64_t site, long nr) {
    const uint8_t* p = (const uint8_t*)(site - 5);
    uint32_t imm;

    if (!code_patchable(site - 5, 7))
        return false;
    memcpy(&imm, p + 1, sizeof(imm));
    return p[0] == 0xb8 && imm == (uint32_t)nr && p[5] == 0x0f && p[6] == 0x05;
}

static int site_patch(uint64_t site, long nr, uint64_t* stub_out) {
    uint64_t start = site - 5;
    uint64_t stub;
    uint8_t rel[4];
    int ret;

    ret = stub_alloc(site, STUB_SIZE, &stub);
    if (ret < 0)
        return ret;
    *stub_out = stub;
    ret = stub_write(stub, stub & ~(STUB_PAGE_SIZE - 1UL), nr, site + 2);
    if (ret < 0)
        return ret;

    put32(rel, (uint32_t)(stub - (start + 5)));
    u64map_put(&g_rw.sites, site, (void*)(uintptr_t)(stub | SITE_PATCHING));
    ret = pal_code_write(start, "\xcc", 1);
    if (ret < 0)
        return ret;
    ret = pal_code_write(start + 1, rel, sizeof(rel));
    if (ret == 0)
        ret = pal_code_write(start, "\xe9", 1);
    if (ret < 0) {
        /* Put the mov back, with its own immediate, as it was. */
        uint8_t imm[4];
        put32(imm, (uint32_t)nr);
        pal_code_write(start + 1, imm, sizeof(imm));
        pal_code_write(start, "\xb8", 1);
    }
    return ret;
}

/* ---- Go-style sites: the number in rax ------------------------------------------------------ */

#define GO_SITE_SIZE     8
#define GO_STUB_SLOW     31 /* the stub's own syscall instruction */
#define GO_STUB_AFTER    33 /* its copy of the cmp: where calls resume */
#define GO_SITE_LIMIT    4 /* the byte that differs: -4095 (Go) or -4096 (glibc) */
static const uint8_t g_go_site[GO_SITE_SIZE] = {0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff};

static bool go_site_bytes(const uint8_t* p) {
    return memcmp(p, g_go_site, GO_SITE_LIMIT) == 0 &&
           (p[GO_SITE_LIMIT] == 0x00 || p[GO_SITE_LIMIT] == 0x01) &&
           memcmp(p + GO_SITE_LIMIT + 1, g_go_site + GO_SITE_LIMIT + 1,
                  GO_SITE_SIZE - GO_SITE_LIMIT - 1) == 0;
}

static bool go_site_matches(uint64_t site) {
    return code_patchable(site, GO_SITE_SIZE) && go_site_bytes((const uint8_t*)site);
}

/* cmp $SYSCALL_TABLE_SIZE, %rax; jae slow; bt %rax, never(%rip); jc slow;
 * lea after(%rip), %r11; jmp *entry(%rip); slow: syscall; after: cmp $-4095, %rax;
 * jmp site + 8. */
static int go_stub_write(uint64_t stub, uint64_t page, uint64_t site,
                         const uint8_t original[GO_SITE_SIZE]) {
    uint8_t code[GO_STUB_SIZE];

    memset(code, 0xcc, sizeof(code));
    code[0] = 0x48;
    code[1] = 0x3d;
    put32(code + 2, SYSCALL_TABLE_SIZE);
    code[6] = 0x73;
    code[7] = GO_STUB_SLOW - 8;
    code[8] = 0x48;
    code[9] = 0x0f;
    code[10] = 0xa3;
    code[11] = 0x05;
    put32(code + 12, (uint32_t)(page + NEVER_BITMAP - (stub + 16)));
    code[16] = 0x72;
    code[17] = GO_STUB_SLOW - 18;
    code[18] = 0x4c;
    code[19] = 0x8d;
    code[20] = 0x1d;
    put32(code + 21, GO_STUB_AFTER - 25);
    code[25] = 0xff;
    code[26] = 0x25;
    put32(code + 27, (uint32_t)(page - (stub + GO_STUB_SLOW)));
    memcpy(code + GO_STUB_SLOW, original, GO_SITE_SIZE);
    code[39] = 0xe9;
    put32(code + 40, (uint32_t)(site + GO_SITE_SIZE - (stub + 44)));
    return pal_code_write(stub, code, sizeof(code));
}

static int go_site_patch(uint64_t site, uint64_t* stub_out) {
    uint8_t tail[5] = {0xe9};
    uint8_t original[GO_SITE_SIZE];
    uint64_t stub;
    int ret;

    memcpy(original, (const void*)site, sizeof(original));
    ret = stub_alloc(site, GO_STUB_SIZE, &stub);
    if (ret < 0)
        return ret;
    *stub_out = stub;
    ret = go_stub_write(stub, stub & ~(STUB_PAGE_SIZE - 1UL), site, original);
    if (ret < 0)
        return ret;

    put32(tail + 1, (uint32_t)(stub - (site + GO_SITE_SIZE)));
    u64map_put(&g_rw.sites, site, (void*)(uintptr_t)(stub | SITE_GO | SITE_PATCHING));
    ret = pal_code_write(site, "\xcc", 1);
    if (ret == 0)
        ret = pal_code_write(site + 2, "\xcc", 1);
    if (ret == 0)
        ret = pal_code_write(site + 3, tail, sizeof(tail));
    if (ret == 0)
        ret = pal_code_write(site + 1, "\x01", 1);
    if (ret == 0)
        ret = pal_code_write(site, "\xeb", 1);
    if (ret < 0) {
        /* Put the original bytes back, the instruction starts last. */
        pal_code_write(site + 3, original + 3, GO_SITE_SIZE - 3);
        pal_code_write(site + 1, original + 1, 1);
        pal_code_write(site + 2, original + 2, 1);
        pal_code_write(site, original, 1);
    }
    return ret;
}

void rewrite_consider(uint64_t site, long nr) {
    void* state;

    if (!g_rw.enabled || !rewritable_syscall(nr))
        return;
    rw_lock();
    state = u64map_get(&g_rw.sites, site);
    if (!state) {
        uintptr_t result = SITE_REFUSED;
        uint64_t stub = 0;
        if (site_matches(site, nr) && site_patch(site, nr, &stub) == 0) {
            result = stub | SITE_PATCHED;
            g_rw.patched++;
        } else if (!site_matches(site, nr) && go_site_matches(site) &&
                   go_site_patch(site, &stub) == 0) {
            result = stub | SITE_GO | SITE_PATCHED;
            g_rw.patched++;
        }
        u64map_put(&g_rw.sites, site, (void*)result);
    }
    rw_unlock();
}

static bool site_live(void* state, bool go) {
    return state && (SITE_STATE(state) == SITE_PATCHING || SITE_STATE(state) == SITE_PATCHED) &&
           !!((uintptr_t)state & SITE_GO) == go;
}

uint64_t rewrite_breakpoint_resume(uint64_t addr) {
    uint64_t resume = 0;

    rw_lock();
    if (site_live(u64map_get(&g_rw.sites, addr + 5), false) ||
        site_live(u64map_get(&g_rw.sites, addr), true))
        resume = addr;
    else if (site_live(u64map_get(&g_rw.sites, addr - 2), true))
        resume = SITE_STUB(u64map_get(&g_rw.sites, addr - 2)) + GO_STUB_AFTER;
    rw_unlock();
    return resume;
}

void rewrite_forget_range(uint64_t start, uint64_t end) {
    uint64_t doomed[64];
    size_t pos, count;
    uint64_t site;
    void* state;

    rw_lock();
    /* Removal while iterating could visit an entry twice (and free its stub twice): collect a
     * batch first, remove it, and go again until the range holds no site. */
    do {
        count = 0;
        pos = 0;
        while (count < sizeof(doomed) / sizeof(doomed[0]) &&
               u64map_next(&g_rw.sites, &pos, &site, &state)) {
            bool go = (uintptr_t)state & SITE_GO;
            uint64_t first = go ? site : site - 5;
            uint64_t last = go ? site + GO_SITE_SIZE : site + 2;
            if (last > start && first < end)
                doomed[count++] = site;
        }
        for (size_t i = 0; i < count; i++) {
            state = u64map_get(&g_rw.sites, doomed[i]);
            size_t size = ((uintptr_t)state & SITE_GO) ? GO_STUB_SIZE : STUB_SIZE;
            for (size_t part = 0; SITE_STUB(state) && part < size; part += STUB_SIZE) {
                if (g_rw.free_count < MAX_FREE_STUBS)
                    g_rw.free_stubs[g_rw.free_count++] = SITE_STUB(state) + part;
            }
            u64map_remove(&g_rw.sites, doomed[i], NULL);
        }
    } while (count == sizeof(doomed) / sizeof(doomed[0]));
    rw_unlock();
}

void rewrite_count_trap(uint64_t site) {
    rw_lock();
    uintptr_t count = (uintptr_t)u64map_get(&g_rw.traps, site);
    u64map_put(&g_rw.traps, site, (void*)(count + 1));
    rw_unlock();
}

void rewrite_forget(void) {
    rw_lock();
    u64map_destroy(&g_rw.sites);
    memset(&g_rw.sites, 0, sizeof(g_rw.sites));
    g_rw.page_count = 0;
    g_rw.free_count = 0;
    rw_unlock();
}

/* ---- fork: the child takes the table over ------------------------------------------------- */

struct export_head {
    uint32_t pages, sites, free, zero;
};

struct export_page {
    uint64_t base;
    uint32_t used, zero;
};

struct export_site {
    uint64_t site, state;
};

/* Refused sites beyond this many are left out (the child looks at them again); patched ones
 * are bounded by the stubs there can be. */
#define MAX_EXPORTED_SITES 32768
_Static_assert(sizeof(struct export_head) + MAX_STUB_PAGES * sizeof(struct export_page) +
                       MAX_EXPORTED_SITES * sizeof(struct export_site) +
                       MAX_FREE_STUBS * sizeof(uint64_t) <=
                   REWRITE_STATE_MAX,
               "the largest table fits its record");
_Static_assert(MAX_STUB_PAGES * (STUB_PAGE_SIZE / STUB_SIZE) <= MAX_EXPORTED_SITES,
               "every patched site is exported");

int rewrite_export(uint8_t** out, size_t* size) {
    struct export_head head = {g_rw.page_count, 0, g_rw.free_count, 0};
    size_t live = 0, pos = 0;
    uint64_t site;
    void* state;

    while (u64map_next(&g_rw.sites, &pos, &site, &state))
        live += SITE_STATE(state) != SITE_REFUSED;
    head.sites = (uint32_t)u64map_count(&g_rw.sites);
    if (head.sites > MAX_EXPORTED_SITES)
        head.sites = MAX_EXPORTED_SITES;
    size_t refused_room = head.sites - live;

    size_t total = sizeof(head) + head.pages * sizeof(struct export_page) +
                   head.sites * sizeof(struct export_site) + head.free * sizeof(uint64_t);
    uint8_t* buf = malloc(total);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, &head, sizeof(head));
    struct export_page* pages = (struct export_page*)(buf + sizeof(head));
    for (size_t i = 0; i < head.pages; i++)
        pages[i] = (struct export_page){g_rw.pages[i].base, g_rw.pages[i].used, 0};
    struct export_site* sites = (struct export_site*)(pages + head.pages);
    size_t n = 0;
    pos = 0;
    while (n < head.sites && u64map_next(&g_rw.sites, &pos, &site, &state)) {
        if (SITE_STATE(state) == SITE_REFUSED) {
            if (!refused_room)
                continue;
            refused_room--;
        }
        sites[n++] = (struct export_site){site, (uintptr_t)state};
    }
    memcpy(sites + head.sites, g_rw.free_stubs, head.free * sizeof(uint64_t));
    *out = buf;
    *size = total;
    return 0;
}

static bool stub_inherited(uint64_t stub, size_t size) {
    for (size_t i = 0; i < g_rw.page_count; i++) {
        const struct stub_page* p = &g_rw.pages[i];
        if (stub >= p->base + STUB_FIRST_SLOT && stub + size <= p->base + p->used &&
            !(stub & (STUB_SIZE - 1)))
            return true;
    }
    return false;
}

/* A stub page of the parent must be a page of its own in the child, mapped as stubs are. */
static bool stub_page_valid(const struct export_page* p) {
    struct mm_region r;
    bool ok;

    if ((p->base & (STUB_PAGE_SIZE - 1)) || p->zero || p->used < STUB_FIRST_SLOT ||
        p->used > STUB_PAGE_SIZE || (p->used & (STUB_SIZE - 1)))
        return false;
    for (size_t i = 0; i < g_rw.page_count; i++) {
        if (g_rw.pages[i].base == p->base)
            return false;
    }
    if (mm_lookup(p->base, STUB_PAGE_SIZE, &r) < 0)
        return false;
    ok = !r.file && (r.flags & MAP_PRIVATE) && r.prot == (PROT_READ | PROT_EXEC);
    vfs_file_put(r.file);
    return ok;
}

enum site_bytes { BYTES_OTHER, BYTES_ORIGINAL, BYTES_PATCHED };

/* What the child's code at a site holds: the jump to stub, the instructions as built, or
 * anything else (the app wrote over it, or the page is not readable). */
static enum site_bytes site_bytes(uint64_t site, bool go, uint64_t stub) {
    uint64_t start = go ? site : site - 5;
    size_t size = go ? GO_SITE_SIZE : 7;
    const uint8_t* p = (const uint8_t*)start;
    uint32_t rel;

    if (site < 5 || !mm_is_accessible(start, size, PROT_READ))
        return BYTES_OTHER;
    if (go) {
        memcpy(&rel, p + 4, sizeof(rel));
        if (p[0] == 0xeb && p[1] == 0x01 && p[2] == 0xcc && p[3] == 0xe9 &&
            site + GO_SITE_SIZE + (int32_t)rel == stub)
            return BYTES_PATCHED;
        return go_site_bytes(p) ? BYTES_ORIGINAL : BYTES_OTHER;
    }
    memcpy(&rel, p + 1, sizeof(rel));
    if (p[5] != 0x0f || p[6] != 0x05)
        return BYTES_OTHER;
    if (p[0] == 0xe9 && start + 5 + (int32_t)rel == stub)
        return BYTES_PATCHED;
    return p[0] == 0xb8 ? BYTES_ORIGINAL : BYTES_OTHER;
}

/* A patched site whose code came back as built (read from a file again) is forgotten, and its
 * stub, which nothing jumps to, is free; one whose code is neither keeps its stub out of use. */
static int import_site(const struct export_site* e) {
    uintptr_t state = e->state;
    bool go = state & SITE_GO;
    uint64_t stub = SITE_STUB(state);
    size_t size = go ? GO_STUB_SIZE : STUB_SIZE;

    if (state == SITE_REFUSED)
        return u64map_put(&g_rw.sites, e->site, (void*)state);
    if ((state & 31) != (SITE_PATCHED | (go ? SITE_GO : 0)) || !stub_inherited(stub, size))
        return -EPROTO;
    switch (site_bytes(e->site, go, stub)) {
        case BYTES_PATCHED:
            return u64map_put(&g_rw.sites, e->site, (void*)state);
        case BYTES_ORIGINAL:
            for (size_t part = 0; part < size && g_rw.free_count < MAX_FREE_STUBS;
                 part += STUB_SIZE)
                g_rw.free_stubs[g_rw.free_count++] = stub + part;
            break;
        case BYTES_OTHER:
            break;
    }
    return 0;
}

int rewrite_import(const uint8_t* data, size_t size) {
    struct export_head head;
    uint64_t entry = pal_fast_entry_address();
    int ret = 0;

    if (size < sizeof(head))
        return -EPROTO;
    memcpy(&head, data, sizeof(head));
    if (head.zero || head.pages > MAX_STUB_PAGES || head.sites > MAX_EXPORTED_SITES ||
        head.free > MAX_FREE_STUBS ||
        size != sizeof(head) + head.pages * sizeof(struct export_page) +
                    head.sites * sizeof(struct export_site) + head.free * sizeof(uint64_t))
        return -EPROTO;
    const uint8_t* cursor = data + sizeof(head);

    rw_lock();
    for (uint32_t i = 0; i < head.pages && ret == 0; i++, cursor += sizeof(struct export_page)) {
        struct export_page p;
        memcpy(&p, cursor, sizeof(p));
        if (!stub_page_valid(&p)) {
            ret = -EPROTO;
            break;
        }
        /* Each stub jumps through the fast entry's address at the start of its page. */
        if (memcmp((const void*)p.base, &entry, sizeof(entry)))
            ret = pal_code_write(p.base, &entry, sizeof(entry));
        g_rw.pages[g_rw.page_count++] = (struct stub_page){p.base, p.used};
    }
    for (uint32_t i = 0; i < head.sites && ret == 0; i++, cursor += sizeof(struct export_site)) {
        struct export_site e;
        memcpy(&e, cursor, sizeof(e));
        ret = import_site(&e);
    }
    for (uint32_t i = 0; i < head.free && ret == 0; i++, cursor += sizeof(uint64_t)) {
        uint64_t stub;
        memcpy(&stub, cursor, sizeof(stub));
        if (!stub_inherited(stub, STUB_SIZE))
            ret = -EPROTO;
        else if (g_rw.free_count < MAX_FREE_STUBS)
            g_rw.free_stubs[g_rw.free_count++] = stub;
    }
    if (ret == 0)
        log_debug("fork: %lu syscall sites inherited", u64map_count(&g_rw.sites));
    rw_unlock();
    return ret;
}

void rewrite_report(void) {
    uint64_t total = 0;
    size_t pos = 0;
    uint64_t site;
    void* value;

    if (log_current_level < LOG_DEBUG)
        return;
    while (u64map_next(&g_rw.traps, &pos, &site, &value))
        total += (uintptr_t)value;
    log_debug("syscall rewriting %s: %lu sites patched, %lu syscalls trapped",
              g_rw.enabled ? "on" : "off", g_rw.patched, total);
    for (int rank = 0; rank < 10; rank++) {
        uint64_t best_site = 0, best = 0;
        pos = 0;
        while (u64map_next(&g_rw.traps, &pos, &site, &value)) {
            if ((uintptr_t)value > best) {
                best = (uintptr_t)value;
                best_site = site;
            }
        }
        if (!best)
            break;
        log_debug("  trapped %lu times at %#lx", best, best_site);
        u64map_put(&g_rw.traps, best_site, NULL);
    }
}

bool rewrite_enabled(void) {
    return g_rw.enabled;
}

void rewrite_init(const struct manifest* m) {
    g_rw.enabled = m->syscall_rewriting;
    if (g_rw.enabled && pal_code_write(0, NULL, 0) == -ENOSYS) {
        log_debug("syscall rewriting off: the host gives no way to write code");
        g_rw.enabled = false;
    }
    pal_set_fast_syscall_handlers(fast_call, fast_exit);
}
