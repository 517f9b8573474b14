/* Trusted and allowed files of host mounts: the manifest's sgx.trusted_files pinned by SHA-256
 * and checked on open and on every 4 KiB chunk read, sgx.allowed_files passed unchecked, and
 * every other file refused once the manifest lists any trusted file, as under SGX.
 *
 * Policy, in direct mode:
 * - The lists are in force once some trusted entry carries a sha256 (inline, or written by a
 *   signing step). A manifest with none, such as a Gramine template before signing, is run
 *   with nothing checked, as gramine-direct does; it is the signing step that completes it.
 * - A trusted file with a sha256 opens read-only; its whole content must hash to it at the
 *   first open, which also records a SHA-256 per 4 KiB chunk; every read and mapping then
 *   checks the chunks it touches, so a file changed after that fails with EACCES.
 * - A trusted entry without a sha256 (a tree "file:dir/", or a file left for a signing step to
 *   hash) cannot be checked without that step: it opens unchecked, with one warning at start.
 * - A listed file that is a host symlink also lists what it points to (up to 8 links), since
 *   the guest resolves the link and opens the target's path.
 * - An allowed file or tree opens unchecked, for reading and writing.
 * - Directories open unchecked (their listing is the host's anyway).
 * - Anything else: EACCES and a log line naming it; with sgx.file_check_policy =
 *   "allow_all_but_log", it opens with a warning instead.
 * Only opens are checked: stat, rename, unlink and the like on host mounts are not.
 * Paths are compared after removing ".", ".." and repeated slashes; a relative one is relative
 * to Kernite's working directory and only matches another written relative. */
#include "crypto.h"
#include "manifest.h"
#include "protected.h"

#define CHUNK_SIZE 4096UL
#define READ_BLOCK (64 * CHUNK_SIZE) /* bytes read from the host at once while checking */

struct trusted_entry {
    char* path; /* normalised host path */
    bool tree;  /* an entry ending in "/" covers everything below it */
    bool pinned;
    bool allowed; /* from sgx.allowed_files */
    uint8_t sha256[CRYPTO_SHA256_SIZE];
    /* Set at the first open whose content matched; read without the lock once published. */
    uint8_t (*chunks)[CRYPTO_SHA256_SIZE];
    uint64_t size;
};

static struct trusted_entry* g_entries;
static size_t g_entry_count;
static bool g_active;
static bool g_log_only;
static int g_ready; /* 0, 1 while being built, 2 when built */
static spinlock_t g_publish_lock;

/* "./a/b" for a relative path, "/a/b" for an absolute one. */
static char* path_key(const char* path) {
    char* canon = NULL;
    char* key;

    if (vfs_path_normalize("/", path, &canon) < 0)
        return NULL;
    if (path[0] == '/')
        return canon;
    key = malloc(strlen(canon) + 2);
    if (key) {
        key[0] = '.';
        strlcpy(key + 1, canon, strlen(canon) + 1);
    }
    free(canon);
    return key;
}

static int hex_nibble(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void parse_sha256(const char* hex, uint8_t out[CRYPTO_SHA256_SIZE]) {
    for (size_t i = 0; i < CRYPTO_SHA256_SIZE; i++)
        out[i] = (uint8_t)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
}

#define SYMLINKS_MAX 8

/* The path a symlink at path leads to, normalised; NULL if path is no symlink. */
static char* link_target(const char* path) {
    char target[VFS_PATH_MAX];
    long n = pal_path_readlink(path, target, sizeof(target) - 1);
    char* dir;
    char* out = NULL;

    if (n <= 0)
        return NULL;
    target[n] = '\0';
    if (target[0] == '/')
        return strdup(target);
    dir = strdup(path);
    if (!dir)
        return NULL;
    if (strrchr(dir, '/'))
        strrchr(dir, '/')[1] = '\0';
    else
        dir[0] = '\0';
    out = malloc(strlen(dir) + (size_t)n + 1);
    if (out) {
        memcpy(out, dir, strlen(dir));
        memcpy(out + strlen(dir), target, (size_t)n + 1);
    }
    free(dir);
    return out;
}

static int entry_add(const struct manifest_file* mf, const char* host_path, bool allowed) {
    struct trusted_entry* e = &g_entries[g_entry_count];
    size_t len = strlen(host_path);

    e->path = path_key(host_path);
    if (!e->path)
        return -ENOMEM;
    e->tree = len > 0 && host_path[len - 1] == '/';
    e->allowed = allowed;
    e->pinned = !allowed && !e->tree && mf->sha256;
    if (e->pinned)
        parse_sha256(mf->sha256, e->sha256);
    g_entry_count++;
    return 0;
}

/* One entry for the path as listed and one for each link it goes through. */
static void entry_add_all(const struct manifest_file* mf, bool allowed, size_t* unpinned) {
    char* path = strdup(mf->host_path);

    if (!allowed && !mf->sha256)
        (*unpinned)++;
    for (int i = 0; path && i <= SYMLINKS_MAX; i++) {
        char* next;

        entry_add(mf, path, allowed);
        next = path[0] && path[strlen(path) - 1] != '/' ? link_target(path) : NULL;
        free(path);
        path = next;
    }
    free(path);
}

static void entries_build(void) {
    const struct manifest* mf = g_process.manifest;
    size_t total, unpinned = 0;

    if (!mf)
        return;
    total = (mf->trusted_file_count + mf->allowed_file_count) * (SYMLINKS_MAX + 1);
    for (size_t i = 0; i < mf->trusted_file_count; i++)
        g_active = g_active || mf->trusted_files[i].sha256;
    if (!g_active)
        return;
    g_log_only = mf->file_check_policy && !strcmp(mf->file_check_policy, "allow_all_but_log");
    g_entries = calloc(total ? total : 1, sizeof(*g_entries));
    if (!g_entries) {
        log_error("no memory for sgx.trusted_files: every file of a host mount is refused");
        return;
    }
    for (size_t i = 0; i < mf->trusted_file_count; i++)
        entry_add_all(&mf->trusted_files[i], /*allowed=*/false, &unpinned);
    for (size_t i = 0; i < mf->allowed_file_count; i++)
        entry_add_all(&mf->allowed_files[i], /*allowed=*/true, &unpinned);
    if (unpinned)
        log_warning("%s: %zu sgx.trusted_files entries have no sha256 (or are trees): direct "
                    "mode opens them unchecked",
                    mf->file, unpinned);
}

static void entries_ready(void) {
    int expected = 0;

    if (__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE) == 2)
        return;
    if (!__atomic_compare_exchange_n(&g_ready, &expected, 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED)) {
        while (__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE) != 2)
            __builtin_ia32_pause();
        return;
    }
    entries_build();
    __atomic_store_n(&g_ready, 2, __ATOMIC_RELEASE);
}

static bool covers(const struct trusted_entry* e, const char* key) {
    size_t len = strlen(e->path);

    if (!e->tree)
        return strcmp(e->path, key) == 0;
    if (strcmp(e->path, "/") == 0)
        return key[0] == '/';
    return strncmp(e->path, key, len) == 0 && (key[len] == '/' || key[len] == '\0');
}

/* A pinned entry for the exact file wins over a tree or an allowed entry covering it. */
static struct trusted_entry* entry_find(const char* key) {
    struct trusted_entry* found = NULL;

    for (size_t i = 0; i < g_entry_count; i++) {
        struct trusted_entry* e = &g_entries[i];

        if (!covers(e, key))
            continue;
        if (e->pinned)
            return e;
        found = found ? found : e;
    }
    return found;
}

int trusted_check_open(const char* host_path, int flags) {
    struct trusted_entry* e;
    struct pal_stat st;
    char* key;
    int ret = TRUSTED_UNCHECKED;

    entries_ready();
    if (!g_active)
        return TRUSTED_UNCHECKED;
    key = path_key(host_path);
    if (!key)
        return -ENOMEM;
    e = g_entries ? entry_find(key) : NULL;
    if (e && e->pinned) {
        ret = TRUSTED_VERIFY;
        if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
            log_error("trusted file '%s' is read-only", host_path);
            ret = -EACCES;
        }
    } else if (!e && (pal_path_stat(host_path, /*follow=*/true, &st) < 0 || !S_ISDIR(st.mode))) {
        if (g_log_only) {
            log_warning("file '%s' is neither trusted nor allowed; opened anyway "
                        "(sgx.file_check_policy)",
                        host_path);
        } else {
            log_error("file '%s' is neither trusted nor allowed: access denied", host_path);
            ret = -EACCES;
        }
    }
    free(key);
    return ret;
}

/* ---- Checking content ------------------------------------------------------------------ */

static int read_exact(pal_handle_t* h, uint8_t* buf, size_t size, uint64_t offset) {
    while (size) {
        long n = pal_stream_read(h, buf, size, (int64_t)offset);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? (int)n : -EACCES; /* shorter than it was: changed */
        buf += n;
        offset += (uint64_t)n;
        size -= (size_t)n;
    }
    return 0;
}

/* Hashes the whole file and each chunk; publishes the chunk table if the file matches. */
static int entry_verify(struct trusted_entry* e, pal_handle_t* h, uint64_t size,
                        const char* host_path) {
    uint64_t chunks = (size + CHUNK_SIZE - 1) / CHUNK_SIZE;
    uint8_t(*table)[CRYPTO_SHA256_SIZE] = malloc((chunks ? chunks : 1) * CRYPTO_SHA256_SIZE);
    uint8_t* buf = malloc(READ_BLOCK);
    struct crypto_sha256_ctx whole;
    uint8_t digest[CRYPTO_SHA256_SIZE];
    uint64_t fs = crypto_enter();
    int ret = table && buf ? crypto_sha256_init(&whole) : -ENOMEM;

    for (uint64_t off = 0; ret == 0 && off < size; off += READ_BLOCK) {
        size_t n = size - off < READ_BLOCK ? (size_t)(size - off) : READ_BLOCK;

        ret = read_exact(h, buf, n, off);
        if (ret == 0)
            ret = crypto_sha256_update(&whole, buf, n);
        for (size_t c = 0; ret == 0 && c < n; c += CHUNK_SIZE) {
            size_t len = n - c < CHUNK_SIZE ? n - c : CHUNK_SIZE;
            ret = crypto_sha256(buf + c, len, table[(off + c) / CHUNK_SIZE]);
        }
    }
    if (ret == 0)
        ret = crypto_sha256_final(&whole, digest);
    crypto_leave(fs);
    if (ret == 0 && !crypto_equal(digest, e->sha256, sizeof(digest))) {
        log_error("trusted file '%s' does not match its sha256 in the manifest", host_path);
        ret = -EACCES;
    } else if (ret == -EACCES) {
        log_error("trusted file '%s' changed while it was checked", host_path);
    }
    if (ret == 0) {
        spinlock_lock(&g_publish_lock);
        if (!e->chunks) {
            e->size = size;
            __atomic_store_n(&e->chunks, table, __ATOMIC_RELEASE);
            table = NULL;
        }
        spinlock_unlock(&g_publish_lock);
    }
    free(table);
    free(buf);
    return ret;
}

struct trusted_file {
    pal_handle_t* h;
    struct trusted_entry* entry;
    char* host_path;
};

/* Reads whole chunks covering [offset, offset + size) into the app's buffer through a bounce
 * buffer, checking each against the table before any of it is handed out. */
static long trusted_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    struct trusted_file* tf = f->data;
    const struct trusted_entry* e = tf->entry;
    uint8_t* bounce;
    size_t done = 0;
    long ret = 0;

    if (offset >= e->size || size == 0)
        return 0;
    if (size > e->size - offset)
        size = (size_t)(e->size - offset);
    bounce = malloc(READ_BLOCK);
    if (!bounce)
        return -ENOMEM;
    uint64_t fs = crypto_enter();
    while (done < size) {
        uint64_t pos = offset + done;
        uint64_t first = pos / CHUNK_SIZE * CHUNK_SIZE;
        uint64_t want = (offset + size + CHUNK_SIZE - 1) / CHUNK_SIZE * CHUNK_SIZE;
        uint64_t end = first + READ_BLOCK < want ? first + READ_BLOCK : want;
        uint8_t digest[CRYPTO_SHA256_SIZE];
        size_t n, skip = (size_t)(pos - first);

        if (end > e->size)
            end = e->size;
        ret = read_exact(tf->h, bounce, (size_t)(end - first), first);
        for (uint64_t c = first; ret == 0 && c < end; c += CHUNK_SIZE) {
            size_t len = end - c < CHUNK_SIZE ? (size_t)(end - c) : CHUNK_SIZE;
            ret = crypto_sha256(bounce + (c - first), len, digest);
            if (ret == 0 && !crypto_equal(digest, e->chunks[c / CHUNK_SIZE], sizeof(digest)))
                ret = -EACCES;
        }
        if (ret < 0)
            break;
        n = (size_t)(end - first) - skip;
        if (n > size - done)
            n = size - done;
        memcpy((uint8_t*)buf + done, bounce + skip, n);
        done += n;
    }
    crypto_leave(fs);
    free(bounce);
    if (ret == -EACCES)
        log_error("trusted file '%s' changed after it was checked: access denied", tf->host_path);
    return ret < 0 ? ret : (long)done;
}

static long trusted_seek(struct libos_file* f, int64_t offset, int whence) {
    struct trusted_file* tf = f->data;

    return vfs_generic_seek(f, offset, whence, tf->entry->size);
}

/* The size is the checked one; the rest is the host's. */
static int trusted_fstat(struct libos_file* f, struct linux_stat* st) {
    struct trusted_file* tf = f->data;
    struct pal_stat ps;
    int ret = pal_stream_stat(tf->h, &ps);

    if (ret == 0) {
        vfs_stat_from_pal(&ps, st);
        st->st_size = (int64_t)tf->entry->size;
    }
    return ret;
}

/* A mapping is a checked copy: a host mapping would show later changes unchecked. */
static int trusted_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                        uint64_t offset) {
    void* at = (void*)addr;
    long n;
    int ret;

    if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
        return -EACCES;
    ret = pal_mem_map(&at, size, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_FIXED);
    if (ret < 0)
        return ret;
    n = trusted_pread(f, at, size, offset);
    if (n < 0)
        return (int)n;
    return pal_mem_protect(at, size, prot);
}

static void trusted_release(struct libos_file* f) {
    struct trusted_file* tf = f->data;

    pal_stream_close(tf->h);
    free(tf->host_path);
    free(tf);
}

static const struct vfs_file_ops trusted_file_ops = {
    .read = vfs_generic_read,
    .pread = trusted_pread,
    .seek = trusted_seek,
    .stat = trusted_fstat,
    .mmap = trusted_mmap,
    .release = trusted_release,
};

/* The chunk table of a file checked before is reused when the size is the same: every byte
 * handed out is still checked against it, so a changed file is refused all the same. */
int trusted_open(const char* host_path, int flags, struct libos_file** out) {
    struct trusted_file* tf = NULL;
    struct trusted_entry* e;
    struct libos_file* f;
    struct pal_stat st;
    pal_handle_t* h = NULL;
    char* key = path_key(host_path);
    int ret;

    e = key ? entry_find(key) : NULL;
    free(key);
    if (!e || !e->pinned)
        return -EACCES;
    ret = pal_file_open(host_path, O_RDONLY, 0, &h);
    if (ret < 0)
        return ret;
    ret = pal_stream_stat(h, &st);
    if (ret == 0 && !S_ISREG(st.mode))
        ret = -EACCES;
    if (ret == 0 && !__atomic_load_n(&e->chunks, __ATOMIC_ACQUIRE)) {
        ret = entry_verify(e, h, (uint64_t)st.size, host_path);
    } else if (ret == 0 && e->size != (uint64_t)st.size) {
        log_error("trusted file '%s' changed size after it was checked", host_path);
        ret = -EACCES;
    }
    if (ret < 0)
        goto out;
    tf = calloc(1, sizeof(*tf));
    if (tf)
        tf->host_path = strdup(host_path);
    f = tf && tf->host_path ? vfs_file_new(&trusted_file_ops, NULL, flags, S_IFREG) : NULL;
    if (!f) {
        ret = -ENOMEM;
        goto out;
    }
    tf->h = h;
    tf->entry = e;
    f->data = tf;
    h = NULL;
    tf = NULL;
    *out = f;
out:
    if (h)
        pal_stream_close(h);
    if (tf)
        free(tf->host_path);
    free(tf);
    return ret;
}
