/* Tests of the freestanding runtime, as a freestanding static program linked with the very
 * objects the library OS uses: its own _start, raw system calls, no libc anywhere.
 *
 * Prints one line per failed case and a final "rt: N passed, M failed"; exits 0 only if M == 0. */
#include <asm/unistd.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "errstr.h"
#include "rt.h"

/* The reference loops below must stay loops: turned into memcpy calls, they would check the
 * functions under test against themselves. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* ---- Raw system calls --------------------------------------------------------------------- */

static long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define raw_syscall(nr, a, b, c) raw_syscall6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

#define PROT_RW       3    /* PROT_READ | PROT_WRITE */
#define MAP_ANON_PRIV 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */
#define FUTEX_WAIT    0

static void out_write(const char* s, size_t n) {
    while (n) {
        long done = raw_syscall(__NR_write, 2, s, n);
        if (done <= 0)
            return;
        s += done;
        n -= done;
    }
}

__attribute__((noreturn)) static void sys_exit_group(int code) {
    for (;;)
        raw_syscall(__NR_exit_group, code, 0, 0);
}

static void* test_page_alloc(size_t size) {
    long addr = raw_syscall6(__NR_mmap, 0, (long)size, PROT_RW, MAP_ANON_PRIV, -1, 0);

    return addr < 0 && addr > -4096 ? NULL : (void*)addr;
}

static long g_pages_freed;

static void test_page_free(void* addr, size_t size) {
    __atomic_add_fetch(&g_pages_freed, 1, __ATOMIC_RELAXED);
    raw_syscall(__NR_munmap, addr, size, 0);
}

/* The library OS provides rt_abort; here it reports and exits with a code the tests look for. */
#define ABORT_EXIT_CODE 86

void rt_abort(const char* why) {
    out_write("rt_abort: ", 10);
    out_write(why, strlen(why));
    out_write("\n", 1);
    sys_exit_group(ABORT_EXIT_CODE);
}

/* ---- Reporting ---------------------------------------------------------------------------- */

static int g_passed;
static int g_failed;

__attribute__((format(printf, 1, 2))) static void report_failure(const char* fmt, ...) {
    char line[512];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    if ((size_t)len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    out_write("FAIL ", 5);
    out_write(line, len);
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            g_passed++;                                                                            \
        } else {                                                                                   \
            g_failed++;                                                                            \
            report_failure(__VA_ARGS__);                                                           \
        }                                                                                          \
    } while (0)

/* ---- errno names ---------------------------------------------------------------------------- */

static void test_errstr_names_the_errors_messages_show(void) {
    static const struct {
        int err;
        const char *message, *name;
    } cases[] = {
        {2, "No such file or directory", NULL},
        {71, "Protocol error", "EPROTO"},
        {98, "Address already in use", "EADDRINUSE"},
        {104, "Connection reset by peer", "ECONNRESET"},
        {-95, "Operation not supported", "EOPNOTSUPP"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(!strcmp(errstr(cases[i].err), cases[i].message), "errstr(%d) = '%s'", cases[i].err,
              errstr(cases[i].err));
        if (cases[i].name)
            CHECK(!strcmp(errname(cases[i].err), cases[i].name), "errname(%d) = '%s'",
                  cases[i].err, errname(cases[i].err));
    }
    CHECK(!strcmp(errstr(4000), "error 4000"), "errstr(4000) = '%s'", errstr(4000));
}

/* ---- snprintf ----------------------------------------------------------------------------- */

static void check_format(int line, const char* expected, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    int ret;

    memset(buf, 'Z', sizeof(buf));
    va_start(ap, fmt);
    ret = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    CHECK(ret == (int)strlen(expected) && !strcmp(buf, expected),
          "line %d: format \"%s\": got \"%s\" (%d), want \"%s\"", line, fmt, buf, ret, expected);
}

#define FMT(expected, ...) check_format(__LINE__, expected, __VA_ARGS__)

static void test_format_integers(void) {
    FMT("0", "%d", 0);
    FMT("42", "%d", 42);
    FMT("-42", "%i", -42);
    FMT("2147483647", "%d", INT_MAX);
    FMT("-2147483648", "%d", INT_MIN);
    FMT("4294967295", "%u", UINT_MAX);
    FMT("-9223372036854775808", "%ld", LONG_MIN);
    FMT("9223372036854775807", "%lld", LLONG_MAX);
    FMT("18446744073709551615", "%llu", ULLONG_MAX);
    FMT("18446744073709551615", "%zu", SIZE_MAX);
    FMT("-5", "%zd", (ptrdiff_t)-5);
    FMT("-7", "%td", (ptrdiff_t)-7);
    FMT("18446744073709551615", "%ju", UINTMAX_MAX);
    FMT("-1", "%jd", (intmax_t)-1);
    FMT("-1", "%hhd", 255);
    FMT("255", "%hhu", -1);
    FMT("44", "%hhu", 300);
    FMT("-1", "%hd", 65535);
    FMT("65535", "%hu", -1);
    FMT("ff", "%x", 255);
    FMT("FF", "%X", 255);
    FMT("deadbeef", "%x", 0xdeadbeefu);
    FMT("ffffffffffffffff", "%lx", ULONG_MAX);
    FMT("777", "%o", 511);
    FMT("0", "%x", 0);
    FMT("0", "%o", 0);
}

static void test_format_flags(void) {
    FMT("+5", "%+d", 5);
    FMT("-5", "%+d", -5);
    FMT("+0", "%+d", 0);
    FMT(" 5", "% d", 5);
    FMT("-5", "% d", -5);
    FMT("+5", "%+ d", 5);
    FMT("5", "%+u", 5);
    FMT("0xff", "%#x", 255);
    FMT("0XFF", "%#X", 255);
    FMT("0", "%#x", 0);
    FMT("010", "%#o", 8);
    FMT("0", "%#o", 0);
    FMT("0", "%#.0o", 0);
    FMT("  010", "%#5.3o", 8);
    FMT("00042", "%05d", 42);
    FMT("-0042", "%05d", -42);
    FMT("+0042", "%+05d", 42);
    FMT("0x00ff", "%#06x", 255);
    FMT("42   ", "%-5d", 42);
    FMT("42   ", "%-05d", 42);
    FMT("-42  |", "%-5d|", -42);
}

static void test_format_width_precision(void) {
    FMT("   42", "%5d", 42);
    FMT("42", "%1d", 42);
    FMT("00042", "%.5d", 42);
    FMT("-00042", "%.5d", -42);
    FMT("  00042", "%7.5d", 42);
    FMT("   42", "%05.2d", 42);
    FMT("", "%.0d", 0);
    FMT("     ", "%5.0d", 0);
    FMT("", "%.0x", 0);
    FMT("", "%#.0x", 0);
    FMT("    7", "%*d", 5, 7);
    FMT("7    |", "%*d|", -5, 7);
    FMT("007", "%.*d", 3, 7);
    FMT("7", "%.*d", -3, 7);
    FMT("  007", "%*.*d", 5, 3, 7);
    FMT("     abc", "%8s", "abc");
    FMT("abc     |", "%-8s|", "abc");
    FMT("ab", "%.2s", "abc");
    FMT("   ab", "%5.2s", "abc");
    FMT("abc", "%.10s", "abc");
    FMT("ab", "%.*s", 2, "abcdef");
    FMT("", "%.0s", "abc");
}

static void test_format_chars_strings_pointers(void) {
    char unterminated[3] = {'x', 'y', 'z'};

    FMT("a", "%c", 'a');
    FMT("  a", "%3c", 'a');
    FMT("a  |", "%-3c|", 'a');
    FMT("hello world", "%s %s", "hello", "world");
    FMT("(null)", "%s", (char*)NULL);
    FMT("  (null)", "%8s", (char*)NULL);
    FMT("(null)", "%.6s", (char*)NULL);
    FMT("", "%.5s", (char*)NULL);
    FMT("", "%s", "");
    FMT("xy", "%.2s", unterminated);
    FMT("100%", "100%%");
    FMT("%", "%%");
    FMT("0x1234", "%p", (void*)0x1234);
    FMT("0xffffffffffffffff", "%p", (void*)UINTPTR_MAX);
    FMT("(nil)", "%p", NULL);
    FMT("  0x10", "%6p", (void*)0x10);
    FMT("plain text", "plain text");
    FMT("", "");
    FMT("a1b2c", "a%db%dc", 1, 2);
    FMT("%f 9", "%f %d", 1.5, 9);
    FMT("%n", "%n", (int*)NULL);
}

static void test_format_truncation(void) {
    char buf[8];
    int ret;

    memset(buf, 'Z', sizeof(buf));
    ret = snprintf(buf, 4, "%s", "abcdef");
    CHECK(ret == 6 && !strcmp(buf, "abc") && buf[4] == 'Z', "snprintf truncates to size-1");

    memset(buf, 'Z', sizeof(buf));
    ret = snprintf(buf, 1, "%d", 12345);
    CHECK(ret == 5 && buf[0] == '\0' && buf[1] == 'Z', "snprintf size 1 writes only NUL");

    memset(buf, 'Z', sizeof(buf));
    ret = snprintf(buf, 0, "%d", 12345);
    CHECK(ret == 5 && buf[0] == 'Z', "snprintf size 0 writes nothing");

    ret = snprintf(NULL, 0, "%s-%d", "abc", 10);
    CHECK(ret == 6, "snprintf(NULL, 0) returns the needed length, got %d", ret);

    memset(buf, 'Z', sizeof(buf));
    ret = snprintf(buf, sizeof(buf), "%8d", 1);
    CHECK(ret == 8 && !strcmp(buf, "       "), "snprintf width truncated at exactly size");

    memset(buf, 'Z', sizeof(buf));
    ret = snprintf(buf, sizeof(buf), "1234567");
    CHECK(ret == 7 && !strcmp(buf, "1234567"), "snprintf fits exactly with the NUL");
}

/* ---- strtol ------------------------------------------------------------------------------- */

static void check_strtol(int line, const char* s, int base, long want, size_t want_end) {
    char* end = NULL;
    long got = strtol(s, &end, base);

    CHECK(got == want && end == s + want_end,
          "line %d: strtol(\"%s\", %d) = %ld end +%td, want %ld +%zu", line, s, base, got, end - s,
          want, want_end);
}

static void check_strtoul(int line, const char* s, int base, unsigned long want, size_t want_end) {
    char* end = NULL;
    unsigned long got = strtoul(s, &end, base);

    CHECK(got == want && end == s + want_end,
          "line %d: strtoul(\"%s\", %d) = %lu end +%td, want %lu +%zu", line, s, base, got, end - s,
          want, want_end);
}

#define STRTOL(s, base, want, want_end)  check_strtol(__LINE__, s, base, want, want_end)
#define STRTOUL(s, base, want, want_end) check_strtoul(__LINE__, s, base, want, want_end)

static void test_strtol(void) {
    STRTOL("0", 10, 0, 1);
    STRTOL("123", 10, 123, 3);
    STRTOL("-123", 10, -123, 4);
    STRTOL("+123", 10, 123, 4);
    STRTOL("  \t\n\v\f\r42x", 10, 42, 9);
    STRTOL("12abc", 10, 12, 2);
    STRTOL("", 10, 0, 0);
    STRTOL("   ", 10, 0, 0);
    STRTOL("-", 10, 0, 0);
    STRTOL("+ 1", 10, 0, 0);
    STRTOL("abc", 10, 0, 0);
    STRTOL("0x1f", 16, 31, 4);
    STRTOL("0X1F", 16, 31, 4);
    STRTOL("1f", 16, 31, 2);
    STRTOL("0x1f", 0, 31, 4);
    STRTOL("-0x10", 0, -16, 5);
    STRTOL("0x", 0, 0, 1);
    STRTOL("0xg", 16, 0, 1);
    STRTOL("0x1f", 10, 0, 1);
    STRTOL("017", 0, 15, 3);
    STRTOL("08", 0, 0, 1);
    STRTOL("017", 10, 17, 3);
    STRTOL("1010", 2, 10, 4);
    STRTOL("1012", 2, 5, 3);
    STRTOL("zz", 36, 1295, 2);
    STRTOL("ZZ", 36, 1295, 2);
    STRTOL("9223372036854775807", 10, LONG_MAX, 19);
    STRTOL("9223372036854775808", 10, LONG_MAX, 19);
    STRTOL("-9223372036854775808", 10, LONG_MIN, 20);
    STRTOL("-9223372036854775809", 10, LONG_MIN, 20);
    STRTOL("99999999999999999999999999", 10, LONG_MAX, 26);
    STRTOL("-99999999999999999999999999", 10, LONG_MIN, 27);
    STRTOL("7fffffffffffffff", 16, LONG_MAX, 16);
    STRTOL("123", 1, 0, 0);
    STRTOL("123", 37, 0, 0);
    STRTOL("123", -1, 0, 0);

    STRTOUL("18446744073709551615", 10, ULONG_MAX, 20);
    STRTOUL("18446744073709551616", 10, ULONG_MAX, 20);
    STRTOUL("-1", 10, ULONG_MAX, 2);
    STRTOUL("-18446744073709551615", 10, 1, 21);
    STRTOUL("-18446744073709551616", 10, ULONG_MAX, 21);
    STRTOUL("ffffffffffffffff", 16, ULONG_MAX, 16);
    STRTOUL("0xffffffffffffffff", 0, ULONG_MAX, 18);
    STRTOUL("1ffffffffffffffff", 16, ULONG_MAX, 17);
    STRTOUL("", 0, 0, 0);

    char* end;
    CHECK(strtoll("-9223372036854775808", &end, 10) == LLONG_MIN && *end == '\0', "strtoll min");
    CHECK(strtoll("9223372036854775808", &end, 10) == LLONG_MAX, "strtoll clamps");
    CHECK(strtoull("18446744073709551616", &end, 10) == ULLONG_MAX, "strtoull clamps");
    CHECK(strtoull("-2", &end, 10) == ULLONG_MAX - 1, "strtoull negates");
    CHECK(strtol("55", NULL, 10) == 55, "strtol with a NULL end pointer");
}

/* ---- Memory functions -------------------------------------------------------------------- */

#define MEM_MAX   300
#define MEM_ALIGN 16
#define GUARD     32

static unsigned char g_src[MEM_MAX + MEM_ALIGN + 2 * GUARD];
static unsigned char g_dst[MEM_MAX + MEM_ALIGN + 2 * GUARD];
static unsigned char g_want[MEM_MAX + MEM_ALIGN + 2 * GUARD];

static void fill_pattern(unsigned char* p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static bool bytes_equal(const unsigned char* a, const unsigned char* b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

/* Every size up to MEM_MAX at every source and destination alignment; bytes around the
 * destination must stay as they were. */
static void test_memcpy_sizes_alignments(void) {
    for (size_t n = 0; n <= MEM_MAX; n++) {
        int bad_src = -1, bad_dst = -1;
        for (int sa = 0; sa < MEM_ALIGN; sa++) {
            for (int da = 0; da < MEM_ALIGN; da++) {
                fill_pattern(g_src, sizeof(g_src), (unsigned)n);
                fill_pattern(g_dst, sizeof(g_dst), (unsigned)n + 1);
                fill_pattern(g_want, sizeof(g_want), (unsigned)n + 1);
                for (size_t i = 0; i < n; i++)
                    g_want[GUARD + da + i] = g_src[GUARD + sa + i];
                void* ret = memcpy(g_dst + GUARD + da, g_src + GUARD + sa, n);
                if (ret != g_dst + GUARD + da || !bytes_equal(g_dst, g_want, sizeof(g_dst))) {
                    bad_src = sa;
                    bad_dst = da;
                }
            }
        }
        CHECK(bad_src < 0, "memcpy size %zu, src align %d, dst align %d", n, bad_src, bad_dst);
    }
}

static void test_memset_sizes_alignments(void) {
    static const int values[] = {0, 0x5a, 0xff, 0x1a5, -1};

    for (size_t n = 0; n <= MEM_MAX; n++) {
        int bad = -1;
        for (int da = 0; da < MEM_ALIGN; da++) {
            for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
                fill_pattern(g_dst, sizeof(g_dst), (unsigned)n);
                fill_pattern(g_want, sizeof(g_want), (unsigned)n);
                for (size_t i = 0; i < n; i++)
                    g_want[GUARD + da + i] = (unsigned char)values[v];
                void* ret = memset(g_dst + GUARD + da, values[v], n);
                if (ret != g_dst + GUARD + da || !bytes_equal(g_dst, g_want, sizeof(g_dst)))
                    bad = da;
            }
        }
        CHECK(bad < 0, "memset size %zu, dst align %d", n, bad);
    }
}

/* Overlapping moves in both directions, with distances from 1 byte to beyond the size. */
static void test_memmove_overlaps(void) {
    static unsigned char buf[3 * MEM_MAX];
    static unsigned char want[3 * MEM_MAX];
    static unsigned char copy[3 * MEM_MAX];
    static const int shifts[] = {-301, -64, -17, -16, -9, -8, -7, -3, -1, 0,
                                 1,    3,   7,   8,   9,  16, 17, 64, 301};

    for (size_t n = 0; n <= MEM_MAX; n++) {
        int bad = 0, bad_src = 0;
        for (size_t k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++) {
            for (int sa = MEM_MAX - 5; sa < MEM_MAX + 5; sa++) {
                int da = sa + shifts[k];
                fill_pattern(buf, sizeof(buf), (unsigned)(n + k));
                fill_pattern(want, sizeof(want), (unsigned)(n + k));
                for (size_t i = 0; i < n; i++)
                    copy[i] = buf[sa + i];
                for (size_t i = 0; i < n; i++)
                    want[da + i] = copy[i];
                void* ret = memmove(buf + da, buf + sa, n);
                if (ret != buf + da || !bytes_equal(buf, want, sizeof(buf))) {
                    bad = shifts[k];
                    bad_src = sa;
                }
            }
        }
        CHECK(bad == 0 && bad_src == 0, "memmove size %zu, shift %d from %d", n, bad, bad_src);
    }
}

static int sign(int v) {
    return v < 0 ? -1 : v > 0;
}

/* memcmp compares as unsigned char, so 0x80 is greater than 0x7f. */
static void test_memcmp_each_position(void) {
    static unsigned char a[MEM_MAX + MEM_ALIGN];
    static unsigned char b[MEM_MAX + MEM_ALIGN];

    for (size_t n = 0; n <= MEM_MAX; n++) {
        bool ok = true;
        for (int al = 0; al < 8; al++) {
            fill_pattern(a, sizeof(a), 3);
            fill_pattern(b, sizeof(b), 3);
            if (memcmp(a + al, b + al, n) != 0)
                ok = false;
            for (size_t pos = 0; pos < n; pos++) {
                a[al + pos] = 0x80;
                b[al + pos] = 0x7f;
                if (sign(memcmp(a + al, b + al, n)) != 1 || sign(memcmp(b + al, a + al, n)) != -1)
                    ok = false;
                a[al + pos] = b[al + pos];
            }
        }
        CHECK(ok, "memcmp size %zu", n);
    }
    CHECK(memcmp("abc", "abd", 2) == 0, "memcmp stops at n");
}

/* Large copies and fills, which take the fast path: 4 MiB plus an odd tail. */
static void test_mem_large(void) {
    size_t n = 4 * 1024 * 1024 + 3;
    unsigned char* a = test_page_alloc(n + 64);
    unsigned char* b = test_page_alloc(n + 64);
    bool ok = true;

    if (!a || !b) {
        CHECK(false, "mmap for the large memory tests");
        return;
    }
    fill_pattern(a, n + 1, 9);
    memcpy(b + 1, a + 1, n);
    ok = bytes_equal(a + 1, b + 1, n) && b[0] == 0 && b[n + 1] == 0;
    CHECK(ok, "memcpy of 4 MiB");

    memset(b + 1, 0xab, n);
    ok = b[0] == 0 && b[n + 1] == 0;
    for (size_t i = 1; i <= n; i++)
        ok = ok && b[i] == 0xab;
    CHECK(ok, "memset of 4 MiB");

    fill_pattern(a, n + 64, 4);
    fill_pattern(b, n + 64, 4);
    memmove(a + 40, a, n);
    ok = bytes_equal(a + 40, b, n);
    CHECK(ok, "memmove of 4 MiB, overlapping backwards");
    memmove(b, b + 40, n);
    ok = bytes_equal(b, a + 80, n - 40);
    CHECK(ok, "memmove of 4 MiB, overlapping forwards");

    test_page_free(a, n + 64);
    test_page_free(b, n + 64);
}

static void test_memchr(void) {
    const char* s = "hello\0world";

    CHECK(memchr(s, 'l', 11) == s + 2, "memchr finds the first match");
    CHECK(memchr(s, 'w', 11) == s + 6, "memchr looks past a NUL");
    CHECK(memchr(s, 'w', 6) == NULL, "memchr stops at n");
    CHECK(memchr(s, 'h' + 256, 5) == s, "memchr compares as unsigned char");
    CHECK(memchr(s, 'h', 0) == NULL, "memchr of size 0");
}

static void test_strlen_family(void) {
    static char buf[MEM_MAX + MEM_ALIGN + 1];
    bool ok = true;

    for (int al = 0; al < MEM_ALIGN; al++) {
        for (size_t n = 0; n < MEM_MAX; n++) {
            memset(buf, 'a', sizeof(buf));
            buf[al + n] = '\0';
            ok = ok && strlen(buf + al) == n && strnlen(buf + al, MEM_MAX) == n;
            ok = ok && strnlen(buf + al, n / 2) == n / 2;
        }
    }
    CHECK(ok, "strlen and strnlen at every alignment and length");
    CHECK(strlen("") == 0, "strlen of empty");
    CHECK(strnlen("abc", 0) == 0, "strnlen of max 0");
    CHECK(strnlen("abc", 10) == 3, "strnlen stops at NUL");
}

static void test_strcmp_family(void) {
    CHECK(strcmp("", "") == 0, "strcmp empty");
    CHECK(strcmp("abc", "abc") == 0, "strcmp equal");
    CHECK(strcmp("abc", "abd") < 0, "strcmp less");
    CHECK(strcmp("abd", "abc") > 0, "strcmp greater");
    CHECK(strcmp("ab", "abc") < 0, "strcmp prefix is less");
    CHECK(strcmp("abc", "ab") > 0, "strcmp longer is greater");
    CHECK(strcmp("\x80", "\x7f") > 0, "strcmp compares as unsigned char");
    CHECK(strncmp("abcX", "abcY", 3) == 0, "strncmp stops at n");
    CHECK(strncmp("abcX", "abcY", 4) < 0, "strncmp sees byte n-1");
    CHECK(strncmp("ab", "abc", 5) < 0, "strncmp prefix is less");
    CHECK(strncmp("a\0x", "a\0y", 3) == 0, "strncmp stops at NUL");
    CHECK(strncmp("x", "y", 0) == 0, "strncmp of n 0");
    CHECK(strncmp("\xff", "a", 1) > 0, "strncmp compares as unsigned char");
}

static void test_strchr_strrchr_strstr(void) {
    const char* s = "a/b/c";

    CHECK(strchr(s, '/') == s + 1, "strchr finds the first");
    CHECK(strrchr(s, '/') == s + 3, "strrchr finds the last");
    CHECK(strchr(s, 'x') == NULL && strrchr(s, 'x') == NULL, "strchr/strrchr miss");
    CHECK(strchr(s, '\0') == s + 5 && strrchr(s, '\0') == s + 5, "strchr/strrchr find the NUL");
    CHECK(strchr(s, 'a' + 256) == s, "strchr converts c to char");
    CHECK(strrchr("", 'a') == NULL, "strrchr of empty");
    CHECK(strchr("\xe9t\xe9", 0xe9) != NULL, "strchr finds bytes above 0x7f");

    const char* hello = "hello";
    CHECK(strstr(hello, "") == hello, "strstr of empty needle is the haystack");
    const char* h = "aaab aab ab";
    CHECK(strstr(h, "ab") == h + 2, "strstr finds the first");
    CHECK(strstr(h, "aab") == h + 1, "strstr after a partial match");
    CHECK(strstr(h, "b ab") == h + 7, "strstr near the end");
    CHECK(strstr(h, "abc") == NULL, "strstr miss");
    CHECK(strstr("ab", "abc") == NULL, "strstr needle longer than haystack");
    CHECK(strstr("", "a") == NULL, "strstr in empty");
}

static void test_strdup_strlcpy(void) {
    char buf[8];
    char* d;

    d = strdup("copy me");
    CHECK(d && !strcmp(d, "copy me"), "strdup copies");
    free(d);
    d = strdup("");
    CHECK(d && d[0] == '\0', "strdup of empty");
    free(d);
    d = strndup("abcdef", 3);
    CHECK(d && !strcmp(d, "abc"), "strndup truncates");
    free(d);
    d = strndup("ab", 10);
    CHECK(d && !strcmp(d, "ab"), "strndup of a shorter string");
    free(d);

    memset(buf, 'Z', sizeof(buf));
    CHECK(strlcpy(buf, "abc", sizeof(buf)) == 3 && !strcmp(buf, "abc"), "strlcpy fits");
    memset(buf, 'Z', sizeof(buf));
    CHECK(strlcpy(buf, "abcdefghij", sizeof(buf)) == 10 && !strcmp(buf, "abcdefg"),
          "strlcpy truncates and returns the source length");
    memset(buf, 'Z', sizeof(buf));
    CHECK(strlcpy(buf, "abc", 0) == 3 && buf[0] == 'Z', "strlcpy of size 0 writes nothing");
    CHECK(strlcpy(buf, "abc", 1) == 3 && buf[0] == '\0' && buf[1] == 'Z', "strlcpy of size 1");

    memset(buf, 'Z', sizeof(buf));
    CHECK(strncpy(buf, "ab", 6) == buf && !memcmp(buf, "ab\0\0\0\0ZZ", 8),
          "strncpy pads with NUL up to n");
    memset(buf, 'Z', sizeof(buf));
    CHECK(strncpy(buf, "abcdef", 4) == buf && !memcmp(buf, "abcdZZZZ", 8),
          "strncpy does not terminate a truncated copy");
}

static void test_fortify_entry_points(void) {
    char buf[8];

    CHECK(__memcpy_chk(buf, "abcdefgh", 8, sizeof(buf)) == buf && !memcmp(buf, "abcdefgh", 8),
          "__memcpy_chk within bounds copies");
    CHECK(__memset_chk(buf, 'x', 8, sizeof(buf)) == buf && buf[7] == 'x',
          "__memset_chk within bounds fills");
    CHECK(__memmove_chk(buf + 1, buf, 4, 7) == buf + 1, "__memmove_chk within bounds");
    CHECK(__snprintf_chk(buf, sizeof(buf), 1, sizeof(buf), "%d-%s", 42, "abcdef") == 9 &&
              !strcmp(buf, "42-abcd"),
          "__snprintf_chk formats like snprintf");
}

/* ---- Allocator --------------------------------------------------------------------------- */

static bool is_aligned(const void* p, size_t align) {
    return ((uintptr_t)p & (align - 1)) == 0;
}

static void fill_block(unsigned char* p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 13);
}

static bool block_intact(const unsigned char* p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(seed + i * 13))
            return false;
    }
    return true;
}

/* Each size, small and large: aligned, writable to its end, and not overlapping a neighbour. */
static void test_malloc_every_size(void) {
    static unsigned char* blocks[64];
    static size_t sizes[64];
    bool ok = true;
    size_t n = 0;

    for (size_t size = 0; size <= 70000; size += size < 2100 ? 1 : 997) {
        int slot = (int)(n++ % 64);
        if (blocks[slot]) {
            ok = ok && block_intact(blocks[slot], sizes[slot], (unsigned)sizes[slot]);
            free(blocks[slot]);
        }
        blocks[slot] = malloc(size);
        sizes[slot] = size;
        if (!blocks[slot] || !is_aligned(blocks[slot], 16)) {
            CHECK(false, "malloc(%zu) returned %p", size, (void*)blocks[slot]);
            return;
        }
        fill_block(blocks[slot], size, (unsigned)size);
    }
    for (int i = 0; i < 64; i++) {
        ok = ok && block_intact(blocks[i], sizes[i], (unsigned)sizes[i]);
        free(blocks[i]);
        blocks[i] = NULL;
    }
    CHECK(ok, "malloc of each size keeps every block intact");
}

static void test_malloc_limits(void) {
    long freed_before = g_pages_freed;
    void* p;

    CHECK(malloc(SIZE_MAX) == NULL, "malloc(SIZE_MAX) fails");
    CHECK(malloc(SIZE_MAX - 4096) == NULL, "malloc near SIZE_MAX fails");
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL, "calloc detects count*size overflow");
    CHECK(calloc((size_t)1 << 32, (size_t)1 << 32) == NULL, "calloc detects a 2^64 product");
    free(NULL); /* must simply return */

    p = malloc(1 << 20);
    CHECK(p != NULL, "malloc of 1 MiB");
    free(p);
    CHECK(g_pages_freed == freed_before + 1, "free of a large block returns its pages");
}

/* A reused small block must come back zeroed from calloc. */
static void test_calloc_zeroes(void) {
    for (size_t size = 1; size <= 5000; size = size * 3 + 1) {
        unsigned char* dirty = malloc(size);
        bool ok = dirty != NULL;
        if (dirty)
            memset(dirty, 0xee, size);
        free(dirty);

        unsigned char* p = calloc(1, size);
        ok = ok && p != NULL;
        for (size_t i = 0; ok && i < size; i++)
            ok = p[i] == 0;
        CHECK(ok, "calloc(1, %zu) is zeroed", size);
        free(p);
    }
    void* empty = calloc(0, 10);
    CHECK(empty != NULL, "calloc(0, n) returns a block that free accepts");
    free(empty);
}

static void test_realloc(void) {
    unsigned char* p = realloc(NULL, 10);
    bool ok = p != NULL;

    fill_block(p, 10, 5);
    for (size_t size = 11; ok && size < 300000; size = size * 2 + 7) {
        p = realloc(p, size);
        ok = p != NULL && is_aligned(p, 16) && block_intact(p, 10, 5);
        if (ok)
            memset(p + 10, 0x11, size - 10);
    }
    CHECK(ok, "realloc growing keeps the contents");

    for (size_t size = 200000; ok && size > 10; size /= 3) {
        p = realloc(p, size);
        ok = p != NULL && block_intact(p, 10, 5);
    }
    CHECK(ok, "realloc shrinking keeps the contents");

    unsigned char* same = realloc(p, 12);
    CHECK(same != NULL && block_intact(same, 10, 5), "realloc within a class");
    CHECK(realloc(same, 0) == NULL, "realloc(p, 0) frees and returns NULL");
}

static void test_memalign(void) {
    bool ok = true;

    for (size_t align = 1; align <= 65536; align *= 2) {
        for (size_t size = 0; size < 9000; size = size * 2 + 5) {
            unsigned char* p = memalign(align, size);
            ok = ok && p != NULL && is_aligned(p, align);
            if (p)
                fill_block(p, size, (unsigned)align);
            unsigned char* q = malloc(24);
            ok = ok && q && block_intact(p, size, (unsigned)align);
            free(q);
            ok = ok && block_intact(p, size, (unsigned)align);
            free(p);
        }
    }
    CHECK(ok, "memalign honours every power-of-two alignment");
    CHECK(memalign(3, 10) == NULL && memalign(0, 10) == NULL, "memalign rejects bad alignment");

    unsigned char* p = memalign(256, 100);
    fill_block(p, 100, 1);
    p = realloc(p, 5000);
    CHECK(p && block_intact(p, 100, 1), "realloc of a memalign block keeps the contents");
    free(p);
}

/* Random mix of malloc, realloc and free over many live blocks, each filled with a pattern that
 * is checked before the block is touched again. */
struct stress_slot {
    unsigned char* p;
    size_t size;
    unsigned seed;
};

static uint64_t rng_next(uint64_t* state) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

static size_t stress_size(uint64_t* rng) {
    uint64_t r = rng_next(rng);

    if (r % 64 == 0)
        return 2048 + r % 100000;
    if (r % 8 == 0)
        return r % 2100;
    return r % 200;
}

static int stress_run(struct stress_slot* slots, int count, int steps, uint64_t seed) {
    uint64_t rng = seed;
    int errors = 0;

    for (int step = 0; step < steps; step++) {
        struct stress_slot* s = &slots[rng_next(&rng) % count];
        if (s->p && !block_intact(s->p, s->size, s->seed))
            errors++;
        if (s->p && rng_next(&rng) % 2) {
            size_t size = stress_size(&rng);
            unsigned char* p = realloc(s->p, size ? size : 1);
            if (!p) {
                errors++;
                continue;
            }
            size_t keep = s->size < size ? s->size : size;
            if (!block_intact(p, keep, s->seed))
                errors++;
            s->p = p;
            s->size = size ? size : 1;
        } else if (s->p) {
            free(s->p);
            s->p = NULL;
            continue;
        } else {
            s->size = stress_size(&rng);
            s->p = malloc(s->size);
            if (!s->p || !is_aligned(s->p, 16)) {
                errors++;
                continue;
            }
        }
        s->seed = (unsigned)rng_next(&rng);
        fill_block(s->p, s->size, s->seed);
    }
    for (int i = 0; i < count; i++) {
        if (slots[i].p && !block_intact(slots[i].p, slots[i].size, slots[i].seed))
            errors++;
        free(slots[i].p);
        slots[i].p = NULL;
    }
    return errors;
}

static void test_malloc_stress(void) {
    static struct stress_slot slots[1000];
    int errors = stress_run(slots, 1000, 200000, 1);

    CHECK(errors == 0, "malloc stress: %d corrupted or failed blocks", errors);
}

/* Threads made with raw clone share the heap; they also free blocks another thread allocated,
 * through a shared exchange array. */
#define THREADS       6
#define THREAD_STEPS  60000
#define THREAD_STACK  (256 * 1024)
#define EXCHANGE_SIZE 64

static unsigned char* g_exchange[EXCHANGE_SIZE];

struct thread_arg {
    int index;
    int errors;
    volatile int tid; /* cleared by the kernel when the thread is gone */
    struct stress_slot slots[200];
};

static void thread_body(void* opaque) {
    struct thread_arg* arg = opaque;
    uint64_t rng = 1000 + arg->index;

    for (int round = 0; round < 4; round++) {
        arg->errors += stress_run(arg->slots, 200, THREAD_STEPS / 4, rng_next(&rng));
        for (int i = 0; i < 500; i++) {
            unsigned char* mine = malloc(stress_size(&rng) + 1);
            if (!mine) {
                arg->errors++;
                continue;
            }
            mine[0] = 0x3c;
            unsigned char* theirs = __atomic_exchange_n(&g_exchange[rng_next(&rng) % EXCHANGE_SIZE],
                                                        mine, __ATOMIC_ACQ_REL);
            if (theirs && theirs[0] != 0x3c)
                arg->errors++;
            free(theirs);
        }
    }
}

/* clone on a fresh stack; the child pops fn and arg from it, calls fn, and exits the thread. */
static long thread_start(void (*fn)(void*), void* arg, unsigned char* stack_top,
                         volatile int* tid) {
    unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    void** sp = (void**)stack_top - 2;
    register long r10 __asm__("r10") = (long)tid;
    register long r8 __asm__("r8") = 0;
    long ret;

    sp[0] = (void*)fn;
    sp[1] = arg;
    __asm__ volatile("syscall\n"
                     "test %%rax, %%rax\n"
                     "jnz 1f\n"
                     "pop %%rax\n"
                     "pop %%rdi\n"
                     "call *%%rax\n"
                     "mov $60, %%eax\n" /* exit: this thread only */
                     "xor %%edi, %%edi\n"
                     "syscall\n"
                     "hlt\n"
                     "1:\n"
                     : "=a"(ret)
                     : "a"(__NR_clone), "D"(flags), "S"(sp), "d"(tid), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static void thread_join(volatile int* tid) {
    int value;

    while ((value = __atomic_load_n(tid, __ATOMIC_ACQUIRE)) != 0)
        raw_syscall6(__NR_futex, (long)tid, FUTEX_WAIT, value, 0, 0, 0);
}

static void test_malloc_threads(void) {
    static struct thread_arg args[THREADS];
    unsigned char* stacks[THREADS];
    int errors = 0;
    int started = 0;

    for (int i = 0; i < THREADS; i++) {
        args[i].index = i;
        stacks[i] = test_page_alloc(THREAD_STACK);
        if (!stacks[i] ||
            thread_start(thread_body, &args[i], stacks[i] + THREAD_STACK, &args[i].tid) <= 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++) {
        thread_join(&args[i].tid);
        errors += args[i].errors;
        test_page_free(stacks[i], THREAD_STACK);
    }
    for (int i = 0; i < EXCHANGE_SIZE; i++) {
        free(g_exchange[i]);
        g_exchange[i] = NULL;
    }
    CHECK(started == THREADS, "started %d of %d threads", started, THREADS);
    CHECK(errors == 0, "malloc from %d threads: %d corrupted or failed blocks", started, errors);
}

/* Misuse must end in rt_abort. Each case runs in a forked child with stderr closed, and the
 * child's exit code tells whether rt_abort ran. */
static void misuse_double_free(void) {
    void* p = malloc(40);
    free(p);
    free(p);
}

static void misuse_foreign_pointer(void) {
    static uint64_t not_heap[8];
    free(&not_heap[4]);
}

static void misuse_overwritten_free_block(void) {
    unsigned char* p = malloc(100);
    free(p);
    memset(p - 16, 0x41, 32);
    (void)malloc(100);
}

static void misuse_realloc_after_free(void) {
    void* p = malloc(64);
    free(p);
    (void)realloc(p, 128);
}

static void misuse_fortified_overflow(void) {
    char small[4];
    __memcpy_chk(small, "too long", 9, sizeof(small));
}

static void misuse_stack_check(void) {
    __stack_chk_fail();
}

static void check_aborts(const char* name, void (*misuse)(void)) {
    long pid = raw_syscall(__NR_fork, 0, 0, 0);
    int status = 0;

    if (pid == 0) {
        raw_syscall(__NR_close, 2, 0, 0);
        misuse();
        sys_exit_group(0);
    }
    if (pid < 0 || raw_syscall6(__NR_wait4, pid, (long)&status, 0, 0, 0, 0) != pid) {
        CHECK(false, "%s: could not fork or wait", name);
        return;
    }
    bool aborted = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == ABORT_EXIT_CODE;
    CHECK(aborted, "%s: want rt_abort, child status 0x%x", name, status);
}

static void test_malloc_misuse(void) {
    check_aborts("double free", misuse_double_free);
    check_aborts("free of a pointer not from malloc", misuse_foreign_pointer);
    check_aborts("overwritten free block", misuse_overwritten_free_block);
    check_aborts("realloc after free", misuse_realloc_after_free);
    check_aborts("__memcpy_chk overflow", misuse_fortified_overflow);
    check_aborts("__stack_chk_fail", misuse_stack_check);
}

/* ---- Entry -------------------------------------------------------------------------------- */

static void run_all(void) {
    test_format_integers();
    test_format_flags();
    test_format_width_precision();
    test_format_chars_strings_pointers();
    test_format_truncation();
    test_strtol();
    test_errstr_names_the_errors_messages_show();
    test_memcpy_sizes_alignments();
    test_memset_sizes_alignments();
    test_memmove_overlaps();
    test_memcmp_each_position();
    test_mem_large();
    test_memchr();
    test_strlen_family();
    test_strcmp_family();
    test_strchr_strrchr_strstr();
    test_strdup_strlcpy();
    test_fortify_entry_points();
    test_malloc_every_size();
    test_malloc_limits();
    test_calloc_zeroes();
    test_realloc();
    test_memalign();
    test_malloc_stress();
    test_malloc_threads();
    test_malloc_misuse();
}

int test_main(void) {
    char line[64];
    int len;

    rt_set_page_allocator(test_page_alloc, test_page_free);
    run_all();

    len = snprintf(line, sizeof(line), "rt: %d passed, %d failed\n", g_passed, g_failed);
    out_write(line, len);
    return g_failed == 0 ? 0 : 1;
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    and $-16, %rsp\n"
        "    call test_main\n"
        "    mov %eax, %edi\n"
        "    mov $231, %eax\n" /* exit_group */
        "    syscall\n"
        "    hlt\n");
