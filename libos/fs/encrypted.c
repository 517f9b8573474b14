/* Encrypted mounts (type "encrypted"): host directories whose regular files are protected files,
 * encrypted and integrity-checked in the library OS under a key of the key store.
 *
 * What the host sees and may do is in docs/protected-files.md. In short: file names, directory
 * structure, sizes rounded to 4 KiB nodes and access patterns are visible (names are not
 * encrypted); contents are not, and any change to them is refused with EACCES when read.
 *
 * Each file open in the process has one node (shared by every open file description of it)
 * holding the protected-files handle, its host file and its journal. A protected file may have
 * one writer at a time across processes: a forked child reopens its parent's files under the
 * same key, and if both then write, the last flush wins and the other's nodes fail
 * authentication (refused, never returned wrong). The journal of NAME is the host file
 * NAME.kernite-journal, made only while a flush needs it, removed when the file is closed, and
 * hidden from the app. */
#include "crypto.h"
#include "manifest.h"
#include "pf.h"
#include "protected.h"

#define JOURNAL_SUFFIX ".kernite-journal"
#define ENC_MOUNTS_MAX 16

/* ---- A sleeping lock: protected-file operations do host I/O while they hold it ----------- */

struct enc_mutex {
    uint32_t word; /* 0 free, 1 held, 2 held with waiters */
};

static void mutex_lock(struct enc_mutex* m) {
    uint32_t c = 0;

    if (__atomic_compare_exchange_n(&m->word, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    if (c != 2)
        c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        pal_futex_wait(&m->word, 2, -1, FUTEX_BITSET_MATCH_ANY);
        c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
    }
}

static void mutex_unlock(struct enc_mutex* m) {
    if (__atomic_fetch_sub(&m->word, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(&m->word, 0, __ATOMIC_RELEASE);
        pal_futex_wake(&m->word, 1, FUTEX_BITSET_MATCH_ANY);
    }
}

/* ---- Mount and node state ------------------------------------------------------------------ */

struct enc_node;

/* One host file under a node: the protected file itself or its journal. */
struct enc_host {
    struct enc_node* node;
    pal_handle_t* h; /* the journal's is opened when first needed */
    char* path;
    bool is_journal;
    bool detached; /* journal of an unlinked file: it can no longer be recovered, so not kept */
};

struct enc_mount {
    struct vfs_mount* vfs;
    char* host_root;       /* no trailing slash; "" for the host root */
    const char* key_name;  /* points into the manifest */
    struct enc_mutex lock; /* guards nodes and every node's rel and refcount */
    struct enc_node* nodes;
    bool key_warned;
};

struct enc_node {
    struct enc_mount* em;
    struct enc_node* next;
    int refcount;
    char* rel;             /* NULL once unlinked or renamed over */
    struct enc_mutex lock; /* guards everything below */
    struct enc_host file, journal;
    struct pf_file* pf;
    bool writable;
    bool durable; /* set while fsync flushes: the host flushes become fsyncs */
};

static struct enc_mount* g_enc_mounts[ENC_MOUNTS_MAX];
static size_t g_enc_mount_count;

static bool is_journal_name(const char* name) {
    size_t len = strlen(name), slen = sizeof(JOURNAL_SUFFIX) - 1;

    return len >= slen && strcmp(name + len - slen, JOURNAL_SUFFIX) == 0;
}

static char* join(const char* a, const char* b, const char* c) {
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char* s = malloc(la + lb + lc + 1);

    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

static char* host_path_of(struct enc_mount* em, const char* rel) {
    if (!em->host_root[0] && !rel[0])
        return strdup("/");
    return join(em->host_root, rel, "");
}

/* The guest path a file is bound to: the mount point and rel. */
static char* bound_path_of(struct enc_mount* em, const char* rel) {
    return join(em->vfs->path_len ? em->vfs->path : "", rel, "");
}

/* ---- Host storage for common/pf -------------------------------------------------------- */

/* Opens the journal if it exists (create false) or makes it; a missing one reads as empty. */
static int journal_ensure(struct enc_host* eh, bool create) {
    int flags = O_RDWR | (create ? O_CREAT : 0);
    int ret;

    if (eh->h || eh->detached)
        return 0;
    ret = pal_file_open(eh->path, flags, 0600, &eh->h);
    return ret == -ENOENT && !create ? 0 : ret;
}

static int host_read(void* file, uint64_t offset, void* buf, size_t size) {
    struct enc_host* eh = file;
    uint8_t* p = buf;

    if (!eh->h)
        return -EIO;
    while (size) {
        long n = pal_stream_read(eh->h, p, size, (int64_t)offset);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? (int)n : -EIO;
        p += n;
        offset += (uint64_t)n;
        size -= (size_t)n;
    }
    return 0;
}

static int host_write(void* file, uint64_t offset, const void* buf, size_t size) {
    struct enc_host* eh = file;
    const uint8_t* p = buf;
    int ret = eh->is_journal ? journal_ensure(eh, /*create=*/true) : 0;

    if (ret < 0)
        return ret;
    if (!eh->h)
        return 0; /* detached journal: nothing to recover, nothing to keep */
    while (size) {
        long n = pal_stream_write(eh->h, p, size, (int64_t)offset);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? (int)n : -EIO;
        p += n;
        offset += (uint64_t)n;
        size -= (size_t)n;
    }
    return 0;
}

static int host_truncate(void* file, uint64_t size) {
    struct enc_host* eh = file;

    return eh->h ? pal_stream_truncate(eh->h, size) : 0;
}

/* Writes reach the host OS when pal_stream_write returns, which is all a process crash needs;
 * only an fsync of the app makes each flush step durable against power loss. */
static int host_flush(void* file) {
    struct enc_host* eh = file;

    return eh->h && eh->node->durable ? pal_stream_flush(eh->h) : 0;
}

static int host_get_size(void* file, uint64_t* size) {
    struct enc_host* eh = file;
    struct pal_stat st;
    int ret = eh->is_journal ? journal_ensure(eh, /*create=*/false) : 0;

    if (ret < 0)
        return ret;
    *size = 0;
    if (!eh->h)
        return 0;
    ret = pal_stream_stat(eh->h, &st);
    if (ret == 0)
        *size = (uint64_t)st.size;
    return ret;
}

static const struct pf_host_ops g_host_ops = {
    .read = host_read,
    .write = host_write,
    .truncate = host_truncate,
    .flush = host_flush,
    .get_size = host_get_size,
};

/* ---- Nodes ----------------------------------------------------------------------------- */

static void node_free(struct enc_node* node) {
    if (node->file.h)
        pal_stream_close(node->file.h);
    if (node->journal.h)
        pal_stream_close(node->journal.h);
    free(node->file.path);
    free(node->journal.path);
    free(node->rel);
    free(node);
}

static int mount_key(struct enc_mount* em, uint8_t key[KEY_SIZE]) {
    int ret = keys_get(em->key_name, key);

    if (ret < 0 && !em->key_warned) {
        em->key_warned = true;
        log_error("encrypted mount '%s': key '%s' is %s", em->vfs->path, em->key_name,
                  ret == -ENOKEY ? "not set (write it to /dev/attestation/keys/NAME)" : "unknown");
    }
    return ret < 0 ? -EACCES : 0;
}

/* Opens the host files and the protected file behind rel; em->lock is held. */
static int node_open(struct enc_mount* em, const char* rel, bool create, uint32_t mode,
                     struct enc_node** out) {
    struct enc_node* node = calloc(1, sizeof(*node));
    struct pf_host host = {&g_host_ops, NULL, NULL};
    uint8_t key[KEY_SIZE];
    char* bound = NULL;
    bool created = false;
    uint64_t fs;
    int ret;

    if (!node)
        return -ENOMEM;
    node->em = em;
    node->refcount = 1;
    node->file = (struct enc_host){node, NULL, host_path_of(em, rel), false, false};
    node->journal = (struct enc_host){node, NULL, NULL, true, false};
    node->rel = strdup(rel);
    bound = bound_path_of(em, rel);
    if (!node->file.path || !node->rel || !bound) {
        ret = -ENOMEM;
        goto out;
    }
    node->journal.path = join(node->file.path, JOURNAL_SUFFIX, "");
    if (!node->journal.path) {
        ret = -ENOMEM;
        goto out;
    }
    ret = mount_key(em, key);
    if (ret < 0)
        goto out;

    node->writable = true;
    if (create) {
        ret = pal_file_open(node->file.path, O_RDWR | O_CREAT | O_EXCL, (int)mode, &node->file.h);
        created = ret == 0;
    } else {
        ret = pal_file_open(node->file.path, O_RDWR, 0, &node->file.h);
        if (ret == -EACCES || ret == -EROFS) {
            node->writable = false;
            ret = pal_file_open(node->file.path, O_RDONLY, 0, &node->file.h);
        }
    }
    if (ret < 0)
        goto out;

    host.file = &node->file;
    host.journal = &node->journal;
    fs = crypto_enter();
    ret = pf_open(&host, bound, key,
                  create           ? PF_MODE_CREATE
                  : node->writable ? PF_MODE_WRITE
                                   : PF_MODE_READ,
                  &node->pf);
    crypto_leave(fs);
    if (ret < 0)
        log_error("protected file '%s': %s", bound, pf_strerror(ret));
out:
    crypto_wipe(key, sizeof(key));
    if (ret < 0) {
        if (created)
            pal_path_unlink(node->file.path);
        node_free(node);
    } else {
        *out = node;
    }
    free(bound);
    return ret;
}

static struct enc_node* node_find(struct enc_mount* em, const char* rel) {
    for (struct enc_node* n = em->nodes; n; n = n->next) {
        if (n->rel && strcmp(n->rel, rel) == 0)
            return n;
    }
    return NULL;
}

/* The node of rel, opened if no one has it open; with create, a missing file is made. *created
 * tells which happened. A new reference either way. */
static int node_get(struct enc_mount* em, const char* rel, bool create, uint32_t mode,
                    struct enc_node** out, bool* created) {
    struct enc_node* node;
    int ret = 0;

    mutex_lock(&em->lock);
    node = node_find(em, rel);
    if (node) {
        node->refcount++;
        *created = false;
        goto out;
    }
    ret = create ? node_open(em, rel, /*create=*/true, mode, &node) : -ENOENT;
    *created = ret == 0;
    if (ret == -EEXIST || ret == -ENOENT)
        ret = node_open(em, rel, /*create=*/false, 0, &node);
    if (ret < 0)
        goto out;
    node->next = em->nodes;
    em->nodes = node;
out:
    mutex_unlock(&em->lock);
    if (ret == 0)
        *out = node;
    return ret;
}

/* Drops the node from the table so the name can be made anew; em->lock is held. Its journal
 * goes at once: the file it protects has no name left to be recovered under. */
static void node_detach(struct enc_node* node) {
    struct enc_mount* em = node->em;

    for (struct enc_node** p = &em->nodes; *p; p = &(*p)->next) {
        if (*p == node) {
            *p = node->next;
            break;
        }
    }
    node->next = NULL;
    free(node->rel);
    node->rel = NULL;
    mutex_lock(&node->lock);
    if (node->journal.h)
        pal_path_unlink(node->journal.path);
    node->journal.detached = true;
    mutex_unlock(&node->lock);
}

/* Closes the protected file (flushing it) and removes an empty journal. */
static int node_close(struct enc_node* node) {
    uint64_t fs = crypto_enter();
    int ret = pf_close(node->pf);
    uint64_t size = 1;

    crypto_leave(fs);
    if (ret < 0)
        log_error("protected file '%s': closing: %s", node->file.path, pf_strerror(ret));
    if (node->journal.h && !node->journal.detached && host_get_size(&node->journal, &size) == 0 &&
        size == 0)
        pal_path_unlink(node->journal.path);
    return ret;
}

static int node_put(struct enc_node* node) {
    struct enc_mount* em = node->em;
    bool last;
    int ret = 0;

    mutex_lock(&em->lock);
    last = --node->refcount == 0;
    if (last && node->rel) {
        for (struct enc_node** p = &em->nodes; *p; p = &(*p)->next) {
            if (*p == node) {
                *p = node->next;
                break;
            }
        }
    }
    /* Closed under the mount lock, so that an open of the same name waits for the flush. */
    if (last)
        ret = node_close(node);
    mutex_unlock(&em->lock);
    if (last)
        node_free(node);
    return ret;
}

/* Runs one pf call on the node with its lock held and the crypto guard up. */
#define NODE_CALL(node, call)                                                                      \
    ({                                                                                             \
        mutex_lock(&(node)->lock);                                                                 \
        uint64_t fs_ = crypto_enter();                                                             \
        int ret_ = (call);                                                                         \
        crypto_leave(fs_);                                                                         \
        mutex_unlock(&(node)->lock);                                                               \
        ret_;                                                                                      \
    })

static uint64_t node_size(struct enc_node* node) {
    uint64_t size = 0;

    NODE_CALL(node, pf_get_size(node->pf, &size));
    return size;
}

static void stat_from_node(struct enc_node* node, const struct pal_stat* ps,
                           struct linux_stat* st) {
    vfs_stat_from_pal(ps, st);
    st->st_size = (int64_t)node_size(node);
}

void encrypted_flush_all(void) {
    for (size_t i = 0; i < g_enc_mount_count; i++) {
        struct enc_mount* em = g_enc_mounts[i];

        mutex_lock(&em->lock);
        for (struct enc_node* n = em->nodes; n; n = n->next) {
            int ret = NODE_CALL(n, pf_flush(n->pf));
            if (ret < 0)
                log_error("protected file '%s': flush: %s", n->file.path, pf_strerror(ret));
        }
        mutex_unlock(&em->lock);
    }
}

void encrypted_checkpoint_write(struct writer* w, uint32_t type,
                                void (*put)(struct writer*, uint32_t, const void*, size_t)) {
    void* keys = NULL;
    size_t size = 0;

    encrypted_flush_all();
    if (keys_checkpoint_save(&keys, &size) < 0) {
        log_error("fork: no memory for the keys of encrypted mounts; the child has none");
        return;
    }
    put(w, type, keys, size);
    keys_checkpoint_free(keys, size);
}

int encrypted_checkpoint_restore(void* payload, size_t size) {
    return keys_checkpoint_restore(payload, size);
}

/* ---- Open files ---------------------------------------------------------------------------- */

static struct enc_node* file_node(struct libos_file* f) {
    return f->data;
}

static long enc_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    struct enc_node* node = file_node(f);
    size_t done = 0;
    int ret = NODE_CALL(node, pf_read(node->pf, offset, buf, size, &done));

    return ret < 0 ? ret : (long)done;
}

static long enc_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    struct enc_node* node = file_node(f);
    int ret;

    if (!node->writable)
        return -EBADF;
    if (offset > INT64_MAX - size)
        return -EFBIG;
    ret = NODE_CALL(node, pf_write(node->pf, offset, buf, size));
    return ret < 0 ? ret : (long)size;
}

static long enc_seek(struct libos_file* f, int64_t offset, int whence) {
    return vfs_generic_seek(f, offset, whence, node_size(file_node(f)));
}

static int enc_fstat(struct libos_file* f, struct linux_stat* st) {
    struct enc_node* node = file_node(f);
    struct pal_stat ps;
    int ret = pal_stream_stat(node->file.h, &ps);

    if (ret == 0)
        stat_from_node(node, &ps, st);
    return ret;
}

static int enc_ftruncate(struct libos_file* f, uint64_t size) {
    struct enc_node* node = file_node(f);

    if (!node->writable)
        return -EINVAL;
    if (size > INT64_MAX)
        return -EFBIG;
    return NODE_CALL(node, pf_set_size(node->pf, size));
}

/* fsync: one flush of the protected file in which every host flush is an fsync. */
static int enc_fsync(struct libos_file* f) {
    struct enc_node* node = file_node(f);
    int ret;

    mutex_lock(&node->lock);
    node->durable = true;
    uint64_t fs = crypto_enter();
    ret = pf_flush(node->pf);
    crypto_leave(fs);
    if (ret == 0)
        ret = pal_stream_flush(node->file.h);
    node->durable = false;
    mutex_unlock(&node->lock);
    return ret;
}

static int enc_fchmod(struct libos_file* f, uint32_t mode) {
    return pal_path_chmod(file_node(f)->file.path, (int)mode);
}

static int enc_futimens(struct libos_file* f, const int64_t times[4]) {
    return pal_path_utimens(file_node(f)->file.path, times, /*follow=*/false);
}

/* The app gets a copy of the plaintext. Known limit: a shared writable mapping cannot be
 * written back (nothing tells the file system about msync or munmap), so it is refused with
 * ENODEV rather than have its writes lost; a shared read-only mapping is a snapshot. */
static int enc_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                    uint64_t offset) {
    void* at = (void*)addr;
    long n;
    int ret;

    if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
        return -ENODEV;
    ret = pal_mem_map(&at, size, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_FIXED);
    if (ret < 0)
        return ret;
    n = enc_pread(f, at, size, offset);
    if (n < 0)
        return (int)n;
    return pal_mem_protect(at, size, prot);
}

static void enc_release(struct libos_file* f) {
    node_put(file_node(f));
}

static const struct vfs_file_ops enc_file_ops = {
    .read = vfs_generic_read,
    .write = vfs_generic_write,
    .pread = enc_pread,
    .pwrite = enc_pwrite,
    .seek = enc_seek,
    .stat = enc_fstat,
    .truncate = enc_ftruncate,
    .sync = enc_fsync,
    .chmod = enc_fchmod,
    .utimens = enc_futimens,
    .mmap = enc_mmap,
    .release = enc_release,
};

/* ---- Directories ----------------------------------------------------------------------- */

static long enc_dir_seek(struct libos_file* f, int64_t offset, int whence) {
    return vfs_dir_seek(f, offset, whence);
}

static int enc_dir_stat(struct libos_file* f, struct linux_stat* st) {
    struct pal_stat ps;
    int ret = pal_stream_stat(f->handle, &ps);

    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

/* Journals are not the app's files and are left out. */
static int enc_dir_list(struct libos_file* f, struct vfs_dir_list* list) {
    return vfs_host_dir_list(f->handle, list, is_journal_name);
}

static void enc_dir_release(struct libos_file* f) {
    if (f->handle)
        pal_stream_close(f->handle);
}

static const struct vfs_file_ops enc_dir_ops = {
    .seek = enc_dir_seek,
    .stat = enc_dir_stat,
    .list = enc_dir_list,
    .release = enc_dir_release,
};

/* ---- The file system -------------------------------------------------------------------- */

static const struct manifest_mount* manifest_mount_of(const char* guest_path) {
    const struct manifest* mf = g_process.manifest;

    for (size_t i = 0; mf && i < mf->mount_count; i++) {
        const struct manifest_mount* mm = &mf->mounts[i];
        char* canon = NULL;
        bool same;

        if (strcmp(mm->type, "encrypted") != 0 || vfs_path_normalize("/", mm->path, &canon) < 0)
            continue;
        same = strcmp(canon, guest_path) == 0;
        free(canon);
        if (same)
            return mm;
    }
    return NULL;
}

static int enc_mount(struct vfs_mount* m, const char* host_path) {
    const struct manifest_mount* mm = manifest_mount_of(m->path);
    struct enc_mount* em;
    struct pal_stat st;
    size_t len;
    int ret;

    if (!host_path || !host_path[0] || !mm)
        return -EINVAL;
    if (g_enc_mount_count == ENC_MOUNTS_MAX)
        return -ENOMEM;
    ret = pal_path_stat(host_path, /*follow=*/true, &st);
    if (ret < 0)
        return ret;
    /* A single host file would need a mount point that is a file; directories only. */
    if (!S_ISDIR(st.mode))
        return -ENOTDIR;
    em = calloc(1, sizeof(*em));
    if (!em)
        return -ENOMEM;
    em->host_root = strdup(host_path);
    if (!em->host_root) {
        free(em);
        return -ENOMEM;
    }
    len = strlen(em->host_root);
    while (len > 0 && em->host_root[len - 1] == '/')
        em->host_root[--len] = '\0';
    em->vfs = m;
    em->key_name = mm->key_name ? mm->key_name : "default";
    m->host_path = em->host_root;
    m->data = em;
    g_enc_mounts[g_enc_mount_count++] = em;
    return 0;
}

static struct enc_mount* mount_of(struct vfs_mount* m) {
    return m->data;
}

static bool rel_is_journal(const char* rel) {
    const char* slash = strrchr(rel, '/');

    return slash && is_journal_name(slash + 1);
}

static int enc_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st) {
    struct enc_mount* em = mount_of(m);
    struct enc_node* node;
    struct pal_stat ps;
    bool created;
    char* host;
    int ret;

    if (rel_is_journal(rel))
        return -ENOENT;
    host = host_path_of(em, rel);
    if (!host)
        return -ENOMEM;
    ret = pal_path_stat(host, /*follow=*/false, &ps);
    free(host);
    if (ret < 0)
        return ret;
    if (S_ISDIR(ps.mode)) {
        vfs_stat_from_pal(&ps, st);
        return 0;
    }
    /* Only regular files and directories live here; anything else the host put in is not
     * protected and is not shown as a file. */
    if (!S_ISREG(ps.mode))
        return -EACCES;
    ret = node_get(em, rel, /*create=*/false, 0, &node, &created);
    if (ret < 0)
        return ret;
    stat_from_node(node, &ps, st);
    node_put(node);
    return 0;
}

static int open_dir(struct enc_mount* em, const char* rel, int flags, struct libos_file** out) {
    struct libos_file* f;
    pal_handle_t* h;
    char* host = host_path_of(em, rel);
    int ret;

    if (!host)
        return -ENOMEM;
    ret = pal_file_open(host, O_RDONLY | O_DIRECTORY, 0, &h);
    free(host);
    if (ret < 0)
        return ret;
    f = vfs_file_new(&enc_dir_ops, NULL, flags, S_IFDIR);
    if (!f) {
        pal_stream_close(h);
        return -ENOMEM;
    }
    f->handle = h;
    *out = f;
    return 0;
}

static int enc_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                    struct libos_file** out) {
    struct enc_mount* em = mount_of(m);
    struct enc_node* node;
    struct libos_file* f;
    struct pal_stat ps;
    bool created = false;
    char* host;
    int ret;

    if (rel_is_journal(rel))
        return (flags & O_CREAT) ? -EACCES : -ENOENT;
    host = host_path_of(em, rel);
    if (!host)
        return -ENOMEM;
    ret = pal_path_stat(host, /*follow=*/false, &ps);
    free(host);
    if (ret == 0 && S_ISDIR(ps.mode))
        return open_dir(em, rel, flags, out);
    if (ret == 0 && !S_ISREG(ps.mode))
        return -EACCES;
    if (ret < 0 && (ret != -ENOENT || !(flags & O_CREAT)))
        return ret;

    ret = node_get(em, rel, /*create=*/ret == -ENOENT, mode, &node, &created);
    if (ret < 0)
        return ret;
    if ((flags & O_ACCMODE) != O_RDONLY && !node->writable) {
        node_put(node);
        return -EACCES;
    }
    if ((flags & O_TRUNC) && !created && (flags & O_ACCMODE) != O_RDONLY) {
        ret = NODE_CALL(node, pf_set_size(node->pf, 0));
        if (ret < 0) {
            node_put(node);
            return ret;
        }
    }
    f = vfs_file_new(&enc_file_ops, NULL, flags, S_IFREG);
    if (!f) {
        node_put(node);
        return -ENOMEM;
    }
    f->data = node;
    *out = f;
    return 0;
}

#define ENC_PATH_OP(call)                                                                          \
    char* host = host_path_of(mount_of(m), rel);                                                   \
    int ret;                                                                                       \
    if (!host)                                                                                     \
        return -ENOMEM;                                                                            \
    ret = (call);                                                                                  \
    free(host);                                                                                    \
    return ret

static int enc_mkdir(struct vfs_mount* m, const char* rel, uint32_t mode) {
    if (rel_is_journal(rel))
        return -EACCES;
    ENC_PATH_OP(pal_path_mkdir(host, (int)mode));
}

static int enc_rmdir(struct vfs_mount* m, const char* rel) {
    ENC_PATH_OP(pal_path_rmdir(host));
}

static int enc_chmod(struct vfs_mount* m, const char* rel, uint32_t mode) {
    ENC_PATH_OP(pal_path_chmod(host, (int)mode));
}

static int enc_utimens(struct vfs_mount* m, const char* rel, const int64_t times[4], bool follow) {
    ENC_PATH_OP(pal_path_utimens(host, times, follow));
}

static int enc_access(struct vfs_mount* m, const char* rel, int mode) {
    if (rel_is_journal(rel))
        return -ENOENT;
    ENC_PATH_OP(pal_path_access(host, mode));
}

static int enc_truncate(struct vfs_mount* m, const char* rel, uint64_t size) {
    struct enc_node* node;
    bool created;
    int ret;

    if (size > INT64_MAX)
        return -EFBIG;
    ret = node_get(mount_of(m), rel, /*create=*/false, 0, &node, &created);
    if (ret < 0)
        return ret;
    ret = node->writable ? NODE_CALL(node, pf_set_size(node->pf, size)) : -EACCES;
    node_put(node);
    return ret;
}

/* Removes the host file and its journal; an open node keeps its handles and lives on unnamed. */
static int enc_unlink(struct vfs_mount* m, const char* rel) {
    struct enc_mount* em = mount_of(m);
    struct enc_node* node;
    char* host;
    char* journal;
    int ret;

    if (rel_is_journal(rel))
        return -ENOENT;
    host = host_path_of(em, rel);
    journal = host ? join(host, JOURNAL_SUFFIX, "") : NULL;
    if (!journal) {
        free(host);
        return -ENOMEM;
    }
    mutex_lock(&em->lock);
    ret = pal_path_unlink(host);
    if (ret == 0) {
        node = node_find(em, rel);
        if (node)
            node_detach(node);
        pal_path_unlink(journal);
    }
    mutex_unlock(&em->lock);
    free(journal);
    free(host);
    return ret;
}

/* Rebinds the file to its new guest path (a flush), then renames the host file. The journal is
 * empty after that flush, so it is removed rather than moved. */
static int rename_file(struct enc_mount* em, struct enc_node* node, const char* to,
                       unsigned int flags) {
    char* bound = bound_path_of(em, to);
    char* host_to = host_path_of(em, to);
    char* journal_to = host_to ? join(host_to, JOURNAL_SUFFIX, "") : NULL;
    char* rel_to = strdup(to);
    struct enc_node* target;
    int ret = -ENOMEM;

    if (!bound || !journal_to || !rel_to)
        goto out;
    ret = node->writable ? 0 : -EACCES;
    if (ret < 0)
        goto out;
    mutex_lock(&node->lock);
    uint64_t fs = crypto_enter();
    ret = pf_rename(node->pf, bound);
    crypto_leave(fs);
    if (ret == 0)
        ret = pal_path_rename(node->file.path, host_to, flags);
    if (ret == 0) {
        if (node->journal.h) {
            pal_stream_close(node->journal.h);
            node->journal.h = NULL;
        }
        pal_path_unlink(node->journal.path);
        free(node->journal.path);
        node->journal.path = journal_to;
        journal_to = NULL;
        free(node->file.path);
        node->file.path = host_to;
        host_to = NULL;
    } else if (ret != -EACCES && ret != -EIO) {
        /* The host refused the rename: bind the file back to the name it still has. */
        char* back = bound_path_of(em, node->rel);
        if (back)
            pf_rename(node->pf, back);
        free(back);
    }
    mutex_unlock(&node->lock);
    if (ret < 0)
        goto out;

    target = node_find(em, to);
    if (target)
        node_detach(target);
    free(node->rel);
    node->rel = rel_to;
    rel_to = NULL;
out:
    free(bound);
    free(host_to);
    free(journal_to);
    free(rel_to);
    return ret;
}

/* A directory rename would leave every file below bound to its old path, failing from then on:
 * it is refused with EXDEV, on which mv and the like copy the files (rebinding each) instead. */
static int enc_rename(struct vfs_mount* m, const char* from, const char* to, unsigned int flags) {
    struct enc_mount* em = mount_of(m);
    struct enc_node* node = NULL;
    struct pal_stat ps;
    bool created;
    char* host;
    int ret;

    if (rel_is_journal(from) || rel_is_journal(to))
        return -EACCES;
    if (flags & RENAME_EXCHANGE)
        return -EINVAL;
    host = host_path_of(em, from);
    if (!host)
        return -ENOMEM;
    ret = pal_path_stat(host, /*follow=*/false, &ps);
    free(host);
    if (ret < 0)
        return ret;
    if (S_ISDIR(ps.mode))
        return -EXDEV;
    if (strcmp(from, to) == 0)
        return 0;
    ret = node_get(em, from, /*create=*/false, 0, &node, &created);
    if (ret < 0)
        return ret;
    mutex_lock(&em->lock);
    ret = rename_file(em, node, to, flags);
    mutex_unlock(&em->lock);
    node_put(node);
    return ret;
}

const struct vfs_fs_ops vfs_encrypted_ops = {
    .type = "encrypted",
    .mount = enc_mount,
    .lookup = enc_lookup,
    .open = enc_open,
    .mkdir = enc_mkdir,
    .rmdir = enc_rmdir,
    .unlink = enc_unlink,
    .rename = enc_rename,
    .chmod = enc_chmod,
    .utimens = enc_utimens,
    .truncate = enc_truncate,
    .access = enc_access,
    .magic = 0xEF53, /* the host directory's, most likely ext4 */
};
