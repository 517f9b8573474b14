/* TOML 1.0 parser: builds a tree of values with the source position of every key and value. */
#ifndef KERNITE_TOML_H
#define KERNITE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOLEAN,
    TOML_OFFSET_DATETIME,
    TOML_LOCAL_DATETIME,
    TOML_LOCAL_DATE,
    TOML_LOCAL_TIME,
    TOML_ARRAY,
    TOML_TABLE,
};

struct toml_pos {
    int line; /* 1-based */
    int col;  /* 1-based, counted in bytes */
};

struct toml_datetime {
    int year, month, day;
    int hour, minute, second;
    int nanosecond;
    int offset_minutes; /* TOML_OFFSET_DATETIME only; Z is 0 */
};

struct toml_value;

struct toml_entry {
    char* key; /* NUL-terminated; keys containing NUL bytes are rejected */
    struct toml_pos key_pos;
    struct toml_value* value;
};

struct toml_value {
    enum toml_type type;
    struct toml_pos pos; /* where the value (or the table header that created it) starts */
    union {
        struct {
            char* ptr; /* NUL-terminated copy; may also contain NUL bytes from \u0000 */
            size_t len;
        } str;
        int64_t integer;
        double fp;
        bool boolean;
        struct toml_datetime dt;
        struct {
            struct toml_value** items;
            size_t count;
        } array;
        struct {
            struct toml_entry* entries; /* in source order */
            size_t count;
        } table;
    };
    unsigned int flags; /* parser bookkeeping (how a table was defined); not for users */
};

struct toml_error {
    struct toml_pos pos;
    char message[256]; /* e.g. "expected '=' after key \"a\"" */
};

/* Parses a whole document; returns the root table or NULL with *err filled (the first error in
 * the text). text need not be NUL-terminated. Containers nested deeper than 128 levels are an
 * error. Integers and floats that do not fit 64 bits are errors; fractions of a second beyond
 * nanoseconds are truncated. The parser keeps no global state: calls may run concurrently. */
struct toml_value* toml_parse(const char* text, size_t len, struct toml_error* err);
/* Frees a tree returned by toml_parse (NULL is fine). */
void toml_free(struct toml_value* value);

/* Looks up a key in a table value; NULL if absent or if table is not a table. */
const struct toml_value* toml_table_get(const struct toml_value* table, const char* key);
const struct toml_entry* toml_table_entry(const struct toml_value* table, const char* key);
/* Looks up a dotted path of bare keys ("loader.env.PATH") from a table; a key that itself
 * contains a dot cannot be reached this way (use toml_table_get per level). */
const struct toml_value* toml_get_path(const struct toml_value* root, const char* path);

/* "string", "integer", "float", "boolean", "offset date-time", "local date-time", "local date",
 * "local time", "array", "table". */
const char* toml_type_name(enum toml_type type);

/* Writes the tree as JSON in the toml-test convention ({"type": "integer", "value": "1"} for
 * leaves) through the callback, in source order. Floats are written in a form that reads back
 * to the same double ("0.1", "5e+22", "-0.0", "inf", "nan"), date-times in RFC 3339 form with
 * a zero offset as "Z". Works freestanding (no %g needed). */
typedef void (*toml_write_fn)(void* ctx, const char* buf, size_t size);
void toml_dump_json(const struct toml_value* value, toml_write_fn write, void* ctx);

#endif
