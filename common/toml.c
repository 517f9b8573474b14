/* TOML 1.0 parser: turns a document into a tree of toml_value, remembering where each key was. */
#include "toml.h"

#include <linux/errno.h>

#include "rt.h"
#include "toml_float.h"

/* Containers nested deeper than this are refused, so that parsing, freeing and dumping never
 * recurse without bound. */
#define TOML_MAX_DEPTH 128

/* Tables with more entries than this get a hash index, so big tables stay linear to build. */
#define TOML_INDEX_THRESHOLD 8

/* How a table or array came to exist; this decides what may later define or extend it. */
enum {
    TF_IMPLICIT = 1 << 0, /* parent created by a [header]; a later [header] may define it once */
    TF_HEADER = 1 << 1,   /* defined by [header], or an element of [[header]] */
    TF_DOTTED = 1 << 2,   /* created by dotted keys; only more dotted keys may add to it */
    TF_INLINE = 1 << 3,   /* inline { } table: complete once closed */
    TF_ARRAY_OF_TABLES = 1 << 4, /* array built by [[header]]; more headers append to it */
};

/* Every value is allocated as a node; the extra fields are the parser's own. */
struct toml_node {
    struct toml_value value; /* first, so a toml_value* converts to its node */
    size_t cap;              /* allocated array items or table entries */
    uint32_t* index;         /* tables only: entry number + 1 per slot, 0 when free */
    size_t index_size;       /* power of two, or 0 without an index */
};

struct toml_key_part {
    char* name; /* NUL-terminated; tables get copies */
    size_t len;
    size_t at;
};

struct toml_key {
    struct toml_key_part* parts;
    int count;
    int cap;
};

struct toml_buf {
    char* data;
    size_t len;
    size_t cap;
};

struct toml_parser {
    const char* src;
    size_t len;
    size_t at;

    size_t* line_starts;
    size_t line_count;

    struct toml_error* err;
    size_t err_at;
    bool failed;

    struct toml_value* root;
    struct toml_value* section; /* table that key/value lines go into */
    int section_depth;
};

static int parse_value(struct toml_parser* p, int depth, struct toml_value** out);

/* ---- positions and errors ---- */

static int index_lines(struct toml_parser* p) {
    size_t count = 1;

    for (size_t i = 0; i < p->len; i++) {
        if (p->src[i] == '\n')
            count++;
    }
    p->line_starts = malloc(count * sizeof(size_t));
    if (!p->line_starts)
        return -ENOMEM;

    p->line_starts[0] = 0;
    p->line_count = 1;
    for (size_t i = 0; i < p->len; i++) {
        if (p->src[i] == '\n')
            p->line_starts[p->line_count++] = i + 1;
    }
    return 0;
}

static struct toml_pos pos_of(const struct toml_parser* p, size_t at) {
    size_t lo = 0, hi = p->line_count;

    /* Finds the last line that starts at or before the offset. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->line_starts[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return (struct toml_pos){.line = (int)lo + 1, .col = (int)(at - p->line_starts[lo]) + 1};
}

__attribute__((format(printf, 3, 4))) static int parse_error(struct toml_parser* p, size_t at,
                                                             const char* fmt, ...) {
    va_list ap;

    if (p->failed)
        return -EINVAL;
    p->failed = true;
    p->err_at = at;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int out_of_memory(struct toml_parser* p) {
    parse_error(p, p->at, "out of memory");
    return -ENOMEM;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 if it is not valid UTF-8 (overlong
 * forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_decode(const unsigned char* s, size_t avail, uint32_t* cp) {
    static const struct {
        unsigned char mask, lead;
        uint32_t min;
    } forms[] = {
        {0x80, 0x00, 0},
        {0xE0, 0xC0, 0x80},
        {0xF0, 0xE0, 0x800},
        {0xF8, 0xF0, 0x10000},
    };

    for (size_t n = 0; n < sizeof(forms) / sizeof(forms[0]); n++) {
        if ((s[0] & forms[n].mask) != forms[n].lead)
            continue;
        if (n + 1 > avail)
            return 0;

        uint32_t value = s[0] & (unsigned char)~forms[n].mask;
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            value = (value << 6) | (s[i] & 0x3F);
        }
        if (value < forms[n].min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
            return 0;
        *cp = value;
        return n + 1;
    }
    return 0;
}

/* Finds the first byte that does not start a valid UTF-8 sequence, or len if there is none. */
static size_t find_invalid_utf8(const char* src, size_t len) {
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        if ((unsigned char)src[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_decode((const unsigned char*)src + i, len - i, &cp);
        if (!n)
            return i;
        i += n;
    }
    return len;
}

/* Names the character at an offset for an error message: 'x', end of line, U+0007, ... */
static const char* describe_at(const struct toml_parser* p, size_t at, char* buf, size_t size) {
    unsigned char c;
    uint32_t cp;

    if (at >= p->len)
        return "end of file";
    c = (unsigned char)p->src[at];
    if (c == '\n' || (c == '\r' && at + 1 < p->len && p->src[at + 1] == '\n'))
        return "end of line";
    if (c == '\t')
        return "tab";
    if (c == '\r')
        return "carriage return (U+000D) without a line feed";
    if (c >= 0x20 && c < 0x7F) {
        snprintf(buf, size, "'%c'", c);
        return buf;
    }
    if (c < 0x80) {
        snprintf(buf, size, "control character U+%04X", c);
        return buf;
    }
    if (utf8_decode((const unsigned char*)p->src + at, p->len - at, &cp)) {
        snprintf(buf, size, "U+%04X", (unsigned int)cp);
        return buf;
    }
    snprintf(buf, size, "invalid UTF-8 byte 0x%02X", c);
    return buf;
}

static bool is_control(unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

static bool is_bare_key_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Renders a key for messages as TOML would spell it, bare parts as is and others quoted;
 * shortened with "..." if it does not fit. */
static void format_key_parts(char* buf, size_t size, const struct toml_key_part* parts, int count) {
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < count && n + 8 < size; i++) {
        bool bare = parts[i].len > 0;
        for (size_t j = 0; j < parts[i].len; j++)
            bare = bare && is_bare_key_char((unsigned char)parts[i].name[j]);

        if (i)
            buf[n++] = '.';
        if (!bare)
            buf[n++] = '\'';
        for (size_t j = 0; j < parts[i].len && n + 8 < size; j++) {
            unsigned char c = (unsigned char)parts[i].name[j];
            if (is_control(c) || c == '\'' || c == '"' || c == '\\')
                n += snprintf(buf + n, size - n, "\\u%04X", c);
            else
                buf[n++] = (char)c;
        }
        if (!bare)
            buf[n++] = '\'';
    }
    if (n + 8 >= size)
        n += snprintf(buf + n, size - n, "...");
    if (n >= size) /* snprintf counts what it could not fit, too */
        n = size - 1;
    buf[n] = '\0';
}

/* ---- values and tables ---- */

static struct toml_value* value_new(struct toml_parser* p, enum toml_type type, size_t at) {
    struct toml_node* node = calloc(1, sizeof(*node));

    if (!node) {
        out_of_memory(p);
        return NULL;
    }
    node->value.type = type;
    node->value.pos = pos_of(p, at);
    return &node->value;
}

void toml_free(struct toml_value* value) {
    struct toml_node* node = (struct toml_node*)value;

    if (!value)
        return;
    switch (value->type) {
        case TOML_STRING:
            free(value->str.ptr);
            break;
        case TOML_ARRAY:
            for (size_t i = 0; i < value->array.count; i++)
                toml_free(value->array.items[i]);
            free(value->array.items);
            break;
        case TOML_TABLE:
            for (size_t i = 0; i < value->table.count; i++) {
                free(value->table.entries[i].key);
                toml_free(value->table.entries[i].value);
            }
            free(value->table.entries);
            free(node->index);
            break;
        default:
            break;
    }
    free(node);
}

static uint32_t key_hash(const char* key, size_t len) {
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

static void index_insert(struct toml_node* node, size_t entry) {
    const struct toml_entry* e = &node->value.table.entries[entry];
    size_t mask = node->index_size - 1;
    size_t slot = key_hash(e->key, strlen(e->key)) & mask;

    while (node->index[slot])
        slot = (slot + 1) & mask;
    node->index[slot] = (uint32_t)entry + 1;
}

/* Keeps the index at most half full, so probes stay short. */
static int index_grow(struct toml_node* node) {
    size_t size = node->index_size ? node->index_size * 2 : 32;
    uint32_t* index = calloc(size, sizeof(uint32_t));

    if (!index)
        return -ENOMEM;
    free(node->index);
    node->index = index;
    node->index_size = size;
    for (size_t i = 0; i < node->value.table.count; i++)
        index_insert(node, i);
    return 0;
}

static struct toml_entry* table_find(const struct toml_value* table, const char* key, size_t len) {
    const struct toml_node* node = (const struct toml_node*)table;
    struct toml_entry* entries = table->table.entries;

    if (!node->index) {
        for (size_t i = 0; i < table->table.count; i++) {
            if (!strncmp(entries[i].key, key, len) && entries[i].key[len] == '\0')
                return &entries[i];
        }
        return NULL;
    }

    size_t mask = node->index_size - 1;
    for (size_t slot = key_hash(key, len) & mask; node->index[slot]; slot = (slot + 1) & mask) {
        struct toml_entry* e = &entries[node->index[slot] - 1];
        if (!strncmp(e->key, key, len) && e->key[len] == '\0')
            return e;
    }
    return NULL;
}

/* Appends an entry under a copy of the key part's name; takes ownership of the value, also on
 * failure. */
static int table_add(struct toml_parser* p, struct toml_value* table,
                     const struct toml_key_part* part, struct toml_value* value) {
    struct toml_node* node = (struct toml_node*)table;
    size_t count = table->table.count;
    char* key = malloc(part->len + 1);

    if (!key)
        goto fail;
    memcpy(key, part->name, part->len + 1);
    if (count == node->cap) {
        size_t cap = node->cap ? node->cap * 2 : 4;
        struct toml_entry* entries = realloc(table->table.entries, cap * sizeof(*entries));
        if (!entries)
            goto fail;
        table->table.entries = entries;
        node->cap = cap;
    }
    if (count + 1 > TOML_INDEX_THRESHOLD && (count + 1) * 2 > node->index_size &&
        index_grow(node) < 0)
        goto fail;

    table->table.entries[count] = (struct toml_entry){
        .key = key,
        .key_pos = pos_of(p, part->at),
        .value = value,
    };
    table->table.count++;
    if (node->index)
        index_insert(node, count);
    return 0;

fail:
    free(key);
    toml_free(value);
    return out_of_memory(p);
}

/* Appends an item; takes ownership of the value, also on failure. */
static int array_add(struct toml_parser* p, struct toml_value* array, struct toml_value* item) {
    struct toml_node* node = (struct toml_node*)array;

    if (array->array.count == node->cap) {
        size_t cap = node->cap ? node->cap * 2 : 4;
        struct toml_value** items = realloc(array->array.items, cap * sizeof(*items));
        if (!items) {
            toml_free(item);
            return out_of_memory(p);
        }
        array->array.items = items;
        node->cap = cap;
    }
    array->array.items[array->array.count++] = item;
    return 0;
}

/* Adds an empty table under a key part. */
static struct toml_value* table_add_table(struct toml_parser* p, struct toml_value* table,
                                          const struct toml_key_part* part, size_t at,
                                          unsigned int flags) {
    struct toml_value* child = value_new(p, TOML_TABLE, at);

    if (!child)
        return NULL;
    child->flags = flags;
    if (table_add(p, table, part, child) < 0)
        return NULL;
    return child;
}

const char* toml_type_name(enum toml_type type) {
    static const char* const names[] = {
        [TOML_STRING] = "string",
        [TOML_INTEGER] = "integer",
        [TOML_FLOAT] = "float",
        [TOML_BOOLEAN] = "boolean",
        [TOML_OFFSET_DATETIME] = "offset date-time",
        [TOML_LOCAL_DATETIME] = "local date-time",
        [TOML_LOCAL_DATE] = "local date",
        [TOML_LOCAL_TIME] = "local time",
        [TOML_ARRAY] = "array",
        [TOML_TABLE] = "table",
    };

    if ((unsigned int)type >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[type];
}

/* ---- lexical helpers ---- */

static int peek(const struct toml_parser* p, size_t ahead) {
    if (p->at + ahead >= p->len)
        return -1;
    return (unsigned char)p->src[p->at + ahead];
}

/* Length of the newline at the current offset (LF or CRLF), or 0. */
static size_t newline_len(const struct toml_parser* p) {
    if (peek(p, 0) == '\n')
        return 1;
    if (peek(p, 0) == '\r' && peek(p, 1) == '\n')
        return 2;
    return 0;
}

static void skip_ws(struct toml_parser* p) {
    while (peek(p, 0) == ' ' || peek(p, 0) == '\t')
        p->at++;
}

/* Skips a comment up to (not including) the end of its line. */
static int skip_comment(struct toml_parser* p) {
    char what[48];

    if (peek(p, 0) != '#')
        return 0;
    for (p->at++; p->at < p->len && !newline_len(p); p->at++) {
        if (is_control((unsigned char)p->src[p->at]))
            return parse_error(p, p->at, "%s not allowed in a comment",
                               describe_at(p, p->at, what, sizeof(what)));
    }
    return 0;
}

/* Skips whitespace, comments and newlines, as allowed between array items. */
static int skip_blank(struct toml_parser* p) {
    for (;;) {
        size_t nl;
        skip_ws(p);
        if (skip_comment(p) < 0)
            return -EINVAL;
        nl = newline_len(p);
        if (!nl)
            return 0;
        p->at += nl;
    }
}

/* After a key/value pair or a header only a comment may follow on the same line. */
static int expect_line_end(struct toml_parser* p, const char* after) {
    char what[48];

    skip_ws(p);
    if (skip_comment(p) < 0)
        return -EINVAL;
    if (p->at >= p->len)
        return 0;
    size_t nl = newline_len(p);
    if (!nl)
        return parse_error(p, p->at, "expected end of line after %s, found %s", after,
                           describe_at(p, p->at, what, sizeof(what)));
    p->at += nl;
    return 0;
}

static int buf_put(struct toml_parser* p, struct toml_buf* b, const char* s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char* data = realloc(b->data, cap);
        if (!data)
            return out_of_memory(p);
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Appends a code point (already checked to be a Unicode scalar value) as UTF-8. */
static int buf_put_utf8(struct toml_parser* p, struct toml_buf* b, uint32_t cp) {
    char s[4];
    size_t n;

    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(p, b, s, n);
}

/* ---- strings ---- */

/* Parses a \u escape (4 hex digits) or \U escape (8) with the backslash at the current offset. */
static int parse_unicode_escape(struct toml_parser* p, struct toml_buf* b) {
    size_t start = p->at;
    int digits = peek(p, 1) == 'u' ? 4 : 8;
    uint32_t cp = 0;
    char what[48];

    for (int i = 0; i < digits; i++) {
        int d = rt_hex_digit(peek(p, 2 + i));
        if (d < 0)
            return parse_error(p, p->at + 2 + i, "expected %d hex digits after '\\%c', found %s",
                               digits, p->src[p->at + 1],
                               describe_at(p, p->at + 2 + i, what, sizeof(what)));
        cp = (cp << 4) | (uint32_t)d;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return parse_error(p, start, "escape '\\%.*s' is a surrogate, not a Unicode character",
                           digits + 1, p->src + start + 1);
    if (cp > 0x10FFFF)
        return parse_error(p, start, "escape '\\%.*s' is beyond U+10FFFF", digits + 1,
                           p->src + start + 1);
    p->at += 2 + digits;
    return buf_put_utf8(p, b, cp);
}

/* A backslash at the end of a line in a multi-line basic string eats all whitespace and
 * newlines up to the next other character. */
static int parse_line_ending_backslash(struct toml_parser* p) {
    size_t start = p->at;

    p->at++;
    skip_ws(p);
    if (!newline_len(p)) {
        p->at = start;
        return parse_error(p, start,
                           "invalid escape: '\\' followed by whitespace must end the "
                           "line");
    }
    for (;;) {
        size_t nl = newline_len(p);
        if (peek(p, 0) == ' ' || peek(p, 0) == '\t')
            p->at++;
        else if (nl)
            p->at += nl;
        else
            return 0;
    }
}

static int parse_escape(struct toml_parser* p, struct toml_buf* b, bool multiline) {
    static const char simple[][2] = {
        {'b', '\b'}, {'t', '\t'}, {'n', '\n'}, {'f', '\f'}, {'r', '\r'}, {'"', '"'}, {'\\', '\\'},
    };
    int c = peek(p, 1);
    char what[48];

    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        if (c == simple[i][0]) {
            p->at += 2;
            return buf_put(p, b, &simple[i][1], 1);
        }
    }
    if (c == 'u' || c == 'U')
        return parse_unicode_escape(p, b);
    if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        return parse_line_ending_backslash(p);
    if (c >= 0x20 && c < 0x7F)
        return parse_error(p, p->at, "invalid escape sequence '\\%c'", c);
    return parse_error(p, p->at, "invalid escape sequence: '\\' followed by %s",
                       describe_at(p, p->at + 1, what, sizeof(what)));
}

/* Multi-line strings may hold one or two quote characters right before the closing three; a
 * run of 3 to 5 quotes therefore closes the string. Returns true when the string ended. */
static bool take_quote_run(struct toml_parser* p, struct toml_buf* b, char quote, int* rc) {
    size_t run = 0;

    while (peek(p, run) == quote)
        run++;
    if (run < 3) {
        *rc = buf_put(p, b, p->src + p->at, run);
        p->at += run;
        return false;
    }
    size_t kept = run - 3 > 2 ? 2 : run - 3;
    *rc = buf_put(p, b, p->src + p->at, kept);
    p->at += 3 + kept;
    return true;
}

static int string_char_error(struct toml_parser* p, const char* delim, size_t open_at) {
    char what[48];
    struct toml_pos open = pos_of(p, open_at);

    if (p->at >= p->len || newline_len(p))
        return parse_error(p, p->at,
                           "unterminated string (opened at line %d, column %d): "
                           "expected %s before %s",
                           open.line, open.col, delim, describe_at(p, p->at, what, sizeof(what)));
    return parse_error(p, p->at, "%s not allowed in a string; write it as an escape",
                       describe_at(p, p->at, what, sizeof(what)));
}

/* Parses any of the four string forms starting at the current quote into b. */
static int parse_string(struct toml_parser* p, struct toml_buf* b) {
    char quote = p->src[p->at];
    bool multiline = peek(p, 1) == quote && peek(p, 2) == quote;
    const char* delim =
        quote == '"' ? (multiline ? "'\"\"\"'" : "'\"'") : (multiline ? "\"'''\"" : "\"'\"");
    size_t open_at = p->at;
    int rc = buf_put(p, b, "", 0);

    p->at += multiline ? 3 : 1;
    if (multiline)
        p->at += newline_len(p);

    while (rc == 0) {
        int c = peek(p, 0);
        size_t nl = newline_len(p);

        if (c == quote && !multiline) {
            p->at++;
            return 0;
        }
        if (c == quote) {
            if (take_quote_run(p, b, quote, &rc))
                return rc;
        } else if (c == '\\' && quote == '"') {
            rc = parse_escape(p, b, multiline);
        } else if (nl && multiline) {
            rc = buf_put(p, b, "\n", 1);
            p->at += nl;
        } else if (c < 0 || is_control((unsigned char)c)) {
            return string_char_error(p, delim, open_at);
        } else {
            size_t run = 1;
            while (p->at + run < p->len) {
                unsigned char d = (unsigned char)p->src[p->at + run];
                if (d == (unsigned char)quote || d == '\\' || is_control(d))
                    break;
                run++;
            }
            rc = buf_put(p, b, p->src + p->at, run);
            p->at += run;
        }
    }
    return rc;
}

static int parse_string_value(struct toml_parser* p, struct toml_value** out) {
    struct toml_buf b = {0};
    size_t at = p->at;
    int rc = parse_string(p, &b);

    if (rc < 0)
        goto out;
    *out = value_new(p, TOML_STRING, at);
    if (!*out) {
        rc = -ENOMEM;
        goto out;
    }
    (*out)->str.ptr = b.data;
    (*out)->str.len = b.len;
    b.data = NULL;
out:
    free(b.data);
    return rc;
}

/* ---- keys ---- */

static void key_clear(struct toml_key* key) {
    for (int i = 0; i < key->count; i++)
        free(key->parts[i].name);
    free(key->parts);
    *key = (struct toml_key){0};
}

static int key_parse_part(struct toml_parser* p, struct toml_key_part* part) {
    struct toml_buf b = {0};
    char what[48];
    int c = peek(p, 0);
    int rc;

    part->at = p->at;
    if (c >= 0 && is_bare_key_char((unsigned char)c)) {
        size_t len = 0;
        while (peek(p, len) >= 0 && is_bare_key_char((unsigned char)peek(p, len)))
            len++;
        rc = buf_put(p, &b, p->src + p->at, len);
        p->at += len;
    } else if (c == '"' || c == '\'') {
        if (peek(p, 1) == c && peek(p, 2) == c)
            return parse_error(p, p->at, "a multi-line string cannot be a key");
        rc = parse_string(p, &b);
        if (rc == 0 && memchr(b.data, '\0', b.len))
            rc = parse_error(p, part->at, "keys may not contain U+0000");
    } else {
        return parse_error(p, p->at, "expected a key, found %s",
                           describe_at(p, p->at, what, sizeof(what)));
    }
    if (rc < 0) {
        free(b.data);
        return rc;
    }
    part->name = b.data;
    part->len = b.len;
    return 0;
}

/* Parses a possibly dotted key; whitespace is allowed around the dots and is skipped after. */
static int key_parse(struct toml_parser* p, struct toml_key* key) {
    for (;;) {
        if (key->count == key->cap) {
            int cap = key->cap ? key->cap * 2 : 4;
            struct toml_key_part* parts = realloc(key->parts, cap * sizeof(*parts));
            if (!parts)
                return out_of_memory(p);
            key->parts = parts;
            key->cap = cap;
        }
        if (key->count >= TOML_MAX_DEPTH)
            return parse_error(p, p->at, "key has more than %d parts", TOML_MAX_DEPTH);

        struct toml_key_part* part = &key->parts[key->count];
        *part = (struct toml_key_part){0};
        int rc = key_parse_part(p, part);
        if (rc < 0)
            return rc;
        key->count++;

        skip_ws(p);
        if (peek(p, 0) != '.')
            return 0;
        p->at++;
        skip_ws(p);
    }
}

/* ---- numbers ---- */

static bool is_digit(int c) {
    return c >= '0' && c <= '9';
}

/* Characters a number, boolean, inf or nan token may hold; the grammar checks them after. */
static bool is_token_char(int c) {
    return c >= 0 && (is_bare_key_char((unsigned char)c) || c == '.' || c == '+');
}

/* Scans digits of a radix with underscores only between digits; returns the index after them,
 * or 0 after reporting an error. */
static size_t scan_digits(struct toml_parser* p, size_t at, size_t end, int radix,
                          const char* what) {
    size_t i = at;
    char found[48];

    for (;;) {
        int c = i < end ? (unsigned char)p->src[i] : -1;
        int d = c == -1 ? -1 : rt_hex_digit(c);
        if (d >= 0 && d < radix) {
            i++;
            continue;
        }
        if (c == '_' && i > at && i + 1 < end) {
            int next = rt_hex_digit((unsigned char)p->src[i + 1]);
            if (next >= 0 && next < radix) {
                i++;
                continue;
            }
        }
        if (c == '_') {
            parse_error(p, i, "'_' in a number must be between two digits");
            return 0;
        }
        if (i == at) {
            parse_error(p, i, "expected %s, found %s", what,
                        describe_at(p, i, found, sizeof(found)));
            return 0;
        }
        return i;
    }
}

static int number_garbage(struct toml_parser* p, size_t at, size_t start) {
    char what[48];

    return parse_error(p, at, "invalid number '%.*s': unexpected %s", (int)(at - start + 1),
                       p->src + start, describe_at(p, at, what, sizeof(what)));
}

static int parse_radix_integer(struct toml_parser* p, size_t start, size_t end,
                               struct toml_value** out) {
    static const struct {
        char letter;
        int radix, bits;
        const char* digits;
    } radixes[] = {
        {'x', 16, 4, "a hexadecimal digit"},
        {'o', 8, 3, "an octal digit"},
        {'b', 2, 1, "a binary digit"},
    };
    size_t r = 0;
    uint64_t value = 0;

    while (radixes[r].letter != p->src[start + 1])
        r++;
    size_t stop = scan_digits(p, start + 2, end, radixes[r].radix, radixes[r].digits);
    if (!stop)
        return -EINVAL;
    if (stop != end)
        return number_garbage(p, stop, start);

    for (size_t i = start + 2; i < end; i++) {
        if (p->src[i] == '_')
            continue;
        if (value >> (63 - radixes[r].bits))
            return parse_error(p, start, "integer '%.*s' does not fit in 64 bits",
                               (int)(end - start), p->src + start);
        value = (value << radixes[r].bits) | (uint64_t)rt_hex_digit((unsigned char)p->src[i]);
    }
    *out = value_new(p, TOML_INTEGER, start);
    if (!*out)
        return -ENOMEM;
    (*out)->integer = (int64_t)value;
    return 0;
}

static int parse_decimal_integer(struct toml_parser* p, size_t start, size_t end,
                                 struct toml_value** out) {
    bool negative = p->src[start] == '-';
    uint64_t limit = negative ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    uint64_t value = 0;

    for (size_t i = start; i < end; i++) {
        char c = p->src[i];
        if (c < '0' || c > '9')
            continue;
        unsigned int d = (unsigned int)(c - '0');
        if (value > (limit - d) / 10)
            return parse_error(p, start, "integer '%.*s' does not fit in 64 bits",
                               (int)(end - start), p->src + start);
        value = value * 10 + d;
    }
    *out = value_new(p, TOML_INTEGER, start);
    if (!*out)
        return -ENOMEM;
    (*out)->integer = negative ? (int64_t)(0 - value) : (int64_t)value;
    return 0;
}

static int parse_float_text(struct toml_parser* p, size_t start, size_t end,
                            struct toml_value** out) {
    char digits[512];
    struct toml_buf big = {0};
    char* text = digits;
    size_t n = 0;
    double value;
    int rc;

    /* Underscores go; a float with very many digits is copied to the heap. */
    if (end - start >= sizeof(digits)) {
        rc = buf_put(p, &big, p->src + start, end - start);
        if (rc < 0)
            return rc;
        text = big.data;
    }
    for (size_t i = start; i < end; i++) {
        if (p->src[i] != '_')
            text[n++] = p->src[i];
    }

    rc = toml_float_parse(text, n, &value);
    free(big.data);
    if (rc < 0)
        return parse_error(p, start, "float '%.*s' is out of range", (int)(end - start),
                           p->src + start);
    *out = value_new(p, TOML_FLOAT, start);
    if (!*out)
        return -ENOMEM;
    (*out)->fp = value;
    return 0;
}

static int parse_special_float(struct toml_parser* p, size_t start, struct toml_value** out) {
    bool negative = p->src[start] == '-';
    size_t body = start + (p->src[start] == '-' || p->src[start] == '+');

    *out = value_new(p, TOML_FLOAT, start);
    if (!*out)
        return -ENOMEM;
    if (p->src[body] == 'i')
        (*out)->fp = negative ? -__builtin_inf() : __builtin_inf();
    else
        (*out)->fp = negative ? -__builtin_nan("") : __builtin_nan("");
    return 0;
}

/* Parses an integer or float token: sign, decimal part without leading zeros, then an optional
 * fraction and exponent; or a prefixed hex/octal/binary integer; or inf/nan. */
static int parse_number(struct toml_parser* p, struct toml_value** out) {
    size_t start = p->at, end = p->at, i = p->at;
    bool is_float = false;

    while (end < p->len && is_token_char((unsigned char)p->src[end]))
        end++;
    p->at = end;

    if (p->src[i] == '+' || p->src[i] == '-')
        i++;
    if (end - i == 3 && (!strncmp(p->src + i, "inf", 3) || !strncmp(p->src + i, "nan", 3)))
        return parse_special_float(p, start, out);

    if (i + 1 < end && p->src[i] == '0' &&
        (p->src[i + 1] == 'x' || p->src[i + 1] == 'o' || p->src[i + 1] == 'b')) {
        if (i != start)
            return parse_error(p, start, "a sign is not allowed on a %s integer",
                               p->src[i + 1] == 'x'   ? "hexadecimal"
                               : p->src[i + 1] == 'o' ? "octal"
                                                      : "binary");
        return parse_radix_integer(p, start, end, out);
    }

    size_t stop = scan_digits(p, i, end, 10, "a digit");
    if (!stop)
        return -EINVAL;
    if (p->src[i] == '0' && stop > i + 1)
        return parse_error(p, i, "leading zeros are not allowed in '%.*s'", (int)(end - start),
                           p->src + start);

    if (stop < end && p->src[stop] == '.') {
        is_float = true;
        stop = scan_digits(p, stop + 1, end, 10, "a digit after '.'");
        if (!stop)
            return -EINVAL;
    }
    if (stop < end && (p->src[stop] == 'e' || p->src[stop] == 'E')) {
        is_float = true;
        stop++;
        if (stop < end && (p->src[stop] == '+' || p->src[stop] == '-'))
            stop++;
        stop = scan_digits(p, stop, end, 10, "a digit in the exponent");
        if (!stop)
            return -EINVAL;
    }
    if (stop != end)
        return number_garbage(p, stop, start);

    if (is_float)
        return parse_float_text(p, start, end, out);
    return parse_decimal_integer(p, start, end, out);
}

/* ---- dates and times ---- */

static bool is_leap_year(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (month == 2 && is_leap_year(year))
        return 29;
    return days[month - 1];
}

/* Reads exactly n digits at the current offset. */
static int take_digits(struct toml_parser* p, int n, const char* field, int* value) {
    char what[48];

    *value = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(peek(p, 0)))
            return parse_error(p, p->at, "expected %d digits for the %s, found %s", n, field,
                               describe_at(p, p->at, what, sizeof(what)));
        *value = *value * 10 + (p->src[p->at] - '0');
        p->at++;
    }
    return 0;
}

static int take_char(struct toml_parser* p, char c, const char* context) {
    char what[48];

    if (peek(p, 0) != c)
        return parse_error(p, p->at, "expected '%c' %s, found %s", c, context,
                           describe_at(p, p->at, what, sizeof(what)));
    p->at++;
    return 0;
}

/* A field and its allowed range; an out-of-range field is reported where it starts. */
static int take_field(struct toml_parser* p, int n, const char* field, int min, int max,
                      int* value) {
    size_t at = p->at;
    int rc = take_digits(p, n, field, value);

    if (rc == 0 && (*value < min || *value > max))
        return parse_error(p, at, "%s %0*d out of range (%0*d to %0*d)", field, n, *value, n, min,
                           n, max);
    return rc;
}

static int parse_date(struct toml_parser* p, struct toml_datetime* dt) {
    size_t day_at;

    if (take_digits(p, 4, "year", &dt->year) < 0 || take_char(p, '-', "after the year") < 0 ||
        take_field(p, 2, "month", 1, 12, &dt->month) < 0 ||
        take_char(p, '-', "after the month") < 0)
        return -EINVAL;
    day_at = p->at;
    if (take_digits(p, 2, "day", &dt->day) < 0)
        return -EINVAL;
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
        return parse_error(p, day_at, "day %02d out of range for %04d-%02d (01 to %02d)", dt->day,
                           dt->year, dt->month, days_in_month(dt->year, dt->month));
    return 0;
}

/* Fractions beyond nanoseconds are truncated, as the specification asks. */
static int parse_time(struct toml_parser* p, struct toml_datetime* dt) {
    if (take_field(p, 2, "hour", 0, 23, &dt->hour) < 0 || take_char(p, ':', "after the hour") < 0 ||
        take_field(p, 2, "minute", 0, 59, &dt->minute) < 0 ||
        take_char(p, ':', "after the minute (seconds are required)") < 0 ||
        take_field(p, 2, "second", 0, 60, &dt->second) < 0)
        return -EINVAL;
    if (peek(p, 0) != '.')
        return 0;

    p->at++;
    if (!is_digit(peek(p, 0)))
        return take_digits(p, 1, "fraction of a second", &dt->nanosecond);
    for (int scale = 100000000; is_digit(peek(p, 0)); scale /= 10, p->at++)
        dt->nanosecond += (p->src[p->at] - '0') * scale;
    return 0;
}

static int parse_offset(struct toml_parser* p, struct toml_datetime* dt) {
    int c = peek(p, 0), hours, minutes;

    if (c == 'Z' || c == 'z') {
        p->at++;
        return 0;
    }
    p->at++;
    if (take_field(p, 2, "offset hour", 0, 23, &hours) < 0 ||
        take_char(p, ':', "in the offset") < 0 ||
        take_field(p, 2, "offset minute", 0, 59, &minutes) < 0)
        return -EINVAL;
    dt->offset_minutes = (c == '-' ? -1 : 1) * (hours * 60 + minutes);
    return 0;
}

static bool at_offset_start(const struct toml_parser* p) {
    int c = peek(p, 0);
    return c == 'Z' || c == 'z' || c == '+' || c == '-';
}

/* Dates start with four digits and '-', times with two digits and ':'. */
static bool looks_like_date(const struct toml_parser* p) {
    return is_digit(peek(p, 0)) && is_digit(peek(p, 1)) && is_digit(peek(p, 2)) &&
           is_digit(peek(p, 3)) && peek(p, 4) == '-';
}

static bool looks_like_time(const struct toml_parser* p, size_t ahead) {
    return is_digit(peek(p, ahead)) && is_digit(peek(p, ahead + 1)) && peek(p, ahead + 2) == ':';
}

static int parse_datetime(struct toml_parser* p, struct toml_value** out) {
    struct toml_datetime dt = {0};
    enum toml_type type = TOML_LOCAL_TIME;
    size_t start = p->at;

    if (looks_like_date(p)) {
        if (parse_date(p, &dt) < 0)
            return -EINVAL;
        type = TOML_LOCAL_DATE;
        /* A space separates date and time only if a time follows; otherwise it ends the
         * value. */
        if (peek(p, 0) == 'T' || peek(p, 0) == 't' ||
            (peek(p, 0) == ' ' && looks_like_time(p, 1))) {
            p->at++;
            type = TOML_LOCAL_DATETIME;
        }
    }
    if (type != TOML_LOCAL_DATE && parse_time(p, &dt) < 0)
        return -EINVAL;
    if (type == TOML_LOCAL_DATETIME && at_offset_start(p)) {
        if (parse_offset(p, &dt) < 0)
            return -EINVAL;
        type = TOML_OFFSET_DATETIME;
    } else if (type == TOML_LOCAL_TIME && at_offset_start(p)) {
        return parse_error(p, p->at, "a time without a date cannot have an offset");
    }
    if (is_token_char(peek(p, 0)) || peek(p, 0) == ':') {
        char what[48];
        return parse_error(p, p->at, "unexpected %s after the %s '%.*s'",
                           describe_at(p, p->at, what, sizeof(what)), toml_type_name(type),
                           (int)(p->at - start), p->src + start);
    }

    *out = value_new(p, type, start);
    if (!*out)
        return -ENOMEM;
    (*out)->dt = dt;
    return 0;
}

/* ---- arrays, inline tables, key/value pairs ---- */

static int parse_array(struct toml_parser* p, int depth, struct toml_value** out) {
    struct toml_value* array = value_new(p, TOML_ARRAY, p->at);
    char what[48];
    int rc;

    if (!array)
        return -ENOMEM;
    p->at++;
    for (;;) {
        struct toml_value* item = NULL;

        if ((rc = skip_blank(p)) < 0)
            goto out;
        if (peek(p, 0) == ']')
            break;
        if ((rc = parse_value(p, depth + 1, &item)) < 0)
            goto out;
        if ((rc = array_add(p, array, item)) < 0)
            goto out;
        if ((rc = skip_blank(p)) < 0)
            goto out;
        if (peek(p, 0) == ']')
            break;
        if (peek(p, 0) != ',') {
            rc = parse_error(p, p->at, "expected ',' or ']' after an array item, found %s",
                             describe_at(p, p->at, what, sizeof(what)));
            goto out;
        }
        p->at++;
    }
    p->at++;
    *out = array;
    array = NULL;
    rc = 0;
out:
    toml_free(array);
    return rc;
}

static int assign(struct toml_parser* p, struct toml_value* table, int depth, struct toml_key* key);

static int parse_inline_table(struct toml_parser* p, int depth, struct toml_value** out) {
    struct toml_value* table = value_new(p, TOML_TABLE, p->at);
    char what[48];
    int rc = 0;

    if (!table)
        return -ENOMEM;
    table->flags = TF_INLINE;
    p->at++;
    skip_ws(p);
    if (peek(p, 0) == '}')
        goto done;

    for (;;) {
        struct toml_key key = {0};

        skip_ws(p);
        if (peek(p, 0) == '}') {
            rc = parse_error(p, p->at, "trailing comma not allowed in an inline table");
            goto out;
        }
        if (newline_len(p)) {
            rc = parse_error(p, p->at, "newline not allowed in an inline table");
            goto out;
        }
        rc = key_parse(p, &key);
        if (rc == 0)
            rc = assign(p, table, depth, &key);
        key_clear(&key);
        if (rc < 0)
            goto out;

        skip_ws(p);
        if (peek(p, 0) == '}')
            break;
        if (peek(p, 0) != ',') {
            const char* hint = newline_len(p) ? " (inline tables must be on one line)" : "";
            rc = parse_error(p, p->at, "expected ',' or '}' in an inline table, found %s%s",
                             describe_at(p, p->at, what, sizeof(what)), hint);
            goto out;
        }
        p->at++;
    }
done:
    p->at++;
    *out = table;
    table = NULL;
out:
    toml_free(table);
    return rc;
}

/* Letters that are not true, false, inf or nan: most likely a string without quotes. */
static int bare_word_error(struct toml_parser* p) {
    size_t len = 0;

    while (is_token_char(peek(p, len)))
        len++;
    if (len > 40)
        len = 40;
    return parse_error(p, p->at, "invalid value '%.*s' (strings must be quoted)", (int)len,
                       p->src + p->at);
}

static int parse_word(struct toml_parser* p, struct toml_value** out) {
    static const struct {
        const char* word;
        bool value;
    } booleans[] = {{"true", true}, {"false", false}};

    for (size_t i = 0; i < sizeof(booleans) / sizeof(booleans[0]); i++) {
        size_t len = strlen(booleans[i].word);
        if (p->at + len <= p->len && !strncmp(p->src + p->at, booleans[i].word, len) &&
            !is_token_char(peek(p, len))) {
            *out = value_new(p, TOML_BOOLEAN, p->at);
            if (!*out)
                return -ENOMEM;
            (*out)->boolean = booleans[i].value;
            p->at += len;
            return 0;
        }
    }
    if ((peek(p, 0) == 'i' || peek(p, 0) == 'n') && p->at + 3 <= p->len &&
        (!strncmp(p->src + p->at, "inf", 3) || !strncmp(p->src + p->at, "nan", 3)) &&
        !is_token_char(peek(p, 3)))
        return parse_number(p, out);
    return bare_word_error(p);
}

static int parse_value(struct toml_parser* p, int depth, struct toml_value** out) {
    int c = peek(p, 0);
    char what[48];

    if ((c == '[' || c == '{') && depth > TOML_MAX_DEPTH)
        return parse_error(p, p->at, "nesting deeper than %d levels", TOML_MAX_DEPTH);
    if (c == '"' || c == '\'')
        return parse_string_value(p, out);
    if (c == '[')
        return parse_array(p, depth, out);
    if (c == '{')
        return parse_inline_table(p, depth, out);
    if (looks_like_date(p) || looks_like_time(p, 0))
        return parse_datetime(p, out);
    if (is_digit(c) || c == '+' || c == '-')
        return parse_number(p, out);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return parse_word(p, out);
    return parse_error(p, p->at, "expected a value, found %s",
                       describe_at(p, p->at, what, sizeof(what)));
}

/* ---- redefinition rules ---- */

/* What an existing entry is, as far as defining and extending it goes. */
enum entry_kind {
    ENTRY_VALUE,
    ENTRY_STATIC_ARRAY,
    ENTRY_ARRAY_OF_TABLES,
    ENTRY_INLINE_TABLE,
    ENTRY_HEADER_TABLE,
    ENTRY_DOTTED_TABLE,
    ENTRY_IMPLICIT_TABLE,
};

/* Which uses each kind of entry allows: a [header] or [[header]] passing through it on the way
 * to a deeper table, a [header] naming it, [[header]] appending to it, and dotted keys adding to
 * it. A table is defined once, by a header or by dotted keys; an implicit table (the parent
 * that a header created on its way) is not yet defined, so either may still define it. */
static const struct entry_rule {
    const char* what; /* completes "it is ..." in messages; NULL: use the value's type */
    bool header_through, header_defines, aot_appends, dotted_adds;
} entry_rules[] = {
    [ENTRY_VALUE] = {NULL, false, false, false, false},
    [ENTRY_STATIC_ARRAY] = {"a static array", false, false, false, false},
    [ENTRY_ARRAY_OF_TABLES] = {"an array of tables", true, false, true, false},
    [ENTRY_INLINE_TABLE] = {"an inline table, complete once closed", false, false, false, false},
    [ENTRY_HEADER_TABLE] = {"a table defined by a [header]", true, false, false, false},
    [ENTRY_DOTTED_TABLE] = {"a table defined by dotted keys", true, false, false, true},
    [ENTRY_IMPLICIT_TABLE] = {"a table", true, true, false, true},
};

static enum entry_kind entry_kind_of(const struct toml_value* v) {
    if (v->type == TOML_ARRAY)
        return v->flags & TF_ARRAY_OF_TABLES ? ENTRY_ARRAY_OF_TABLES : ENTRY_STATIC_ARRAY;
    if (v->type != TOML_TABLE)
        return ENTRY_VALUE;
    if (v->flags & TF_INLINE)
        return ENTRY_INLINE_TABLE;
    if (v->flags & TF_HEADER)
        return ENTRY_HEADER_TABLE;
    if (v->flags & TF_DOTTED)
        return ENTRY_DOTTED_TABLE;
    return ENTRY_IMPLICIT_TABLE;
}

/* Reports that an entry may not be used the way the key at parts[count - 1] tries to:
 * "<action> "a.b": it is a static array (line 3)". */
static int entry_conflict(struct toml_parser* p, const struct toml_key* key, int count,
                          const struct toml_entry* e, const char* action) {
    char name[128], type[48];
    enum entry_kind kind = entry_kind_of(e->value);
    const char* what = entry_rules[kind].what;

    format_key_parts(name, sizeof(name), key->parts, count);
    if (!what) {
        const char* t = toml_type_name(e->value->type);
        snprintf(type, sizeof(type), "%s %s", strchr("aeiou", t[0]) ? "an" : "a", t);
        what = type;
    }
    if (kind == ENTRY_HEADER_TABLE && !strcmp(action, "cannot define table"))
        return parse_error(p, key->parts[count - 1].at,
                           "table \"%s\" defined twice (first at line %d)", name,
                           e->value->pos.line);
    return parse_error(p, key->parts[count - 1].at, "%s \"%s\": it is %s (line %d)", action, name,
                       what, e->value->pos.line);
}

/* Assigns "key = value" (value still to be parsed) into a table, creating the tables that
 * dotted keys name on the way. */
static int assign(struct toml_parser* p, struct toml_value* table, int depth,
                  struct toml_key* key) {
    struct toml_value* value = NULL;
    char name[128], what[48];
    int last = key->count - 1;

    for (int i = 0; i < last; i++) {
        struct toml_key_part* part = &key->parts[i];
        struct toml_entry* e = table_find(table, part->name, part->len);

        if (++depth > TOML_MAX_DEPTH)
            return parse_error(p, part->at, "nesting deeper than %d levels", TOML_MAX_DEPTH);
        if (!e) {
            table = table_add_table(p, table, part, part->at, TF_DOTTED);
            if (!table)
                return -EINVAL;
            continue;
        }
        if (!entry_rules[entry_kind_of(e->value)].dotted_adds)
            return entry_conflict(p, key, i + 1, e, "cannot add with dotted keys to");
        /* An implicit table that dotted keys reach is now defined, here. */
        if (e->value->flags & TF_IMPLICIT)
            e->value->pos = pos_of(p, part->at);
        e->value->flags = TF_DOTTED;
        table = e->value;
    }

    struct toml_key_part* part = &key->parts[last];
    format_key_parts(name, sizeof(name), key->parts, key->count);
    struct toml_entry* e = table_find(table, part->name, part->len);
    if (e)
        return parse_error(p, part->at, "key \"%s\" defined twice (first at line %d)", name,
                           e->key_pos.line);

    if (peek(p, 0) != '=')
        return parse_error(p, p->at, "expected '=' after key \"%s\", found %s", name,
                           describe_at(p, p->at, what, sizeof(what)));
    p->at++;
    skip_ws(p);
    if (p->at >= p->len || newline_len(p) || peek(p, 0) == '#')
        return parse_error(p, p->at, "expected a value after '=', found %s",
                           describe_at(p, p->at, what, sizeof(what)));
    if (parse_value(p, depth + 1, &value) < 0)
        return -EINVAL;

    return table_add(p, table, part, value);
}

/* ---- table headers ---- */

/* Walks a header's key down from the root; the last part is left to the caller. Parts that
 * do not exist become implicit tables; arrays of tables lead into their last element. */
static struct toml_value* header_walk(struct toml_parser* p, const struct toml_key* key, size_t at,
                                      int* depth) {
    struct toml_value* table = p->root;

    *depth = 0;
    for (int i = 0; i < key->count - 1; i++) {
        struct toml_key_part* part = &key->parts[i];
        struct toml_entry* e = table_find(table, part->name, part->len);

        if (++*depth > TOML_MAX_DEPTH) {
            parse_error(p, part->at, "nesting deeper than %d levels", TOML_MAX_DEPTH);
            return NULL;
        }
        if (!e) {
            table = table_add_table(p, table, part, at, TF_IMPLICIT);
            if (!table)
                return NULL;
            continue;
        }
        if (!entry_rules[entry_kind_of(e->value)].header_through) {
            entry_conflict(p, key, i + 1, e, "cannot add a table to");
            return NULL;
        }
        if (e->value->type == TOML_ARRAY) {
            table = e->value->array.items[e->value->array.count - 1];
            ++*depth;
        } else {
            table = e->value;
        }
    }
    return table;
}

static struct toml_value* define_table(struct toml_parser* p, struct toml_value* parent,
                                       struct toml_key* key, size_t at) {
    struct toml_key_part* part = &key->parts[key->count - 1];
    struct toml_entry* e = table_find(parent, part->name, part->len);

    if (!e)
        return table_add_table(p, parent, part, at, TF_HEADER);
    if (!entry_rules[entry_kind_of(e->value)].header_defines) {
        entry_conflict(p, key, key->count, e, "cannot define table");
        return NULL;
    }
    e->value->flags = TF_HEADER;
    e->value->pos = pos_of(p, at);
    return e->value;
}

static struct toml_value* define_array_table(struct toml_parser* p, struct toml_value* parent,
                                             struct toml_key* key, size_t at) {
    struct toml_key_part* part = &key->parts[key->count - 1];
    struct toml_entry* e = table_find(parent, part->name, part->len);
    struct toml_value* array;

    if (!e) {
        array = value_new(p, TOML_ARRAY, at);
        if (!array)
            return NULL;
        array->flags = TF_ARRAY_OF_TABLES;
        if (table_add(p, parent, part, array) < 0)
            return NULL;
    } else if (entry_rules[entry_kind_of(e->value)].aot_appends) {
        array = e->value;
    } else {
        entry_conflict(p, key, key->count, e, "cannot define array of tables");
        return NULL;
    }

    struct toml_value* table = value_new(p, TOML_TABLE, at);
    if (!table)
        return NULL;
    table->flags = TF_HEADER;
    if (array_add(p, array, table) < 0)
        return NULL;
    return table;
}

static int parse_header(struct toml_parser* p) {
    struct toml_key key = {0};
    size_t at = p->at;
    bool array = peek(p, 1) == '[';
    struct toml_value* table = NULL;
    char what[48];
    int depth, rc;

    p->at += array ? 2 : 1;
    skip_ws(p);
    rc = key_parse(p, &key);
    if (rc < 0)
        goto out;
    if (peek(p, 0) != ']' || (array && peek(p, 1) != ']')) {
        size_t bad = peek(p, 0) == ']' ? p->at + 1 : p->at;
        rc = parse_error(p, bad, "expected '%s' to close the %s header, found %s",
                         array ? "]]" : "]", array ? "array-of-tables" : "table",
                         describe_at(p, bad, what, sizeof(what)));
        goto out;
    }
    p->at += array ? 2 : 1;

    struct toml_value* parent = header_walk(p, &key, at, &depth);
    if (parent)
        table = array ? define_array_table(p, parent, &key, at) : define_table(p, parent, &key, at);
    if (!table) {
        rc = -EINVAL;
        goto out;
    }
    depth += array ? 2 : 1;
    if (depth > TOML_MAX_DEPTH) {
        rc = parse_error(p, at, "nesting deeper than %d levels", TOML_MAX_DEPTH);
        goto out;
    }
    p->section = table;
    p->section_depth = depth;
    rc = expect_line_end(p, "the table header");
out:
    key_clear(&key);
    return rc;
}

/* ---- document ---- */

static int parse_document(struct toml_parser* p) {
    while (p->at < p->len) {
        size_t nl;
        int rc = 0;

        skip_ws(p);
        nl = newline_len(p);
        if (nl) {
            p->at += nl;
        } else if (peek(p, 0) == '#') {
            rc = skip_comment(p);
        } else if (peek(p, 0) == '[') {
            rc = parse_header(p);
        } else if (p->at < p->len) {
            struct toml_key key = {0};
            rc = key_parse(p, &key);
            if (rc == 0)
                rc = assign(p, p->section, p->section_depth, &key);
            key_clear(&key);
            if (rc == 0)
                rc = expect_line_end(p, "the value");
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct toml_value* toml_parse(const char* text, size_t len, struct toml_error* err) {
    struct toml_parser p = {.src = text, .len = len, .err = err};
    size_t bad_utf8 = find_invalid_utf8(text, len);
    struct toml_value* root = NULL;
    int rc;

    *err = (struct toml_error){0};
    if (index_lines(&p) < 0) {
        snprintf(err->message, sizeof(err->message), "out of memory");
        err->pos = (struct toml_pos){.line = 1, .col = 1};
        return NULL;
    }
    p.root = value_new(&p, TOML_TABLE, 0);
    if (!p.root)
        goto out;
    p.root->flags = TF_HEADER;
    p.section = p.root;

    rc = parse_document(&p);

    /* Invalid UTF-8 is found up front, but reported only if no earlier error stopped the
     * parse, so the first error in the text is the one the user sees. */
    if (bad_utf8 < len && (rc == 0 || p.err_at >= bad_utf8)) {
        p.failed = false;
        parse_error(&p, bad_utf8, "invalid UTF-8 (byte 0x%02X)", (unsigned char)text[bad_utf8]);
        rc = -EINVAL;
    }
    if (rc < 0)
        goto out;
    root = p.root;
    p.root = NULL;
out:
    if (!root)
        err->pos = pos_of(&p, p.err_at);
    toml_free(p.root);
    free(p.line_starts);
    return root;
}

/* ---- lookups ---- */

const struct toml_entry* toml_table_entry(const struct toml_value* table, const char* key) {
    if (!table || table->type != TOML_TABLE || !key)
        return NULL;
    return table_find(table, key, strlen(key));
}

const struct toml_value* toml_table_get(const struct toml_value* table, const char* key) {
    const struct toml_entry* e = toml_table_entry(table, key);

    return e ? e->value : NULL;
}

const struct toml_value* toml_get_path(const struct toml_value* root, const char* path) {
    const struct toml_value* v = root;

    if (!path)
        return NULL;
    for (;;) {
        const char* dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);

        if (!v || v->type != TOML_TABLE)
            return NULL;
        const struct toml_entry* e = table_find(v, path, len);
        if (!e)
            return NULL;
        v = e->value;
        if (!dot)
            return v;
        path = dot + 1;
    }
}
