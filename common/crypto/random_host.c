/* The host builds' randomness source, getrandom(2); built only into host programs. */
#include <errno.h>
#include <sys/random.h>

#include "crypto.h"

int crypto_random_getrandom(void* ctx, void* buf, size_t size) {
    unsigned char* p = buf;

    while (size) {
        ssize_t got = getrandom(p, size, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += got;
        size -= (size_t)got;
    }
    return 0;
}
