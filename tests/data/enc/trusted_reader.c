/* Reads a trusted file while another name of the same host file (a hard link in an allowed
 * directory) changes one chunk of it: prints what each read gives, "ok" or the errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void report(const char* what, ssize_t n) {
    printf("%s: %s\n", what, n >= 0 ? "ok" : strerror(errno));
}

int main(int argc, char** argv) {
    char buf[4096];
    int fd, wfd;

    if (argc != 3)
        return 2;
    fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        printf("open: %s\n", strerror(errno));
        return 0;
    }
    report("first chunk", pread(fd, buf, sizeof(buf), 0));
    report("third chunk", pread(fd, buf, sizeof(buf), 8192));
    wfd = open(argv[2], O_WRONLY);
    if (wfd < 0 || pwrite(wfd, "changed", 7, 8200) != 7) {
        printf("link write: %s\n", strerror(errno));
        return 1;
    }
    close(wfd);
    report("third chunk after change", pread(fd, buf, sizeof(buf), 8192));
    report("first chunk after change", pread(fd, buf, sizeof(buf), 0));
    report("read across the change", pread(fd, buf, 100, 8190));
    return 0;
}
