/* Protected files: the node tree, its cache, reads and writes, flushes and crash recovery. */
#include <linux/errno.h>

#include "crypto.h"
#include "pf.h"
#include "pf_format.h"
#include "rt.h"

/* Data nodes kept in memory. Changed nodes stay until a flush; when every slot holds a changed
 * node, the next node costs a flush. MHT nodes are not counted: once read they stay for the
 * life of the handle (4 KiB per 384 KiB of file), so a data node's ancestors are always there. */
#define PF_CACHE_DATA_NODES 64

static const uint8_t g_zero_iv[12];

struct pf_node {
    uint64_t number; /* among nodes of its kind */
    uint64_t last_use;
    bool dirty;
    uint8_t plain[PF_NODE_SIZE];
};

struct pf_file {
    struct pf_host host;
    bool writable;
    int failed; /* set after a failed flush: the host file may be half written */
    uint8_t kdk[PF_KEY_SIZE];
    struct pf_meta_secret meta; /* decrypted metadata: path, size, root key and MAC, first data */
    bool meta_dirty;
    uint64_t valid_data_nodes; /* data nodes whose content on disk belongs to this file */
    uint64_t host_nodes;       /* physical nodes in the host file */
    struct pf_node** mht;      /* by MHT number; mht[0] is the root */
    size_t mht_cap;
    struct pf_node* data[PF_CACHE_DATA_NODES];
    uint64_t clock;
    uint8_t scratch[PF_NODE_SIZE];
};

const char* pf_strerror(int err) {
    switch (err) {
        case 0:
            return "success";
        case -EACCES:
            return "authentication failed (wrong key, corrupted or bound to another path)";
        case -EIO:
            return "host I/O error";
        case -EINVAL:
            return "invalid argument";
        case -ENOMEM:
            return "out of memory";
        case -EBADF:
            return "not open for writing";
        default:
            return "error";
    }
}

/* ---- Host I/O ------------------------------------------------------------------------------- */

static int host_read(void* file, const struct pf_host* host, uint64_t node, void* buf) {
    return host->ops->read(file, node * PF_NODE_SIZE, buf, PF_NODE_SIZE) < 0 ? -EIO : 0;
}

static int host_write(void* file, const struct pf_host* host, uint64_t node, const void* buf) {
    return host->ops->write(file, node * PF_NODE_SIZE, buf, PF_NODE_SIZE) < 0 ? -EIO : 0;
}

static int host_size(void* file, const struct pf_host* host, uint64_t* size) {
    return host->ops->get_size(file, size) < 0 ? -EIO : 0;
}

/* ---- Node encryption ------------------------------------------------------------------------ */

/* Every node is sealed under a key of its own, fresh on each write, with a zero IV: a key is
 * never used twice, so the fixed IV is safe, and an old copy of a node no longer opens. */
static int node_seal(const uint8_t* plain, uint8_t* cipher, struct pf_slot* slot) {
    int ret = crypto_random(slot->key, sizeof(slot->key));

    if (ret < 0)
        return ret;
    return crypto_aes_gcm_encrypt(slot->key, PF_KEY_SIZE, g_zero_iv, sizeof(g_zero_iv), NULL, 0,
                                  plain, PF_NODE_SIZE, cipher, slot->mac);
}

static int node_open(const uint8_t* cipher, uint8_t* plain, const struct pf_slot* slot) {
    return crypto_aes_gcm_decrypt(slot->key, PF_KEY_SIZE, g_zero_iv, sizeof(g_zero_iv), NULL, 0,
                                  cipher, PF_NODE_SIZE, plain, slot->mac);
}

/* ---- Metadata node -------------------------------------------------------------------------- */

static int meta_key(const uint8_t kdk[PF_KEY_SIZE], const uint8_t nonce[PF_NONCE_SIZE],
                    uint8_t key[PF_KEY_SIZE]) {
    struct pf_kdf_input in;
    int ret;

    memset(&in, 0, sizeof(in));
    in.counter = 1;
    memcpy(in.label, PF_KDF_LABEL, sizeof(PF_KDF_LABEL));
    memcpy(in.nonce, nonce, PF_NONCE_SIZE);
    in.output_bits = PF_KEY_SIZE * 8;
    ret = crypto_aes128_cmac(kdk, &in, sizeof(in), key);
    crypto_wipe(&in, sizeof(in));
    return ret;
}

static int meta_seal(struct pf_file* pf, struct pf_meta_node* node) {
    uint8_t key[PF_KEY_SIZE];
    int ret;

    memset(node, 0, sizeof(*node));
    node->plain.file_id = PF_FILE_ID;
    node->plain.major = PF_MAJOR_VERSION;
    node->plain.minor = PF_MINOR_VERSION;
    ret = crypto_random(node->plain.nonce, PF_NONCE_SIZE);
    if (ret < 0)
        return ret;
    ret = meta_key(pf->kdk, node->plain.nonce, key);
    if (ret == 0)
        ret = crypto_aes_gcm_encrypt(key, PF_KEY_SIZE, g_zero_iv, sizeof(g_zero_iv), NULL, 0,
                                     &pf->meta, sizeof(pf->meta), node->secret, node->plain.mac);
    crypto_wipe(key, sizeof(key));
    return ret;
}

static bool all_zero(const uint8_t* p, size_t n) {
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* The header must be ours and of our version; the padding, which no MAC covers, must be zero
 * as it is written, so that no byte of the node can change unnoticed. */
static int meta_open(struct pf_file* pf, const struct pf_meta_node* node) {
    uint8_t key[PF_KEY_SIZE];
    int ret;

    if (node->plain.file_id != PF_FILE_ID || node->plain.major != PF_MAJOR_VERSION ||
        node->plain.minor != PF_MINOR_VERSION || !all_zero(node->padding, sizeof(node->padding)))
        return -EACCES;
    ret = meta_key(pf->kdk, node->plain.nonce, key);
    if (ret == 0)
        ret = crypto_aes_gcm_decrypt(key, PF_KEY_SIZE, g_zero_iv, sizeof(g_zero_iv), NULL, 0,
                                     node->secret, sizeof(node->secret), &pf->meta,
                                     node->plain.mac);
    crypto_wipe(key, sizeof(key));
    if (ret < 0)
        return ret;
    if (strnlen(pf->meta.path, PF_PATH_SIZE) == PF_PATH_SIZE)
        return -EACCES;
    return 0;
}

/* ---- Journal -------------------------------------------------------------------------------- */

/* The journal holds, for one flush, the old content of every node the flush overwrites, then a
 * trailer; it is complete only with a trailer that matches. A flush writes and flushes the
 * journal before it touches the file and empties it once the file is flushed, so a complete
 * journal found at open time means a flush was cut short and is undone. */
#define PF_JOURNAL_MAGIC "KNPFJRN1"

struct pf_journal_record {
    uint64_t node;
    uint8_t bytes[PF_NODE_SIZE];
} __attribute__((packed));

struct pf_journal_trailer {
    char magic[8];
    uint64_t host_size; /* of the file before the flush */
    uint64_t records;
    uint8_t hash[CRYPTO_SHA256_SIZE]; /* of the records */
    uint8_t reserved[8];
} __attribute__((packed));

static int journal_write(struct pf_file* pf, const uint64_t* nodes, size_t count) {
    const struct pf_host* host = &pf->host;
    struct pf_journal_trailer trailer;
    struct crypto_sha256_ctx hash;
    uint64_t offset = 0;
    int ret;

    if (host->ops->truncate(host->journal, 0) < 0)
        return -EIO;
    ret = crypto_sha256_init(&hash);
    for (size_t i = 0; ret == 0 && i < count; i++) {
        if (nodes[i] >= pf->host_nodes)
            continue;
        ret = host_read(host->file, host, nodes[i], pf->scratch);
        if (ret < 0)
            break;
        ret = host->ops->write(host->journal, offset, &nodes[i], sizeof(nodes[i])) < 0 ||
                      host->ops->write(host->journal, offset + 8, pf->scratch, PF_NODE_SIZE) < 0
                  ? -EIO
                  : 0;
        crypto_sha256_update(&hash, &nodes[i], sizeof(nodes[i]));
        crypto_sha256_update(&hash, pf->scratch, PF_NODE_SIZE);
        offset += sizeof(struct pf_journal_record);
    }
    memset(&trailer, 0, sizeof(trailer));
    crypto_sha256_final(&hash, trailer.hash);
    if (ret < 0)
        return ret;

    memcpy(trailer.magic, PF_JOURNAL_MAGIC, 8);
    trailer.host_size = pf->host_nodes * PF_NODE_SIZE;
    trailer.records = offset / sizeof(struct pf_journal_record);
    if (host->ops->write(host->journal, offset, &trailer, sizeof(trailer)) < 0 ||
        host->ops->flush(host->journal) < 0)
        return -EIO;
    return 0;
}

static int journal_clear(const struct pf_host* host) {
    if (host->ops->truncate(host->journal, 0) < 0 || host->ops->flush(host->journal) < 0)
        return -EIO;
    return 0;
}

/* Checks that the journal is complete: its trailer sits at its end and hashes its records. */
static int journal_check(const struct pf_host* host, uint64_t size,
                         struct pf_journal_trailer* trailer, uint8_t* buf) {
    struct crypto_sha256_ctx hash;
    uint8_t digest[CRYPTO_SHA256_SIZE];
    uint64_t records;

    if (size < sizeof(*trailer) || (size - sizeof(*trailer)) % sizeof(struct pf_journal_record))
        return -EINVAL;
    records = (size - sizeof(*trailer)) / sizeof(struct pf_journal_record);
    if (host->ops->read(host->journal, size - sizeof(*trailer), trailer, sizeof(*trailer)) < 0)
        return -EIO;
    if (memcmp(trailer->magic, PF_JOURNAL_MAGIC, 8) || trailer->records != records)
        return -EINVAL;
    crypto_sha256_init(&hash);
    for (uint64_t i = 0; i < records; i++) {
        if (host->ops->read(host->journal, i * sizeof(struct pf_journal_record), buf,
                            sizeof(struct pf_journal_record)) < 0) {
            crypto_sha256_final(&hash, digest);
            return -EIO;
        }
        crypto_sha256_update(&hash, buf, sizeof(struct pf_journal_record));
    }
    crypto_sha256_final(&hash, digest);
    return memcmp(digest, trailer->hash, sizeof(digest)) ? -EINVAL : 0;
}

/* Undoes a flush that a crash cut short, or drops a journal that never became complete (then
 * the file was not touched). */
static int journal_recover(const struct pf_host* host) {
    struct pf_journal_record* rec = NULL;
    struct pf_journal_trailer trailer;
    uint64_t size;
    int ret;

    if (host_size(host->journal, host, &size) < 0)
        return -EIO;
    if (size == 0)
        return 0;
    rec = malloc(sizeof(*rec));
    if (!rec)
        return -ENOMEM;
    ret = journal_check(host, size, &trailer, (uint8_t*)rec);
    if (ret == -EIO)
        goto out;
    if (ret == 0) {
        for (uint64_t i = 0; i < trailer.records; i++) {
            if (host->ops->read(host->journal, i * sizeof(*rec), rec, sizeof(*rec)) < 0 ||
                host_write(host->file, host, rec->node, rec->bytes) < 0) {
                ret = -EIO;
                goto out;
            }
        }
        if (host->ops->truncate(host->file, trailer.host_size) < 0 ||
            host->ops->flush(host->file) < 0) {
            ret = -EIO;
            goto out;
        }
    }
    ret = journal_clear(host);
out:
    free(rec);
    return ret;
}

/* ---- Node cache ----------------------------------------------------------------------------- */

static int pf_flush_nodes(struct pf_file* pf);

static void node_free(struct pf_node* node) {
    if (!node)
        return;
    crypto_wipe(node->plain, sizeof(node->plain));
    free(node);
}

static int mht_reserve(struct pf_file* pf, uint64_t number) {
    size_t cap = pf->mht_cap ? pf->mht_cap : 16;
    struct pf_node** grown;

    if (number < pf->mht_cap)
        return 0;
    while (cap <= number)
        cap *= 2;
    grown = realloc(pf->mht, cap * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    memset(grown + pf->mht_cap, 0, (cap - pf->mht_cap) * sizeof(*grown));
    pf->mht = grown;
    pf->mht_cap = cap;
    return 0;
}

static struct pf_slot* mht_parent_slot(struct pf_file* pf, uint64_t number) {
    struct pf_mht* parent = (struct pf_mht*)pf->mht[(number - 1) / PF_CHILDREN_PER_MHT]->plain;

    return &parent->children[(number - 1) % PF_CHILDREN_PER_MHT];
}

static struct pf_slot* data_parent_slot(struct pf_file* pf, uint64_t number) {
    struct pf_mht* parent = (struct pf_mht*)pf->mht[number / PF_DATA_PER_MHT]->plain;

    return &parent->data[number % PF_DATA_PER_MHT];
}

/* Loads MHT node number (and its ancestors); a node past the valid part of the file starts
 * as zeros. */
static int mht_get(struct pf_file* pf, uint64_t number, struct pf_node** out) {
    struct pf_node* node;
    int ret;

    ret = mht_reserve(pf, number);
    if (ret < 0)
        return ret;
    if (pf->mht[number]) {
        *out = pf->mht[number];
        return 0;
    }
    if (number > 0) {
        ret = mht_get(pf, (number - 1) / PF_CHILDREN_PER_MHT, &node);
        if (ret < 0)
            return ret;
    }
    node = calloc(1, sizeof(*node));
    if (!node)
        return -ENOMEM;
    node->number = number;
    if (number * PF_DATA_PER_MHT < pf->valid_data_nodes) {
        struct pf_slot root = {{0}, {0}};
        const struct pf_slot* slot = &root;
        if (number == 0) {
            memcpy(root.key, pf->meta.root_key, PF_KEY_SIZE);
            memcpy(root.mac, pf->meta.root_mac, PF_MAC_SIZE);
        } else {
            slot = mht_parent_slot(pf, number);
        }
        ret = host_read(pf->host.file, &pf->host, pf_mht_physical(number), pf->scratch);
        if (ret == 0)
            ret = node_open(pf->scratch, node->plain, slot);
        crypto_wipe(&root, sizeof(root));
        if (ret < 0) {
            node_free(node);
            return ret;
        }
    }
    pf->mht[number] = node;
    *out = node;
    return 0;
}

static void mht_mark_dirty(struct pf_file* pf, uint64_t number) {
    for (;;) {
        pf->mht[number]->dirty = true;
        if (number == 0)
            break;
        number = (number - 1) / PF_CHILDREN_PER_MHT;
    }
}

/* A free cache slot: an empty one, else the least recently used clean node's, else (all
 * changed) the slot of any node once a flush has made them clean. */
static int data_slot(struct pf_file* pf, size_t* out) {
    size_t victim = PF_CACHE_DATA_NODES;
    int ret;

    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++) {
        if (!pf->data[i]) {
            *out = i;
            return 0;
        }
        if (!pf->data[i]->dirty &&
            (victim == PF_CACHE_DATA_NODES || pf->data[i]->last_use < pf->data[victim]->last_use))
            victim = i;
    }
    if (victim == PF_CACHE_DATA_NODES) {
        ret = pf_flush_nodes(pf);
        if (ret < 0)
            return ret;
        victim = 0;
    }
    node_free(pf->data[victim]);
    pf->data[victim] = NULL;
    *out = victim;
    return 0;
}

static int data_get(struct pf_file* pf, uint64_t number, bool for_write, struct pf_node** out) {
    struct pf_node* parent;
    struct pf_node* node = NULL;
    size_t slot;
    int ret;

    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++) {
        if (pf->data[i] && pf->data[i]->number == number) {
            node = pf->data[i];
            break;
        }
    }
    if (!node) {
        ret = data_slot(pf, &slot);
        if (ret == 0)
            ret = mht_get(pf, number / PF_DATA_PER_MHT, &parent);
        if (ret < 0)
            return ret;
        node = calloc(1, sizeof(*node));
        if (!node)
            return -ENOMEM;
        node->number = number;
        if (number < pf->valid_data_nodes) {
            ret = host_read(pf->host.file, &pf->host, pf_data_physical(number), pf->scratch);
            if (ret == 0)
                ret = node_open(pf->scratch, node->plain, data_parent_slot(pf, number));
            if (ret < 0) {
                node_free(node);
                return ret;
            }
        }
        pf->data[slot] = node;
    }
    node->last_use = ++pf->clock;
    if (for_write && !node->dirty) {
        node->dirty = true;
        mht_mark_dirty(pf, number / PF_DATA_PER_MHT);
    }
    *out = node;
    return 0;
}

/* ---- Flush ---------------------------------------------------------------------------------- */

struct pf_write_plan {
    uint64_t* nodes; /* physical numbers, metadata node last */
    size_t count;
};

static int plan_add(struct pf_write_plan* plan, size_t cap, uint64_t node) {
    if (plan->count == cap)
        return -ENOMEM;
    plan->nodes[plan->count++] = node;
    return 0;
}

/* Seals the changed nodes bottom-up, each into its parent's slot, and writes them; every MHT
 * node's number is larger than its parent's, so going down the numbers seals children first. */
static int flush_tree(struct pf_file* pf, bool write_root) {
    const struct pf_host* host = &pf->host;
    int ret;

    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++) {
        struct pf_node* node = pf->data[i];
        if (!node || !node->dirty)
            continue;
        ret = node_seal(node->plain, pf->scratch, data_parent_slot(pf, node->number));
        if (ret == 0)
            ret = host_write(host->file, host, pf_data_physical(node->number), pf->scratch);
        if (ret < 0)
            return ret;
    }
    for (size_t n = pf->mht_cap; n-- > 1;) {
        struct pf_node* node = pf->mht[n];
        if (!node || !node->dirty)
            continue;
        ret = node_seal(node->plain, pf->scratch, mht_parent_slot(pf, n));
        if (ret == 0)
            ret = host_write(host->file, host, pf_mht_physical(n), pf->scratch);
        if (ret < 0)
            return ret;
    }
    if (write_root) {
        struct pf_slot root;
        ret = node_seal(pf->mht[0]->plain, pf->scratch, &root);
        if (ret == 0)
            ret = host_write(host->file, host, 1, pf->scratch);
        memcpy(pf->meta.root_key, root.key, PF_KEY_SIZE);
        memcpy(pf->meta.root_mac, root.mac, PF_MAC_SIZE);
        crypto_wipe(&root, sizeof(root));
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int flush_plan(struct pf_file* pf, struct pf_write_plan* plan, size_t cap,
                      bool write_root) {
    int ret = 0;

    for (size_t i = 0; ret == 0 && i < PF_CACHE_DATA_NODES; i++)
        if (pf->data[i] && pf->data[i]->dirty)
            ret = plan_add(plan, cap, pf_data_physical(pf->data[i]->number));
    for (size_t n = 1; ret == 0 && n < pf->mht_cap; n++)
        if (pf->mht[n] && pf->mht[n]->dirty)
            ret = plan_add(plan, cap, pf_mht_physical(n));
    if (ret == 0 && write_root)
        ret = plan_add(plan, cap, 1);
    if (ret == 0)
        ret = plan_add(plan, cap, 0);
    return ret;
}

static void mark_clean(struct pf_file* pf) {
    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++)
        if (pf->data[i])
            pf->data[i]->dirty = false;
    for (size_t n = 0; n < pf->mht_cap; n++)
        if (pf->mht[n])
            pf->mht[n]->dirty = false;
    pf->meta_dirty = false;
}

/* One flush: journal the old nodes, write the changed data and MHT nodes, then the root MHT
 * node, then the metadata node, trim the host file, flush it, and empty the journal. */
static int pf_flush_nodes(struct pf_file* pf) {
    const struct pf_host* host = &pf->host;
    uint64_t data_nodes = pf_data_nodes(pf->meta.size);
    uint64_t new_host_nodes = pf_physical_nodes(data_nodes);
    bool write_root = data_nodes > 0 && pf->mht[0]->dirty;
    struct pf_write_plan plan = {NULL, 0};
    struct pf_meta_node* meta = NULL;
    size_t cap = PF_CACHE_DATA_NODES + pf->mht_cap + 2;
    bool any = pf->meta_dirty || new_host_nodes != pf->host_nodes;
    int ret;

    for (size_t i = 0; !any && i < PF_CACHE_DATA_NODES; i++)
        any = pf->data[i] && pf->data[i]->dirty;
    any = any || pf->mht[0]->dirty;
    if (!any)
        return 0;

    plan.nodes = malloc(cap * sizeof(*plan.nodes));
    meta = malloc(sizeof(*meta));
    ret = plan.nodes && meta ? flush_plan(pf, &plan, cap, write_root) : -ENOMEM;
    if (ret == 0 && host->journal)
        ret = journal_write(pf, plan.nodes, plan.count);
    if (ret == 0)
        ret = flush_tree(pf, write_root);
    if (ret == 0)
        ret = meta_seal(pf, meta);
    if (ret == 0)
        ret = host_write(host->file, host, 0, meta);
    if (ret == 0 && new_host_nodes < pf->host_nodes &&
        host->ops->truncate(host->file, new_host_nodes * PF_NODE_SIZE) < 0)
        ret = -EIO;
    if (ret == 0 && host->ops->flush(host->file) < 0)
        ret = -EIO;
    if (ret == 0 && host->journal)
        ret = journal_clear(host);
    if (ret < 0) {
        pf->failed = -EIO;
        goto out;
    }
    pf->host_nodes = new_host_nodes;
    pf->valid_data_nodes = data_nodes;
    mark_clean(pf);
out:
    free(plan.nodes);
    free(meta);
    return ret;
}

int pf_flush(struct pf_file* pf) {
    if (!pf)
        return -EINVAL;
    if (pf->failed)
        return pf->failed;
    if (!pf->writable)
        return 0;
    return pf_flush_nodes(pf);
}

/* ---- Reads and writes ----------------------------------------------------------------------- */

/* Copies between the file's bytes [offset, offset + size) and buf; to_file chooses direction. */
static int transfer(struct pf_file* pf, uint64_t offset, uint8_t* buf, size_t size, bool to_file) {
    while (size) {
        uint8_t* bytes;
        size_t n;
        if (offset < PF_MD_DATA_SIZE) {
            bytes = pf->meta.data + offset;
            n = PF_MD_DATA_SIZE - offset;
            if (to_file)
                pf->meta_dirty = true;
        } else {
            uint64_t rel = offset - PF_MD_DATA_SIZE;
            struct pf_node* node;
            int ret = data_get(pf, rel / PF_NODE_SIZE, to_file, &node);
            if (ret < 0)
                return ret;
            bytes = node->plain + rel % PF_NODE_SIZE;
            n = PF_NODE_SIZE - rel % PF_NODE_SIZE;
        }
        if (n > size)
            n = size;
        if (to_file)
            memcpy(bytes, buf, n);
        else
            memcpy(buf, bytes, n);
        buf += n;
        offset += n;
        size -= n;
    }
    return 0;
}

int pf_read(struct pf_file* pf, uint64_t offset, void* buf, size_t size, size_t* done) {
    int ret;

    if (!pf || (!buf && size) || !done)
        return -EINVAL;
    *done = 0;
    if (pf->failed)
        return pf->failed;
    if (offset >= pf->meta.size)
        return 0;
    if (size > pf->meta.size - offset)
        size = (size_t)(pf->meta.size - offset);
    ret = transfer(pf, offset, buf, size, /*to_file=*/false);
    if (ret == 0)
        *done = size;
    return ret;
}

/* Zeros from the current end to offset, through the normal write path, so that every node up
 * to the new end exists on disk after the next flush. */
static int extend_with_zeros(struct pf_file* pf, uint64_t offset) {
    static const uint8_t zeros[PF_NODE_SIZE];

    while (pf->meta.size < offset) {
        uint64_t n = offset - pf->meta.size;
        if (n > sizeof(zeros))
            n = sizeof(zeros);
        int ret = transfer(pf, pf->meta.size, (uint8_t*)zeros, (size_t)n, /*to_file=*/true);
        if (ret < 0)
            return ret;
        pf->meta.size += n;
        pf->meta_dirty = true;
    }
    return 0;
}

static int check_writable(struct pf_file* pf) {
    if (!pf)
        return -EINVAL;
    if (pf->failed)
        return pf->failed;
    return pf->writable ? 0 : -EBADF;
}

int pf_write(struct pf_file* pf, uint64_t offset, const void* buf, size_t size) {
    int ret = check_writable(pf);

    if (ret < 0)
        return ret;
    if ((!buf && size) || offset + size < offset)
        return -EINVAL;
    ret = extend_with_zeros(pf, offset);
    if (ret == 0)
        ret = transfer(pf, offset, (uint8_t*)buf, size, /*to_file=*/true);
    if (ret == 0 && offset + size > pf->meta.size) {
        pf->meta.size = offset + size;
        pf->meta_dirty = true;
    }
    return ret;
}

int pf_get_size(struct pf_file* pf, uint64_t* size) {
    if (!pf || !size)
        return -EINVAL;
    *size = pf->meta.size;
    return 0;
}

/* Forgets every node past the new end: their slots in the parents go stale and are never read,
 * because nodes past the end are re-created as zeros when the file grows again. */
static void drop_nodes_past(struct pf_file* pf, uint64_t data_nodes) {
    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++) {
        if (pf->data[i] && pf->data[i]->number >= data_nodes) {
            node_free(pf->data[i]);
            pf->data[i] = NULL;
        }
    }
    for (size_t n = 1; n < pf->mht_cap; n++) {
        if (pf->mht[n] && n * PF_DATA_PER_MHT >= data_nodes) {
            node_free(pf->mht[n]);
            pf->mht[n] = NULL;
        }
    }
    if (pf->valid_data_nodes > data_nodes)
        pf->valid_data_nodes = data_nodes;
}

int pf_set_size(struct pf_file* pf, uint64_t size) {
    int ret = check_writable(pf);
    uint64_t old = pf ? pf->meta.size : 0;

    if (ret < 0 || size == old)
        return ret;
    if (size > old)
        return extend_with_zeros(pf, size);

    /* The rest of the last node is zeroed so that growing the file later shows zeros there. */
    if (size < PF_MD_DATA_SIZE) {
        memset(pf->meta.data + size, 0, PF_MD_DATA_SIZE - size);
    } else if ((size - PF_MD_DATA_SIZE) % PF_NODE_SIZE) {
        struct pf_node* node;
        uint64_t rel = size - PF_MD_DATA_SIZE;
        ret = data_get(pf, rel / PF_NODE_SIZE, /*for_write=*/true, &node);
        if (ret < 0)
            return ret;
        memset(node->plain + rel % PF_NODE_SIZE, 0, PF_NODE_SIZE - rel % PF_NODE_SIZE);
    }
    drop_nodes_past(pf, pf_data_nodes(size));
    pf->meta.size = size;
    pf->meta_dirty = true;
    pf->mht[0]->dirty = true;
    return 0;
}

/* ---- Open and close ------------------------------------------------------------------------- */

static int check_path(const char* path) {
    return path && path[0] && strnlen(path, PF_PATH_SIZE) < PF_PATH_SIZE ? 0 : -EINVAL;
}

static int pf_load(struct pf_file* pf, const char* path) {
    struct pf_meta_node* meta = malloc(sizeof(*meta));
    uint64_t size;
    int ret;

    if (!meta)
        return -ENOMEM;
    ret = host_size(pf->host.file, &pf->host, &size);
    if (ret < 0)
        goto out;
    /* A host file of the wrong length was cut or extended, which only tampering does. */
    if (size < PF_NODE_SIZE || size % PF_NODE_SIZE) {
        ret = -EACCES;
        goto out;
    }
    ret = host_read(pf->host.file, &pf->host, 0, meta);
    if (ret == 0)
        ret = meta_open(pf, meta);
    if (ret < 0)
        goto out;
    if (strcmp(pf->meta.path, path) != 0 ||
        size != pf_physical_nodes(pf_data_nodes(pf->meta.size)) * PF_NODE_SIZE) {
        ret = -EACCES;
        goto out;
    }
    pf->host_nodes = size / PF_NODE_SIZE;
    pf->valid_data_nodes = pf_data_nodes(pf->meta.size);
    ret = mht_get(pf, 0, &(struct pf_node*){NULL});
out:
    free(meta);
    return ret;
}

static int pf_create(struct pf_file* pf, const char* path) {
    struct pf_node* root;
    int ret;

    if (pf->host.ops->truncate(pf->host.file, 0) < 0)
        return -EIO;
    strlcpy(pf->meta.path, path, PF_PATH_SIZE);
    ret = mht_get(pf, 0, &root);
    if (ret < 0)
        return ret;
    pf->meta_dirty = true;
    return pf_flush_nodes(pf);
}

static void pf_free(struct pf_file* pf) {
    for (size_t i = 0; i < PF_CACHE_DATA_NODES; i++)
        node_free(pf->data[i]);
    for (size_t n = 0; n < pf->mht_cap; n++)
        node_free(pf->mht[n]);
    free(pf->mht);
    crypto_wipe(pf, sizeof(*pf));
    free(pf);
}

int pf_open(const struct pf_host* host, const char* path, const uint8_t key[PF_KEY_SIZE],
            enum pf_mode mode, struct pf_file** out) {
    struct pf_file* pf;
    int ret;

    if (!host || !host->ops || !key || !out || check_path(path) < 0 || mode < PF_MODE_READ ||
        mode > PF_MODE_CREATE)
        return -EINVAL;
    pf = calloc(1, sizeof(*pf));
    if (!pf)
        return -ENOMEM;
    pf->host = *host;
    pf->writable = mode != PF_MODE_READ;
    memcpy(pf->kdk, key, PF_KEY_SIZE);

    if (host->journal) {
        ret = journal_recover(host);
        if (ret < 0)
            goto out;
    }
    ret = mode == PF_MODE_CREATE ? pf_create(pf, path) : pf_load(pf, path);
out:
    if (ret < 0) {
        pf_free(pf);
        return ret;
    }
    *out = pf;
    return 0;
}

int pf_rename(struct pf_file* pf, const char* new_path) {
    int ret = check_writable(pf);

    if (ret < 0)
        return ret;
    if (check_path(new_path) < 0)
        return -EINVAL;
    memset(pf->meta.path, 0, PF_PATH_SIZE);
    strlcpy(pf->meta.path, new_path, PF_PATH_SIZE);
    pf->meta_dirty = true;
    return pf_flush_nodes(pf);
}

int pf_close(struct pf_file* pf) {
    int ret;

    if (!pf)
        return -EINVAL;
    ret = pf_flush(pf);
    pf_free(pf);
    return ret;
}
