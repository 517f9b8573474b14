/* The libc functions that Debian's libmbedcrypto.a calls beyond what common/rt/ provides, for
 * the freestanding build only.
 *
 * Linked from the archive, the objects behind common/crypto/ (aes, gcm, cipher, cmac, sha256,
 * md, hkdf, bignum, ecp, ecdsa, rsa, threading, platform_util and what they pull in) need, in
 * addition to the runtime's memcpy, calloc, snprintf, the _chk entry points and
 * __stack_chk_fail:
 *   - pthread_mutex_init/lock/unlock/destroy: mbedTLS is built with pthread threading and locks
 *     a mutex inside every RSA context. Here they are spinlocks in glibc's 40-byte mutex.
 *   - gmtime_r: real, in UTC (mbedTLS only uses it for certificate dates).
 *   - rand: drawn from crypto_random; only mbedTLS's self-tests call it.
 *   - __printf_chk, puts, putchar: only the self-tests print; their lines go to the log at
 *     debug level.
 *   - fopen, fread, fwrite, fgets, fclose, ferror: mbedTLS's file helpers (mbedtls_md_file,
 *     mbedtls_mpi_read_file, ...). There are no libc FILE streams in the library OS: fopen
 *     always fails with a null stream, so the others can only be reached with a stream that
 *     does not exist, which is a bug that ends in rt_abort.
 * __errno_location is not among them (only entropy_poll, which Kernite does not use, sets errno);
 * the library OS keeps its own per-thread errno. */
#include <linux/errno.h>

#include "crypto.h"
#include "log.h"
#include "mbedtls-env/pthread.h"
#include "mbedtls-env/stdio.h"
#include "mbedtls-env/time.h"
#include "rt.h"

/* ---- Mutexes -------------------------------------------------------------------------------- */

static int* mutex_word(pthread_mutex_t* m) {
    return (int*)m->size;
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) {
    memset(m, 0, sizeof(*m));
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t* m) {
    while (__atomic_exchange_n(mutex_word(m), 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(mutex_word(m), __ATOMIC_RELAXED))
            __builtin_ia32_pause();
    return 0;
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
    __atomic_store_n(mutex_word(m), 0, __ATOMIC_RELEASE);
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t* m) {
    return __atomic_load_n(mutex_word(m), __ATOMIC_RELAXED) ? EBUSY : 0;
}

/* ---- Time ----------------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date, in the proleptic Gregorian calendar (eras of 400
 * years, years starting in March so that the leap day falls last). */
static void civil_from_days(long days, int* year, int* month, int* mday) {
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long m = mp < 10 ? mp + 3 : mp - 9;

    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *mday = (int)(doy - (153 * mp + 2) / 5 + 1);
}

static bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

struct tm* gmtime_r(const time_t* t, struct tm* tm) {
    static const short days_before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long days = *t / 86400;
    long secs = *t % 86400;
    int year, month, mday;

    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &year, &month, &mday);
    memset(tm, 0, sizeof(*tm));
    tm->tm_sec = (int)(secs % 60);
    tm->tm_min = (int)(secs / 60 % 60);
    tm->tm_hour = (int)(secs / 3600);
    tm->tm_mday = mday;
    tm->tm_mon = month - 1;
    tm->tm_year = year - 1900;
    tm->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    tm->tm_yday = days_before[month - 1] + mday - 1 + (month > 2 && is_leap(year));
    tm->tm_zone = "GMT";
    return tm;
}

/* ---- rand ----------------------------------------------------------------------------------- */

int rand(void) {
    unsigned int r;

    if (crypto_random(&r, sizeof(r)) < 0)
        rt_abort("rand: no randomness source is set");
    return (int)(r & 0x7fffffff);
}

/* ---- Self-test output ----------------------------------------------------------------------- */

static char g_line[256];
static size_t g_line_len;
static pthread_mutex_t g_line_lock;

/* Collects text into lines so that each logged line is whole. */
static void self_test_output(const char* s, size_t n) {
    pthread_mutex_lock(&g_line_lock);
    for (size_t i = 0; i < n; i++) {
        bool full = g_line_len == sizeof(g_line) - 1;
        if (s[i] != '\n' && !full) {
            g_line[g_line_len++] = s[i];
            continue;
        }
        g_line[g_line_len] = '\0';
        log_debug("mbedtls: %s", g_line);
        g_line_len = 0;
        if (full && s[i] != '\n')
            g_line[g_line_len++] = s[i];
    }
    pthread_mutex_unlock(&g_line_lock);
}

int __printf_chk(int flag, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (len < 0)
        return len;
    self_test_output(buf, (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf) - 1);
    return len;
}

int puts(const char* s) {
    self_test_output(s, strlen(s));
    self_test_output("\n", 1);
    return 0;
}

int putchar(int c) {
    char ch = (char)c;

    self_test_output(&ch, 1);
    return (unsigned char)c;
}

/* ---- FILE streams, which do not exist here -------------------------------------------------- */

FILE* fopen(const char* path, const char* mode) {
    return NULL;
}

__attribute__((noreturn)) static void no_streams(void) {
    rt_abort("mbedTLS used a FILE stream; there are none in the library OS");
}

size_t fread(void* buf, size_t size, size_t count, FILE* f) {
    no_streams();
}

size_t fwrite(const void* buf, size_t size, size_t count, FILE* f) {
    no_streams();
}

char* fgets(char* buf, int size, FILE* f) {
    no_streams();
}

int fclose(FILE* f) {
    no_streams();
}

int ferror(FILE* f) {
    no_streams();
}
