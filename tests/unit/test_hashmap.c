/* Tests of the hash maps and intrusive lists, as a host program over the hosted common library.
 *
 * Prints one line per failed case and a final "hashmap: N passed, M failed"; exits 0 only if
 * M == 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "list.h"

static int g_passed;
static int g_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            g_passed++;                                                                            \
        } else {                                                                                   \
            g_failed++;                                                                            \
            printf("FAIL line %d: ", __LINE__);                                                    \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

/* Values stored in the maps are tags derived from the key, so each lookup can be checked. */
static void* tag(size_t i) {
    return (void*)(uintptr_t)(i * 2 + 1);
}

/* ---- strmap ------------------------------------------------------------------------------- */

static void test_strmap_empty(void) {
    struct strmap map = {0};
    size_t pos = 0;

    CHECK(strmap_count(&map) == 0, "a zeroed map is empty");
    CHECK(strmap_get(&map, "x") == NULL && !strmap_contains(&map, "x"), "lookup in empty map");
    CHECK(strmap_remove(&map, "x", NULL) == -ENOENT, "remove from empty map is -ENOENT");
    CHECK(!strmap_next(&map, &pos, NULL, NULL), "iterating an empty map yields nothing");
    strmap_destroy(&map);
}

static void test_strmap_put_get_replace(void) {
    struct strmap map = {0};
    char key[16];

    strcpy(key, "alpha");
    CHECK(strmap_put(&map, key, tag(1)) == 0, "put a new key");
    strcpy(key, "beta");
    CHECK(strmap_get(&map, "alpha") == tag(1), "map keeps its own copy of the key");
    CHECK(strmap_put(&map, "", tag(2)) == 0 && strmap_get(&map, "") == tag(2), "empty key");
    CHECK(strmap_put(&map, "alpha", tag(3)) == 0 && strmap_get(&map, "alpha") == tag(3),
          "put replaces the value");
    CHECK(strmap_count(&map) == 2, "replace does not add an entry");
    CHECK(strmap_put(&map, "null", NULL) == 0 && strmap_contains(&map, "null") &&
              strmap_get(&map, "null") == NULL,
          "NULL values are told apart with contains");
    CHECK(!strmap_contains(&map, "alph") && !strmap_contains(&map, "alphaa"),
          "near-miss keys are absent");
    strmap_destroy(&map);
    CHECK(strmap_count(&map) == 0, "destroy leaves an empty map");
}

static void test_strmap_grow_and_remove(void) {
    enum { N = 20000 };
    struct strmap map = {0};
    char key[32];
    bool ok = true;
    void* old = NULL;

    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%zu", i);
        ok = ok && strmap_put(&map, key, tag(i)) == 0;
    }
    CHECK(ok && strmap_count(&map) == N, "%d inserts while growing", N);

    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%zu", i);
        ok = ok && strmap_get(&map, key) == tag(i);
    }
    CHECK(ok, "every key found after growing");

    for (size_t i = 0; i < N; i += 2) {
        snprintf(key, sizeof(key), "key-%zu", i);
        ok = ok && strmap_remove(&map, key, &old) == 0 && old == tag(i);
    }
    CHECK(ok && strmap_count(&map) == N / 2, "remove every other key returns its value");

    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%zu", i);
        ok = ok && strmap_contains(&map, key) == (i % 2 == 1);
    }
    CHECK(ok, "removed keys are gone, the others remain");

    snprintf(key, sizeof(key), "key-%d", 0);
    CHECK(strmap_remove(&map, key, NULL) == -ENOENT, "second remove is -ENOENT");
    CHECK(strmap_put(&map, key, tag(7)) == 0 && strmap_get(&map, key) == tag(7),
          "a removed key can be added again");
    strmap_destroy(&map);
}

/* Many inserts and removes over a small key set leave many deleted markers; lookups of
 * absent keys must still end. */
static void test_strmap_churn(void) {
    struct strmap map = {0};
    char key[32];
    bool ok = true;

    for (size_t round = 0; round < 50000; round++) {
        snprintf(key, sizeof(key), "k%zu", round);
        ok = ok && strmap_put(&map, key, tag(round)) == 0;
        ok = ok && strmap_remove(&map, key, NULL) == 0;
        ok = ok && !strmap_contains(&map, "never");
    }
    CHECK(ok && strmap_count(&map) == 0, "insert/remove churn");
    strmap_destroy(&map);
}

static void test_strmap_iterate(void) {
    enum { N = 500 };
    struct strmap map = {0};
    static bool seen[N];
    char key[32];
    size_t pos = 0, visits = 0;
    const char* k;
    void* v;
    bool ok = true;

    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "%zu", i);
        strmap_put(&map, key, tag(i));
    }
    while (strmap_next(&map, &pos, &k, &v)) {
        size_t i = strtoul(k, NULL, 10);
        ok = ok && i < N && !seen[i] && v == tag(i);
        if (i < N)
            seen[i] = true;
        visits++;
    }
    CHECK(ok && visits == N, "iteration visits each entry once (%zu visits)", visits);

    pos = 0;
    while (strmap_next(&map, &pos, &k, &v)) {
        if (strtoul(k, NULL, 10) % 3 == 0)
            ok = ok && strmap_remove(&map, k, NULL) == 0;
    }
    CHECK(ok && strmap_count(&map) == N - (N + 2) / 3, "removing during iteration");

    pos = 0;
    visits = 0;
    while (strmap_next(&map, &pos, &k, NULL)) {
        ok = ok && strtoul(k, NULL, 10) % 3 != 0;
        visits++;
    }
    CHECK(ok && visits == strmap_count(&map), "iteration after removals sees the rest");
    strmap_destroy(&map);
}

/* ---- u64map ------------------------------------------------------------------------------- */

static void test_u64map_basics(void) {
    struct u64map map = {0};
    void* old = NULL;

    CHECK(u64map_get(&map, 0) == NULL && !u64map_contains(&map, 0), "lookup in empty map");
    CHECK(u64map_put(&map, 0, tag(0)) == 0 && u64map_get(&map, 0) == tag(0), "key 0");
    CHECK(u64map_put(&map, UINT64_MAX, tag(1)) == 0 && u64map_get(&map, UINT64_MAX) == tag(1),
          "key UINT64_MAX");
    CHECK(u64map_put(&map, 0, tag(2)) == 0 && u64map_get(&map, 0) == tag(2), "replace");
    CHECK(u64map_count(&map) == 2, "count after replace");
    CHECK(u64map_remove(&map, 0, &old) == 0 && old == tag(2), "remove returns the value");
    CHECK(u64map_remove(&map, 0, NULL) == -ENOENT, "second remove is -ENOENT");
    CHECK(u64map_count(&map) == 1, "count after remove");
    u64map_destroy(&map);
}

/* Keys that share their low bits (page addresses, for example) must not pile into one run. */
static void test_u64map_many_aligned_keys(void) {
    enum { N = 50000 };
    struct u64map map = {0};
    bool ok = true;
    size_t pos = 0, visits = 0;
    uint64_t k;
    void* v;

    for (uint64_t i = 0; i < N; i++)
        ok = ok && u64map_put(&map, i << 12, tag(i)) == 0;
    CHECK(ok && u64map_count(&map) == N, "%d page-aligned keys", N);

    for (uint64_t i = 0; i < N; i++)
        ok = ok && u64map_get(&map, i << 12) == tag(i) && !u64map_contains(&map, (i << 12) + 1);
    CHECK(ok, "every page-aligned key found, neighbours absent");

    while (u64map_next(&map, &pos, &k, &v)) {
        ok = ok && (k & 0xfff) == 0 && v == tag(k >> 12);
        visits++;
    }
    CHECK(ok && visits == N, "u64map iteration visits each entry once");

    pos = 0;
    while (u64map_next(&map, &pos, &k, NULL))
        ok = ok && u64map_remove(&map, k, NULL) == 0;
    CHECK(ok && u64map_count(&map) == 0, "removing every entry during iteration");
    u64map_destroy(&map);
}

/* ---- list --------------------------------------------------------------------------------- */

struct item {
    int id;
    struct list_node node;
};

/* The ids of the list, in order, as a string like "1,2,3". */
static const char* list_ids(struct list_node* head) {
    static char buf[256];
    struct item* it;
    size_t len = 0;

    buf[0] = '\0';
    list_for_each_entry(it, head, node) {
        len += snprintf(buf + len, sizeof(buf) - len, len ? ",%d" : "%d", it->id);
    }
    return buf;
}

static void test_list_add_order(void) {
    struct list_node head = LIST_INIT(head);
    struct item items[4] = {{.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};

    CHECK(list_empty(&head), "LIST_INIT makes an empty list");
    list_add_tail(&head, &items[1].node);
    list_add_tail(&head, &items[2].node);
    list_add(&head, &items[0].node);
    list_add_tail(&head, &items[3].node);
    CHECK(!strcmp(list_ids(&head), "1,2,3,4"), "add puts first, add_tail puts last: %s",
          list_ids(&head));
    CHECK(list_first_entry_or_null(&head, struct item, node) == &items[0], "first entry");
    CHECK(container_of(&items[2].node, struct item, node) == &items[2], "container_of");
}

static void test_list_del(void) {
    struct list_node head;
    struct item items[3] = {{.id = 1}, {.id = 2}, {.id = 3}};

    list_init(&head);
    for (int i = 0; i < 3; i++)
        list_add_tail(&head, &items[i].node);
    list_del(&items[1].node);
    CHECK(!strcmp(list_ids(&head), "1,3"), "del from the middle: %s", list_ids(&head));
    CHECK(list_empty(&items[1].node), "a deleted node points at itself");
    list_del(&items[1].node);
    CHECK(!strcmp(list_ids(&head), "1,3"), "a second del is harmless");
    list_del(&items[0].node);
    list_del(&items[2].node);
    CHECK(list_empty(&head), "deleting all empties the list");
    CHECK(list_first_entry_or_null(&head, struct item, node) == NULL, "no first entry when empty");
}

static void test_list_safe_iteration(void) {
    struct list_node head = LIST_INIT(head);
    struct list_node* pos;
    struct list_node* tmp;
    struct item* it;
    struct item* next;
    int count = 0;

    for (int i = 0; i < 10; i++) {
        struct item* fresh = malloc(sizeof(*fresh));
        fresh->id = i;
        list_add_tail(&head, &fresh->node);
    }
    list_for_each_safe(pos, tmp, &head) {
        if (list_entry(pos, struct item, node)->id % 2) {
            list_del(pos);
            free(list_entry(pos, struct item, node));
        }
    }
    CHECK(!strcmp(list_ids(&head), "0,2,4,6,8"), "list_for_each_safe with del: %s",
          list_ids(&head));

    list_for_each(pos, &head) {
        count++;
    }
    CHECK(count == 5, "list_for_each counts %d", count);

    list_for_each_entry_safe(it, next, &head, node) {
        list_del(&it->node);
        free(it);
    }
    CHECK(list_empty(&head), "list_for_each_entry_safe frees every entry");
}

int main(void) {
    test_strmap_empty();
    test_strmap_put_get_replace();
    test_strmap_grow_and_remove();
    test_strmap_churn();
    test_strmap_iterate();
    test_u64map_basics();
    test_u64map_many_aligned_keys();
    test_list_add_order();
    test_list_del();
    test_list_safe_iteration();

    printf("hashmap: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
