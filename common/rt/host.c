/* The few runtime helpers host builds need beyond libc. */
#include "rt.h"

size_t rt_strlcpy(char* dst, const char* src, size_t size) {
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
