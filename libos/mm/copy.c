/* Copies between the library OS and app memory, checked against the app's mappings. */
#include "libos.h"

int copy_from_app(void* dst, const void* app_src, size_t size) {
    if (!mm_is_accessible((uint64_t)app_src, size, PROT_READ))
        return -EFAULT;
    memcpy(dst, app_src, size);
    return 0;
}

int copy_to_app(void* app_dst, const void* src, size_t size) {
    if (!mm_is_accessible((uint64_t)app_dst, size, PROT_WRITE))
        return -EFAULT;
    memcpy(app_dst, src, size);
    return 0;
}

long strdup_from_app(const char* app_str, size_t max, char** out) {
    size_t len = 0;
    char* copy;

    /* Check page by page: the string may end just before an unmapped page. */
    for (;;) {
        uint64_t addr = (uint64_t)app_str + len;
        size_t in_page = 4096 - (addr & 4095);
        if (!mm_is_accessible(addr, 1, PROT_READ))
            return -EFAULT;
        size_t n = strnlen(app_str + len, in_page);
        len += n;
        if (n < in_page)
            break;
        if (len >= max)
            return -ENAMETOOLONG;
    }
    if (len >= max)
        return -ENAMETOOLONG;
    copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, app_str, len + 1);
    *out = copy;
    return (long)len;
}
