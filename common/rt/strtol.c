/* strtol and its siblings of the freestanding runtime.
 *
 * They follow C in everything but errno, which does not exist here: a value out of range clamps
 * to the type's limit (LONG_MAX, LONG_MIN, ULONG_MAX, ...) exactly as C says, and a caller that
 * must tell a clamped value from a real one checks the digits itself. An invalid base, or no
 * digits at all, returns 0 with *end set to the start of the string. */
#include "rt.h"

struct parsed {
    unsigned long long magnitude; /* saturated at ULLONG_MAX */
    bool negative;
    bool overflow;
};

static bool is_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 36;
}

/* A "0x" prefix counts only when a hex digit follows; otherwise the "0" alone is the number. */
static bool has_hex_prefix(const char* s) {
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16;
}

static int choose_base(const char** s, int base) {
    if (base == 0) {
        if (has_hex_prefix(*s))
            base = 16;
        else if (**s == '0')
            base = 8;
        else
            base = 10;
    }
    if (base == 16 && has_hex_prefix(*s))
        *s += 2;
    return base;
}

/* Parses [space][sign][prefix]digits; returns false (with *end = s) when nothing matched. */
static bool parse_integer(const char* s, char** end, int base, struct parsed* out) {
    const char* p = s;
    const char* digits;

    *out = (struct parsed){0};
    if (base < 0 || base == 1 || base > 36)
        goto fail;

    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        out->negative = *p++ == '-';
    base = choose_base(&p, base);

    digits = p;
    for (int d; (d = digit_value(*p)) < base; p++) {
        unsigned long long next;
        if (__builtin_mul_overflow(out->magnitude, (unsigned)base, &next) ||
            __builtin_add_overflow(next, (unsigned)d, &next)) {
            out->overflow = true;
            next = ULLONG_MAX;
        }
        out->magnitude = next;
    }
    if (p == digits)
        goto fail;

    if (end)
        *end = (char*)p;
    return true;

fail:
    if (end)
        *end = (char*)s;
    return false;
}

/* Signed result within [min, max] where min == -max - 1. */
static long long clamp_signed(const struct parsed* v, long long min, long long max) {
    if (v->negative) {
        if (v->overflow || v->magnitude > (unsigned long long)max + 1)
            return min;
        return (long long)(0 - v->magnitude);
    }
    if (v->overflow || v->magnitude > (unsigned long long)max)
        return max;
    return (long long)v->magnitude;
}

/* C: a minus sign negates the value in the unsigned type, so "-1" gives the maximum. */
static unsigned long long clamp_unsigned(const struct parsed* v, unsigned long long max) {
    if (v->overflow || v->magnitude > max)
        return max;
    return v->negative ? (0 - v->magnitude) & max : v->magnitude;
}

long strtol(const char* s, char** end, int base) {
    struct parsed v;

    if (!parse_integer(s, end, base, &v))
        return 0;
    return (long)clamp_signed(&v, LONG_MIN, LONG_MAX);
}

long long strtoll(const char* s, char** end, int base) {
    struct parsed v;

    if (!parse_integer(s, end, base, &v))
        return 0;
    return clamp_signed(&v, LLONG_MIN, LLONG_MAX);
}

unsigned long strtoul(const char* s, char** end, int base) {
    struct parsed v;

    if (!parse_integer(s, end, base, &v))
        return 0;
    return (unsigned long)clamp_unsigned(&v, ULONG_MAX);
}

unsigned long long strtoull(const char* s, char** end, int base) {
    struct parsed v;

    if (!parse_integer(s, end, base, &v))
        return 0;
    return clamp_unsigned(&v, ULLONG_MAX);
}
