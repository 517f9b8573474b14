/* vsnprintf and snprintf of the freestanding runtime: the integer, character, string and
 * pointer conversions of C99.
 *
 * Floating point is not formatted: %f %F %e %E %g %G %a %A consume their argument and print the
 * conversion itself (such as "%f"), because nothing inside the library OS prints floats.
 * %n is refused the same way (it prints "%n" and writes nothing), since it only turns a
 * format string into a write primitive. Like glibc, %s of NULL prints "(null)" and %p of NULL
 * prints "(nil)". */
#include "rt.h"

struct out {
    char* buf;
    size_t size;
    size_t len; /* bytes the full output needs, even past size */
};

struct spec {
    bool left;     /* '-' */
    bool zero;     /* '0' */
    bool plus;     /* '+' */
    bool space;    /* ' ' */
    bool alt;      /* '#' */
    int width;     /* -1 when absent */
    int precision; /* -1 when absent */
    char length;   /* 'H' hh, 'h', 'l', 'L' ll, 'D' L, 'z', 't', 'j', or 0 */
};

static void out_char(struct out* o, char c) {
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_repeat(struct out* o, char c, int count) {
    for (; count > 0; count--)
        out_char(o, c);
}

static void out_bytes(struct out* o, const char* s, size_t n) {
    for (size_t i = 0; i < n; i++)
        out_char(o, s[i]);
}

/* Writes body with optional prefix (sign or 0x) and zeros, padded to the width. */
static void out_field(struct out* o, const struct spec* sp, const char* prefix, int zeros,
                      const char* body, size_t body_len) {
    size_t prefix_len = strlen(prefix);
    size_t total = prefix_len + (size_t)zeros + body_len;
    int pad = sp->width > 0 && (size_t)sp->width > total ? sp->width - (int)total : 0;

    if (!sp->left)
        out_repeat(o, ' ', pad);
    out_bytes(o, prefix, prefix_len);
    out_repeat(o, '0', zeros);
    out_bytes(o, body, body_len);
    if (sp->left)
        out_repeat(o, ' ', pad);
}

static const char* parse_flags(const char* f, struct spec* sp) {
    for (;; f++) {
        switch (*f) {
            case '-':
                sp->left = true;
                break;
            case '0':
                sp->zero = true;
                break;
            case '+':
                sp->plus = true;
                break;
            case ' ':
                sp->space = true;
                break;
            case '#':
                sp->alt = true;
                break;
            default:
                return f;
        }
    }
}

static int parse_number(const char** f) {
    long n = 0;

    while (**f >= '0' && **f <= '9') {
        if (n < INT_MAX)
            n = n * 10 + (**f - '0');
        (*f)++;
    }
    return n > INT_MAX ? INT_MAX : (int)n;
}

static const char* parse_length(const char* f, struct spec* sp) {
    switch (*f) {
        case 'h':
            if (f[1] == 'h') {
                sp->length = 'H';
                return f + 2;
            }
            sp->length = 'h';
            return f + 1;
        case 'l':
            if (f[1] == 'l') {
                sp->length = 'L';
                return f + 2;
            }
            sp->length = 'l';
            return f + 1;
        case 'z':
        case 't':
        case 'j':
        case 'L':
            sp->length = *f == 'L' ? 'D' : *f;
            return f + 1;
        default:
            return f;
    }
}

/* Parses everything between '%' and the conversion letter; '*' reads an int argument. */
static const char* parse_spec(const char* f, struct spec* sp, va_list* ap) {
    *sp = (struct spec){.width = -1, .precision = -1};

    f = parse_flags(f, sp);
    if (*f == '*') {
        int w = va_arg(*ap, int);
        if (w < 0) {
            sp->left = true;
            w = w == INT_MIN ? INT_MAX : -w;
        }
        sp->width = w;
        f++;
    } else if (*f >= '0' && *f <= '9') {
        sp->width = parse_number(&f);
    }

    if (*f == '.') {
        f++;
        if (*f == '*') {
            int p = va_arg(*ap, int);
            sp->precision = p < 0 ? -1 : p;
            f++;
        } else {
            sp->precision = parse_number(&f);
        }
    }
    return parse_length(f, sp);
}

static unsigned long long arg_unsigned(const struct spec* sp, va_list* ap) {
    switch (sp->length) {
        case 'H':
            return (unsigned char)va_arg(*ap, unsigned int);
        case 'h':
            return (unsigned short)va_arg(*ap, unsigned int);
        case 'l':
            return va_arg(*ap, unsigned long);
        case 'L':
        case 'D':
            return va_arg(*ap, unsigned long long);
        case 'z':
            return va_arg(*ap, size_t);
        case 't':
            return (unsigned long long)va_arg(*ap, ptrdiff_t);
        case 'j':
            return va_arg(*ap, uintmax_t);
        default:
            return va_arg(*ap, unsigned int);
    }
}

static long long arg_signed(const struct spec* sp, va_list* ap) {
    switch (sp->length) {
        case 'H':
            return (signed char)va_arg(*ap, int);
        case 'h':
            return (short)va_arg(*ap, int);
        case 'l':
            return va_arg(*ap, long);
        case 'L':
        case 'D':
            return va_arg(*ap, long long);
        case 'z':
            return (long long)va_arg(*ap, size_t);
        case 't':
            return va_arg(*ap, ptrdiff_t);
        case 'j':
            return va_arg(*ap, intmax_t);
        default:
            return va_arg(*ap, int);
    }
}

/* Digits of value in base, written backwards from the end of buf; returns the first digit. */
static char* format_digits(unsigned long long value, unsigned base, bool upper, char* end) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char* p = end;

    do {
        *--p = digits[value % base];
        value /= base;
    } while (value);
    return p;
}

/* One integer conversion: d i u o x X, and p through x with '#'. */
static void format_integer(struct out* o, const struct spec* sp, char conv, unsigned long long mag,
                           bool negative) {
    char buf[32];
    char* end = buf + sizeof(buf);
    unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
    const char* prefix = "";
    char* digits;
    size_t len;
    int zeros = 0;

    digits = format_digits(mag, base, conv == 'X', end);
    len = end - digits;
    /* C: a precision of 0 with value 0 prints no digits (but "%#.0o" still prints "0"). */
    if (sp->precision == 0 && mag == 0)
        len = 0;

    if (negative)
        prefix = "-";
    else if ((conv == 'd' || conv == 'i') && sp->plus)
        prefix = "+";
    else if ((conv == 'd' || conv == 'i') && sp->space)
        prefix = " ";
    else if (sp->alt && mag != 0 && conv == 'x')
        prefix = "0x";
    else if (sp->alt && mag != 0 && conv == 'X')
        prefix = "0X";

    if (sp->precision >= 0 && (size_t)sp->precision > len)
        zeros = sp->precision - (int)len;
    if (sp->alt && conv == 'o' && zeros == 0 && (len == 0 || digits[0] != '0'))
        zeros = 1;
    if (sp->zero && !sp->left && sp->precision < 0 && sp->width > 0) {
        size_t used = strlen(prefix) + zeros + len;
        if ((size_t)sp->width > used)
            zeros += sp->width - (int)used;
    }
    out_field(o, sp, prefix, zeros, digits, len);
}

static void format_string(struct out* o, const struct spec* sp, const char* s) {
    size_t len;

    /* Like glibc: a precision too small for all of "(null)" prints nothing rather than a part. */
    if (!s)
        s = sp->precision < 0 || sp->precision >= 6 ? "(null)" : "";
    len = sp->precision >= 0 ? strnlen(s, sp->precision) : strlen(s);
    out_field(o, sp, "", 0, s, len);
}

static void format_pointer(struct out* o, struct spec* sp, void* p) {
    if (!p) {
        sp->precision = -1;
        format_string(o, sp, "(nil)");
        return;
    }
    sp->alt = true;
    format_integer(o, sp, 'x', (uintptr_t)p, false);
}

/* Floats are consumed so that later arguments stay in place, then shown as the bare spec. */
static void skip_float(struct out* o, const struct spec* sp, char conv, va_list* ap) {
    if (sp->length == 'D')
        (void)va_arg(*ap, long double);
    else
        (void)va_arg(*ap, double);
    out_char(o, '%');
    out_char(o, conv);
}

static void format_one(struct out* o, struct spec* sp, char conv, va_list* ap) {
    char c;

    switch (conv) {
        case 'd':
        case 'i': {
            long long v = arg_signed(sp, ap);
            unsigned long long mag = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
            format_integer(o, sp, conv, mag, v < 0);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            format_integer(o, sp, conv, arg_unsigned(sp, ap), false);
            break;
        case 'c':
            c = (char)va_arg(*ap, int);
            out_field(o, sp, "", 0, &c, 1);
            break;
        case 's':
            format_string(o, sp, va_arg(*ap, const char*));
            break;
        case 'p':
            format_pointer(o, sp, va_arg(*ap, void*));
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            skip_float(o, sp, conv, ap);
            break;
        case 'n':
            (void)va_arg(*ap, void*);
            out_bytes(o, "%n", 2);
            break;
        case '%':
            out_char(o, '%');
            break;
        default:
            out_char(o, '%');
            if (conv)
                out_char(o, conv);
            break;
    }
}

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    struct out o = {.buf = buf, .size = size, .len = 0};
    struct spec sp;
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &args);
        format_one(&o, &sp, *fmt, &args);
        if (*fmt)
            fmt++;
    }
    va_end(args);

    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    /* C's EOVERFLOW case: the length does not fit the int we must return. */
    return o.len > INT_MAX ? -1 : (int)o.len;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return ret;
}
