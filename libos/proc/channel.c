/* Whole-message reads and writes on the PAL streams between Kernite processes (the fork stream,
 * the leader's channel). An interruption by a host signal does not end them: the signal stays
 * pending in the library OS and is delivered when the syscall returns. */
#include "libos.h"

int channel_read_all(pal_handle_t* ch, void* data, size_t size) {
    uint8_t* p = data;

    while (size) {
        long n = pal_stream_read(ch, p, size, -1);
        if (n == -EINTR) {
            pal_thread_clear_interrupt();
            continue;
        }
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -ENODATA; /* the stream ended before the message did */
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

int channel_write_all(pal_handle_t* ch, const void* data, size_t size) {
    const uint8_t* p = data;

    while (size) {
        long n = pal_stream_write(ch, p, size, -1);
        if (n == -EINTR) {
            pal_thread_clear_interrupt();
            continue;
        }
        if (n <= 0)
            return n < 0 ? (int)n : -EPIPE;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}
