/* Open-addressing hash maps with linear probing, behind a string-key and a uint64-key API.
 *
 * A removed entry leaves a "deleted" marker rather than moving its neighbours, which keeps
 * removal during iteration safe; markers are dropped whenever the table is rebuilt. The table
 * is rebuilt (and doubled when needed) once live entries plus markers pass 3/4 of it. */
#include "hashmap.h"

#include <linux/errno.h>

#include "rt.h"

enum slot_state {
    SLOT_EMPTY = 0,
    SLOT_LIVE,
    SLOT_DELETED,
};

struct hashmap_slot {
    uint64_t key; /* the key of a u64map, the hash of a strmap's key */
    char* str;    /* the owned key of a strmap, NULL in a u64map */
    void* value;
    int state;
};

/* What one lookup searches for. */
struct lookup {
    uint64_t key;
    const char* str;
    uint64_t hash;
};

#define MIN_CAPACITY 8

/* Spreads every input bit over the low bits the table indexes with. */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* FNV-1a, then the mix above. */
static uint64_t hash_string(const char* s) {
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return mix64(h);
}

static struct lookup lookup_str(const char* s) {
    uint64_t h = hash_string(s);

    return (struct lookup){.key = h, .str = s, .hash = h};
}

static struct lookup lookup_u64(uint64_t key) {
    return (struct lookup){.key = key, .str = NULL, .hash = mix64(key)};
}

static bool slot_matches(const struct hashmap_slot* slot, const struct lookup* k) {
    if (slot->state != SLOT_LIVE || slot->key != k->key)
        return false;
    return !k->str || !strcmp(slot->str, k->str);
}

/* Index of the live slot for k, or -1. */
static ptrdiff_t find_live(const struct hashmap* map, const struct lookup* k) {
    size_t mask = map->capacity - 1;

    if (!map->capacity)
        return -1;
    for (size_t i = k->hash & mask;; i = (i + 1) & mask) {
        if (map->slots[i].state == SLOT_EMPTY)
            return -1;
        if (slot_matches(&map->slots[i], k))
            return (ptrdiff_t)i;
    }
}

/* The slot a new key goes to: the first deleted marker on its probe path, else the empty slot
 * that ends it. The table always has an empty slot, since it is rebuilt before it fills. */
static size_t find_free(const struct hashmap* map, uint64_t hash) {
    size_t mask = map->capacity - 1;
    size_t i = hash & mask;

    while (map->slots[i].state == SLOT_LIVE)
        i = (i + 1) & mask;
    return i;
}

static uint64_t slot_hash(const struct hashmap_slot* slot) {
    return slot->str ? slot->key : mix64(slot->key);
}

/* Moves every live entry into a fresh table of new_capacity slots. */
static int rebuild(struct hashmap* map, size_t new_capacity) {
    struct hashmap_slot* old = map->slots;
    size_t old_capacity = map->capacity;
    struct hashmap_slot* slots = calloc(new_capacity, sizeof(*slots));

    if (!slots)
        return -ENOMEM;
    map->slots = slots;
    map->capacity = new_capacity;
    map->used = map->count;

    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].state == SLOT_LIVE)
            slots[find_free(map, slot_hash(&old[i]))] = old[i];
    }
    free(old);
    return 0;
}

/* Makes room for one more entry, keeping the load (markers included) at most 3/4. */
static int reserve_one(struct hashmap* map) {
    size_t capacity = MIN_CAPACITY;

    if ((map->used + 1) * 4 <= map->capacity * 3)
        return 0;
    while ((map->count + 1) * 2 > capacity) {
        if (capacity > SIZE_MAX / 2 / sizeof(struct hashmap_slot))
            return -ENOMEM;
        capacity *= 2;
    }
    return rebuild(map, capacity);
}

/* Inserts or replaces; str_copy is the strmap's already-copied key, or NULL for a u64map. The
 * map owns str_copy from here on, and frees it if it is not needed. */
static int core_put(struct hashmap* map, const struct lookup* k, char* str_copy, void* value) {
    ptrdiff_t found = find_live(map, k);
    struct hashmap_slot* slot;
    int ret;

    if (found >= 0) {
        map->slots[found].value = value;
        free(str_copy);
        return 0;
    }

    ret = reserve_one(map);
    if (ret < 0) {
        free(str_copy);
        return ret;
    }
    slot = &map->slots[find_free(map, k->hash)];
    if (slot->state == SLOT_EMPTY)
        map->used++;
    *slot =
        (struct hashmap_slot){.key = k->key, .str = str_copy, .value = value, .state = SLOT_LIVE};
    map->count++;
    return 0;
}

static int core_remove(struct hashmap* map, const struct lookup* k, void** old_value) {
    ptrdiff_t found = find_live(map, k);
    struct hashmap_slot* slot;

    if (found < 0)
        return -ENOENT;
    slot = &map->slots[found];
    if (old_value)
        *old_value = slot->value;
    free(slot->str);
    *slot = (struct hashmap_slot){.state = SLOT_DELETED};
    map->count--;
    return 0;
}

static const struct hashmap_slot* core_next(const struct hashmap* map, size_t* pos) {
    for (; *pos < map->capacity; (*pos)++) {
        if (map->slots[*pos].state == SLOT_LIVE)
            return &map->slots[(*pos)++];
    }
    return NULL;
}

static void core_destroy(struct hashmap* map) {
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->slots[i].state == SLOT_LIVE)
            free(map->slots[i].str);
    }
    free(map->slots);
    *map = (struct hashmap){0};
}

void strmap_destroy(struct strmap* map) {
    core_destroy(&map->core);
}

int strmap_put(struct strmap* map, const char* key, void* value) {
    struct lookup k = lookup_str(key);
    ptrdiff_t found = find_live(&map->core, &k);
    char* copy;

    if (found >= 0) {
        map->core.slots[found].value = value;
        return 0;
    }
    copy = strdup(key);
    if (!copy)
        return -ENOMEM;
    return core_put(&map->core, &k, copy, value);
}

void* strmap_get(const struct strmap* map, const char* key) {
    struct lookup k = lookup_str(key);
    ptrdiff_t found = find_live(&map->core, &k);

    return found >= 0 ? map->core.slots[found].value : NULL;
}

bool strmap_contains(const struct strmap* map, const char* key) {
    struct lookup k = lookup_str(key);

    return find_live(&map->core, &k) >= 0;
}

int strmap_remove(struct strmap* map, const char* key, void** old_value) {
    struct lookup k = lookup_str(key);

    return core_remove(&map->core, &k, old_value);
}

size_t strmap_count(const struct strmap* map) {
    return map->core.count;
}

bool strmap_next(const struct strmap* map, size_t* pos, const char** key, void** value) {
    const struct hashmap_slot* slot = core_next(&map->core, pos);

    if (!slot)
        return false;
    if (key)
        *key = slot->str;
    if (value)
        *value = slot->value;
    return true;
}

void u64map_destroy(struct u64map* map) {
    core_destroy(&map->core);
}

int u64map_put(struct u64map* map, uint64_t key, void* value) {
    struct lookup k = lookup_u64(key);

    return core_put(&map->core, &k, NULL, value);
}

void* u64map_get(const struct u64map* map, uint64_t key) {
    struct lookup k = lookup_u64(key);
    ptrdiff_t found = find_live(&map->core, &k);

    return found >= 0 ? map->core.slots[found].value : NULL;
}

bool u64map_contains(const struct u64map* map, uint64_t key) {
    struct lookup k = lookup_u64(key);

    return find_live(&map->core, &k) >= 0;
}

int u64map_remove(struct u64map* map, uint64_t key, void** old_value) {
    struct lookup k = lookup_u64(key);

    return core_remove(&map->core, &k, old_value);
}

size_t u64map_count(const struct u64map* map) {
    return map->core.count;
}

bool u64map_next(const struct u64map* map, size_t* pos, uint64_t* key, void** value) {
    const struct hashmap_slot* slot = core_next(&map->core, pos);

    if (!slot)
        return false;
    if (key)
        *key = slot->key;
    if (value)
        *value = slot->value;
    return true;
}
