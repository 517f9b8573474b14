/* Sequential file I/O: writes SIZE MiB to PATH in 1 MiB writes and closes it, then reads it back
 * in 1 MiB reads; prints the milliseconds each half took and a checksum of what was read. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static double now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
    static unsigned char buf[CHUNK];
    unsigned long sum = 0;
    double t0, t1, t2;
    long mib;
    int fd;

    if (argc != 3)
        return 2;
    mib = atol(argv[2]);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 31 + 7);
    t0 = now_ms();
    fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 1;
    for (long i = 0; i < mib; i++)
        if (write(fd, buf, sizeof(buf)) != sizeof(buf))
            return 1;
    if (close(fd) < 0)
        return 1;
    t1 = now_ms();
    fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        return 1;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0)
            return 1;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i += 4096)
            sum += buf[i];
    }
    close(fd);
    t2 = now_ms();
    printf("write_ms %.3f read_ms %.3f sum %lu\n", t1 - t0, t2 - t1, sum);
    return 0;
}
