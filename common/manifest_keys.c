/* Manifest key names: matching against the schema's patterns, formatting, "did you mean". */
#include "manifest_keys.h"

#include "rt.h"

#define MAX_SUGGEST_LEN 128

/* Key names in messages: dotted, with segments that are not bare keys in quotes. */
static bool is_bare_key(const char* s) {
    if (!*s)
        return false;
    for (; *s; s++) {
        char ch = *s;
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

void manifest_key_format(const char* const* segs, size_t depth, char* buf, size_t size) {
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < depth && len < size; i++) {
        const char* fmt = is_bare_key(segs[i]) ? "%s%s" : "%s\"%s\"";
        int n = snprintf(buf + len, size - len, fmt, i ? "." : "", segs[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

/* Edit distance, for "did you mean"; SIZE_MAX when a string is too long to bother. */
static size_t edit_distance(const char* a, const char* b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t row[MAX_SUGGEST_LEN + 1];

    if (la > MAX_SUGGEST_LEN || lb > MAX_SUGGEST_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* A suggestion is worth making when at most a third of the longer name differs. */
static bool close_enough(size_t distance, const char* key, const char* candidate) {
    size_t len = strlen(key) > strlen(candidate) ? strlen(key) : strlen(candidate);
    return distance > 0 && distance <= 3 && distance * 3 <= len;
}

/* Pattern matching on key segments: "*" in a pattern matches any one segment. */
static size_t pattern_segment(const char* pattern, size_t index, const char** start) {
    const char* p = pattern;

    for (size_t i = 0; i < index; i++) {
        p = strchr(p, '.');
        if (!p)
            return SIZE_MAX;
        p++;
    }
    const char* end = strchr(p, '.');
    *start = p;
    return end ? (size_t)(end - p) : strlen(p);
}

static size_t pattern_depth(const char* pattern) {
    size_t depth = 1;
    for (const char* p = pattern; *p; p++)
        depth += *p == '.';
    return depth;
}

static bool segment_matches(const char* pattern, size_t index, const char* seg) {
    const char* start;
    size_t len = pattern_segment(pattern, index, &start);

    if (len == SIZE_MAX)
        return false;
    if (len == 1 && *start == '*')
        return true;
    return strlen(seg) == len && !memcmp(start, seg, len);
}

static bool pattern_matches_prefix(const char* pattern, const char* const* segs, size_t depth) {
    if (pattern_depth(pattern) < depth)
        return false;
    for (size_t i = 0; i < depth; i++) {
        if (!segment_matches(pattern, i, segs[i]))
            return false;
    }
    return true;
}

const struct manifest_key_spec* manifest_key_find(const char* const* segs, size_t depth) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    for (size_t i = 0; i < count; i++) {
        if (pattern_depth(schema[i].pattern) == depth &&
            pattern_matches_prefix(schema[i].pattern, segs, depth))
            return &schema[i];
    }
    return NULL;
}

bool manifest_key_has_prefix(const char* const* segs, size_t depth) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    for (size_t i = 0; i < count; i++) {
        if (pattern_depth(schema[i].pattern) > depth &&
            pattern_matches_prefix(schema[i].pattern, segs, depth))
            return true;
    }
    return false;
}

/* The first `depth` segments of a pattern, with "*" replaced by the key's own segment. */
static void pattern_instance(const char* pattern, const char* const* segs, size_t depth, char* buf,
                             size_t size) {
    const char* parts[MANIFEST_MAX_KEY_DEPTH];
    char storage[MANIFEST_MAX_KEY_DEPTH][MAX_SUGGEST_LEN];

    for (size_t i = 0; i < depth; i++) {
        const char* start;
        size_t len = pattern_segment(pattern, i, &start);
        if (len == 1 && *start == '*') {
            parts[i] = segs[i];
            continue;
        }
        if (len >= MAX_SUGGEST_LEN)
            len = MAX_SUGGEST_LEN - 1;
        memcpy(storage[i], start, len);
        storage[i][len] = '\0';
        parts[i] = storage[i];
    }
    manifest_key_format(parts, depth, buf, size);
}

void manifest_key_suggest(const char* const* segs, size_t depth, const char* key, char* best,
                          size_t size) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);
    size_t best_distance = SIZE_MAX;

    best[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        char candidate[256];
        size_t pdepth = pattern_depth(schema[i].pattern);

        /* Compare with the pattern cut to the key's depth, and whole when a dot went missing
         * ("sys.stack_size" for "sys.stack.size"). */
        for (int whole = 0; whole <= 1; whole++) {
            if (whole ? strchr(schema[i].pattern, '*') != NULL : pdepth < depth)
                continue;
            if (whole)
                strlcpy(candidate, schema[i].pattern, sizeof(candidate));
            else
                pattern_instance(schema[i].pattern, segs, depth, candidate, sizeof(candidate));
            size_t distance = edit_distance(key, candidate);
            if (distance < best_distance && close_enough(distance, key, candidate)) {
                best_distance = distance;
                strlcpy(best, candidate, size);
            }
        }
    }
}

bool manifest_key_is_experimental(const char* const* segs, size_t depth) {
    for (size_t i = 0; i < depth; i++) {
        if (!strncmp(segs[i], "experimental__", strlen("experimental__")))
            return true;
    }
    return false;
}

const char* manifest_field_suggest(const char* name, const struct manifest_key_spec* fields,
                                   size_t count) {
    const char* best = NULL;
    size_t best_distance = SIZE_MAX;

    for (size_t i = 0; i < count; i++) {
        size_t distance = edit_distance(name, fields[i].pattern);
        if (distance < best_distance && close_enough(distance, name, fields[i].pattern)) {
            best_distance = distance;
            best = fields[i].pattern;
        }
    }
    return best;
}
