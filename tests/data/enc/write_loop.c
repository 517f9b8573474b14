/* Crash-test program for protected files: "loop PATH" rewrites three regions of PATH with the
 * generation number, fsyncs and prints the number, for ever; "check PATH" prints the generation
 * the file holds, or "torn" when its regions disagree, or the errno when it cannot be read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGION 12288
static const off_t regions[] = {0, 200000, 420000};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

static int loop(const char* path) {
    static unsigned char buf[REGION];
    int fd = open(path, O_RDWR | O_CREAT, 0600);

    if (fd < 0) {
        perror("open");
        return 1;
    }
    for (unsigned gen = 1;; gen++) {
        memset(buf, gen & 0xff, sizeof(buf));
        memcpy(buf, &gen, sizeof(gen));
        for (size_t i = 0; i < NREGIONS; i++) {
            if (pwrite(fd, buf, sizeof(buf), regions[i]) != sizeof(buf)) {
                perror("pwrite");
                return 1;
            }
        }
        if (fsync(fd) < 0) {
            perror("fsync");
            return 1;
        }
        printf("%u\n", gen);
        fflush(stdout);
    }
}

static int check(const char* path) {
    static unsigned char buf[REGION], first[REGION];
    int fd = open(path, O_RDONLY);

    if (fd < 0) {
        printf("open errno %d\n", errno);
        return 0;
    }
    for (size_t i = 0; i < NREGIONS; i++) {
        ssize_t n = pread(fd, i ? buf : first, sizeof(buf), regions[i]);
        if (n < 0) {
            printf("read errno %d\n", errno);
            return 0;
        }
        if (n != sizeof(buf) || (i && memcmp(buf, first, sizeof(buf)) != 0)) {
            printf("torn\n");
            return 0;
        }
    }
    unsigned gen;
    memcpy(&gen, first, sizeof(gen));
    for (size_t j = sizeof(gen); j < sizeof(first); j++) {
        if (first[j] != (gen & 0xff)) {
            printf("torn\n");
            return 0;
        }
    }
    printf("%u\n", gen);
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 3)
        return 2;
    return strcmp(argv[1], "loop") == 0 ? loop(argv[2]) : check(argv[2]);
}
