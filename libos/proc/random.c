/* getrandom(2) from the PAL's random source. */
#include "libos.h"
#include "proc.h"

#include <linux/random.h>

/* Linux returns at most this much per call; callers loop for more. */
#define GETRANDOM_MAX (32 * 1024 * 1024 - 1)
#define CHUNK_SIZE    256

/* The PAL's source never blocks (it is ready from the start), so GRND_NONBLOCK changes
 * nothing; GRND_RANDOM and GRND_INSECURE draw from the same source. */
long sys_getrandom(uint8_t* buf, size_t len, unsigned int flags) {
    uint8_t chunk[CHUNK_SIZE];
    size_t done = 0;

    if (flags & ~(unsigned int)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
        return -EINVAL;
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;

    while (done < len) {
        size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
        int ret = pal_random(chunk, n);
        if (ret == 0 && copy_to_app(buf + done, chunk, n) < 0)
            ret = -EFAULT;
        if (ret < 0) {
            memset(chunk, 0, sizeof(chunk));
            return done ? (long)done : ret;
        }
        done += n;
        if (done < len && signal_pending())
            break;
    }
    memset(chunk, 0, sizeof(chunk));
    return (long)done;
}
