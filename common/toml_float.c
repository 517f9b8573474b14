/* Decimal text to double and back, exactly, with a big decimal number and no floating point. */
#include "toml_float.h"

#include <linux/errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* A decimal 0.d[0]d[1]...d[count-1] * 10^point. 800 digits hold every double exactly (the
 * longest, the smallest subnormal, has 751 significant digits); longer inputs keep their first
 * 800 digits and remember in "truncated" that the rest was not all zeros, which is all that
 * correct rounding needs. So conversions are correctly rounded for inputs of any length. */
#define DECIMAL_DIGITS 800

/* Largest shift done in one step: a digit times 2^59 plus the carry stays below 2^64. */
#define MAX_SHIFT 59

struct decimal {
    uint8_t d[DECIMAL_DIGITS];
    int count;
    int point;
    bool truncated;
};

static void decimal_trim(struct decimal* a) {
    while (a->count > 0 && a->d[a->count - 1] == 0)
        a->count--;
    if (a->count == 0)
        a->point = 0;
}

/* Divides by 2^k, in place: each output digit needs at most the input digits before it. */
static void decimal_shift_right(struct decimal* a, int k) {
    uint64_t acc = 0, mask = ((uint64_t)1 << k) - 1;
    int r = 0, w = 0;

    while ((acc >> k) == 0) {
        if (r >= a->count && acc == 0) {
            a->count = 0;
            a->point = 0;
            return;
        }
        acc = acc * 10 + (r < a->count ? a->d[r] : 0);
        r++;
    }
    a->point -= r - 1;

    for (; r < a->count; r++) {
        a->d[w++] = (uint8_t)(acc >> k);
        acc = (acc & mask) * 10 + a->d[r];
    }
    while (acc > 0) {
        uint8_t digit = (uint8_t)(acc >> k);
        if (w < DECIMAL_DIGITS)
            a->d[w++] = digit;
        else if (digit)
            a->truncated = true;
        acc = (acc & mask) * 10;
    }
    a->count = w;
    decimal_trim(a);
}

/* Multiplies by 2^k; carries add up to 18 digits in front, so the result goes through a
 * buffer and loses trailing digits if it no longer fits. */
static void decimal_shift_left(struct decimal* a, int k) {
    uint8_t out[DECIMAL_DIGITS + 20];
    int n = (int)sizeof(out);
    uint64_t carry = 0;

    for (int i = a->count - 1; i >= 0; i--) {
        uint64_t v = ((uint64_t)a->d[i] << k) + carry;
        out[--n] = (uint8_t)(v % 10);
        carry = v / 10;
    }
    while (carry) {
        out[--n] = (uint8_t)(carry % 10);
        carry /= 10;
    }

    int count = (int)sizeof(out) - n;
    a->point += count - a->count;
    if (count > DECIMAL_DIGITS) {
        for (int i = DECIMAL_DIGITS; i < count; i++)
            a->truncated = a->truncated || out[n + i];
        count = DECIMAL_DIGITS;
    }
    memcpy(a->d, out + n, (size_t)count);
    a->count = count;
    decimal_trim(a);
}

/* Multiplies by 2^k for positive k, divides by 2^-k for negative k. */
static void decimal_shift(struct decimal* a, int k) {
    while (k > 0) {
        int step = k > MAX_SHIFT ? MAX_SHIFT : k;
        decimal_shift_left(a, step);
        k -= step;
    }
    while (k < 0) {
        int step = -k > MAX_SHIFT ? MAX_SHIFT : -k;
        decimal_shift_right(a, step);
        k += step;
    }
}

/* Whether dropping the digits from position n on rounds up: above half, or exactly half with
 * an odd digit before (ties to even). */
static bool decimal_rounds_up(const struct decimal* a, int n) {
    if (n < 0 || n >= a->count)
        return false;
    if (a->d[n] != 5)
        return a->d[n] > 5;
    if (a->truncated || n + 1 < a->count)
        return true;
    return n > 0 && (a->d[n - 1] & 1);
}

/* The integer part, rounded; only called when it is below 2^54. */
static uint64_t decimal_round_integer(const struct decimal* a) {
    uint64_t v = 0;

    for (int i = 0; i < a->point; i++)
        v = v * 10 + (i < a->count ? a->d[i] : 0);
    if (decimal_rounds_up(a, a->point))
        v++;
    return v;
}

static void decimal_from_text(struct decimal* a, const char* text, size_t len, bool* negative) {
    size_t i = 0;
    bool seen_point = false;
    long exponent = 0;

    *a = (struct decimal){0};
    *negative = false;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        *negative = text[i++] == '-';

    for (; i < len && text[i] != 'e' && text[i] != 'E'; i++) {
        if (text[i] == '.') {
            seen_point = true;
            continue;
        }
        uint8_t digit = (uint8_t)(text[i] - '0');
        if (!seen_point)
            a->point++;
        if (digit == 0 && a->count == 0) {
            a->point -= 1;
            continue;
        }
        if (a->count < DECIMAL_DIGITS)
            a->d[a->count++] = digit;
        else if (digit)
            a->truncated = true;
    }
    if (a->count == 0)
        a->point = 0;

    if (i < len) {
        bool exp_negative = false;
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-'))
            exp_negative = text[i++] == '-';
        /* Past a million every exponent over- or underflows alike. */
        for (; i < len; i++) {
            if (exponent < 1000000)
                exponent = exponent * 10 + (text[i] - '0');
        }
        if (a->count)
            a->point += (int)(exp_negative ? -exponent : exponent);
    }
    decimal_trim(a);
}

static double double_from_bits(uint64_t bits) {
    union {
        uint64_t bits;
        double value;
    } u = {.bits = bits};
    return u.value;
}

static uint64_t double_to_bits(double value) {
    union {
        double value;
        uint64_t bits;
    } u = {.value = value};
    return u.bits;
}

/* Scales the decimal into [0.5, 1) by powers of two, then takes 53 bits, rounded. */
static int decimal_to_double(struct decimal* a, bool negative, double* out) {
    uint64_t sign = negative ? (uint64_t)1 << 63 : 0;
    int exp = 0;

    if (a->count == 0 || a->point < -400) {
        *out = double_from_bits(sign);
        return 0;
    }
    if (a->point > 310)
        return -ERANGE;

    /* 8^p < 10^p, so shifting by 3 bits per decimal place never overshoots below 0.5 by much,
     * and the left shifts below never reach 1. */
    while (a->point > 0) {
        int k = a->point > 19 ? MAX_SHIFT : 3 * a->point;
        decimal_shift_right(a, k);
        exp += k;
    }
    while (a->point < 0 || (a->point == 0 && a->d[0] < 5)) {
        int k = a->point < -17 ? MAX_SHIFT : a->point == 0 ? 1 : 3 * -a->point;
        decimal_shift_left(a, k);
        exp -= k;
    }

    /* Now value = a * 2^exp with a in [0.5, 1): the double's exponent is exp - 1. */
    int e2 = exp - 1;
    if (e2 > 1023)
        return -ERANGE;
    if (e2 < -1022) {
        decimal_shift(a, -(-1022 - e2));
        e2 = -1022;
    }
    decimal_shift_left(a, 53);
    uint64_t mantissa = decimal_round_integer(a);
    if (mantissa == (uint64_t)1 << 53) {
        mantissa >>= 1;
        e2++;
        if (e2 > 1023)
            return -ERANGE;
    }

    uint64_t bits;
    if (mantissa >= (uint64_t)1 << 52)
        bits = (uint64_t)(e2 + 1023) << 52 | (mantissa & (((uint64_t)1 << 52) - 1));
    else
        bits = mantissa; /* subnormal */
    *out = double_from_bits(sign | bits);
    return 0;
}

int toml_float_parse(const char* text, size_t len, double* out) {
    struct decimal a;
    bool negative;

    decimal_from_text(&a, text, len, &negative);
    return decimal_to_double(&a, negative, out);
}

/* The exact decimal value of a finite, nonzero double's magnitude. */
static void decimal_from_double(struct decimal* a, uint64_t bits) {
    int biased = (int)((bits >> 52) & 0x7FF);
    uint64_t mantissa = bits & (((uint64_t)1 << 52) - 1);
    int e2 = biased ? biased - 1075 : -1074;
    char digits[24];
    int n = 0;

    if (biased)
        mantissa |= (uint64_t)1 << 52;
    while (mantissa) {
        digits[n++] = (char)(mantissa % 10);
        mantissa /= 10;
    }
    *a = (struct decimal){.count = n, .point = n};
    for (int i = 0; i < n; i++)
        a->d[i] = (uint8_t)digits[n - 1 - i];
    decimal_trim(a);
    decimal_shift(a, e2);
}

/* Rounds to n significant digits, ties to even; the value is exact so ties are real ties. */
static void decimal_round(struct decimal* a, int n) {
    if (a->count <= n)
        return;
    bool up = decimal_rounds_up(a, n);
    a->count = n;
    a->truncated = false;
    if (up) {
        int i = n - 1;
        while (i >= 0 && a->d[i] == 9)
            i--;
        if (i < 0) {
            a->d[0] = 1;
            a->count = 1;
            a->point++;
        } else {
            a->d[i]++;
            a->count = i + 1;
        }
    }
    decimal_trim(a);
}

static size_t put_text(char* buf, size_t n, const char* s) {
    while (*s)
        buf[n++] = *s++;
    return n;
}

static size_t put_word(char* buf, const char* s) {
    size_t n = put_text(buf, 0, s);

    buf[n] = '\0';
    return n;
}

/* Writes digits as Python's repr does: plain between 1e-4 and 1e16, else d.ddde+XX. */
static size_t format_digits(const struct decimal* a, bool negative, char* buf) {
    int x = a->point - 1;
    size_t n = 0;

    if (negative)
        buf[n++] = '-';
    if (x < -4 || x >= 16) {
        buf[n++] = (char)('0' + a->d[0]);
        if (a->count > 1) {
            buf[n++] = '.';
            for (int i = 1; i < a->count; i++)
                buf[n++] = (char)('0' + a->d[i]);
        }
        buf[n++] = 'e';
        buf[n++] = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            buf[n++] = (char)('0' + ax / 100);
        buf[n++] = (char)('0' + ax / 10 % 10);
        buf[n++] = (char)('0' + ax % 10);
    } else if (a->point <= 0) {
        n = put_text(buf, n, "0.");
        for (int i = 0; i < -a->point; i++)
            buf[n++] = '0';
        for (int i = 0; i < a->count; i++)
            buf[n++] = (char)('0' + a->d[i]);
    } else {
        for (int i = 0; i < a->point || i < a->count; i++) {
            if (i == a->point)
                buf[n++] = '.';
            buf[n++] = (char)('0' + (i < a->count ? a->d[i] : 0));
        }
        if (a->count <= a->point)
            n = put_text(buf, n, ".0");
    }
    buf[n] = '\0';
    return n;
}

/* Tries 1, 2, ... 17 significant digits and keeps the first that reads back as the same
 * double. This is always a round-trip form but, next to a power of two, where the gap below is
 * half the gap above, it may be one digit longer than the shortest possible. */
size_t toml_float_format(double value, char* buf) {
    uint64_t bits = double_to_bits(value);
    bool negative = bits >> 63;
    uint64_t magnitude = bits & ~((uint64_t)1 << 63);
    struct decimal exact, rounded;

    if ((magnitude >> 52) == 0x7FF && (magnitude & (((uint64_t)1 << 52) - 1)))
        return put_word(buf, "nan");
    if ((magnitude >> 52) == 0x7FF)
        return put_word(buf, negative ? "-inf" : "inf");
    if (magnitude == 0)
        return put_word(buf, negative ? "-0.0" : "0.0");

    decimal_from_double(&exact, magnitude);
    for (int digits = 1; digits <= 17; digits++) {
        struct decimal check;
        double back;

        rounded = exact;
        decimal_round(&rounded, digits);
        check = rounded;
        if (decimal_to_double(&check, false, &back) == 0 && double_to_bits(back) == magnitude)
            break;
    }
    return format_digits(&rounded, negative, buf);
}
