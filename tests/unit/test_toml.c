/* Tests of the TOML parser: the data-driven suite under tests/toml plus API and number cases.
 *
 * Usage: test_toml DIR, where DIR holds valid/NAME.toml with NAME.json (the expected dump) and
 * invalid/NAME.toml with NAME.err ("line:col" and optionally a fragment of the message).
 * Every valid document is also cut at every byte and damaged at every byte, which must give a
 * tree or an error and never a crash (the build with sanitize_tools checks memory use too).
 * Prints one line per failed case and a final "toml: N passed, M failed"; exits 0 only if
 * M == 0. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "toml_float.h"

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

struct text {
    char* data;
    size_t len;
    size_t cap;
};

static void text_write(void* ctx, const char* buf, size_t size) {
    struct text* t = ctx;

    if (t->len + size + 1 > t->cap) {
        t->cap = (t->len + size + 1) * 2;
        t->data = realloc(t->data, t->cap);
        if (!t->data) {
            perror("realloc");
            exit(2);
        }
    }
    memcpy(t->data + t->len, buf, size);
    t->len += size;
    t->data[t->len] = '\0';
}

static char* read_file(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    struct text t = {0};
    char buf[4096];
    size_t n;

    if (!f)
        return NULL;
    text_write(&t, "", 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        text_write(&t, buf, n);
    fclose(f);
    *len = t.len;
    return t.data;
}

static struct toml_value* parse_text(const char* s, struct toml_error* err) {
    return toml_parse(s, strlen(s), err);
}

/* ---- a small JSON reader, enough to compare dumps with the expected files ---- */

enum json_type { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_LITERAL };

struct json {
    enum json_type type;
    char* str; /* string contents or literal text */
    size_t len;
    char** keys;
    struct json** items;
    size_t count;
};

struct json_reader {
    const char* s;
    size_t at, len;
    int depth;
};

static void json_free(struct json* j) {
    if (!j)
        return;
    for (size_t i = 0; i < j->count; i++) {
        if (j->keys)
            free(j->keys[i]);
        json_free(j->items[i]);
    }
    free(j->keys);
    free(j->items);
    free(j->str);
    free(j);
}

static void json_ws(struct json_reader* r) {
    while (r->at < r->len && strchr(" \t\r\n", r->s[r->at]))
        r->at++;
}

static void put_utf8(struct text* t, unsigned long cp) {
    char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    text_write(t, b, n);
}

static unsigned long json_hex4(struct json_reader* r, bool* ok) {
    char buf[5] = {0};
    char* end;

    if (r->at + 4 > r->len) {
        *ok = false;
        return 0;
    }
    memcpy(buf, r->s + r->at, 4);
    r->at += 4;
    unsigned long v = strtoul(buf, &end, 16);
    *ok = *ok && end == buf + 4;
    return v;
}

static bool json_string(struct json_reader* r, struct text* t) {
    bool ok = true;

    text_write(t, "", 0);
    if (r->at >= r->len || r->s[r->at] != '"')
        return false;
    r->at++;
    while (r->at < r->len && r->s[r->at] != '"') {
        char c = r->s[r->at++];
        if (c != '\\') {
            text_write(t, &c, 1);
            continue;
        }
        if (r->at >= r->len)
            return false;
        c = r->s[r->at++];
        const char* from = "\"\\/bfnrt";
        const char* to = "\"\\/\b\f\n\r\t";
        const char* hit = strchr(from, c);
        if (c == 'u') {
            unsigned long cp = json_hex4(r, &ok);
            if (cp >= 0xD800 && cp < 0xDC00 && r->at + 6 <= r->len && r->s[r->at] == '\\' &&
                r->s[r->at + 1] == 'u') {
                r->at += 2;
                unsigned long lo = json_hex4(r, &ok);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(t, cp);
        } else if (hit && c) {
            text_write(t, to + (hit - from), 1);
        } else {
            return false;
        }
    }
    if (r->at >= r->len)
        return false;
    r->at++;
    return ok;
}

static struct json* json_value(struct json_reader* r);

static bool json_add(struct json* j, char* key, struct json* item) {
    j->items = realloc(j->items, (j->count + 1) * sizeof(*j->items));
    if (j->type == JSON_OBJECT)
        j->keys = realloc(j->keys, (j->count + 1) * sizeof(*j->keys));
    if (!j->items || (j->type == JSON_OBJECT && !j->keys))
        return false;
    if (j->type == JSON_OBJECT)
        j->keys[j->count] = key;
    j->items[j->count++] = item;
    return true;
}

static struct json* json_container(struct json_reader* r, enum json_type type) {
    struct json* j = calloc(1, sizeof(*j));
    char close = type == JSON_OBJECT ? '}' : ']';

    j->type = type;
    r->at++;
    json_ws(r);
    if (r->at < r->len && r->s[r->at] == close) {
        r->at++;
        return j;
    }
    for (;;) {
        struct text key = {0};
        json_ws(r);
        if (type == JSON_OBJECT) {
            if (!json_string(r, &key))
                goto fail;
            json_ws(r);
            if (r->at >= r->len || r->s[r->at] != ':')
                goto fail;
            r->at++;
        }
        struct json* item = json_value(r);
        if (!item || !json_add(j, key.data, item)) {
            json_free(item);
            goto fail;
        }
        json_ws(r);
        if (r->at < r->len && r->s[r->at] == ',') {
            r->at++;
            continue;
        }
        if (r->at < r->len && r->s[r->at] == close) {
            r->at++;
            return j;
        }
        goto fail;
    fail:
        free(key.data);
        json_free(j);
        return NULL;
    }
}

static struct json* json_value(struct json_reader* r) {
    struct json* j;

    json_ws(r);
    if (r->at >= r->len || ++r->depth > 1000)
        return NULL;
    if (r->s[r->at] == '{' || r->s[r->at] == '[') {
        j = json_container(r, r->s[r->at] == '{' ? JSON_OBJECT : JSON_ARRAY);
    } else if (r->s[r->at] == '"') {
        struct text t = {0};
        if (!json_string(r, &t)) {
            free(t.data);
            return NULL;
        }
        j = calloc(1, sizeof(*j));
        j->type = JSON_STRING;
        j->str = t.data;
        j->len = t.len;
    } else {
        size_t start = r->at;
        while (r->at < r->len && !strchr(" \t\r\n,]}", r->s[r->at]))
            r->at++;
        j = calloc(1, sizeof(*j));
        j->type = JSON_LITERAL;
        j->str = strndup(r->s + start, r->at - start);
        j->len = r->at - start;
    }
    r->depth--;
    return j;
}

static struct json* json_parse(const char* s, size_t len) {
    struct json_reader r = {.s = s, .len = len};
    struct json* j = json_value(&r);

    json_ws(&r);
    if (j && r.at != len) {
        json_free(j);
        return NULL;
    }
    return j;
}

static const struct json* json_get(const struct json* j, const char* key) {
    if (j->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < j->count; i++) {
        if (!strcmp(j->keys[i], key))
            return j->items[i];
    }
    return NULL;
}

/* A toml-test leaf: an object of exactly "type" and "value", both strings. */
static bool json_is_leaf(const struct json* j) {
    const struct json* type = json_get(j, "type");
    const struct json* value = json_get(j, "value");

    return j->count == 2 && type && value && type->type == JSON_STRING &&
           value->type == JSON_STRING;
}

static bool float_text_equal(const char* a, const char* b) {
    double x = strtod(a, NULL), y = strtod(b, NULL);

    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    return x == y && signbit(x) == signbit(y);
}

/* Compares like toml-test: objects regardless of key order, floats by value. Writes the path of
 * the first difference to where. */
static bool json_equal(const struct json* a, const struct json* b, char* where, size_t size) {
    if (a->type != b->type || a->count != b->count) {
        snprintf(where, size, "different shape");
        return false;
    }
    if (a->type == JSON_STRING || a->type == JSON_LITERAL) {
        if (a->len == b->len && !memcmp(a->str, b->str, a->len))
            return true;
        snprintf(where, size, "\"%s\" vs \"%s\"", a->str, b->str);
        return false;
    }
    if (a->type == JSON_OBJECT && json_is_leaf(a) && json_is_leaf(b) &&
        !strcmp(json_get(a, "type")->str, "float") && !strcmp(json_get(b, "type")->str, "float"))
        return float_text_equal(json_get(a, "value")->str, json_get(b, "value")->str) ||
               (snprintf(where, size, "float %s vs %s", json_get(a, "value")->str,
                         json_get(b, "value")->str),
                false);
    for (size_t i = 0; i < a->count; i++) {
        const struct json* other = a->type == JSON_OBJECT ? json_get(b, a->keys[i]) : b->items[i];
        char inner[256];
        if (!other) {
            snprintf(where, size, "key \"%s\" missing", a->keys[i]);
            return false;
        }
        if (!json_equal(a->items[i], other, inner, sizeof(inner))) {
            if (a->type == JSON_OBJECT)
                snprintf(where, size, "%s: %s", a->keys[i], inner);
            else
                snprintf(where, size, "[%zu]: %s", i, inner);
            return false;
        }
    }
    return true;
}

/* ---- the data-driven suite ---- */

struct case_list {
    char** names;
    size_t count;
};

static int compare_names(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

/* Lists NAME for every NAME.toml in a directory, sorted. */
static struct case_list list_cases(const char* dir) {
    struct case_list list = {0};
    DIR* d = opendir(dir);
    struct dirent* ent;

    if (!d)
        return list;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len <= 5 || strcmp(ent->d_name + len - 5, ".toml"))
            continue;
        list.names = realloc(list.names, (list.count + 1) * sizeof(char*));
        list.names[list.count++] = strndup(ent->d_name, len - 5);
    }
    closedir(d);
    qsort(list.names, list.count, sizeof(char*), compare_names);
    return list;
}

static void free_cases(struct case_list* list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->names[i]);
    free(list->names);
}

/* Every prefix of a valid document must give a tree or an error inside the prefix, and never
 * crash; run under the sanitizers this also checks for leaks and bad accesses. */
static bool prefixes_survive(const char* name, const char* text, size_t len) {
    for (size_t n = 0; n < len; n++) {
        struct toml_error err;
        char* copy = malloc(n ? n : 1);
        memcpy(copy, text, n);
        struct toml_value* root = toml_parse(copy, n, &err);
        bool sane = root || (err.pos.line >= 1 && err.pos.col >= 1 && err.message[0]);
        toml_free(root);
        free(copy);
        if (!sane) {
            printf("FAIL prefix %s: %zu bytes give no tree and no error\n", name, n);
            return false;
        }
    }
    return true;
}

/* Damages a valid document one byte at a time (every position, a few replacement bytes that
 * matter to the grammar) and parses the result: a tree or an error, never a crash. */
static bool mutations_survive(const char* name, const char* text, size_t len) {
    static const char bytes[] = {'"', '\'', '[', ']', '{', '=', '.', '\n', '\\', '\0', '\x80'};
    char* copy = malloc(len ? len : 1);

    for (size_t at = 0; at < len; at++) {
        for (size_t b = 0; b < sizeof(bytes); b++) {
            struct toml_error err;
            memcpy(copy, text, len);
            copy[at] = bytes[b];
            struct toml_value* root = toml_parse(copy, len, &err);
            bool sane = root || (err.pos.line >= 1 && err.pos.col >= 1 && err.message[0]);
            toml_free(root);
            if (!sane) {
                printf("FAIL mutation %s: byte %zu set to 0x%02x gives no tree and no error\n",
                       name, at, (unsigned char)bytes[b]);
                free(copy);
                return false;
            }
        }
    }
    free(copy);
    return true;
}

static void run_valid_case(const char* dir, const char* name) {
    char path[4096];
    size_t len, json_len;
    struct toml_error err;
    struct text dump = {0};
    char where[512];

    snprintf(path, sizeof(path), "%s/valid/%s.toml", dir, name);
    char* text = read_file(path, &len);
    snprintf(path, sizeof(path), "%s/valid/%s.json", dir, name);
    char* json_text = read_file(path, &json_len);
    if (!text || !json_text) {
        CHECK(false, "valid/%s: cannot read the .toml or .json file", name);
        goto out;
    }

    struct toml_value* root = toml_parse(text, len, &err);
    if (!root) {
        CHECK(false, "valid/%s: %d:%d: %s", name, err.pos.line, err.pos.col, err.message);
        goto out;
    }
    toml_dump_json(root, text_write, &dump);
    toml_free(root);

    struct json* got = json_parse(dump.data, dump.len);
    struct json* want = json_parse(json_text, json_len);
    if (!got || !want)
        CHECK(false, "valid/%s: %s JSON does not parse", name, got ? "expected" : "dumped");
    else if (!json_equal(want, got, where, sizeof(where)))
        CHECK(false, "valid/%s: dump differs at %s\n  got: %s", name, where, dump.data);
    else
        CHECK(prefixes_survive(name, text, len) && mutations_survive(name, text, len),
              "valid/%s: prefixes and mutations", name);
    json_free(got);
    json_free(want);
out:
    free(text);
    free(json_text);
    free(dump.data);
}

static void run_invalid_case(const char* dir, const char* name) {
    char path[4096];
    size_t len, err_len;
    struct toml_error err;
    int line = 0, col = 0, used = 0;

    snprintf(path, sizeof(path), "%s/invalid/%s.toml", dir, name);
    char* text = read_file(path, &len);
    snprintf(path, sizeof(path), "%s/invalid/%s.err", dir, name);
    char* expect = read_file(path, &err_len);
    if (!text || !expect || sscanf(expect, "%d:%d%n", &line, &col, &used) < 2) {
        CHECK(false, "invalid/%s: cannot read the .toml file or the line:col in .err", name);
        goto out;
    }

    char* fragment = expect + used;
    fragment += strspn(fragment, " \t");
    fragment[strcspn(fragment, "\r\n")] = '\0';

    struct toml_value* root = toml_parse(text, len, &err);
    if (root) {
        toml_free(root);
        CHECK(false, "invalid/%s: parsed without error", name);
    } else if (err.pos.line != line || err.pos.col != col || !strstr(err.message, fragment)) {
        CHECK(false, "invalid/%s: got %d:%d: %s; want %d:%d: ...%s...", name, err.pos.line,
              err.pos.col, err.message, line, col, fragment);
    } else {
        g_passed++;
    }
out:
    free(text);
    free(expect);
}

static void run_suite(const char* dir) {
    char sub[4096];

    snprintf(sub, sizeof(sub), "%s/valid", dir);
    struct case_list valid = list_cases(sub);
    snprintf(sub, sizeof(sub), "%s/invalid", dir);
    struct case_list invalid = list_cases(sub);

    CHECK(valid.count > 0 && invalid.count > 0, "no cases found under %s", dir);
    for (size_t i = 0; i < valid.count; i++)
        run_valid_case(dir, valid.names[i]);
    for (size_t i = 0; i < invalid.count; i++)
        run_invalid_case(dir, invalid.names[i]);
    free_cases(&valid);
    free_cases(&invalid);
}

/* ---- API behaviour ---- */

static void test_lookups_and_positions(void) {
    struct toml_error err;
    const char* doc = "title = \"x\"\n"
                      "[loader.env]\n"
                      "  PATH = \"/bin\"\n"
                      "[fs]\n"
                      "mounts = [ { path = \"/lib\" } ]\n";
    struct toml_value* root = parse_text(doc, &err);

    CHECK(root && root->type == TOML_TABLE, "lookup document parses: %s", err.message);
    if (!root)
        return;

    const struct toml_value* path = toml_get_path(root, "loader.env.PATH");
    CHECK(path && path->type == TOML_STRING && !strcmp(path->str.ptr, "/bin"),
          "toml_get_path finds a nested key");
    CHECK(path && path->pos.line == 3 && path->pos.col == 10, "value position is 3:10");

    const struct toml_entry* e = toml_table_entry(toml_get_path(root, "loader.env"), "PATH");
    CHECK(e && e->key_pos.line == 3 && e->key_pos.col == 3, "key position is 3:3");
    CHECK(toml_get_path(root, "loader")->pos.line == 2, "implicit table remembers its header");
    CHECK(toml_get_path(root, "loader.env.PATH.x") == NULL, "path through a string is NULL");
    CHECK(toml_get_path(root, "nope") == NULL, "missing key is NULL");
    CHECK(toml_table_get(root, "title") && toml_table_get(root, "title")->str.len == 1,
          "toml_table_get finds a top-level key");
    CHECK(toml_table_get(path, "x") == NULL, "toml_table_get on a non-table is NULL");
    CHECK(toml_table_get(NULL, "x") == NULL && toml_get_path(NULL, "x") == NULL,
          "lookups accept NULL");

    const struct toml_value* mounts = toml_get_path(root, "fs.mounts");
    CHECK(mounts && mounts->type == TOML_ARRAY && mounts->array.count == 1 &&
              mounts->array.items[0]->type == TOML_TABLE,
          "array of inline tables");
    CHECK(root->table.count == 3 && !strcmp(root->table.entries[0].key, "title") &&
              !strcmp(root->table.entries[2].key, "fs"),
          "entries keep source order");
    toml_free(root);
}

static void test_string_with_nul(void) {
    struct toml_error err;
    struct toml_value* root = parse_text("s = \"a\\u0000b\"", &err);
    const struct toml_value* s = toml_table_get(root, "s");

    CHECK(s && s->str.len == 3 && s->str.ptr[1] == '\0' && s->str.ptr[2] == 'b' &&
              s->str.ptr[3] == '\0',
          "\\u0000 keeps the length and the terminator");
    toml_free(root);
}

static void test_big_table(void) {
    struct text doc = {0};
    struct toml_error err;
    char line[64];
    bool all = true;

    text_write(&doc, "[t]\n", 4);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(line, sizeof(line), "key%d = %d\n", i, i);
        text_write(&doc, line, (size_t)n);
    }
    struct toml_value* root = toml_parse(doc.data, doc.len, &err);
    CHECK(root != NULL, "5000-key table parses: %s", err.message);
    for (int i = 0; root && i < 5000; i++) {
        snprintf(line, sizeof(line), "t.key%d", i);
        const struct toml_value* v = toml_get_path(root, line);
        all = all && v && v->integer == i;
    }
    CHECK(all, "every key of a big table is found");
    toml_free(root);

    text_write(&doc, "key4321 = 1\n", 12);
    root = toml_parse(doc.data, doc.len, &err);
    CHECK(!root && err.pos.line == 5002 &&
              strstr(err.message, "defined twice (first at line "
                                  "4323)"),
          "duplicate in a big table: %d:%d %s", err.pos.line, err.pos.col, err.message);
    toml_free(root);
    free(doc.data);
}

/* Nesting beyond the limit is an error, not a deep recursion. */
static void test_depth_limit(void) {
    struct toml_error err;
    struct text doc = {0};

    text_write(&doc, "a = ", 4);
    for (int i = 0; i < 100000; i++)
        text_write(&doc, "[", 1);
    struct toml_value* root = toml_parse(doc.data, doc.len, &err);
    CHECK(!root && strstr(err.message, "nesting deeper"), "100000 '[' refused: %s", err.message);
    free(doc.data);

    doc = (struct text){0};
    text_write(&doc, "a = ", 4);
    for (int i = 0; i < 128; i++)
        text_write(&doc, "[", 1);
    for (int i = 0; i < 128; i++)
        text_write(&doc, "]", 1);
    root = toml_parse(doc.data, doc.len, &err);
    CHECK(root != NULL, "128 nested arrays are fine: %s", err.message);
    toml_free(root);
    free(doc.data);

    doc = (struct text){0};
    text_write(&doc, "[a", 2);
    for (int i = 0; i < 200; i++)
        text_write(&doc, ".a", 2);
    text_write(&doc, "]", 1);
    root = toml_parse(doc.data, doc.len, &err);
    CHECK(!root && (strstr(err.message, "nesting deeper") || strstr(err.message, "parts")),
          "201-part header refused: %s", err.message);
    free(doc.data);

    doc = (struct text){0};
    for (int i = 0; i < 100; i++)
        text_write(&doc, "[[a]]\n", 6);
    text_write(&doc, "x = { y = { z = [ { w = 1 } ] } }\n", 34);
    root = toml_parse(doc.data, doc.len, &err);
    CHECK(root != NULL, "many elements do not count as depth: %s", err.message);
    toml_free(root);
    free(doc.data);
}

static void test_type_names(void) {
    CHECK(!strcmp(toml_type_name(TOML_LOCAL_TIME), "local time"), "type name of a local time");
    CHECK(!strcmp(toml_type_name(TOML_TABLE), "table"), "type name of a table");
    CHECK(!strcmp(toml_type_name((enum toml_type)99), "unknown"), "type name out of range");
}

/* ---- numbers against the host's correctly rounded strtod ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static uint64_t bits_of(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return b;
}

static void test_float_parse_matches_strtod(void) {
    static const char* const fixed[] = {
        "0.1",
        "1e23",
        "8.98846567431158e307",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "9007199254740993",
        "9007199254740992.5",
        "0.000000000000000000000000000001",
        "123456789012345678901234567890e-20",
        "3.14159265358979323846264338327950288",
        "1e-400",
        "7.2057594037927933e16",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
    };
    int bad = 0, total = 0;
    char text[64];

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        double mine = 0;
        int rc = toml_float_parse(fixed[i], strlen(fixed[i]), &mine);
        CHECK(rc == 0 && bits_of(mine) == bits_of(strtod(fixed[i], NULL)),
              "toml_float_parse(%s) = %.17g, strtod says %.17g", fixed[i], mine,
              strtod(fixed[i], NULL));
    }

    for (int i = 0; i < 200000; i++) {
        uint64_t r = next_random();
        int digits = 1 + (int)(r % 25);
        int exp = (int)((r >> 8) % 700) - 350;
        size_t n = 0;
        double mine = 0;

        for (int d = 0; d < digits; d++) {
            text[n++] = (char)('0' + next_random() % 10);
            if (d == 0 && digits > 1)
                text[n++] = '.';
        }
        n += (size_t)snprintf(text + n, sizeof(text) - n, "e%d", exp);
        double want = strtod(text, NULL);
        int rc = toml_float_parse(text, n, &mine);
        total++;
        if (isinf(want) ? rc != -ERANGE : (rc != 0 || bits_of(mine) != bits_of(want))) {
            if (bad++ < 5)
                printf("  %s: mine %.17g, strtod %.17g\n", text, mine, want);
        }
    }
    CHECK(bad == 0, "random decimals: %d of %d differ from strtod", bad, total);
}

static void test_float_format_round_trips(void) {
    static const struct {
        double value;
        const char* text;
    } fixed[] = {
        {0.1, "0.1"},
        {-0.0, "-0.0"},
        {1e22, "1e+22"},
        {5e-324, "5e-324"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {0.0001, "0.0001"},
        {1e-5, "1e-05"},
        {3.0, "3.0"},
        {-2.5, "-2.5"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123.456, "123.456"},
    };
    char buf[TOML_FLOAT_FORMAT_SIZE];
    int bad = 0, total = 0;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        toml_float_format(fixed[i].value, buf);
        CHECK(!strcmp(buf, fixed[i].text), "format %.17g: got %s, want %s", fixed[i].value, buf,
              fixed[i].text);
    }
    toml_float_format(__builtin_nan(""), buf);
    CHECK(!strcmp(buf, "nan"), "format nan: %s", buf);
    toml_float_format(-__builtin_inf(), buf);
    CHECK(!strcmp(buf, "-inf"), "format -inf: %s", buf);

    for (int i = 0; i < 20000; i++) {
        uint64_t bits = next_random();
        double value, back;
        memcpy(&value, &bits, sizeof(value));
        if (isnan(value) || isinf(value))
            continue;
        size_t n = toml_float_format(value, buf);
        back = strtod(buf, NULL);
        total++;
        if (bits_of(back) != bits || n != strlen(buf)) {
            if (bad++ < 5)
                printf("  %.17g formatted as %s\n", value, buf);
        }
    }
    CHECK(bad == 0, "random doubles: %d of %d do not round-trip", bad, total);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    run_suite(argv[1]);
    test_lookups_and_positions();
    test_string_with_nul();
    test_big_table();
    test_depth_limit();
    test_type_names();
    test_float_parse_matches_strtod();
    test_float_format_round_trips();

    printf("toml: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
