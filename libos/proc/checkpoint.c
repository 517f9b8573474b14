/* The fork checkpoint: a versioned, length-checked stream of a process's state, with no host
 * pointers in it, written by the parent and replayed by the child library OS.
 *
 * Stream: an 16-byte header (magic "KNTCKPT\0", version, zero), then records of a 16-byte head
 * (type, zero, payload length) and their payload, ending with RECORD_END. Host handles of fds
 * follow their FD record as one handle message on the same channel, and so does the host object
 * of a shared mapping (an untrusted_shm file or shared anonymous memory) after its VMA record:
 * the child maps the same object, so parent and child share that memory. A private mapping of
 * a file the host maps itself (on a host directory mount) comes back from the same open host
 * file, whose handle follows the first VMA record naming it: a file replaced on disk since
 * cannot give the child other bytes. Only the pages that are the process's own follow it (the
 * host tells them from the file's unmodified pages and from pages never touched); among them
 * the code that syscall rewriting patched and its stub pages, copied together with the
 * rewriting table at one moment, so the child goes on with the parent's rewritten sites.
 * Known limits: tmpfs
 * and pseudo files are reopened by path in the child (tmpfs contents, and MAP_SHARED mappings
 * of them, are per process: the child's tmpfs starts empty, so the fds of a tmpfs file are
 * closed there, and its mappings come back as private copies of their pages); a host
 * directory or file fd comes back as a plain host stream (no getdents on it, and a shared
 * mapping made from it later is copied by the next fork); the FPU state goes along only when
 * the fork came through a host signal frame (a trapped syscall), a fork through a rewritten
 * call site starts the child with a fresh FPU; the contents of PROT_NONE memory do not travel
 * (anonymous memory comes back zeroed, a file mapping as the file's bytes). */
#include "errstr.h"
#include "fs/protected.h"
#include "libos.h"
#include "manifest.h"
#include "mm/mm.h"
#include "proc.h"
#include "process.h"
#include "syscall/syscall_table.h"
#include "vfs.h"

#define CKPT_MAGIC   "KNTCKPT"
#define CKPT_VERSION 3

#define PAGE_SIZE 4096UL

const char* g_manifest_text;
size_t g_manifest_size;

/* Largest payload each record type may announce; anything bigger is a corrupt stream. */
enum record_type {
    RECORD_MANIFEST = 1,
    RECORD_PROCESS,
    RECORD_CWD,
    RECORD_FD,
    RECORD_VMA,
    RECORD_PAGES,
    RECORD_THREAD,
    RECORD_LEADER,
    RECORD_END,
    RECORD_KEYS,    /* keys of encrypted mounts (fs/encrypted.c) */
    RECORD_REWRITE, /* the syscall rewriting table (syscall/rewrite.c), after the mappings */
    RECORD_TYPES,
};

static const uint64_t g_record_max[RECORD_TYPES] = {
    [RECORD_MANIFEST] = 64 << 20,
    [RECORD_PROCESS] = 64 << 10,
    [RECORD_CWD] = 4096,
    [RECORD_FD] = 4096 + 64,
    [RECORD_VMA] = 4096 + 64,
    [RECORD_PAGES] = (1 << 20) + 8,
    [RECORD_THREAD] = 64 << 10,
    [RECORD_LEADER] = 0,
    [RECORD_END] = 0,
    [RECORD_KEYS] = 64 << 10,
    [RECORD_REWRITE] = REWRITE_STATE_MAX,
};

struct record_head {
    uint32_t type;
    uint32_t zero;
    uint64_t length;
};

struct ckpt_process {
    int32_t pid, ppid, pgid, sid;
    uint32_t uid, gid, euid, egid, umask;
    int32_t log_level;
    uint64_t brk_start, brk_current;
    struct libos_sigaction sigactions[LIBOS_NSIG];
    struct linux_rlimit rlimits[16];
};

struct ckpt_thread {
    struct pal_context ctx; /* fpstate and reserved are zeroed: no pointers travel */
    uint64_t fs_base;
    sigset64_t sigmask;
    uint64_t altstack_sp, altstack_size;
    int32_t altstack_flags;
    uint32_t fpstate_size;
    uint8_t fpstate[]; /* fpstate_size bytes */
};

/* An fd: which object (index of the first fd sharing it), how it comes back, and its path. */
#define FD_HAS_HANDLE 0x1
struct ckpt_fd {
    int32_t fd;
    int32_t same_as; /* earlier fd holding the same open file, or -1 */
    int32_t flags;
    uint32_t type;
    uint32_t how;
    uint32_t cloexec;
    uint64_t offset;
    char path[]; /* NUL-terminated */
};

/* A mapping, and how it comes back (how holds one of these or none):
 * - VMA_FROM_FILE: mapped again by path, with no pages; executable read-only private mappings
 *   of files the host does not map itself (trusted files are checked again on the way);
 * - VMA_SHARED: the host object whose handle follows the record, mapped shared;
 * - VMA_HOST_FILE: a private mapping of a host file, mapped again from the same open host file
 *   (file numbers them in order of first appearance; the handle follows the first record of
 *   each), then the process's own pages. Only files the library OS does not check take this
 *   way: a handle passes through the host, which under SGX could swap the file, and a backend
 *   that cannot tell the file's pages from the process's own sends them all;
 * - none: anonymous memory, then its non-zero pages. */
#define VMA_FROM_FILE 0x1
#define VMA_SHARED    0x2
#define VMA_HOST_FILE 0x4
enum vma_name { VMA_NAME_NONE, VMA_NAME_HEAP, VMA_NAME_STACK, VMA_NAME_STUBS, VMA_NAMES };
struct ckpt_vma {
    uint64_t start, end, offset;
    int32_t prot, flags;
    uint32_t how, name;
    uint32_t file, zero;
    char path[];
};

#define STUB_PAGES_NAME "[kernite-stubs]"

/* ---- Writing ------------------------------------------------------------------------------ */

/* Bytes on their way to the child, or (channel NULL) kept in a growing buffer for later. */
struct writer {
    pal_handle_t* channel;
    uint8_t* buf;
    size_t len, cap;
    uint64_t sent, pages; /* bytes and pages of the stream, for the debug log */
    int error;
};

static void writer_flush(struct writer* w) {
    if (!w->channel)
        return;
    if (!w->error && w->len)
        w->error = channel_write_all(w->channel, w->buf, w->len);
    w->sent += w->len;
    w->len = 0;
}

static void memory_put(struct writer* w, const void* data, size_t size) {
    if (w->len + size > w->cap) {
        size_t cap = w->cap ? w->cap : 64 << 10;
        while (cap < w->len + size)
            cap *= 2;
        uint8_t* buf = realloc(w->buf, cap);
        if (!buf) {
            w->error = -ENOMEM;
            return;
        }
        w->buf = buf;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, size);
    w->len += size;
}

static void writer_put(struct writer* w, const void* data, size_t size) {
    if (w->error)
        return;
    if (!w->channel) {
        memory_put(w, data, size);
        return;
    }
    if (size >= w->cap) {
        writer_flush(w);
        if (!w->error)
            w->error = channel_write_all(w->channel, data, size);
        w->sent += size;
        return;
    }
    if (w->len + size > w->cap)
        writer_flush(w);
    memcpy(w->buf + w->len, data, size);
    w->len += size;
}

static void writer_record(struct writer* w, uint32_t type, const void* data, size_t size) {
    struct record_head head = {type, 0, size};
    writer_put(w, &head, sizeof(head));
    writer_put(w, data, size);
}

/* A variable-size record: fixed part then a NUL-terminated string. */
static void writer_record_path(struct writer* w, uint32_t type, const void* fixed, size_t size,
                               const char* path) {
    size_t plen = strlen(path) + 1;
    struct record_head head = {type, 0, size + plen};
    writer_put(w, &head, sizeof(head));
    writer_put(w, fixed, size);
    writer_put(w, path, plen);
}

static void write_process(struct writer* w, int child_pid) {
    struct ckpt_process p;

    memset(&p, 0, sizeof(p));
    p.pid = child_pid;
    p.ppid = g_process.pid;
    p.pgid = g_process.pgid;
    p.sid = g_process.sid;
    p.uid = g_process.uid;
    p.gid = g_process.gid;
    p.euid = g_process.euid;
    p.egid = g_process.egid;
    p.umask = g_process.umask;
    p.log_level = log_current_level;
    mm_brk_get(&p.brk_start, &p.brk_current);
    spinlock_lock(&g_process.lock);
    memcpy(p.sigactions, g_process.sigactions, sizeof(p.sigactions));
    spinlock_unlock(&g_process.lock);
    memcpy(p.rlimits, g_process.rlimits, sizeof(p.rlimits));
    writer_record(w, RECORD_PROCESS, &p, sizeof(p));
}

struct fd_walk {
    struct writer* w;
    struct libos_file* seen[256];
    int seen_fd[256];
    size_t seen_count;
};

static void write_one_fd(int fd, struct libos_file* file, bool cloexec, void* arg) {
    struct fd_walk* walk = arg;
    struct writer* w = walk->w;
    struct ckpt_fd rec = {.fd = fd, .same_as = -1, .flags = file->flags, .type = file->type,
                          .cloexec = cloexec, .offset = file->offset};

    for (size_t i = 0; i < walk->seen_count; i++) {
        if (walk->seen[i] == file)
            rec.same_as = walk->seen_fd[i];
    }
    if (rec.same_as < 0 && walk->seen_count < sizeof(walk->seen) / sizeof(walk->seen[0])) {
        walk->seen[walk->seen_count] = file;
        walk->seen_fd[walk->seen_count++] = fd;
    }
    if (rec.same_as < 0 && file->handle)
        rec.how = FD_HAS_HANDLE;
    writer_record_path(w, RECORD_FD, &rec, sizeof(rec), vfs_file_path(file));
    if (rec.how & FD_HAS_HANDLE) {
        writer_flush(w);
        if (!w->error)
            w->error = pal_stream_send_handles(w->channel, &file->handle, 1);
    }
}

static bool page_is_zero(const uint8_t* page) {
    const uint64_t* words = (const uint64_t*)page;
    for (size_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++) {
        if (words[i])
            return false;
    }
    return true;
}

#define PAGES_PER_RUN 256

/* Which of count pages from chunk the child needs. The host tells pages never touched (left
 * out unread: reading them would fault each one in only to find zeros or the file's bytes) and
 * a mapped file's own unmodified pages (the child maps the file) from the process's own. In
 * anonymous memory zero pages stay out too, as the child's starts zeroed; in a file mapping a
 * page the process zeroed must go, or the child would see the file's bytes there. */
static void pages_needed(uint64_t chunk, size_t count, bool from_file, bool* need) {
    uint8_t kinds[PAGES_PER_RUN];

    if (pal_mem_page_kinds((const void*)chunk, count, kinds) < 0)
        memset(kinds, PAL_PAGE_OWN, count);
    for (size_t i = 0; i < count; i++) {
        const uint8_t* page = (const uint8_t*)chunk + i * PAGE_SIZE;
        if (from_file)
            need[i] = kinds[i] == PAL_PAGE_OWN;
        else
            need[i] = kinds[i] != PAL_PAGE_UNTOUCHED && !page_is_zero(page);
    }
}

/* The pages of [start, end) the child needs, in runs of at most PAGES_PER_RUN pages each. */
static void write_pages(struct writer* w, uint64_t start, uint64_t end, bool from_file) {
    bool need[PAGES_PER_RUN];
    uint64_t chunk = start;

    while (chunk < end && !w->error) {
        size_t count = (end - chunk) / PAGE_SIZE;
        count = count < PAGES_PER_RUN ? count : PAGES_PER_RUN;
        pages_needed(chunk, count, from_file, need);

        size_t i = 0;
        while (i < count && !w->error) {
            while (i < count && !need[i])
                i++;
            size_t first = i;
            while (i < count && need[i])
                i++;
            if (i == first)
                continue;
            uint64_t addr = chunk + first * PAGE_SIZE;
            struct record_head head = {RECORD_PAGES, 0, 8 + (i - first) * PAGE_SIZE};
            writer_put(w, &head, sizeof(head));
            writer_put(w, &addr, sizeof(addr));
            writer_put(w, (const void*)addr, (i - first) * PAGE_SIZE);
            w->pages += i - first;
        }
        chunk += count * PAGE_SIZE;
    }
}

static uint32_t vma_how(const struct mm_region* r) {
    if (!r->file)
        return 0;
    if (r->flags & MAP_SHARED)
        return shm_file_maps_shared(r->file) ? VMA_SHARED : 0;
    if (chroot_file_maps_host(r->file))
        return VMA_HOST_FILE;
    return (r->prot & PROT_EXEC) && !(r->prot & PROT_WRITE) ? VMA_FROM_FILE : 0;
}

static uint32_t vma_name_code(const char* name) {
    if (!name)
        return VMA_NAME_NONE;
    if (!strcmp(name, "[heap]"))
        return VMA_NAME_HEAP;
    if (!strcmp(name, "[stack]"))
        return VMA_NAME_STACK;
    return !strcmp(name, STUB_PAGES_NAME) ? VMA_NAME_STUBS : VMA_NAME_NONE;
}

/* The pages of a mapping, taken ahead of the rest under the rewrite lock. */
struct taken_pages {
    bool taken;
    struct writer pages;
};

/* Code of private file mappings and the stub pages that rewritten sites jump to are taken
 * together with the rewriting table (rewrite_export) while the rewrite lock keeps every patch
 * out, so the child gets sites, stubs and table as of one moment. The rest of memory follows
 * later, read in place. */
static int take_code_pages(const struct mm_region* regions, const char** names, size_t count,
                           struct taken_pages* taken) {
    for (size_t i = 0; i < count; i++) {
        const struct mm_region* r = &regions[i];
        uint32_t how = vma_how(r);
        bool code = how == VMA_HOST_FILE && (r->prot & PROT_EXEC);
        bool stubs = !how && vma_name_code(names[i]) == VMA_NAME_STUBS;

        if (!(code || stubs) || !(r->prot & PROT_READ))
            continue;
        taken[i].taken = true;
        write_pages(&taken[i].pages, r->start, r->end, code);
        if (taken[i].pages.error)
            return taken[i].pages.error;
    }
    return 0;
}

/* Host files of VMA_HOST_FILE mappings already sent, by number. */
struct sent_files {
    struct libos_file** files;
    size_t count, cap;
};

static int sent_file_number(struct sent_files* sent, struct libos_file* file, uint32_t* number,
                            bool* is_new) {
    for (size_t i = 0; i < sent->count; i++) {
        if (sent->files[i] == file) {
            *number = (uint32_t)i;
            *is_new = false;
            return 0;
        }
    }
    if (sent->count == sent->cap) {
        size_t cap = sent->cap ? sent->cap * 2 : 16;
        struct libos_file** files = realloc(sent->files, cap * sizeof(*files));
        if (!files)
            return -ENOMEM;
        sent->files = files;
        sent->cap = cap;
    }
    *number = (uint32_t)sent->count;
    *is_new = true;
    sent->files[sent->count++] = file;
    return 0;
}

static void write_vma(struct writer* w, const struct mm_region* r, const char* name,
                      struct taken_pages* taken, struct sent_files* sent) {
    struct ckpt_vma rec = {
        r->start, r->end, r->offset, r->prot, r->flags, vma_how(r), vma_name_code(name), 0, 0};
    const char* path = r->file ? vfs_file_path(r->file) : "";
    bool new_file = false;
    pal_handle_t* handle = NULL;

    if (rec.how == VMA_HOST_FILE) {
        w->error = sent_file_number(sent, r->file, &rec.file, &new_file);
        if (w->error)
            return;
    }
    writer_record_path(w, RECORD_VMA, &rec, sizeof(rec), path);
    if (rec.how == VMA_SHARED || new_file)
        handle = r->file->handle;
    if (handle) {
        writer_flush(w);
        if (!w->error)
            w->error = pal_stream_send_handles(w->channel, &handle, 1);
    }
    if (taken->taken) {
        writer_put(w, taken->pages.buf, taken->pages.len);
        w->pages += taken->pages.pages;
    } else if ((!rec.how || rec.how == VMA_HOST_FILE) && (r->prot & PROT_READ)) {
        write_pages(w, r->start, r->end, rec.how == VMA_HOST_FILE);
    }
}

static void write_vmas(struct writer* w) {
    struct mm_region* regions;
    const char** names;
    size_t count;
    struct taken_pages* taken = NULL;
    struct sent_files sent = {NULL, 0, 0};
    uint8_t* rewriting = NULL;
    size_t rewriting_size = 0;

    rewrite_lock();
    int ret = mm_snapshot(&regions, &names, &count);
    if (ret == 0) {
        taken = calloc(count ? count : 1, sizeof(*taken));
        ret = taken ? take_code_pages(regions, names, count, taken) : -ENOMEM;
        if (ret == 0)
            ret = rewrite_export(&rewriting, &rewriting_size);
    } else {
        count = 0;
        regions = NULL;
    }
    rewrite_unlock();

    if (ret < 0 && !w->error)
        w->error = ret;
    for (size_t i = 0; i < count && !w->error; i++)
        write_vma(w, &regions[i], names[i], &taken[i], &sent);
    if (rewriting)
        writer_record(w, RECORD_REWRITE, rewriting, rewriting_size);
    free(rewriting);
    for (size_t i = 0; taken && i < count; i++)
        free(taken[i].pages.buf);
    free(taken);
    free(sent.files);
    if (regions)
        mm_snapshot_free(regions, names, count);
}

static void write_thread(struct writer* w, const struct pal_context* ctx, uint64_t fs_base) {
    struct libos_thread* self = libos_current();
    size_t fp_size = ctx->fpstate ? fpstate_size(ctx->fpstate) : 0;
    size_t size = sizeof(struct ckpt_thread) + fp_size;
    struct ckpt_thread* t = calloc(1, size);

    if (!t) {
        w->error = -ENOMEM;
        return;
    }
    t->ctx = *ctx;
    t->ctx.fpstate = NULL;
    memset(t->ctx.reserved, 0, sizeof(t->ctx.reserved));
    t->fs_base = fs_base;
    t->sigmask = self->sigmask;
    t->altstack_sp = self->altstack_sp;
    t->altstack_size = self->altstack_size;
    t->altstack_flags = self->altstack_flags;
    t->fpstate_size = (uint32_t)fp_size;
    if (fp_size)
        memcpy(t->fpstate, ctx->fpstate, fp_size);
    writer_record(w, RECORD_THREAD, t, size);
    free(t);
}

int checkpoint_write(pal_handle_t* channel, int child_pid, const struct pal_context* ctx,
                     uint64_t fs_base) {
    struct writer w = {.channel = channel, .cap = 256 << 10};
    struct fd_walk walk = {.w = &w};
    char header[16] = CKPT_MAGIC;
    uint32_t version = CKPT_VERSION;
    const struct manifest* m = g_process.manifest;

    w.buf = malloc(w.cap);
    if (!w.buf)
        return -ENOMEM;
    memcpy(header + 8, &version, sizeof(version));
    writer_put(&w, header, sizeof(header));
    size_t name_len = strlen(m->file) + 1;
    struct record_head mhead = {RECORD_MANIFEST, 0, name_len + g_manifest_size};
    writer_put(&w, &mhead, sizeof(mhead));
    writer_put(&w, m->file, name_len);
    writer_put(&w, g_manifest_text, g_manifest_size);
    write_process(&w, child_pid);
    char* cwd = vfs_cwd_get();
    writer_record_path(&w, RECORD_CWD, NULL, 0, cwd ? cwd : "/");
    free(cwd);
    struct record_head lhead = {RECORD_LEADER, 0, 0};
    writer_put(&w, &lhead, sizeof(lhead));
    writer_flush(&w);
    if (!w.error)
        w.error = pal_stream_send_handles(channel, &g_leader_channel, 1);
    encrypted_checkpoint_write(&w, RECORD_KEYS, writer_record);
    fd_for_each(write_one_fd, &walk);
    write_vmas(&w);
    write_thread(&w, ctx, fs_base);
    writer_record(&w, RECORD_END, NULL, 0);
    writer_flush(&w);
    free(w.buf);
    if (!w.error)
        log_debug("fork: checkpoint for child %d: %lu bytes, %lu pages of memory", child_pid,
                  w.sent, w.pages);
    return w.error;
}

/* ---- Reading ------------------------------------------------------------------------------ */

static int corrupt(const char* what) {
    log_error("fork: corrupt checkpoint stream: %s", what);
    return -EPROTO;
}

/* Reads the next record head and its payload into a fresh buffer. */
static int read_record(pal_handle_t* ch, struct record_head* head, uint8_t** payload) {
    int ret = channel_read_all(ch, head, sizeof(*head));

    *payload = NULL;
    if (ret < 0)
        return ret == -ENODATA ? corrupt("truncated") : ret;
    if (head->type == 0 || head->type >= RECORD_TYPES || head->zero)
        return corrupt("unknown record type");
    if (head->length > g_record_max[head->type])
        return corrupt("record longer than its type allows");
    if (head->type == RECORD_PAGES)
        return 0; /* read in place by restore_pages */
    *payload = malloc(head->length + 1);
    if (!*payload)
        return -ENOMEM;
    ret = channel_read_all(ch, *payload, head->length);
    if (ret < 0) {
        free(*payload);
        *payload = NULL;
        return ret == -ENODATA ? corrupt("truncated") : ret;
    }
    (*payload)[head->length] = '\0';
    return 0;
}

/* The variable part of a record must be one NUL-terminated string filling it. */
static const char* record_path(const uint8_t* payload, uint64_t length, size_t fixed) {
    if (length <= fixed || payload[length - 1] != '\0' ||
        strlen((const char*)payload + fixed) != length - fixed - 1)
        return NULL;
    return (const char*)payload + fixed;
}

static int restore_manifest(const uint8_t* payload, uint64_t length) {
    struct manifest* m = NULL;
    char err[512];
    const char* name = (const char*)payload;
    size_t name_len = strnlen(name, length);

    if (name_len >= length)
        return corrupt("manifest record without a name");
    g_manifest_text = (const char*)payload + name_len + 1;
    g_manifest_size = length - name_len - 1;
    int ret = manifest_parse(g_manifest_text, g_manifest_size, name, &m, err, sizeof(err));
    if (ret < 0) {
        log_error("fork: %s", err);
        return ret;
    }
    g_process.manifest = m;
    g_process.max_threads = m->max_threads;
    mm_set_limit(m->enclave_size);
    return mm_init();
}

static int restore_process(const uint8_t* payload, uint64_t length) {
    struct ckpt_process p;

    if (length != sizeof(p))
        return corrupt("process record size");
    memcpy(&p, payload, sizeof(p));
    if (p.pid < 2 || p.log_level < 0)
        return corrupt("process ids");
    log_current_level = p.log_level;
    /* What is logged from here on goes where the parent's messages go (loader.log_file). */
    if (g_process.manifest && libos_open_log_file(g_process.manifest) < 0)
        return -EIO;
    g_process.pid = p.pid;
    g_process.ppid = p.ppid;
    g_process.pgid = p.pgid;
    g_process.sid = p.sid;
    g_process.uid = p.uid;
    g_process.gid = p.gid;
    g_process.euid = p.euid;
    g_process.egid = p.egid;
    g_process.umask = p.umask & 0777;
    memcpy(g_process.sigactions, p.sigactions, sizeof(p.sigactions));
    int ret = thread_init_main();
    if (ret < 0)
        return ret;
    /* thread_init_main sets defaults (a new group and session); the parent's replace them. */
    g_process.pgid = p.pgid;
    g_process.sid = p.sid;
    memcpy(g_process.rlimits, p.rlimits, sizeof(p.rlimits));
    mm_brk_restore(p.brk_start, p.brk_current);
    return 0;
}

/* vfs_init opened the host's stdio as 0, 1, 2; the parent's table replaces it. */
static void fd_table_clear(void) {
    for (int fd = 0; fd < 3; fd++)
        fd_close(fd);
}

/* An fd of the parent's table as the child took it: file is NULL when it was not reopened. */
struct restored_fd {
    int fd;
    struct libos_file* file;
};

static int restored_fd_remember(struct restored_fd* done, size_t* done_count, size_t done_cap,
                                int fd, struct libos_file* file) {
    if (*done_count >= done_cap)
        return -1;
    done[*done_count].fd = fd;
    done[(*done_count)++].file = file;
    return 0;
}

static int restore_fd(pal_handle_t* ch, const uint8_t* payload, uint64_t length,
                      struct restored_fd* done, size_t* done_count, size_t done_cap) {
    struct ckpt_fd rec;
    struct libos_file* file = NULL;
    const char* path = record_path(payload, length, sizeof(rec));
    int ret;

    if (!path)
        return corrupt("fd record");
    memcpy(&rec, payload, sizeof(rec));
    if (rec.how & FD_HAS_HANDLE) {
        pal_handle_t* h;
        ret = pal_stream_recv_handles(ch, &h, 1);
        if (ret < 0)
            return corrupt("fd handle missing");
        ret = vfs_stream_file_new(h, path, rec.flags, &file);
        if (ret < 0) {
            pal_stream_close(h);
            return ret;
        }
    } else if (rec.same_as >= 0) {
        const struct restored_fd* first = NULL;
        for (size_t i = 0; i < *done_count; i++) {
            if (done[i].fd == rec.same_as)
                first = &done[i];
        }
        if (!first)
            return corrupt("fd shares an unknown open file");
        if (!first->file) {
            /* The open file did not come back (a tmpfs file the child's tmpfs lacks). */
            log_debug("fork: fd %d ('%s') not reopened in the child, as fd %d", rec.fd, path,
                      rec.same_as);
            return 0;
        }
        file = first->file;
        vfs_file_get_ref(file);
    } else {
        ret = vfs_open(path, rec.flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0, &file);
        if (ret < 0) {
            log_debug("fork: fd %d ('%s') not reopened in the child: %s", rec.fd, path,
                      errstr(ret));
            restored_fd_remember(done, done_count, done_cap, rec.fd, NULL);
            return 0;
        }
        file->offset = rec.offset;
    }
    ret = fd_install_at(rec.fd, file, rec.cloexec);
    if (ret >= 0 && restored_fd_remember(done, done_count, done_cap, rec.fd, file) == 0)
        return 0;
    vfs_file_put(file);
    return ret < 0 ? ret : 0;
}

static const char* vma_name_of(uint32_t code) {
    static const char* const names[VMA_NAMES] = {
        [VMA_NAME_HEAP] = "[heap]",
        [VMA_NAME_STACK] = "[stack]",
        [VMA_NAME_STUBS] = STUB_PAGES_NAME,
    };
    return code < VMA_NAMES ? names[code] : NULL;
}

struct pending_vma {
    uint64_t start, end;
    int prot;
};

/* Host files of VMA_HOST_FILE mappings received so far, by number; each holds a reference. */
struct received_files {
    struct libos_file** files;
    size_t count, cap;
};

/* The host file a VMA_HOST_FILE record names: the next number brings its handle along. */
static int received_file(pal_handle_t* ch, const struct ckpt_vma* rec, const char* path,
                         struct received_files* got, struct libos_file** out) {
    struct libos_file* file;
    pal_handle_t* h;
    int ret;

    if (rec->file < got->count) {
        *out = got->files[rec->file];
        return 0;
    }
    if (rec->file > got->count)
        return corrupt("file mapping names a file not yet sent");
    if (got->count == got->cap) {
        size_t cap = got->cap ? got->cap * 2 : 16;
        struct libos_file** files = realloc(got->files, cap * sizeof(*files));
        if (!files)
            return -ENOMEM;
        got->files = files;
        got->cap = cap;
    }
    if (pal_stream_recv_handles(ch, &h, 1) < 0)
        return corrupt("file mapping without its file's handle");
    ret = chroot_file_from_handle(h, path, &file);
    if (ret < 0) {
        pal_stream_close(h);
        return ret == -EINVAL ? corrupt("file mapping of no host directory's regular file") : ret;
    }
    got->files[got->count++] = file;
    *out = file;
    return 0;
}

/* The parent's host object, mapped shared at the same place. */
static long restore_shared_vma(pal_handle_t* ch, const struct ckpt_vma* rec, const char* path) {
    struct libos_file* file;
    pal_handle_t* h;
    long ret = pal_stream_recv_handles(ch, &h, 1);

    if (ret < 0)
        return corrupt("shared mapping without its handle");
    ret = shm_object_from_handle(h, path ? path : "", (rec->flags & MAP_ANONYMOUS) != 0, &file);
    if (ret < 0) {
        pal_stream_close(h);
        return ret;
    }
    ret = mm_map(rec->start, rec->end - rec->start, rec->prot, rec->flags | MAP_FIXED, file,
                 rec->offset);
    if (ret < 0)
        log_error("fork: cannot map the shared memory of '%s' in the child: %s",
                  vfs_file_path(file), errstr((int)ret));
    vfs_file_put(file);
    return ret;
}

/* how is one kind or none, and the mapping's flags fit it. */
static bool vma_kind_valid(const struct ckpt_vma* rec, const char* path) {
    bool shared = rec->flags & MAP_SHARED;
    bool anonymous = rec->flags & MAP_ANONYMOUS;

    if (rec->how != VMA_HOST_FILE && rec->file)
        return false;
    switch (rec->how) {
        case 0:
            return true;
        case VMA_FROM_FILE:
            return !shared && path;
        case VMA_SHARED:
            return shared;
        case VMA_HOST_FILE:
            return !shared && !anonymous && (rec->flags & MAP_PRIVATE) && path;
        default:
            return false;
    }
}

static int restore_vma(pal_handle_t* ch, const uint8_t* payload, uint64_t length,
                       struct pending_vma* pending, struct received_files* files) {
    struct ckpt_vma rec;
    const char* path = record_path(payload, length, sizeof(rec));
    long ret;

    if (!path && length != sizeof(rec) + 1)
        return corrupt("mapping record");
    memcpy(&rec, payload, sizeof(rec));
    if (rec.zero)
        return corrupt("mapping record");
    if ((rec.start | rec.end) & (PAGE_SIZE - 1) || rec.end <= rec.start)
        return corrupt("mapping range");
    if (!vma_kind_valid(&rec, path))
        return corrupt("mapping kind");
    if (rec.name >= VMA_NAMES)
        return corrupt("mapping name");
    if (rec.how == VMA_HOST_FILE) {
        struct libos_file* file;
        ret = received_file(ch, &rec, path, files, &file);
        if (ret < 0)
            return (int)ret;
        /* Writable until the pages are in, as anonymous memory below. */
        ret = mm_map(rec.start, rec.end - rec.start, rec.prot | PROT_READ | PROT_WRITE,
                     rec.flags | MAP_FIXED, file, rec.offset);
        if (ret < 0)
            log_error("fork: cannot map '%s' again in the child: %s", vfs_file_path(file),
                      errstr((int)ret));
        else
            *pending = (struct pending_vma){rec.start, rec.end, rec.prot};
    } else if (rec.how & VMA_SHARED) {
        ret = restore_shared_vma(ch, &rec, path);
        pending->start = pending->end = 0;
    } else if (rec.how & VMA_FROM_FILE) {
        struct libos_file* file;
        ret = vfs_open(path ? path : "", O_RDONLY, 0, &file);
        if (ret < 0) {
            log_error("fork: cannot map '%s' again in the child: %s", path, errstr((int)ret));
            return (int)ret;
        }
        ret = mm_map(rec.start, rec.end - rec.start, rec.prot, rec.flags | MAP_FIXED, file,
                     rec.offset);
        vfs_file_put(file);
        pending->start = pending->end = 0;
    } else {
        /* Writable until the pages are in; restore_finish_vma puts the real protection. */
        ret = mm_map(rec.start, rec.end - rec.start, rec.prot | PROT_READ | PROT_WRITE,
                     (rec.flags & ~MAP_SHARED) | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL,
                     0);
        *pending = (struct pending_vma){rec.start, rec.end, rec.prot};
    }
    if (ret < 0)
        return (int)ret;
    if (vma_name_of(rec.name))
        mm_set_name(rec.start, rec.end, vma_name_of(rec.name));
    return 0;
}

static int restore_pages(pal_handle_t* ch, uint64_t length, const struct pending_vma* vma) {
    uint64_t addr;
    int ret;

    if (length < 8 + PAGE_SIZE || (length - 8) % PAGE_SIZE)
        return corrupt("page run size");
    ret = channel_read_all(ch, &addr, sizeof(addr));
    if (ret < 0)
        return corrupt("truncated");
    uint64_t size = length - 8;
    if ((addr & (PAGE_SIZE - 1)) || addr < vma->start || addr + size > vma->end ||
        addr + size < addr)
        return corrupt("pages outside their mapping");
    ret = channel_read_all(ch, (void*)addr, size);
    return ret < 0 ? corrupt("truncated") : 0;
}

static void restore_finish_vma(struct pending_vma* vma) {
    if (vma->end > vma->start) {
        int prot = vma->prot;
        if (prot != (prot | PROT_READ | PROT_WRITE))
            mm_protect(vma->start, vma->end - vma->start, prot);
    }
    vma->start = vma->end = 0;
}

static int restore_thread(const uint8_t* payload, uint64_t length, struct pal_context* ctx,
                          uint64_t* fs_base) {
    struct ckpt_thread t;
    struct libos_thread* self = libos_current();

    if (length < sizeof(t))
        return corrupt("thread record size");
    memcpy(&t, payload, sizeof(t));
    if (length != sizeof(t) + t.fpstate_size)
        return corrupt("thread record size");
    *ctx = t.ctx;
    ctx->fpstate = NULL;
    /* The FPU state travels as the parent's XSAVE image; the child starts with it. */
    if (t.fpstate_size) {
        if (t.fpstate_size < 512 || fpstate_size(payload + sizeof(t)) != t.fpstate_size)
            return corrupt("FPU state");
        uint8_t* image = malloc(t.fpstate_size + 63);
        if (!image)
            return -ENOMEM;
        ctx->fpstate = (void*)(((uintptr_t)image + 63) & ~(uintptr_t)63);
        memcpy(ctx->fpstate, payload + sizeof(t), t.fpstate_size);
    }
    *fs_base = t.fs_base;
    self->sigmask = t.sigmask & ~SIG_UNBLOCKABLE;
    self->altstack_sp = t.altstack_sp;
    self->altstack_size = t.altstack_size;
    self->altstack_flags = t.altstack_flags;
    return 0;
}

int checkpoint_read(pal_handle_t* ch, struct pal_context* ctx, uint64_t* fs_base) {
    char header[16];
    uint32_t version;
    struct restored_fd* fds = calloc(1024, sizeof(*fds));
    size_t fd_count = 0;
    struct pending_vma vma = {0, 0, 0};
    struct received_files files = {NULL, 0, 0};
    bool have_thread = false, have_process = false, have_rewrite = false;
    int ret = channel_read_all(ch, header, sizeof(header));

    if (!fds)
        return -ENOMEM;
    if (ret < 0) {
        ret = corrupt("truncated header");
        goto out;
    }
    memcpy(&version, header + 8, sizeof(version));
    if (memcmp(header, CKPT_MAGIC, 8) || version != CKPT_VERSION) {
        ret = corrupt("bad magic or version");
        goto out;
    }
    for (;;) {
        struct record_head head;
        uint8_t* payload;
        ret = read_record(ch, &head, &payload);
        if (ret < 0)
            goto out;
        bool needs_process = head.type != RECORD_MANIFEST && head.type != RECORD_PROCESS;
        if ((head.type == RECORD_PROCESS && !g_process.manifest) ||
            (needs_process && !have_process) ||
            (have_rewrite && (head.type == RECORD_VMA || head.type == RECORD_PAGES))) {
            free(payload);
            ret = corrupt("records out of order");
            goto out;
        }
        if (head.type != RECORD_PAGES)
            restore_finish_vma(&vma);
        switch (head.type) {
            case RECORD_MANIFEST:
                ret = g_process.manifest ? corrupt("second manifest")
                                         : restore_manifest(payload, head.length);
                payload = NULL; /* the manifest text stays in use */
                break;
            case RECORD_PROCESS:
                ret = have_process ? corrupt("second process record")
                                   : restore_process(payload, head.length);
                if (ret == 0) {
                    have_process = true;
                    ret = vfs_init(g_process.manifest);
                    fd_table_clear();
                }
                break;
            case RECORD_CWD:
                ret = record_path(payload, head.length, 0) ? vfs_cwd_set((char*)payload)
                                                            : corrupt("cwd record");
                break;
            case RECORD_LEADER:
                ret = pal_stream_recv_handles(ch, &g_leader_channel, 1);
                if (ret < 0)
                    ret = corrupt("leader handle missing");
                break;
            case RECORD_KEYS:
                ret = encrypted_checkpoint_restore(payload, head.length);
                break;
            case RECORD_FD:
                ret = restore_fd(ch, payload, head.length, fds, &fd_count, 1024);
                break;
            case RECORD_VMA:
                ret = restore_vma(ch, payload, head.length, &vma, &files);
                break;
            case RECORD_REWRITE:
                if (have_rewrite) {
                    ret = corrupt("second rewriting record");
                    break;
                }
                have_rewrite = true;
                ret = rewrite_import(payload, head.length);
                if (ret == -EPROTO)
                    ret = corrupt("rewriting state that does not fit the memory");
                break;
            case RECORD_PAGES:
                ret = vma.end ? restore_pages(ch, head.length, &vma)
                              : corrupt("pages without a mapping");
                break;
            case RECORD_THREAD:
                ret = restore_thread(payload, head.length, ctx, fs_base);
                have_thread = ret == 0;
                break;
            case RECORD_END:
                free(payload);
                ret = have_thread ? 0 : corrupt("no thread state");
                goto out;
        }
        free(payload);
        if (ret < 0)
            goto out;
    }
out:
    for (size_t i = 0; i < fd_count; i++) {
        if (fds[i].file)
            vfs_file_put(fds[i].file);
    }
    free(fds);
    for (size_t i = 0; i < files.count; i++)
        vfs_file_put(files.files[i]);
    free(files.files);
    return ret;
}
