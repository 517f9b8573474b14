/* Tests of protected files over an in-memory host file: round trips of many sizes and offsets,
 * resizing, renaming, the tamper suite (every case must be refused; the counts are printed) and
 * crash recovery (a flush cut off after each of its host writes must leave the old or the new
 * state). Prints failures and "pf: N passed, M failed"; exits 0 only if M == 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pf.h"

/* ---- An in-memory host file, which can be told to fail after a number of writes ------------ */

struct mem_file {
    uint8_t* data;
    size_t size;
    long writes_left; /* < 0: unlimited */
    long* budget;     /* if set, a count shared with other files, in place of writes_left */
};

static int mem_reserve(struct mem_file* f, size_t size) {
    if (size <= f->size)
        return 0;
    uint8_t* grown = realloc(f->data, size);
    if (!grown)
        return -ENOMEM;
    memset(grown + f->size, 0, size - f->size);
    f->data = grown;
    f->size = size;
    return 0;
}

static int mem_read(void* file, uint64_t offset, void* buf, size_t size) {
    struct mem_file* f = file;

    if (offset > f->size || size > f->size - offset)
        return -EIO;
    memcpy(buf, f->data + offset, size);
    return 0;
}

static bool mem_may_write(struct mem_file* f) {
    long* left = f->budget ? f->budget : &f->writes_left;

    if (*left == 0)
        return false;
    if (*left > 0)
        (*left)--;
    return true;
}

static int mem_write(void* file, uint64_t offset, const void* buf, size_t size) {
    struct mem_file* f = file;

    if (!mem_may_write(f) || mem_reserve(f, offset + size) < 0)
        return -EIO;
    memcpy(f->data + offset, buf, size);
    return 0;
}

static int mem_truncate(void* file, uint64_t size) {
    struct mem_file* f = file;

    if (!mem_may_write(f))
        return -EIO;
    if (size < f->size)
        f->size = size;
    return mem_reserve(f, size);
}

static int mem_flush(void* file) {
    return 0;
}

static int mem_get_size(void* file, uint64_t* size) {
    *size = ((struct mem_file*)file)->size;
    return 0;
}

static const struct pf_host_ops g_mem_ops = {mem_read, mem_write, mem_truncate, mem_flush,
                                             mem_get_size};

static struct mem_file mem_copy(const struct mem_file* f) {
    struct mem_file c = {malloc(f->size ? f->size : 1), f->size, -1, NULL};

    memcpy(c.data, f->data, f->size);
    return c;
}

static void mem_free(struct mem_file* f) {
    free(f->data);
    memset(f, 0, sizeof(*f));
}

/* ---- Reporting and helpers ------------------------------------------------------------------ */

static int g_passed, g_failed;

static void check(bool ok, const char* what) {
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    printf("FAIL %s\n", what);
}

static const uint8_t g_key[PF_KEY_SIZE] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                           0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
static const char* g_path = "/data/secret.db";

static uint64_t g_rng = 88172645463325252ull;

static uint64_t next_random(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static void fill_pattern(uint8_t* buf, size_t size, uint64_t seed) {
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 12)) ^ (i >> 5));
}

static struct pf_host host_of(struct mem_file* file, struct mem_file* journal) {
    struct pf_host h = {&g_mem_ops, file, journal};
    return h;
}

/* Creates a protected file holding content. */
static int make_file(struct mem_file* file, const uint8_t* content, size_t size) {
    struct pf_host host = host_of(file, NULL);
    struct pf_file* pf;
    int ret = pf_open(&host, g_path, g_key, PF_MODE_CREATE, &pf);

    if (ret < 0)
        return ret;
    ret = pf_write(pf, 0, content, size);
    int closed = pf_close(pf);
    return ret < 0 ? ret : closed;
}

/* Opens and reads the whole file; 0 and the content, or the first error. */
static int read_all(struct mem_file* file, const char* path, const uint8_t* key, uint8_t** out,
                    uint64_t* out_size) {
    struct pf_host host = host_of(file, NULL);
    struct pf_file* pf;
    uint64_t size = 0;
    uint8_t* buf = NULL;
    size_t done;
    int ret = pf_open(&host, path, key, PF_MODE_READ, &pf);

    if (ret < 0)
        return ret;
    pf_get_size(pf, &size);
    buf = malloc(size + 1);
    ret = pf_read(pf, 0, buf, size + 1, &done);
    if (ret == 0 && done != size)
        ret = -ERANGE;
    pf_close(pf);
    if (ret < 0 || !out) {
        free(buf);
    } else {
        *out = buf;
        *out_size = size;
    }
    return ret;
}

static bool content_is(struct mem_file* file, const uint8_t* want, size_t size) {
    uint8_t* got = NULL;
    uint64_t got_size = 0;
    int ret = read_all(file, g_path, g_key, &got, &got_size);
    bool ok = ret == 0 && got_size == size && memcmp(got, want, size) == 0;

    free(got);
    return ok;
}

/* ---- Round trips ---------------------------------------------------------------------------- */

static void test_round_trip_sizes(void) {
    static const size_t sizes[] = {0, 1, 100, 3071, 3072, 3073, 4095, 4096, 4097, 8192,
                                   3072 + 96 * 4096, 3072 + 96 * 4096 + 1, 3 << 20,
                                   3072 + (96 + 32 * 96) * 4096 + 5};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t size = sizes[i];
        uint8_t* content = malloc(size + 1);
        struct mem_file file = {NULL, 0, -1, NULL};
        char name[64];

        fill_pattern(content, size, i);
        snprintf(name, sizeof(name), "round trip of %zu bytes", size);
        check(make_file(&file, content, size) == 0 && content_is(&file, content, size), name);
        mem_free(&file);
        free(content);
    }
}

/* Random writes at random offsets, checked against a plain copy, across flushes and reopens. */
static void test_random_offsets(void) {
    enum { MAX_SIZE = 1 << 20 };
    uint8_t* model = calloc(1, MAX_SIZE);
    uint8_t* chunk = malloc(70000);
    struct mem_file file = {NULL, 0, -1, NULL};
    struct pf_host host = host_of(&file, NULL);
    struct pf_file* pf;
    uint64_t model_size = 0;
    bool ok = pf_open(&host, g_path, g_key, PF_MODE_CREATE, &pf) == 0;

    for (int round = 0; ok && round < 400; round++) {
        uint64_t offset = next_random() % (MAX_SIZE - 70000);
        size_t size = (size_t)(next_random() % (round % 10 == 0 ? 70000 : 5000));
        fill_pattern(chunk, size, (uint64_t)round);
        ok = pf_write(pf, offset, chunk, size) == 0;
        memcpy(model + offset, chunk, size);
        if (offset + size > model_size)
            model_size = offset + size;
        if (round % 50 == 49) {
            ok = ok && pf_close(pf) == 0 && content_is(&file, model, model_size) &&
                 pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0;
        }
        if (ok && round % 7 == 0) {
            size_t done;
            uint64_t at = next_random() % (model_size + 1);
            ok = pf_read(pf, at, chunk, 9000, &done) == 0 &&
                 done == (model_size - at < 9000 ? model_size - at : 9000) &&
                 memcmp(chunk, model + at, done) == 0;
        }
    }
    ok = ok && pf_close(pf) == 0 && content_is(&file, model, model_size);
    check(ok, "400 writes at random offsets match a plain copy, across reopens");
    mem_free(&file);
    free(model);
    free(chunk);
}

static void test_resize(void) {
    enum { SIZE = 3072 + 200 * 4096 + 77 };
    uint8_t* content = malloc(SIZE);
    uint8_t* want = calloc(1, SIZE + 4096);
    struct mem_file file = {NULL, 0, -1, NULL};
    struct pf_host host = host_of(&file, NULL);
    struct pf_file* pf;
    uint64_t size;
    bool ok;

    fill_pattern(content, SIZE, 3);
    ok = make_file(&file, content, SIZE) == 0 &&
         pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0;
    ok = ok && pf_set_size(pf, 3072 + 10 * 4096 + 5) == 0 && pf_close(pf) == 0;
    memcpy(want, content, 3072 + 10 * 4096 + 5);
    check(ok && content_is(&file, want, 3072 + 10 * 4096 + 5), "shrink keeps the head");
    check(file.size == (10 + 2 + 1) * 4096, "shrink trims the host file");

    ok = pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0 && pf_set_size(pf, SIZE) == 0 &&
         pf_get_size(pf, &size) == 0 && size == SIZE && pf_close(pf) == 0;
    check(ok && content_is(&file, want, SIZE), "growing again shows zeros past the old end");

    ok = pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0 && pf_set_size(pf, 10) == 0 &&
         pf_write(pf, 5000, "x", 1) == 0 && pf_close(pf) == 0;
    memset(want, 0, 5001);
    memcpy(want, content, 10);
    want[5000] = 'x';
    check(ok && content_is(&file, want, 5001), "shrink into the metadata node, then a gap write");
    mem_free(&file);
    free(content);
    free(want);
}

static void test_read_only_refuses_writes(void) {
    struct mem_file file = {NULL, 0, -1, NULL};
    struct pf_host host = host_of(&file, NULL);
    struct pf_file* pf;

    make_file(&file, (const uint8_t*)"hello", 5);
    check(pf_open(&host, g_path, g_key, PF_MODE_READ, &pf) == 0 &&
              pf_write(pf, 0, "j", 1) == -EBADF && pf_set_size(pf, 0) == -EBADF &&
              pf_close(pf) == 0,
          "a read-only handle refuses writes");
    check(pf_open(&host, "", g_key, PF_MODE_READ, &pf) == -EINVAL, "an empty path is invalid");
    mem_free(&file);
}

static void test_rename(void) {
    struct mem_file file = {NULL, 0, -1, NULL};
    struct pf_host host = host_of(&file, NULL);
    struct pf_file* pf;

    make_file(&file, (const uint8_t*)"hello", 5);
    check(pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0 &&
              pf_rename(pf, "/data/renamed.db") == 0 && pf_close(pf) == 0,
          "rename rebinds");
    check(read_all(&file, "/data/renamed.db", g_key, NULL, NULL) == 0, "opens under the new name");
    check(read_all(&file, g_path, g_key, NULL, NULL) == -EACCES, "refused under the old name");
    mem_free(&file);
}

/* ---- Tamper suite --------------------------------------------------------------------------- */

static int g_tamper_cases, g_tamper_detected;

/* One tampered copy: it must fail to open or to read in full with EACCES (or EIO). */
static void tamper_expect_refused(struct mem_file* bad, const char* what) {
    int ret = read_all(bad, g_path, g_key, NULL, NULL);

    g_tamper_cases++;
    if (ret == -EACCES || ret == -EIO) {
        g_tamper_detected++;
        g_passed++;
    } else {
        g_failed++;
        printf("FAIL tamper not detected (%d): %s\n", ret, what);
    }
}

static void tamper_flip(const struct mem_file* good, size_t offset, uint8_t mask,
                        const char* kind) {
    struct mem_file bad = mem_copy(good);
    char what[96];

    bad.data[offset] ^= mask;
    snprintf(what, sizeof(what), "%s: byte %zu ^ 0x%02x", kind, offset, mask);
    tamper_expect_refused(&bad, what);
    mem_free(&bad);
}

static void tamper_resize(const struct mem_file* good, size_t size, const char* what) {
    struct mem_file bad = mem_copy(good);

    if (size <= bad.size) {
        bad.size = size;
    } else {
        bad.data = realloc(bad.data, size);
        for (size_t i = good->size; i < size; i++)
            bad.data[i] = good->data[i - good->size];
        bad.size = size;
    }
    tamper_expect_refused(&bad, what);
    mem_free(&bad);
}

static void tamper_swap(const struct mem_file* good, size_t a, size_t b, const char* what) {
    struct mem_file bad = mem_copy(good);
    uint8_t tmp[PF_NODE_SIZE];

    memcpy(tmp, bad.data + a * PF_NODE_SIZE, PF_NODE_SIZE);
    memcpy(bad.data + a * PF_NODE_SIZE, bad.data + b * PF_NODE_SIZE, PF_NODE_SIZE);
    memcpy(bad.data + b * PF_NODE_SIZE, tmp, PF_NODE_SIZE);
    tamper_expect_refused(&bad, what);
    mem_free(&bad);
}

/* The newer file with one node put back from the older file. */
static void tamper_old_node(const struct mem_file* newer, const struct mem_file* older,
                            size_t node, const char* what) {
    struct mem_file bad = mem_copy(newer);

    memcpy(bad.data + node * PF_NODE_SIZE, older->data + node * PF_NODE_SIZE, PF_NODE_SIZE);
    tamper_expect_refused(&bad, what);
    mem_free(&bad);
}

/* 150 data nodes, so the file has two MHT nodes: physical 0 metadata, 1 root MHT, 2-97 data
 * 0-95, 98 MHT 1, 99-152 data 96-149. */
enum { TAMPER_SIZE = 3072 + 149 * 4096 + 1000, TAMPER_NODES = 153 };

static void test_tamper_suite(void) {
    static const size_t sample_nodes[] = {1, 2, 3, 50, 97, 98, 99, 120, 152};
    static const size_t sample_offsets[] = {0, 1, 15, 16, 31, 32, 1000, 2047, 3071, 3072, 4095};
    uint8_t* content = malloc(TAMPER_SIZE);
    struct mem_file good = {NULL, 0, -1, NULL};
    struct mem_file older, newer;
    struct pf_host host;
    struct pf_file* pf;
    char what[96];

    fill_pattern(content, TAMPER_SIZE, 11);
    check(make_file(&good, content, TAMPER_SIZE) == 0 && good.size == TAMPER_NODES * 4096,
          "tamper suite's file has the expected layout");
    check(content_is(&good, content, TAMPER_SIZE), "tamper suite's file reads back");

    for (size_t i = 0; i < PF_NODE_SIZE; i++)
        tamper_flip(&good, i, 0x01, "header");
    for (size_t n = 0; n < sizeof(sample_nodes) / sizeof(sample_nodes[0]); n++) {
        for (size_t o = 0; o < sizeof(sample_offsets) / sizeof(sample_offsets[0]); o++)
            tamper_flip(&good, sample_nodes[n] * PF_NODE_SIZE + sample_offsets[o], 0x80, "node");
        for (int r = 0; r < 16; r++)
            tamper_flip(&good, sample_nodes[n] * PF_NODE_SIZE + next_random() % PF_NODE_SIZE,
                        (uint8_t)(1u << (r % 8)), "node");
    }

    tamper_resize(&good, good.size - PF_NODE_SIZE, "truncated by one node");
    tamper_resize(&good, good.size - 1, "truncated by one byte");
    tamper_resize(&good, PF_NODE_SIZE, "truncated to the metadata node");
    tamper_resize(&good, 2 * PF_NODE_SIZE, "truncated to metadata and root");
    tamper_resize(&good, 0, "truncated to nothing");
    tamper_resize(&good, good.size + PF_NODE_SIZE, "extended by a copy of the metadata node");
    tamper_resize(&good, good.size + 1, "extended by one byte");
    tamper_resize(&good, good.size + 3 * PF_NODE_SIZE, "extended by three nodes");

    tamper_swap(&good, 2, 3, "swapped data nodes 0 and 1");
    tamper_swap(&good, 50, 120, "swapped data nodes under different MHT nodes");
    tamper_swap(&good, 1, 98, "swapped the root and the second MHT node");
    tamper_swap(&good, 97, 98, "swapped a data node and an MHT node");
    tamper_swap(&good, 0, 1, "swapped the metadata and root nodes");

    /* An older version of the same file: the newer one changes data node 10 and the size. */
    older = mem_copy(&good);
    host = host_of(&good, NULL);
    check(pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0 &&
              pf_write(pf, 3072 + 10 * 4096 + 5, "new", 3) == 0 && pf_close(pf) == 0,
          "tamper suite's file updated");
    newer = mem_copy(&good);
    tamper_old_node(&newer, &older, 12, "data node 10 replaced by its older version");
    tamper_old_node(&newer, &older, 1, "root MHT node replaced by its older version");
    tamper_old_node(&newer, &older, 0, "metadata node replaced by its older version");
    for (size_t n = 2; n < 5; n++) {
        snprintf(what, sizeof(what), "node %zu replaced by node %zu of the older file", n, n + 1);
        struct mem_file bad = mem_copy(&newer);
        memcpy(bad.data + n * PF_NODE_SIZE, older.data + (n + 1) * PF_NODE_SIZE, PF_NODE_SIZE);
        tamper_expect_refused(&bad, what);
        mem_free(&bad);
    }

    /* Copied under another name, or opened with another key. */
    g_tamper_cases += 2;
    if (read_all(&good, "/data/other.db", g_key, NULL, NULL) == -EACCES)
        g_tamper_detected++;
    uint8_t other_key[PF_KEY_SIZE];
    memcpy(other_key, g_key, sizeof(other_key));
    other_key[0] ^= 1;
    if (read_all(&good, g_path, other_key, NULL, NULL) == -EACCES)
        g_tamper_detected++;

    printf("pf tamper suite: %d cases, %d detected, %d undetected\n", g_tamper_cases,
           g_tamper_detected, g_tamper_cases - g_tamper_detected);
    check(g_tamper_detected == g_tamper_cases, "every tampered file is refused");

    /* Putting back a whole older file is not tampering this format can see: it is a file the
     * key once wrote. It opens as that older state, as documented. */
    check(content_is(&older, content, TAMPER_SIZE), "a whole older copy opens as the older state");
    mem_free(&older);
    mem_free(&newer);
    mem_free(&good);
    free(content);
}

/* ---- Crash recovery ------------------------------------------------------------------------- */

/* Cuts one flush off after k host writes (to the file or the journal), for every k, then
 * reopens with the journal: the content must be the state before the flush or after it. */
static void test_crash_during_flush(void) {
    enum { OLD_SIZE = 3072 + 120 * 4096, NEW_SIZE = 3072 + 130 * 4096 + 9, CHANGED = 40 * 4096 };
    uint8_t* old_content = malloc(NEW_SIZE);
    uint8_t* new_content = calloc(1, NEW_SIZE);
    struct mem_file base = {NULL, 0, -1, NULL};
    int old_seen = 0, new_seen = 0, bad = 0;
    long k;

    fill_pattern(old_content, OLD_SIZE, 21);
    memcpy(new_content, old_content, OLD_SIZE);
    fill_pattern(new_content + 100, CHANGED, 22);
    make_file(&base, old_content, OLD_SIZE);

    for (k = 0; k < 10000; k++) {
        long budget = -1;
        struct mem_file file = mem_copy(&base);
        struct mem_file journal = {NULL, 0, -1, NULL};
        struct pf_host host = host_of(&file, &journal);
        struct pf_file* pf;
        int flushed = -1;

        file.budget = &budget;
        journal.budget = &budget;
        if (pf_open(&host, g_path, g_key, PF_MODE_WRITE, &pf) == 0) {
            if (pf_write(pf, 100, new_content + 100, CHANGED) == 0 &&
                pf_set_size(pf, NEW_SIZE) == 0) {
                budget = k;
                flushed = pf_flush(pf);
            }
            pf_close(pf);
        }
        budget = -1;
        if (pf_open(&host, g_path, g_key, PF_MODE_READ, &pf) == 0)
            pf_close(pf);
        if (content_is(&file, new_content, NEW_SIZE))
            new_seen++;
        else if (content_is(&file, old_content, OLD_SIZE) && flushed < 0)
            old_seen++;
        else
            bad++;
        mem_free(&file);
        mem_free(&journal);
        if (flushed == 0)
            break;
    }
    printf("pf crash recovery: flush cut after each of %ld writes: %d old state, %d new state, "
           "%d other\n", k, old_seen, new_seen, bad);
    check(bad == 0 && new_seen >= 1 && old_seen >= 1, "a cut flush leaves the old or new state");
    mem_free(&base);
    free(old_content);
    free(new_content);
}

int main(void) {
    crypto_set_random(crypto_random_getrandom, NULL);
    test_round_trip_sizes();
    test_random_offsets();
    test_resize();
    test_read_only_refuses_writes();
    test_rename();
    test_tamper_suite();
    test_crash_during_flush();
    printf("pf: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
