/* The checked entry points that code built with _FORTIFY_SOURCE and -fstack-protector calls,
 * such as Debian's static mbedTLS: each checks the destination size the compiler knew, then
 * does the plain operation. A failed check is memory corruption and ends in rt_abort. */
#include "rt.h"

void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size)
        rt_abort("memcpy overflows its destination");
    return memcpy(dst, src, n);
}

void* __memmove_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size)
        rt_abort("memmove overflows its destination");
    return memmove(dst, src, n);
}

void* __memset_chk(void* dst, int c, size_t n, size_t dst_size) {
    if (n > dst_size)
        rt_abort("memset overflows its destination");
    return memset(dst, c, n);
}

/* flag asks for extra checks of the format (such as %n in writable memory); ours refuses %n
 * always, so it has nothing more to check. */
int __vsnprintf_chk(char* buf, size_t size, int flag, size_t buf_size, const char* fmt,
                    va_list ap) {
    if (size > buf_size)
        rt_abort("snprintf size exceeds its buffer");
    return vsnprintf(buf, size, fmt, ap);
}

int __snprintf_chk(char* buf, size_t size, int flag, size_t buf_size, const char* fmt, ...) {
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = __vsnprintf_chk(buf, size, flag, buf_size, fmt, ap);
    va_end(ap);
    return ret;
}

void __stack_chk_fail(void) {
    rt_abort("stack smashing detected");
}
