/* Writes the effective manifest (every key with its value or default) back out as TOML. */
#include "manifest.h"

#include "rt.h"

struct out {
    toml_write_fn write;
    void* ctx;
};

static void put(struct out* o, const char* s) {
    o->write(o->ctx, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct out* o, const char* fmt, ...) {
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    o->write(o->ctx, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A TOML basic string: quotes, backslashes and control characters escaped. */
static void put_string(struct out* o, const char* s) {
    put(o, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            putf(o, "\\%c", ch);
        else if (ch == '\n')
            put(o, "\\n");
        else if (ch == '\t')
            put(o, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            putf(o, "\\u%04x", ch);
        else
            o->write(o->ctx, (const char*)&ch, 1);
    }
    put(o, "\"");
}

static bool is_bare(const char* s) {
    if (!*s)
        return false;
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

static void put_key_segment(struct out* o, const char* s) {
    if (is_bare(s))
        put(o, s);
    else
        put_string(o, s);
}

/* Sizes come out in the largest unit that divides them, as a user would write them. */
static void put_size(struct out* o, uint64_t size) {
    static const char units[] = "KMGT";
    int unit = -1;

    while (unit < 3 && size && !(size & 1023)) {
        size >>= 10;
        unit++;
    }
    if (unit < 0)
        putf(o, "\"%llu\"", (unsigned long long)size);
    else
        putf(o, "\"%llu%c\"", (unsigned long long)size, units[unit]);
}

static void put_mount(struct out* o, const struct manifest_mount* mnt) {
    put(o, "{ type = ");
    put_string(o, mnt->type);
    put(o, ", path = ");
    put_string(o, mnt->path);
    if (mnt->uri) {
        put(o, ", uri = ");
        put_string(o, mnt->uri);
    }
    if (mnt->key_name) {
        put(o, ", key_name = ");
        put_string(o, mnt->key_name);
    }
    put(o, " }");
}

static void put_files(struct out* o, const struct manifest_file* files, size_t count) {
    if (!count) {
        put(o, "[]");
        return;
    }
    put(o, "[\n");
    for (size_t i = 0; i < count; i++) {
        put(o, "  { uri = ");
        put_string(o, files[i].uri);
        if (files[i].sha256) {
            put(o, ", sha256 = ");
            put_string(o, files[i].sha256);
        }
        put(o, " },\n");
    }
    put(o, "]");
}

static void put_env(struct out* o, const struct manifest* m) {
    for (size_t i = 0; i < m->env_count; i++) {
        put(o, "loader.env.");
        put_key_segment(o, m->env[i].name);
        if (m->env[i].passthrough) {
            put(o, " = { passthrough = true }\n");
            continue;
        }
        put(o, " = ");
        put_string(o, m->env[i].value);
        put(o, "\n");
    }
}

static void put_keys(struct out* o, const struct manifest* m) {
    for (size_t i = 0; i < m->key_count; i++) {
        put(o, "fs.insecure__keys.");
        put_key_segment(o, m->keys[i].name);
        put(o, " = \"");
        for (size_t j = 0; j < sizeof(m->keys[i].key); j++)
            putf(o, "%02x", m->keys[i].key[j]);
        put(o, "\"\n");
    }
}

/* Whether a row has something to show: absent optional values are left out. */
static bool has_value(const struct manifest* m, const struct manifest_key_spec* spec) {
    const char* field = (const char*)m + spec->offset;

    switch (spec->kind) {
        case MK_BOOL:
        case MK_UINT:
        case MK_MOUNT:
        case MK_MOUNT_ARRAY:
        case MK_FILE_ARRAY:
            return true;
        case MK_SIZE:
            return *(const uint64_t*)field || spec->default_text;
        case MK_STRING_ARRAY:
            return *(char* const* const*)field != NULL;
        default:
            return *(const char* const*)field != NULL;
    }
}

static void put_value(struct out* o, const struct manifest* m,
                      const struct manifest_key_spec* spec) {
    const char* field = (const char*)m + spec->offset;
    const size_t* count = (const size_t*)((const char*)m + spec->count_offset);

    switch (spec->kind) {
        case MK_BOOL:
            put(o, *(const bool*)field ? "true" : "false");
            break;
        case MK_UINT:
            if (spec->size == sizeof(uint16_t))
                putf(o, "%u", (unsigned int)*(const uint16_t*)field);
            else if (spec->size == sizeof(uint32_t))
                putf(o, "%u", (unsigned int)*(const uint32_t*)field);
            else
                putf(o, "%llu", (unsigned long long)*(const uint64_t*)field);
            break;
        case MK_SIZE:
            put_size(o, *(const uint64_t*)field);
            break;
        case MK_STRING_ARRAY: {
            char* const* items = *(char* const* const*)field;
            put(o, "[");
            for (size_t i = 0; i < *count; i++) {
                put(o, i ? ", " : "");
                put_string(o, items[i]);
            }
            put(o, "]");
            break;
        }
        case MK_MOUNT:
            put_mount(o, (const struct manifest_mount*)field);
            break;
        case MK_MOUNT_ARRAY:
            if (!m->mount_count) {
                put(o, "[]");
                break;
            }
            put(o, "[\n");
            for (size_t i = 0; i < m->mount_count; i++) {
                put(o, "  ");
                put_mount(o, &m->mounts[i]);
                put(o, ",\n");
            }
            put(o, "]");
            break;
        case MK_FILE_ARRAY:
            put_files(o, *(const struct manifest_file* const*)field, *count);
            break;
        default:
            put_string(o, *(const char* const*)field);
            break;
    }
}

/* An old name that shares its field with the current name, which is shown instead. */
static bool is_alias(const struct manifest_key_spec* schema, size_t count,
                     const struct manifest_key_spec* spec) {
    if (!(spec->flags & MANIFEST_KEY_DEPRECATED))
        return false;
    for (size_t i = 0; i < count; i++) {
        if (&schema[i] != spec && schema[i].offset == spec->offset &&
            !(schema[i].flags & MANIFEST_KEY_DEPRECATED))
            return true;
    }
    return false;
}

void manifest_write_toml(const struct manifest* m, toml_write_fn write, void* ctx) {
    struct out o = {write, ctx};
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    put(&o, "# Effective manifest of ");
    put(&o, m->file);
    put(&o, ", defaults filled in\n");
    for (size_t i = 0; i < count; i++) {
        const struct manifest_key_spec* spec = &schema[i];
        if (spec->kind == MK_ENV) {
            put_env(&o, m);
            continue;
        }
        if (spec->kind == MK_KEY) {
            put_keys(&o, m);
            continue;
        }
        if (!spec->offset || is_alias(schema, count, spec) || !has_value(m, spec))
            continue;
        put(&o, spec->pattern);
        put(&o, " = ");
        put_value(&o, m, spec);
        put(&o, "\n");
    }
}
