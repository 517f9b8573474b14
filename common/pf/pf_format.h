/* The on-disk layout of a protected file: node kinds, their physical places and the metadata
 * node's fields (the Gramine protected-files format, version 1.0). Little-endian, packed. */
#ifndef KERNITE_PF_FORMAT_H
#define KERNITE_PF_FORMAT_H

#include <stdint.h>

#include "pf.h"

#define PF_FILE_ID         0x46505f5346415247ull /* "GRAFS_PF" read as a little-endian u64 */
#define PF_MAJOR_VERSION   1
#define PF_MINOR_VERSION   0
#define PF_MD_DATA_SIZE    3072 /* file bytes kept inside the metadata node */
#define PF_DATA_PER_MHT    96   /* data-node slots in an MHT node */
#define PF_CHILDREN_PER_MHT 32  /* child-MHT slots in an MHT node */
#define PF_KDF_LABEL       "SGX-PROTECTED-FS-METADATA-KEY"
#define PF_NONCE_SIZE      32
#define PF_MAC_SIZE        16

struct pf_slot {
    uint8_t key[PF_KEY_SIZE];
    uint8_t mac[PF_MAC_SIZE];
} __attribute__((packed));

struct pf_mht {
    struct pf_slot data[PF_DATA_PER_MHT];
    struct pf_slot children[PF_CHILDREN_PER_MHT];
} __attribute__((packed));

struct pf_meta_plain {
    uint64_t file_id;
    uint8_t major;
    uint8_t minor;
    uint8_t nonce[PF_NONCE_SIZE];
    uint8_t mac[PF_MAC_SIZE];
} __attribute__((packed));

struct pf_meta_secret {
    char path[PF_PATH_SIZE];
    uint64_t size;
    uint8_t root_key[PF_KEY_SIZE];
    uint8_t root_mac[PF_MAC_SIZE];
    uint8_t data[PF_MD_DATA_SIZE];
} __attribute__((packed));

struct pf_meta_node {
    struct pf_meta_plain plain;
    uint8_t secret[sizeof(struct pf_meta_secret)]; /* the encrypted pf_meta_secret */
    uint8_t padding[PF_NODE_SIZE - sizeof(struct pf_meta_plain) - sizeof(struct pf_meta_secret)];
} __attribute__((packed));

/* NIST SP 800-108 counter-mode input to AES-CMAC, which derives the metadata key. */
struct pf_kdf_input {
    uint32_t counter;
    char label[64];
    uint8_t nonce[PF_NONCE_SIZE];
    uint32_t output_bits;
} __attribute__((packed));

_Static_assert(sizeof(struct pf_mht) == PF_NODE_SIZE, "MHT node size");
_Static_assert(sizeof(struct pf_meta_plain) == 58, "metadata plaintext header size");
_Static_assert(sizeof(struct pf_meta_secret) == 3884, "metadata encrypted part size");
_Static_assert(sizeof(struct pf_meta_node) == PF_NODE_SIZE, "metadata node size");
_Static_assert(sizeof(struct pf_kdf_input) == 104, "KDF input size");

/* Physical layout: node 0 is the metadata node, node 1 the root MHT node (MHT 0) followed by
 * data nodes 0-95; then each MHT node L >= 1 is followed by data nodes 96L to 96L+95. */
static inline uint64_t pf_mht_physical(uint64_t mht) {
    return 1 + mht * (PF_DATA_PER_MHT + 1);
}

static inline uint64_t pf_data_physical(uint64_t data) {
    return data + 2 + data / PF_DATA_PER_MHT;
}

/* Data nodes a file of size bytes has (the first PF_MD_DATA_SIZE bytes need none). */
static inline uint64_t pf_data_nodes(uint64_t size) {
    return size <= PF_MD_DATA_SIZE ? 0 : (size - PF_MD_DATA_SIZE + PF_NODE_SIZE - 1) / PF_NODE_SIZE;
}

/* Physical nodes on disk for that many data nodes. */
static inline uint64_t pf_physical_nodes(uint64_t data_nodes) {
    return data_nodes == 0 ? 1 : pf_data_physical(data_nodes - 1) + 1;
}

#endif
