/* The key store of encrypted mounts: named 128-bit keys from the manifest or set by the app
 * through /dev/attestation/keys/NAME. */
#include "crypto.h"
#include "manifest.h"
#include "protected.h"

/* Names come from the manifest alone, so the table is filled once and never shrinks; an index
 * stays valid for the life of the process. Sealing keys (_sgx_mrenclave, _sgx_mrsigner) are
 * not here: they need an enclave and come with the SGX backend. */
#define KEYS_MAX 64

struct key_slot {
    char name[KEY_NAME_MAX];
    uint8_t key[KEY_SIZE];
    bool set;
};

static struct key_slot g_keys[KEYS_MAX];
static size_t g_key_count;
static bool g_keys_loaded;
static spinlock_t g_keys_lock;

/* Adds a name once; the lock is held. */
static int slot_add(const char* name, const uint8_t* key) {
    for (size_t i = 0; i < g_key_count; i++) {
        if (strcmp(g_keys[i].name, name) == 0)
            return (int)i;
    }
    if (g_key_count == KEYS_MAX) {
        log_error("more than %d key names in the manifest: '%s' is left out", KEYS_MAX, name);
        return -ENOMEM;
    }
    if (strlen(name) >= KEY_NAME_MAX) {
        log_error("key name '%s' is longer than %d bytes", name, KEY_NAME_MAX - 1);
        return -ENAMETOOLONG;
    }
    strlcpy(g_keys[g_key_count].name, name, KEY_NAME_MAX);
    if (key) {
        memcpy(g_keys[g_key_count].key, key, KEY_SIZE);
        g_keys[g_key_count].set = true;
    }
    return (int)g_key_count++;
}

/* The lock is held. */
static void keys_load(void) {
    const struct manifest* mf = g_process.manifest;

    if (g_keys_loaded || !mf)
        return;
    g_keys_loaded = true;
    for (size_t i = 0; i < mf->key_count; i++)
        slot_add(mf->keys[i].name, mf->keys[i].key);
    for (size_t i = 0; i < mf->mount_count; i++) {
        if (mf->mounts[i].key_name && strcmp(mf->mounts[i].type, "encrypted") == 0)
            slot_add(mf->mounts[i].key_name, NULL);
    }
}

/* The lock is held. */
static int slot_find(const char* name) {
    keys_load();
    for (size_t i = 0; i < g_key_count; i++) {
        if (strcmp(g_keys[i].name, name) == 0)
            return (int)i;
    }
    return -ENOENT;
}

int keys_find(const char* name) {
    int ret;

    spinlock_lock(&g_keys_lock);
    ret = slot_find(name);
    spinlock_unlock(&g_keys_lock);
    return ret;
}

static int slot_get(int index, uint8_t key[KEY_SIZE]) {
    int ret = -ENOKEY;

    spinlock_lock(&g_keys_lock);
    if (g_keys[index].set) {
        memcpy(key, g_keys[index].key, KEY_SIZE);
        ret = 0;
    }
    spinlock_unlock(&g_keys_lock);
    return ret;
}

static void slot_set(int index, const uint8_t key[KEY_SIZE]) {
    spinlock_lock(&g_keys_lock);
    memcpy(g_keys[index].key, key, KEY_SIZE);
    g_keys[index].set = true;
    spinlock_unlock(&g_keys_lock);
}

int keys_get(const char* name, uint8_t key[KEY_SIZE]) {
    int index = keys_find(name);

    return index < 0 ? index : slot_get(index, key);
}

int keys_set(const char* name, const uint8_t key[KEY_SIZE]) {
    int index = keys_find(name);

    if (index < 0)
        return index;
    slot_set(index, key);
    return 0;
}

/* ---- /dev/attestation/keys/NAME -------------------------------------------------------- */

bool keys_dev_match(const char* name, struct pseudo_ctx* ctx) {
    int index = keys_find(name);

    if (index < 0)
        return false;
    ctx->fd = index;
    return true;
}

int keys_dev_list(const struct pseudo_ctx* ctx, struct vfs_dir_list* list, uint8_t type) {
    char name[KEY_NAME_MAX];
    size_t count;
    int ret = 0;

    spinlock_lock(&g_keys_lock);
    keys_load();
    count = g_key_count;
    spinlock_unlock(&g_keys_lock);
    for (size_t i = 0; i < count && ret == 0; i++) {
        spinlock_lock(&g_keys_lock);
        strlcpy(name, g_keys[i].name, sizeof(name));
        spinlock_unlock(&g_keys_lock);
        ret = vfs_dir_add(list, name, 0, type);
    }
    return ret;
}

/* A key as the app writes it: 16 raw bytes, or 32 hex digits with an optional newline. */
static int key_parse(const uint8_t* buf, size_t size, uint8_t key[KEY_SIZE]) {
    if (size == KEY_SIZE) {
        memcpy(key, buf, KEY_SIZE);
        return 0;
    }
    if (size == 2 * KEY_SIZE + 1 && buf[2 * KEY_SIZE] == '\n')
        size--;
    if (size != 2 * KEY_SIZE)
        return -EINVAL;
    for (size_t i = 0; i < KEY_SIZE; i++) {
        int hi = rt_hex_digit((unsigned char)buf[2 * i]);
        int lo = rt_hex_digit((unsigned char)buf[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -EINVAL;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int key_file_index(struct libos_file* f) {
    return (int)(intptr_t)f->data;
}

static long key_file_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    uint8_t key[KEY_SIZE];
    size_t n = 0;
    int ret = slot_get(key_file_index(f), key);

    if (ret < 0)
        return ret;
    if (offset < KEY_SIZE) {
        n = KEY_SIZE - offset < size ? KEY_SIZE - offset : size;
        memcpy(buf, key + offset, n);
    }
    crypto_wipe(key, sizeof(key));
    return (long)n;
}

/* Each write is one whole key; the position plays no part. */
static long key_file_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    uint8_t key[KEY_SIZE];
    int ret = key_parse(buf, size, key);

    if (ret < 0)
        return ret;
    slot_set(key_file_index(f), key);
    crypto_wipe(key, sizeof(key));
    return (long)size;
}

static long key_file_write(struct libos_file* f, const void* buf, size_t size) {
    return key_file_pwrite(f, buf, size, 0);
}

static long key_file_seek(struct libos_file* f, int64_t offset, int whence) {
    return vfs_generic_seek(f, offset, whence, KEY_SIZE);
}

static int key_file_stat(struct libos_file* f, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = f->mount ? f->mount->dev : 0;
    st->st_ino = 0x1000 + (uint64_t)key_file_index(f);
    st->st_mode = S_IFCHR | 0600;
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = 4096;
    return 0;
}

/* Truncation (open with O_TRUNC, as a shell redirection does) leaves the key alone. */
static int key_file_truncate(struct libos_file* f, uint64_t size) {
    return 0;
}

static const struct vfs_file_ops key_file_ops = {
    .read = vfs_generic_read,
    .write = key_file_write,
    .pread = key_file_pread,
    .pwrite = key_file_pwrite,
    .seek = key_file_seek,
    .stat = key_file_stat,
    .truncate = key_file_truncate,
};

int keys_dev_open(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    struct libos_file* f = vfs_file_new(&key_file_ops, NULL, flags, S_IFCHR);

    if (!f)
        return -ENOMEM;
    f->data = (void*)(intptr_t)ctx->fd;
    *out = f;
    return 0;
}

/* ---- Fork ------------------------------------------------------------------------------ */

struct key_record {
    char name[KEY_NAME_MAX];
    uint8_t key[KEY_SIZE];
};

int keys_checkpoint_save(void** buf, size_t* size) {
    struct key_record* recs;
    size_t count = 0;

    spinlock_lock(&g_keys_lock);
    keys_load();
    recs = calloc(g_key_count ? g_key_count : 1, sizeof(*recs));
    for (size_t i = 0; recs && i < g_key_count; i++) {
        if (!g_keys[i].set)
            continue;
        memcpy(recs[count].name, g_keys[i].name, KEY_NAME_MAX);
        memcpy(recs[count++].key, g_keys[i].key, KEY_SIZE);
    }
    spinlock_unlock(&g_keys_lock);
    if (!recs)
        return -ENOMEM;
    *buf = recs;
    *size = count * sizeof(*recs);
    return 0;
}

void keys_checkpoint_free(void* buf, size_t size) {
    if (buf)
        crypto_wipe(buf, size);
    free(buf);
}

/* Wipes buf once the keys are taken. */
int keys_checkpoint_restore(void* buf, size_t size) {
    struct key_record* recs = buf;

    if (size % sizeof(*recs))
        return -EINVAL;
    for (size_t i = 0; i < size / sizeof(*recs); i++) {
        char name[KEY_NAME_MAX];

        memcpy(name, recs[i].name, KEY_NAME_MAX);
        name[KEY_NAME_MAX - 1] = '\0';
        /* The child runs the same manifest, so every name is known; one that is not is
         * dropped rather than invented. */
        keys_set(name, recs[i].key);
    }
    crypto_wipe(buf, size);
    return 0;
}
