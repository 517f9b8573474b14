/* Writes a TOML tree as JSON in the toml-test convention, with canonical leaf values. */
#include "rt.h"
#include "toml.h"
#include "toml_float.h"

struct dump {
    toml_write_fn write;
    void* ctx;
};

static void put(struct dump* d, const char* s) {
    d->write(d->ctx, s, strlen(s));
}

/* JSON string escaping: quote, backslash and control characters; UTF-8 passes through. */
static void put_json_string(struct dump* d, const char* s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    put(d, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};

        if (c == '"' || c == '\\')
            esc[1] = (char)c;
        else if (c == '\n')
            esc[1] = 'n';
        else if (c == '\t')
            esc[1] = 't';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c == '\b')
            esc[1] = 'b';
        else if (c == '\f')
            esc[1] = 'f';
        else if (c < 0x20 || c == 0x7F) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        } else {
            continue;
        }
        d->write(d->ctx, s + run, i - run);
        put(d, esc);
        run = i + 1;
    }
    d->write(d->ctx, s + run, len - run);
    put(d, "\"");
}

/* Writes value with at least width digits, zero padded. */
static size_t format_unsigned(char* buf, uint64_t value, int width) {
    char rev[24];
    size_t n = 0, len = 0;

    do {
        rev[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while ((int)n < width)
        rev[n++] = '0';
    while (n)
        buf[len++] = rev[--n];
    buf[len] = '\0';
    return len;
}

static size_t format_integer(char* buf, int64_t value) {
    if (value < 0) {
        buf[0] = '-';
        return 1 + format_unsigned(buf + 1, (uint64_t)0 - (uint64_t)value, 1);
    }
    return format_unsigned(buf, (uint64_t)value, 1);
}

static size_t format_date(char* buf, const struct toml_datetime* dt) {
    size_t n = format_unsigned(buf, (uint64_t)dt->year, 4);

    buf[n++] = '-';
    n += format_unsigned(buf + n, (uint64_t)dt->month, 2);
    buf[n++] = '-';
    n += format_unsigned(buf + n, (uint64_t)dt->day, 2);
    return n;
}

/* HH:MM:SS, then the fraction without trailing zeros, if there is one. */
static size_t format_time(char* buf, const struct toml_datetime* dt) {
    size_t n = format_unsigned(buf, (uint64_t)dt->hour, 2);

    buf[n++] = ':';
    n += format_unsigned(buf + n, (uint64_t)dt->minute, 2);
    buf[n++] = ':';
    n += format_unsigned(buf + n, (uint64_t)dt->second, 2);
    if (dt->nanosecond) {
        int ns = dt->nanosecond, digits = 9;
        while (ns % 10 == 0) {
            ns /= 10;
            digits--;
        }
        buf[n++] = '.';
        n += format_unsigned(buf + n, (uint64_t)ns, digits);
    }
    return n;
}

static size_t format_offset(char* buf, int offset_minutes) {
    int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    size_t n = 0;

    if (offset_minutes == 0) {
        buf[0] = 'Z';
        buf[1] = '\0';
        return 1;
    }
    buf[n++] = offset_minutes < 0 ? '-' : '+';
    n += format_unsigned(buf + n, (uint64_t)(m / 60), 2);
    buf[n++] = ':';
    n += format_unsigned(buf + n, (uint64_t)(m % 60), 2);
    return n;
}

/* RFC 3339 forms: 1979-05-27T07:32:00.5-07:00, 1979-05-27T07:32:00, 1979-05-27, 07:32:00. */
static void format_datetime(char* buf, const struct toml_value* v) {
    size_t n = 0;

    if (v->type != TOML_LOCAL_TIME)
        n += format_date(buf, &v->dt);
    if (v->type == TOML_OFFSET_DATETIME || v->type == TOML_LOCAL_DATETIME)
        buf[n++] = 'T';
    if (v->type != TOML_LOCAL_DATE)
        n += format_time(buf + n, &v->dt);
    if (v->type == TOML_OFFSET_DATETIME)
        n += format_offset(buf + n, v->dt.offset_minutes);
    buf[n] = '\0';
}

static const char* leaf_type(enum toml_type type) {
    static const char* const names[] = {
        [TOML_STRING] = "string",
        [TOML_INTEGER] = "integer",
        [TOML_FLOAT] = "float",
        [TOML_BOOLEAN] = "bool",
        [TOML_OFFSET_DATETIME] = "datetime",
        [TOML_LOCAL_DATETIME] = "datetime-local",
        [TOML_LOCAL_DATE] = "date-local",
        [TOML_LOCAL_TIME] = "time-local",
    };
    return names[type];
}

static void dump_leaf(struct dump* d, const struct toml_value* v) {
    char buf[64];

    put(d, "{\"type\":\"");
    put(d, leaf_type(v->type));
    put(d, "\",\"value\":");
    if (v->type == TOML_STRING) {
        put_json_string(d, v->str.ptr, v->str.len);
        put(d, "}");
        return;
    }

    if (v->type == TOML_INTEGER)
        format_integer(buf, v->integer);
    else if (v->type == TOML_FLOAT)
        toml_float_format(v->fp, buf);
    else if (v->type == TOML_BOOLEAN)
        memcpy(buf, v->boolean ? "true" : "false", v->boolean ? 5 : 6);
    else
        format_datetime(buf, v);
    put(d, "\"");
    put(d, buf);
    put(d, "\"}");
}

/* Recursion is bounded: the parser refuses trees deeper than its nesting limit. */
static void dump_value(struct dump* d, const struct toml_value* v) {
    if (v->type == TOML_TABLE) {
        put(d, "{");
        for (size_t i = 0; i < v->table.count; i++) {
            const struct toml_entry* e = &v->table.entries[i];
            if (i)
                put(d, ",");
            put_json_string(d, e->key, strlen(e->key));
            put(d, ":");
            dump_value(d, e->value);
        }
        put(d, "}");
    } else if (v->type == TOML_ARRAY) {
        put(d, "[");
        for (size_t i = 0; i < v->array.count; i++) {
            if (i)
                put(d, ",");
            dump_value(d, v->array.items[i]);
        }
        put(d, "]");
    } else {
        dump_leaf(d, v);
    }
}

void toml_dump_json(const struct toml_value* value, toml_write_fn write, void* ctx) {
    struct dump d = {.write = write, .ctx = ctx};

    if (value)
        dump_value(&d, value);
}
