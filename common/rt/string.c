/* Memory and string functions of the freestanding runtime, under their standard names. */
#include "rt.h"

/* gcc may turn the byte loops below into calls to memset or memcpy, which here would call
 * themselves; this keeps every loop in this file a loop. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* A word that may sit at any address and may alias any object. */
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;

/* `rep movsb` and `rep stosb` are the fastest plain copy and fill on current x86 cores for
 * large sizes, and correct for every size, so they carry memcpy and memset. */
void* memcpy(void* dst, const void* src, size_t n) {
    void* ret = dst;

    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return ret;
}

void* memset(void* dst, int c, size_t n) {
    void* ret = dst;

    __asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
    return ret;
}

/* A forward `rep movsb` is defined byte by byte, so it is right whenever dst is below src even
 * if the ranges overlap. Otherwise copy from the end, a word at a time. */
void* memmove(void* dst, const void* src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);

    d += n;
    s += n;
    while (n >= 8) {
        d -= 8;
        s -= 8;
        n -= 8;
        *(word_t*)d = *(const word_t*)s;
    }
    while (n--)
        *--d = *--s;
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const unsigned char* x = a;
    const unsigned char* y = b;

    while (n >= 8 && *(const word_t*)x == *(const word_t*)y) {
        x += 8;
        y += 8;
        n -= 8;
    }
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}

void* memchr(const void* s, int c, size_t n) {
    const unsigned char* p = s;

    for (; n; n--, p++) {
        if (*p == (unsigned char)c)
            return (void*)p;
    }
    return NULL;
}

size_t strlen(const char* s) {
    const char* p = s;

    while (*p)
        p++;
    return p - s;
}

size_t strnlen(const char* s, size_t max) {
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char* a, const char* b) {
    const unsigned char* x = (const unsigned char*)a;
    const unsigned char* y = (const unsigned char*)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x - *y;
}

int strncmp(const char* a, const char* b, size_t n) {
    const unsigned char* x = (const unsigned char*)a;
    const unsigned char* y = (const unsigned char*)b;

    for (; n; n--, x++, y++) {
        if (*x != *y || !*x)
            return *x - *y;
    }
    return 0;
}

/* As C says, the terminating NUL is part of the string: strchr(s, 0) finds it. */
char* strchr(const char* s, int c) {
    for (;; s++) {
        if (*s == (char)c)
            return (char*)s;
        if (!*s)
            return NULL;
    }
}

char* strrchr(const char* s, int c) {
    const char* found = NULL;

    for (;; s++) {
        if (*s == (char)c)
            found = s;
        if (!*s)
            return (char*)found;
    }
}

/* Plain quadratic search: the library OS searches short strings only. */
char* strstr(const char* haystack, const char* needle) {
    size_t len = strlen(needle);

    if (!len)
        return (char*)haystack;
    for (; (haystack = strchr(haystack, *needle)); haystack++) {
        if (!strncmp(haystack, needle, len))
            return (char*)haystack;
    }
    return NULL;
}

char* strndup(const char* s, size_t n) {
    size_t len = strnlen(s, n);
    char* copy = malloc(len + 1);

    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char* strdup(const char* s) {
    return strndup(s, SIZE_MAX);
}

/* C's strncpy: pads with NUL up to n, and leaves dst unterminated when src is n or longer. */
char* strncpy(char* dst, const char* src, size_t n) {
    size_t len = strnlen(src, n);

    memcpy(dst, src, len);
    memset(dst + len, 0, n - len);
    return dst;
}

size_t strlcpy(char* dst, const char* src, size_t size) {
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
