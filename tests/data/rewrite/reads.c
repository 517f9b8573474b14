/*
 * glibc's read sets its number with `xor %eax, %eax` a few bytes before the syscall, unlike the
 * wrappers that load it right before. Reads through both of its paths (a single-threaded
 * process, then the cancellable path once a second thread exists) and a few other calls, with
 * a checksum of what came back.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS 20000

static unsigned long pump(int in, int out) {
    unsigned long sum = 0;
    char buf[16];

    for (int i = 0; i < ROUNDS; i++) {
        int len = snprintf(buf, sizeof(buf), "%d", i);
        if (write(out, buf, (size_t)len) != len)
            return 0;
        ssize_t n = read(in, buf, sizeof(buf));
        for (ssize_t j = 0; j < n; j++)
            sum = sum * 31 + (unsigned char)buf[j];
        if (n != len)
            return 0;
    }
    return sum;
}

static void* idle(void* arg) {
    int* fd = arg;
    char c;
    return read(*fd, &c, 1) == 1 ? NULL : arg;
}

int main(void) {
    int p[2], stop[2];
    pthread_t t;

    if (pipe(p) < 0 || pipe(stop) < 0)
        return 1;
    printf("one thread: %lu\n", pump(p[0], p[1]));
    if (pthread_create(&t, NULL, idle, &stop[0]) != 0)
        return 1;
    printf("two threads: %lu\n", pump(p[0], p[1]));
    /* An error through the same site, and a read of zero bytes. */
    char c;
    printf("bad fd: %zd, empty read: %zd\n", read(-1, &c, 1), read(p[0], &c, 0));
    if (write(stop[1], "x", 1) != 1 || pthread_join(t, NULL) != 0)
        return 1;
    return 0;
}
