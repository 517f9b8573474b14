/* Hash maps from string keys (struct strmap) and from uint64 keys (struct u64map) to pointers.
 *
 * A zeroed map is a valid empty map; strmap_destroy/u64map_destroy release it (not the values).
 * A strmap keeps its own copy of each key. Iterate with a position that starts at 0:
 *
 *     size_t pos = 0; const char* key; void* value;
 *     while (strmap_next(&map, &pos, &key, &value)) ...
 *
 * Removing the entry just returned is allowed during iteration; inserting is not, since it may
 * grow the table. Functions that can fail return 0 or -ENOMEM / -ENOENT. */
#ifndef KERNITE_HASHMAP_H
#define KERNITE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared core; use it only through the typed maps below. */
struct hashmap_slot;
struct hashmap {
    struct hashmap_slot* slots;
    size_t capacity; /* a power of two, or 0 before the first insert */
    size_t count;    /* live entries */
    size_t used;     /* live entries plus deleted markers */
};

struct strmap {
    struct hashmap core;
};

struct u64map {
    struct hashmap core;
};

void strmap_destroy(struct strmap* map);
/* Adds key or replaces its value. */
int strmap_put(struct strmap* map, const char* key, void* value);
/* The value of key, or NULL if absent (use strmap_contains when values may be NULL). */
void* strmap_get(const struct strmap* map, const char* key);
bool strmap_contains(const struct strmap* map, const char* key);
/* Removes key; its value goes to *old_value when that is not NULL. Returns -ENOENT if absent. */
int strmap_remove(struct strmap* map, const char* key, void** old_value);
size_t strmap_count(const struct strmap* map);
bool strmap_next(const struct strmap* map, size_t* pos, const char** key, void** value);

void u64map_destroy(struct u64map* map);
int u64map_put(struct u64map* map, uint64_t key, void* value);
void* u64map_get(const struct u64map* map, uint64_t key);
bool u64map_contains(const struct u64map* map, uint64_t key);
int u64map_remove(struct u64map* map, uint64_t key, void** old_value);
size_t u64map_count(const struct u64map* map);
bool u64map_next(const struct u64map* map, size_t* pos, uint64_t* key, void** value);

#endif
