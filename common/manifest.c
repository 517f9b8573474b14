/* Manifest validation: walks the TOML tree against the schema table and fills struct manifest. */
#include "manifest.h"

#include <asm-generic/errno-base.h>

#include "log.h"
#include "manifest_keys.h"
#include "rt.h"

#define MAX_ERRORS   20
#define MAX_DIAGS    (MAX_ERRORS + 20)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Messages are held until the end and then given out in source order, because the tree groups
 * keys by table rather than by line. */
struct pending_diag {
    struct toml_pos pos;
    bool is_error;
    char line[256 + 128];
};

struct check_ctx {
    struct manifest* m;
    const char* file;
    manifest_diag_fn diag;
    void* diag_ctx;
    int errors;
    struct pending_diag* pending; /* MAX_DIAGS slots */
    size_t pending_count;
    size_t dropped_errors;
    bool attestation_bool; /* sgx.remote_attestation was written as true */
    const char* segs[MANIFEST_MAX_KEY_DEPTH];
    size_t depth;
};

/* A converted scalar, before it is stored at a spec's offset. */
struct scalar {
    const char* str;
    uint64_t num;
    bool flag;
};

static const char* const g_type_articles[] = {
    [TOML_STRING] = "a string",
    [TOML_INTEGER] = "an integer",
    [TOML_FLOAT] = "a float",
    [TOML_BOOLEAN] = "a boolean",
    [TOML_OFFSET_DATETIME] = "an offset date-time",
    [TOML_LOCAL_DATETIME] = "a local date-time",
    [TOML_LOCAL_DATE] = "a local date",
    [TOML_LOCAL_TIME] = "a local time",
    [TOML_ARRAY] = "an array",
    [TOML_TABLE] = "a table",
};

static const char* type_article(const struct toml_value* v) {
    if ((size_t)v->type >= COUNT(g_type_articles))
        return "a value";
    return g_type_articles[v->type];
}

static void emit(struct check_ctx* c, bool is_error, struct toml_pos pos, const char* fmt,
                 va_list ap) {
    struct pending_diag* d;
    int len;

    if (pos.line <= 0)
        pos = (struct toml_pos){1, 1};
    if ((is_error && c->errors > MAX_ERRORS) || c->pending_count == MAX_DIAGS) {
        c->dropped_errors += is_error;
        return;
    }
    d = &c->pending[c->pending_count++];
    d->pos = pos;
    d->is_error = is_error;
    len = snprintf(d->line, sizeof(d->line), "%s:%d:%d: ", c->file, pos.line, pos.col);
    if (len < 0 || (size_t)len >= sizeof(d->line))
        len = 0;
    vsnprintf(d->line + len, sizeof(d->line) - len, fmt, ap);
}

static bool pos_before(struct toml_pos a, struct toml_pos b) {
    return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/* Gives the held messages out sorted by position (a stable insertion sort; there are few). */
static void flush_diags(struct check_ctx* c) {
    for (size_t i = 1; i < c->pending_count; i++) {
        struct pending_diag d = c->pending[i];
        size_t j = i;
        for (; j > 0 && pos_before(d.pos, c->pending[j - 1].pos); j--)
            c->pending[j] = c->pending[j - 1];
        c->pending[j] = d;
    }
    for (size_t i = 0; i < c->pending_count; i++)
        c->diag(c->diag_ctx, c->pending[i].is_error, c->pending[i].line);
    if (c->dropped_errors) {
        char line[256];
        snprintf(line, sizeof(line), "%s: %zu more errors not shown", c->file, c->dropped_errors);
        c->diag(c->diag_ctx, true, line);
    }
    c->pending_count = 0;
}

__attribute__((format(printf, 3, 4))) static int report(struct check_ctx* c, struct toml_pos pos,
                                                        const char* fmt, ...) {
    va_list ap;

    c->errors++;
    va_start(ap, fmt);
    emit(c, true, pos, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static void warn(struct check_ctx* c, struct toml_pos pos,
                                                       const char* fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    emit(c, false, pos, fmt, ap);
    va_end(ap);
}

static int expected(struct check_ctx* c, const char* key, const struct toml_value* v,
                    const char* what) {
    return report(c, v->pos, "key '%s': expected %s, got %s", key, what, type_article(v));
}

int manifest_parse_size(const char* s, uint64_t* out) {
    static const struct {
        char suffix;
        unsigned int shift;
    } units[] = {{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}};
    uint64_t value = 0;
    const char* p = s;

    if (*p < '0' || *p > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return -EINVAL;
        value = value * 10 + digit;
    }

    if (*p) {
        char suffix = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
        size_t i;
        for (i = 0; i < COUNT(units); i++) {
            if (units[i].suffix == suffix)
                break;
        }
        if (i == COUNT(units) || p[1])
            return -EINVAL;
        if (value > (UINT64_MAX >> units[i].shift))
            return -EINVAL;
        value <<= units[i].shift;
    }

    *out = value;
    return 0;
}

/*
 * Reports each leaf under an unknown key, so that the message shows the whole key as the user
 * wrote it. The suggestion compares the whole key first, then the part up to where it left
 * the schema (old Gramine "fs.mount.lib.uri" suggests "fs.mounts").
 */
static void report_unknown_key(struct check_ctx* c, const struct toml_entry* e,
                               size_t unknown_depth) {
    char key[256], prefix[256], suggestion[256];
    const struct toml_value* v = e->value;

    if (v->type == TOML_TABLE && v->table.count && c->depth < MANIFEST_MAX_KEY_DEPTH) {
        for (size_t i = 0; i < v->table.count; i++) {
            c->segs[c->depth++] = v->table.entries[i].key;
            report_unknown_key(c, &v->table.entries[i], unknown_depth);
            c->depth--;
        }
        return;
    }

    manifest_key_format(c->segs, c->depth, key, sizeof(key));
    manifest_key_suggest(c->segs, c->depth, key, suggestion, sizeof(suggestion));
    if (!suggestion[0] && unknown_depth < c->depth) {
        manifest_key_format(c->segs, unknown_depth, prefix, sizeof(prefix));
        manifest_key_suggest(c->segs, unknown_depth, prefix, suggestion, sizeof(suggestion));
    }
    if (suggestion[0])
        report(c, e->key_pos, "unknown key '%s' (did you mean '%s'?)", key, suggestion);
    else
        report(c, e->key_pos, "unknown key '%s'", key);
}

/* Growable arrays of model entries. */
static void* array_append(void** items, size_t* count, size_t elem_size) {
    void* grown = realloc(*items, (*count + 1) * elem_size);

    if (!grown)
        return NULL;
    *items = grown;
    void* slot = (char*)grown + *count * elem_size;
    memset(slot, 0, elem_size);
    (*count)++;
    return slot;
}

static int get_string(struct check_ctx* c, const char* key, const struct toml_value* v,
                      const char* what, const char** out) {
    if (v->type != TOML_STRING)
        return expected(c, key, v, what);
    if (strlen(v->str.ptr) != v->str.len)
        return report(c, v->pos, "key '%s': the string contains a NUL character", key);
    *out = v->str.ptr;
    return 0;
}

static bool has_file_prefix(const char* s) {
    return !strncmp(s, "file:", strlen("file:"));
}

static int convert_enum(struct check_ctx* c, const struct manifest_key_spec* spec, const char* key,
                        const struct toml_value* v, const char* s) {
    char list[256];
    size_t len = 0;

    for (size_t i = 0; spec->allowed[i]; i++) {
        if (!strcmp(s, spec->allowed[i]))
            return 0;
    }
    list[0] = '\0';
    for (size_t i = 0; spec->allowed[i] && len < sizeof(list); i++) {
        int n = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", spec->allowed[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return report(c, v->pos, "key '%s': '%s' is not one of %s", key, s, list);
}

static int convert_hex(struct check_ctx* c, const struct manifest_key_spec* spec, const char* key,
                       const struct toml_value* v, const char* s) {
    const char* digits = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
    size_t n = strlen(digits);

    for (size_t i = 0; i < n; i++) {
        if (rt_hex_digit((unsigned char)digits[i]) < 0)
            return report(c, v->pos, "key '%s': '%s' is not a hex string", key, s);
    }
    if (spec->max && n != spec->max)
        return report(c, v->pos, "key '%s': expected %u hex digits, got %zu", key,
                      (unsigned int)spec->max, n);
    return 0;
}

static int convert_path(struct check_ctx* c, const struct manifest_key_spec* spec, const char* key,
                        const struct toml_value* v, const char* s, const char** out) {
    const char* path = has_file_prefix(s) ? s + strlen("file:") : s;

    if (!*path)
        return report(c, v->pos, "key '%s': the guest path is empty", key);
    if (path[0] != '/' && !(spec->flags & MANIFEST_KEY_RELATIVE))
        return report(c, v->pos, "key '%s': guest path '%s' must be absolute", key, path);
    *out = path;
    return 0;
}

static int convert_uri(struct check_ctx* c, const char* key, const struct toml_value* v,
                       const char* s) {
    if (!has_file_prefix(s))
        return report(c, v->pos, "key '%s': expected a \"file:\" URI, got '%s'", key, s);
    if (!s[strlen("file:")])
        return report(c, v->pos, "key '%s': the URI '%s' names no host path", key, s);
    return 0;
}

static int convert_integer(struct check_ctx* c, const struct manifest_key_spec* spec,
                           const char* key, const struct toml_value* v, uint64_t* out) {
    if (v->type != TOML_INTEGER)
        return expected(c, key, v, "an integer");
    if (v->integer < 0 || (uint64_t)v->integer > spec->max)
        return report(c, v->pos, "key '%s': expected an integer from 0 to %llu, got %lld", key,
                      (unsigned long long)spec->max, (long long)v->integer);
    *out = (uint64_t)v->integer;
    return 0;
}

static int convert_size(struct check_ctx* c, const char* key, const struct toml_value* v,
                        uint64_t* out) {
    if (v->type == TOML_INTEGER) {
        if (v->integer < 0)
            return report(c, v->pos, "key '%s': a size cannot be negative, got %lld", key,
                          (long long)v->integer);
        *out = (uint64_t)v->integer;
        return 0;
    }
    if (v->type != TOML_STRING)
        return expected(c, key, v, manifest_kind_describe(MK_SIZE));
    if (manifest_parse_size(v->str.ptr, out) < 0 || strlen(v->str.ptr) != v->str.len)
        return report(c, v->pos,
                      "key '%s': bad size '%s' (expected digits with an optional K, M, G or T "
                      "suffix)",
                      key, v->str.ptr);
    return 0;
}

/* Type-checks one scalar value for a spec and converts it; errors are reported here. */
static int convert_scalar(struct check_ctx* c, const struct manifest_key_spec* spec,
                          const char* key, const struct toml_value* v, struct scalar* out) {
    int ret;

    switch (spec->kind) {
        case MK_BOOL:
            if (v->type != TOML_BOOLEAN)
                return expected(c, key, v, "a boolean");
            out->flag = v->boolean;
            return 0;
        case MK_UINT:
            return convert_integer(c, spec, key, v, &out->num);
        case MK_SIZE:
            return convert_size(c, key, v, &out->num);
        default:
            break;
    }

    ret = get_string(c, key, v, manifest_kind_describe(spec->kind), &out->str);
    if (ret < 0)
        return ret;
    switch (spec->kind) {
        case MK_ENUM:
            return convert_enum(c, spec, key, v, out->str);
        case MK_HEX:
            return convert_hex(c, spec, key, v, out->str);
        case MK_PATH:
            return convert_path(c, spec, key, v, out->str, &out->str);
        case MK_URI:
            return convert_uri(c, key, v, out->str);
        case MK_MOUNT_URI:
            return 0; /* the prefix depends on the mount type: see convert_mount */
        default:
            return 0;
    }
}

static bool is_scalar_kind(enum manifest_kind kind) {
    switch (kind) {
        case MK_STRING:
        case MK_ENUM:
        case MK_BOOL:
        case MK_UINT:
        case MK_SIZE:
        case MK_URI:
        case MK_MOUNT_URI:
        case MK_PATH:
        case MK_HEX:
            return true;
        default:
            return false;
    }
}

static void store_scalar(void* base, const struct manifest_key_spec* spec,
                         const struct scalar* value) {
    char* field = (char*)base + spec->offset;

    switch (spec->kind) {
        case MK_BOOL:
            *(bool*)field = value->flag;
            break;
        case MK_UINT:
        case MK_SIZE:
            if (spec->size == sizeof(uint16_t))
                *(uint16_t*)field = (uint16_t)value->num;
            else if (spec->size == sizeof(uint32_t))
                *(uint32_t*)field = (uint32_t)value->num;
            else
                *(uint64_t*)field = value->num;
            break;
        default:
            *(const char**)field = value->str;
            break;
    }
}

/* Defaults come from the same table the users read, through the same conversions. */
static void apply_default(void* base, const struct manifest_key_spec* spec) {
    struct scalar value = {.str = spec->default_text};

    if (!spec->default_text || !(is_scalar_kind(spec->kind) || spec->kind == MK_ATTESTATION))
        return;
    value.flag = !strcmp(spec->default_text, "true");
    if (spec->kind == MK_UINT)
        value.num = strtoull(spec->default_text, NULL, 10);
    if (spec->kind == MK_SIZE && manifest_parse_size(spec->default_text, &value.num) < 0)
        return;
    store_scalar(base, spec, &value);
}

/*
 * Checks the fields of an inline table against a field table and stores them into base.
 * *present gets one bit per field found (in table order).
 */
static int convert_fields(struct check_ctx* c, const char* key, const struct toml_value* table,
                          enum manifest_kind kind, void* base, unsigned int* present) {
    size_t nfields;
    const struct manifest_key_spec* fields = manifest_schema_fields(kind, &nfields);
    int ret = 0;

    *present = 0;
    for (size_t i = 0; i < table->table.count; i++) {
        const struct toml_entry* e = &table->table.entries[i];
        char sub[300];
        size_t f;

        snprintf(sub, sizeof(sub), "%s.%s", key, e->key);
        for (f = 0; f < nfields; f++) {
            if (!strcmp(fields[f].pattern, e->key))
                break;
        }
        if (f == nfields) {
            const char* best = manifest_field_suggest(e->key, fields, nfields);
            if (best)
                ret = report(c, e->key_pos, "unknown key '%s' (did you mean '%s.%s'?)", sub, key,
                             best);
            else
                ret = report(c, e->key_pos, "unknown key '%s'", sub);
            continue;
        }

        struct scalar value = {0};
        int r = convert_scalar(c, &fields[f], sub, e->value, &value);
        if (r < 0) {
            ret = r;
            continue;
        }
        store_scalar(base, &fields[f], &value);
        *present |= 1u << f;
    }
    return ret;
}

static bool field_present(unsigned int present, enum manifest_kind kind, const char* name) {
    size_t nfields;
    const struct manifest_key_spec* fields = manifest_schema_fields(kind, &nfields);

    for (size_t f = 0; f < nfields; f++) {
        if (!strcmp(fields[f].pattern, name))
            return present & (1u << f);
    }
    return false;
}

static const struct toml_entry* find_field(const struct toml_value* table, const char* name) {
    return toml_table_entry(table, name);
}

/* What each mount type takes. */
struct mount_rule {
    const char* type;
    bool needs_uri;
    bool takes_key;
    const char* uri_prefix; /* what its uri starts with */
    bool flat;              /* holds files only: nothing may be mounted below it */
};

static const struct mount_rule g_mount_rules[] = {
    {"chroot", true, false, "file:", false},
    {"tmpfs", false, false, NULL, false},
    {"encrypted", true, true, "file:", false},
    {"untrusted_shm", true, false, "dev:", true},
};

static const struct mount_rule* mount_rule_find(const char* type) {
    for (size_t i = 0; i < COUNT(g_mount_rules); i++) {
        if (!strcmp(g_mount_rules[i].type, type))
            return &g_mount_rules[i];
    }
    return NULL;
}

/* fs.root and the entries of fs.mounts: fields, then the rules of the mount's type. */
static int convert_mount(struct check_ctx* c, const char* key, const struct toml_value* v,
                         bool is_root, struct manifest_mount* mount) {
    unsigned int present;
    int ret;

    if (v->type != TOML_TABLE)
        return expected(c, key, v, manifest_kind_describe(MK_MOUNT));
    memset(mount, 0, sizeof(*mount));
    mount->type = "chroot";
    mount->pos = v->pos;
    ret = convert_fields(c, key, v, MK_MOUNT, mount, &present);
    if (ret < 0)
        return ret;

    const struct mount_rule* rule = mount_rule_find(mount->type);
    const struct toml_entry* uri = find_field(v, "uri");
    const struct toml_entry* key_name = find_field(v, "key_name");
    if (uri)
        mount->uri_pos = uri->value->pos;

    if (is_root && !field_present(present, MK_MOUNT, "path"))
        mount->path = "/";
    if (is_root && strcmp(mount->path, "/"))
        return report(c, find_field(v, "path")->value->pos,
                      "key '%s.path': the root mount is always at '/'", key);
    if (is_root && rule->needs_uri && !uri)
        mount->uri = "file:.";
    if (!mount->path)
        return report(c, v->pos, "key '%s': a mount needs a 'path'", key);
    if (!rule->needs_uri && uri)
        return report(c, uri->value->pos, "key '%s.uri': a %s mount takes no uri", key, rule->type);
    if (rule->needs_uri && !mount->uri)
        return report(c, v->pos, "key '%s': %s %s mount needs a 'uri'", key,
                      strchr("aeiou", rule->type[0]) ? "an" : "a", rule->type);
    if (mount->uri && strncmp(mount->uri, rule->uri_prefix, strlen(rule->uri_prefix)))
        return report(c, uri->value->pos, "key '%s.uri': expected a \"%s\" URI, got '%s'", key,
                      rule->uri_prefix, mount->uri);
    if (mount->uri && !mount->uri[strlen(rule->uri_prefix)])
        return report(c, uri->value->pos, "key '%s.uri': the URI '%s' names no host path", key,
                      mount->uri);
    if (is_root && rule->flat)
        return report(c, find_field(v, "type")->value->pos,
                      "key '%s.type': the root mount cannot be %s: it holds files only", key,
                      rule->type);
    if (!rule->takes_key && key_name)
        return report(c, key_name->value->pos,
                      "key '%s.key_name': only encrypted mounts take a key_name", key);
    if (rule->takes_key && !key_name)
        mount->key_name = "default";
    if (mount->uri)
        mount->host_path = mount->uri + strlen(rule->uri_prefix);
    return 0;
}

/* True if path lies strictly below dir (both absolute, trailing slashes ignored). */
static bool guest_path_below(const char* path, const char* dir) {
    size_t ld = strlen(dir);

    while (ld > 0 && dir[ld - 1] == '/')
        ld--;
    if (strncmp(path, dir, ld) || path[ld] != '/')
        return false;
    for (path += ld; *path == '/'; path++)
        ;
    return *path != '\0';
}

/* A mount of a type that holds files only (untrusted_shm) may have no mount below it: that
 * would be a sub-directory of it. Reports the conflict of mount with an earlier one. */
static int check_flat_mount(struct check_ctx* c, const char* key, size_t index,
                            const struct toml_value* v, const struct manifest_mount* mount) {
    const struct manifest* m = c->m;

    for (size_t j = 0; j < m->mount_count; j++) {
        const struct manifest_mount* other = &m->mounts[j];
        const struct manifest_mount* outer = NULL;
        const struct manifest_mount* inner = NULL;

        if (mount_rule_find(other->type)->flat && guest_path_below(mount->path, other->path)) {
            outer = other;
            inner = mount;
        } else if (mount_rule_find(mount->type)->flat &&
                   guest_path_below(other->path, mount->path)) {
            outer = mount;
            inner = other;
        }
        if (!outer)
            continue;
        return report(c, find_field(v, "path")->value->pos,
                      "key '%s[%zu].path': '%s' would be a sub-directory of the %s mount at '%s' "
                      "(%s[%zu], line %d), which holds files only",
                      key, index, inner->path, outer->type, outer->path, key,
                      outer == mount ? index : j, outer->pos.line);
    }
    return 0;
}

/* Mount paths compare equal when they differ only in trailing slashes. */
static bool same_guest_path(const char* a, const char* b) {
    size_t la = strlen(a), lb = strlen(b);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && !memcmp(a, b, la);
}

static int check_mounts(struct check_ctx* c, const char* key, const struct toml_value* v) {
    struct manifest* m = c->m;
    int ret = 0;

    if (v->type != TOML_ARRAY)
        return expected(c, key, v, manifest_kind_describe(MK_MOUNT_ARRAY));
    for (size_t i = 0; i < v->array.count; i++) {
        char sub[300];
        struct manifest_mount mount;

        snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
        int r = convert_mount(c, sub, v->array.items[i], /*is_root=*/false, &mount);
        if (r < 0) {
            ret = r;
            continue;
        }
        for (size_t j = 0; j < m->mount_count; j++) {
            if (same_guest_path(m->mounts[j].path, mount.path)) {
                const struct toml_entry* path = find_field(v->array.items[i], "path");
                r = report(c, path->value->pos,
                           "key '%s.path': '%s' is already mounted by %s[%zu] (line %d)", sub,
                           mount.path, key, j, m->mounts[j].pos.line);
                break;
            }
        }
        if (r == 0)
            r = check_flat_mount(c, key, i, v->array.items[i], &mount);
        if (r < 0) {
            ret = r;
            continue;
        }
        struct manifest_mount* slot =
            array_append((void**)&m->mounts, &m->mount_count, sizeof(*slot));
        if (!slot)
            return -ENOMEM;
        *slot = mount;
    }
    return ret;
}

static int convert_file_entry(struct check_ctx* c, const char* key, const struct toml_value* v,
                              struct manifest_file* file) {
    unsigned int present;
    int ret;

    memset(file, 0, sizeof(*file));
    file->pos = v->pos;
    if (v->type == TOML_STRING) {
        struct scalar value = {0};
        size_t nfields;
        const struct manifest_key_spec* fields = manifest_schema_fields(MK_FILE_ARRAY, &nfields);
        ret = convert_scalar(c, &fields[0], key, v, &value);
        if (ret < 0)
            return ret;
        file->uri = value.str;
    } else if (v->type == TOML_TABLE) {
        ret = convert_fields(c, key, v, MK_FILE_ARRAY, file, &present);
        if (ret < 0)
            return ret;
        if (!file->uri)
            return report(c, v->pos, "key '%s': a file entry needs a 'uri'", key);
    } else {
        return expected(c, key, v, manifest_kind_describe(MK_ENTRY));
    }
    file->host_path = file->uri + strlen("file:");
    return 0;
}

static int check_file_array(struct check_ctx* c, const struct manifest_key_spec* spec,
                            const char* key, const struct toml_value* v) {
    struct manifest_file** items = (struct manifest_file**)((char*)c->m + spec->offset);
    size_t* count = (size_t*)((char*)c->m + spec->count_offset);
    int ret = 0;

    if (v->type != TOML_ARRAY)
        return expected(c, key, v, manifest_kind_describe(MK_FILE_ARRAY));
    for (size_t i = 0; i < v->array.count; i++) {
        char sub[300];
        struct manifest_file file;

        snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
        int r = convert_file_entry(c, sub, v->array.items[i], &file);
        if (r < 0) {
            ret = r;
            continue;
        }
        struct manifest_file* slot = array_append((void**)items, count, sizeof(*slot));
        if (!slot)
            return -ENOMEM;
        *slot = file;
    }
    return ret;
}

static int check_string_array(struct check_ctx* c, const struct manifest_key_spec* spec,
                              const char* key, const struct toml_value* v) {
    char*** items = (char***)((char*)c->m + spec->offset);
    size_t* count = (size_t*)((char*)c->m + spec->count_offset);
    int ret = 0;

    if (v->type != TOML_ARRAY)
        return expected(c, key, v, "an array of strings");
    for (size_t i = 0; i < v->array.count; i++) {
        char sub[300];
        const char* s;

        snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
        int r = get_string(c, sub, v->array.items[i], "a string", &s);
        if (r < 0)
            ret = r;
    }
    if (ret < 0)
        return ret;

    *items = calloc(v->array.count + 1, sizeof(char*));
    if (!*items)
        return -ENOMEM;
    for (size_t i = 0; i < v->array.count; i++)
        (*items)[i] = v->array.items[i]->str.ptr;
    *count = v->array.count;
    return 0;
}

static int check_env(struct check_ctx* c, const char* key, const char* name,
                     const struct toml_value* v) {
    struct manifest_env env = {.name = name, .pos = v->pos};
    unsigned int present;
    int ret;

    if (!*name || strchr(name, '='))
        return report(c, v->pos, "key '%s': '%s' is not a valid variable name", key, name);
    if (v->type == TOML_STRING) {
        ret = get_string(c, key, v, "a string", &env.value);
        if (ret < 0)
            return ret;
    } else if (v->type == TOML_TABLE) {
        ret = convert_fields(c, key, v, MK_ENV, &env, &present);
        if (ret < 0)
            return ret;
        bool has_value = field_present(present, MK_ENV, "value");
        bool has_passthrough = field_present(present, MK_ENV, "passthrough");
        if (has_value && has_passthrough)
            return report(c, v->pos, "key '%s': give either 'value' or 'passthrough', not both",
                          key);
        if (has_passthrough && !env.passthrough)
            return report(c, find_field(v, "passthrough")->value->pos,
                          "key '%s.passthrough': only 'true' is allowed (list the variables to "
                          "pass instead of the ones to hide)",
                          key);
        if (!has_value && !has_passthrough)
            return report(c, v->pos, "key '%s': needs 'value' or 'passthrough = true'", key);
    } else {
        return expected(c, key, v, manifest_kind_describe(MK_ENV));
    }

    struct manifest_env* slot = array_append((void**)&c->m->env, &c->m->env_count, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    *slot = env;
    return 0;
}

static int check_key(struct check_ctx* c, const char* key, const char* name,
                     const struct toml_value* v) {
    struct manifest_key k = {.name = name, .pos = v->pos};
    const char* s = NULL;
    int ret;

    ret = get_string(c, key, v, manifest_kind_describe(MK_KEY), &s);
    if (ret < 0)
        return ret;
    if (strlen(s) != 2 * sizeof(k.key))
        return report(c, v->pos,
                      "key '%s': expected 32 hex digits (a 128-bit key), got %zu "
                      "characters",
                      key, strlen(s));
    for (size_t i = 0; i < sizeof(k.key); i++) {
        if (rt_hex_digit((unsigned char)s[2 * i]) < 0 ||
            rt_hex_digit((unsigned char)s[2 * i + 1]) < 0)
            return report(c, v->pos, "key '%s': '%s' is not a hex string", key, s);
        k.key[i] = (uint8_t)(rt_hex_digit((unsigned char)s[2 * i]) << 4 |
                             rt_hex_digit((unsigned char)s[2 * i + 1]));
    }

    struct manifest_key* slot = array_append((void**)&c->m->keys, &c->m->key_count, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    *slot = k;
    return 0;
}

static int check_entry(struct check_ctx* c, const struct manifest_key_spec* spec, const char* key,
                       const struct toml_value* v) {
    struct manifest_file file;
    int ret;

    if (v->type != TOML_STRING && v->type != TOML_TABLE)
        return expected(c, key, v, manifest_kind_describe(MK_ENTRY));
    ret = convert_file_entry(c, key, v, &file);
    if (ret < 0)
        return ret;
    *(const char**)((char*)c->m + spec->offset) = file.uri;
    return 0;
}

static int check_attestation(struct check_ctx* c, const struct manifest_key_spec* spec,
                             const char* key, const struct toml_value* v) {
    struct manifest_key_spec as_enum = *spec;
    struct scalar value = {0};
    int ret;

    if (v->type == TOML_BOOLEAN) {
        c->attestation_bool = v->boolean;
        c->m->remote_attestation = "none";
        return 0;
    }
    as_enum.kind = MK_ENUM;
    if (v->type != TOML_STRING)
        return expected(c, key, v, manifest_kind_describe(MK_ATTESTATION));
    ret = convert_scalar(c, &as_enum, key, v, &value);
    if (ret < 0)
        return ret;
    store_scalar(c->m, spec, &value);
    return 0;
}

/* One key the schema knows: type-check it and store it in the model. */
static int check_known(struct check_ctx* c, const struct manifest_key_spec* spec,
                       const struct toml_entry* e) {
    char key[256];
    const struct toml_value* v = e->value;
    struct scalar value = {0};
    int ret;

    manifest_key_format(c->segs, c->depth, key, sizeof(key));
    if (spec->flags & MANIFEST_KEY_UNSUPPORTED)
        warn(c, e->key_pos, "key '%s' is accepted but not supported yet; it has no effect", key);

    if (is_scalar_kind(spec->kind)) {
        ret = convert_scalar(c, spec, key, v, &value);
        if (ret < 0)
            return ret;
        if (spec->offset)
            store_scalar(c->m, spec, &value);
        return 0;
    }

    switch (spec->kind) {
        case MK_STRING_ARRAY:
            return check_string_array(c, spec, key, v);
        case MK_ENV:
            return check_env(c, key, e->key, v);
        case MK_MOUNT:
            return convert_mount(c, key, v, /*is_root=*/true, &c->m->root_mount);
        case MK_MOUNT_ARRAY:
            return check_mounts(c, key, v);
        case MK_FILE_ARRAY:
            return check_file_array(c, spec, key, v);
        case MK_ENTRY:
            return check_entry(c, spec, key, v);
        case MK_KEY:
            return check_key(c, key, e->key, v);
        case MK_ATTESTATION:
            return check_attestation(c, spec, key, v);
        case MK_TABLE:
            return v->type == TOML_TABLE ? 0 : expected(c, key, v, "a table");
        case MK_ARRAY:
            return v->type == TOML_ARRAY ? 0 : expected(c, key, v, "an array");
        default:
            return expected(c, key, v, manifest_kind_describe(spec->kind));
    }
}

static int check_table(struct check_ctx* c, const struct toml_value* table);

static int check_entry_of(struct check_ctx* c, const struct toml_entry* e) {
    const struct manifest_key_spec* spec = manifest_key_find(c->segs, c->depth);
    bool experimental = manifest_key_is_experimental(c->segs, c->depth);
    char key[256];

    if (spec && experimental) {
        manifest_key_format(c->segs, c->depth, key, sizeof(key));
        warn(c, e->key_pos, "key '%s' is experimental", key);
    }
    if (spec)
        return check_known(c, spec, e);
    if (experimental) {
        manifest_key_format(c->segs, c->depth, key, sizeof(key));
        warn(c, e->key_pos, "experimental key '%s' is not known to Kernite; ignored", key);
        return 0;
    }
    if (manifest_key_has_prefix(c->segs, c->depth)) {
        if (e->value->type == TOML_TABLE)
            return check_table(c, e->value);
        manifest_key_format(c->segs, c->depth, key, sizeof(key));
        return expected(c, key, e->value, "a table");
    }
    report_unknown_key(c, e, c->depth);
    return -EINVAL;
}

static int check_table(struct check_ctx* c, const struct toml_value* table) {
    int ret = 0;

    if (c->depth >= MANIFEST_MAX_KEY_DEPTH)
        return report(c, table->pos, "keys nest too deeply");
    for (size_t i = 0; i < table->table.count; i++) {
        const struct toml_entry* e = &table->table.entries[i];
        c->segs[c->depth++] = e->key;
        int r = check_entry_of(c, e);
        c->depth--;
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            ret = r;
    }
    return ret;
}

static void apply_defaults(struct manifest* m) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    for (size_t i = 0; i < count; i++) {
        if (schema[i].offset && !(schema[i].flags & MANIFEST_KEY_DEPRECATED))
            apply_default(m, &schema[i]);
    }
    m->root_mount =
        (struct manifest_mount){.type = "chroot", .path = "/", .uri = "file:.", .host_path = "."};
}

static struct toml_pos value_pos(const struct toml_value* root, const char* path) {
    const struct toml_value* v = toml_get_path(root, path);
    return v ? v->pos : (struct toml_pos){1, 1};
}

/* Rules that involve more than one key. */
static int check_cross_keys(struct check_ctx* c) {
    struct manifest* m = c->m;
    const struct toml_value* root = m->root;
    int ret = 0;

    if (!m->entrypoint && !toml_get_path(root, "libos.entrypoint"))
        ret = report(c, (struct toml_pos){1, 1},
                     "key 'libos.entrypoint' is required: the guest path of the program to run");
    else
        m->entrypoint_pos = value_pos(root, "libos.entrypoint");

    if (toml_get_path(root, "sgx.thread_num") && toml_get_path(root, "sgx.max_threads"))
        ret = report(c, value_pos(root, "sgx.thread_num"),
                     "key 'sgx.thread_num': old name of 'sgx.max_threads'; give only one");

    m->argv_given = m->argv != NULL;
    if (m->argv_given && m->use_cmdline_argv)
        ret = report(c, value_pos(root, "loader.insecure__use_cmdline_argv"),
                     "key 'loader.insecure__use_cmdline_argv': cannot be combined with "
                     "'loader.argv'");

    if (c->attestation_bool)
        m->remote_attestation = m->ra_client_spid && *m->ra_client_spid ? "epid" : "dcap";

    m->log_level = log_level_from_name(m->log_level_name);
    if (m->log_level < 0)
        m->log_level = LOG_TRACE; /* "all", the one name log.h does not have */
    return ret;
}

struct first_error {
    char* buf;
    size_t size;
};

/* manifest_parse keeps the first error for its caller and logs warnings. */
static void diag_first_error(void* ctx, bool is_error, const char* line) {
    struct first_error* first = ctx;

    if (!is_error) {
        log_warning("%s", line);
        return;
    }
    if (first->size && !first->buf[0])
        strlcpy(first->buf, line, first->size);
}

int manifest_parse_diag(const char* text, size_t size, const char* file, struct manifest** out,
                        manifest_diag_fn diag, void* diag_ctx) {
    struct toml_error terr;
    struct check_ctx c = {.diag = diag, .diag_ctx = diag_ctx};
    struct manifest* m;
    int ret;

    *out = NULL;
    m = calloc(1, sizeof(*m));
    c.pending = malloc(MAX_DIAGS * sizeof(*c.pending));
    if (!m || !c.pending) {
        ret = -ENOMEM;
        goto out;
    }
    m->file = strdup(file);
    if (!m->file) {
        ret = -ENOMEM;
        goto out;
    }
    c.m = m;
    c.file = m->file;

    m->root = toml_parse(text, size, &terr);
    if (!m->root) {
        ret = report(&c, terr.pos, "%s", terr.message);
        goto out;
    }

    apply_defaults(m);
    ret = check_table(&c, m->root);
    if (ret == -ENOMEM)
        goto out;
    if (check_cross_keys(&c) < 0 || c.errors)
        ret = -EINVAL;

out:
    if (c.pending)
        flush_diags(&c);
    free(c.pending);
    if (ret < 0) {
        manifest_free(m);
        return ret;
    }
    *out = m;
    return 0;
}

int manifest_parse(const char* text, size_t size, const char* file, struct manifest** out,
                   char* err, size_t err_size) {
    struct first_error first = {.buf = err, .size = err ? err_size : 0};
    int ret;

    if (first.size)
        err[0] = '\0';
    ret = manifest_parse_diag(text, size, file, out, diag_first_error, &first);
    if (ret == -ENOMEM && err && err_size)
        snprintf(err, err_size, "%s: out of memory while reading the manifest", file);
    return ret;
}

void manifest_free(struct manifest* m) {
    if (!m)
        return;
    free(m->argv);
    free(m->env);
    free(m->mounts);
    free(m->keys);
    free(m->trusted_files);
    free(m->allowed_files);
    free(m->allowed_listen);
    if (m->root)
        toml_free(m->root);
    free((char*)m->file);
    free(m);
}
