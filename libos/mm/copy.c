/* Copies between the library OS and app memory, checked against the app's mappings. */
#include "libos.h"

/* The check keeps the copy within the app's mappings; the copy itself survives another app
 * thread unmapping them in between. */
int copy_from_app(void* dst, const void* app_src, size_t size) {
    if (!mm_is_accessible((uint64_t)app_src, size, PROT_READ))
        return -EFAULT;
    return pal_user_copy(dst, app_src, size);
}

int copy_to_app(void* app_dst, const void* src, size_t size) {
    if (!mm_is_accessible((uint64_t)app_dst, size, PROT_WRITE))
        return -EFAULT;
    return pal_user_copy(app_dst, src, size);
}

/* Copies page by page and looks for the NUL in the copy: the string may end just before an
 * unmapped page, and another app thread may change or unmap it meanwhile. */
long strdup_from_app(const char* app_str, size_t max, char** out) {
    char* copy = NULL;
    size_t len = 0;

    for (;;) {
        uint64_t addr = (uint64_t)app_str + len;
        size_t in_page = 4096 - (addr & 4095);
        char* grown = realloc(copy, len + in_page + 1);
        if (!grown) {
            free(copy);
            return -ENOMEM;
        }
        copy = grown;
        if (!mm_is_accessible(addr, in_page, PROT_READ) ||
            pal_user_copy(copy + len, (const void*)addr, in_page) < 0) {
            free(copy);
            return -EFAULT;
        }
        size_t n = strnlen(copy + len, in_page);
        len += n;
        if (n < in_page)
            break;
        if (len >= max) {
            free(copy);
            return -ENAMETOOLONG;
        }
    }
    if (len >= max) {
        free(copy);
        return -ENAMETOOLONG;
    }
    copy[len] = 0;
    *out = copy;
    return (long)len;
}
