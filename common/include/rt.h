/* The small C runtime that common code may use: inside the library OS it is our own, in host
 * tools it is the host's libc. Common code includes this header instead of libc headers. */
#ifndef KERNITE_RT_H
#define KERNITE_RT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef KERNITE_FREESTANDING

void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memchr(const void* s, int c, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
char* strstr(const char* haystack, const char* needle);
char* strdup(const char* s);
char* strndup(const char* s, size_t n);
size_t strlcpy(char* dst, const char* src, size_t size);
char* strncpy(char* dst, const char* src, size_t n);

void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* ptr, size_t size);
void free(void* ptr);
/* align must be a power of two; the block is released with free(). */
void* memalign(size_t align, size_t size);

int snprintf(char* buf, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);

long strtol(const char* s, char** end, int base);
unsigned long strtoul(const char* s, char** end, int base);
long long strtoll(const char* s, char** end, int base);
unsigned long long strtoull(const char* s, char** end, int base);

/* Called by the allocator for fresh memory; the library OS points it at the PAL. */
typedef void* (*rt_page_alloc_fn)(size_t size);
typedef void (*rt_page_free_fn)(void* addr, size_t size);
void rt_set_page_allocator(rt_page_alloc_fn alloc, rt_page_free_fn release);

/* Called on a failed assertion or heap corruption; never returns. */
__attribute__((noreturn)) void rt_abort(const char* why);

/* What _FORTIFY_SOURCE and -fstack-protector code calls (Debian's static mbedTLS is built so);
 * a failed check ends in rt_abort. __errno_location is per thread and so the library OS's. */
void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_size);
void* __memmove_chk(void* dst, const void* src, size_t n, size_t dst_size);
void* __memset_chk(void* dst, int c, size_t n, size_t dst_size);
int __snprintf_chk(char* buf, size_t size, int flag, size_t buf_size, const char* fmt, ...);
int __vsnprintf_chk(char* buf, size_t size, int flag, size_t buf_size, const char* fmt,
                    va_list ap);
__attribute__((noreturn)) void __stack_chk_fail(void);

#else

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rt_strlcpy(char* dst, const char* src, size_t size);
#define strlcpy rt_strlcpy

#endif

/* The value of a hexadecimal digit of either case; -1 for any other character (or EOF). */
static inline int rt_hex_digit(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
