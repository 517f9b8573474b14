/* `kernite pf`: encrypts, decrypts and verifies protected files, and makes and wraps keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "pf.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2

#define CHUNK_SIZE        (1 << 20)
#define PROGRESS_MIN_SIZE (8u << 20) /* smaller files finish before a bar would help */

/* ---- Host files for the pf library ---------------------------------------------------------- */

static int fd_read(void* file, uint64_t offset, void* buf, size_t size) {
    int fd = *(int*)file;

    while (size) {
        ssize_t n = pread(fd, buf, size, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf = (char*)buf + n;
        offset += (uint64_t)n;
        size -= (size_t)n;
    }
    return 0;
}

static int fd_write(void* file, uint64_t offset, const void* buf, size_t size) {
    int fd = *(int*)file;

    while (size) {
        ssize_t n = pwrite(fd, buf, size, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf = (const char*)buf + n;
        offset += (uint64_t)n;
        size -= (size_t)n;
    }
    return 0;
}

static int fd_truncate(void* file, uint64_t size) {
    return ftruncate(*(int*)file, (off_t)size) < 0 ? -errno : 0;
}

static int fd_flush(void* file) {
    return fsync(*(int*)file) < 0 ? -errno : 0;
}

static int fd_get_size(void* file, uint64_t* size) {
    struct stat st;

    if (fstat(*(int*)file, &st) < 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static const struct pf_host_ops g_fd_ops = {fd_read, fd_write, fd_truncate, fd_flush,
                                            fd_get_size};

/* ---- Options -------------------------------------------------------------------------------- */

struct pf_options {
    const char* key_file;
    const char* in;
    const char* out;
    const char* path;
    bool raw;
};

/* Parses -k, -i, -o, --path and --raw; returns -EINVAL on anything else. */
static int parse_options(int argc, char** argv, struct pf_options* opt) {
    memset(opt, 0, sizeof(*opt));
    for (int i = 0; i < argc; i++) {
        const char** slot = NULL;
        if (!strcmp(argv[i], "-k") || !strcmp(argv[i], "--key"))
            slot = &opt->key_file;
        else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--input"))
            slot = &opt->in;
        else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output"))
            slot = &opt->out;
        else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--path"))
            slot = &opt->path;
        else if (!strcmp(argv[i], "--raw")) {
            opt->raw = true;
            continue;
        }
        if (!slot || i + 1 == argc) {
            fprintf(stderr, "kernite pf: unexpected argument '%s'\n", argv[i]);
            return -EINVAL;
        }
        *slot = argv[++i];
    }
    return 0;
}

/* ---- Keys ----------------------------------------------------------------------------------- */

static int hex_value(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A key file holds the 16 key bytes raw, or as 32 hex digits with an optional newline. */
static int key_decode(const uint8_t* buf, size_t len, uint8_t key[PF_KEY_SIZE]) {
    if (len == PF_KEY_SIZE) {
        memcpy(key, buf, PF_KEY_SIZE);
        return 0;
    }
    if (len == 2 * PF_KEY_SIZE + 1 && buf[len - 1] == '\n')
        len--;
    if (len != 2 * PF_KEY_SIZE)
        return -EINVAL;
    for (size_t i = 0; i < PF_KEY_SIZE; i++) {
        int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int read_small_file(const char* path, uint8_t* buf, size_t cap, size_t* len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, cap);
    close(fd);
    if (n < 0)
        return -errno;
    *len = (size_t)n;
    return 0;
}

static int load_key(const char* path, uint8_t key[PF_KEY_SIZE]) {
    uint8_t buf[2 * PF_KEY_SIZE + 2];
    size_t len;
    int ret = read_small_file(path, buf, sizeof(buf), &len);

    if (ret < 0) {
        fprintf(stderr, "kernite pf: %s: %s\n", path, strerror(-ret));
        return ret;
    }
    ret = key_decode(buf, len, key);
    crypto_wipe(buf, sizeof(buf));
    if (ret < 0)
        fprintf(stderr, "kernite pf: %s: not a key (16 raw bytes or 32 hex digits)\n", path);
    return ret;
}

/* Writes secret bytes to a new file that only its owner may read. */
static int write_secret_file(const char* path, const void* buf, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ret = 0;

    if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
        ret = -errno;
    if (fd >= 0 && close(fd) < 0 && ret == 0)
        ret = -errno;
    if (ret < 0)
        fprintf(stderr, "kernite pf: %s: %s\n", path, strerror(-ret));
    return ret;
}

static int write_key(const char* path, const uint8_t key[PF_KEY_SIZE], bool raw) {
    char hex[2 * PF_KEY_SIZE + 2];
    int ret;

    if (raw)
        return write_secret_file(path, key, PF_KEY_SIZE);
    for (size_t i = 0; i < PF_KEY_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    hex[2 * PF_KEY_SIZE] = '\n';
    ret = write_secret_file(path, hex, 2 * PF_KEY_SIZE + 1);
    crypto_wipe(hex, sizeof(hex));
    return ret;
}

/* ---- Progress ------------------------------------------------------------------------------- */

struct progress {
    bool shown;
    uint64_t total;
    int last_percent;
};

static void progress_start(struct progress* p, uint64_t total) {
    p->shown = total >= PROGRESS_MIN_SIZE && isatty(STDERR_FILENO);
    p->total = total;
    p->last_percent = -1;
}

static void progress_update(struct progress* p, uint64_t done) {
    enum { WIDTH = 40 };
    int percent;
    char bar[WIDTH + 1];

    if (!p->shown || !p->total)
        return;
    percent = (int)(done * 100 / p->total);
    if (percent == p->last_percent)
        return;
    p->last_percent = percent;
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < percent * WIDTH / 100 ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %llu/%llu MiB", bar, percent,
            (unsigned long long)(done >> 20), (unsigned long long)(p->total >> 20));
}

static void progress_end(struct progress* p) {
    if (p->shown)
        fputc('\n', stderr);
}

/* ---- Commands ------------------------------------------------------------------------------- */

static int report_pf_error(const char* file, const char* bound, int err) {
    if (err == -EACCES)
        fprintf(stderr, "kernite pf: %s: authentication failed: wrong key, corrupted or "
                        "truncated file, or bound to another path than '%s'\n", file, bound);
    else
        fprintf(stderr, "kernite pf: %s: %s\n", file, pf_strerror(err));
    return EXIT_FAILED;
}

static int open_fd(const char* path, int flags) {
    int fd = open(path, flags | O_CLOEXEC, 0644);

    if (fd < 0)
        fprintf(stderr, "kernite pf: %s: %s\n", path, strerror(errno));
    return fd;
}

static int cmd_encrypt(const struct pf_options* opt, const uint8_t key[PF_KEY_SIZE]) {
    const char* bound = opt->path ? opt->path : opt->out;
    int in = open_fd(opt->in, O_RDONLY);
    int out = in < 0 ? -1 : open_fd(opt->out, O_RDWR | O_CREAT | O_TRUNC);
    struct pf_host host = {&g_fd_ops, &out, NULL};
    struct pf_file* pf = NULL;
    uint8_t* buf = malloc(CHUNK_SIZE);
    struct progress progress;
    uint64_t offset = 0;
    struct stat st;
    int ret = EXIT_FAILED;

    if (in < 0 || out < 0 || !buf || fstat(in, &st) < 0)
        goto out;
    int err = pf_open(&host, bound, key, PF_MODE_CREATE, &pf);
    progress_start(&progress, (uint64_t)st.st_size);
    for (;;) {
        if (err < 0) {
            report_pf_error(opt->out, bound, err);
            goto out;
        }
        ssize_t n = read(in, buf, CHUNK_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "kernite pf: %s: %s\n", opt->in, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        err = pf_write(pf, offset, buf, (size_t)n);
        offset += (uint64_t)n;
        progress_update(&progress, offset);
    }
    progress_end(&progress);
    if (err == 0)
        err = pf_close(pf);
    else
        pf_close(pf);
    pf = NULL;
    if (err < 0) {
        report_pf_error(opt->out, bound, err);
        goto out;
    }
    ret = 0;
out:
    if (pf)
        pf_close(pf);
    if (buf) {
        crypto_wipe(buf, CHUNK_SIZE);
        free(buf);
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (ret != 0 && out >= 0)
        unlink(opt->out);
    return ret;
}

/* Reads the whole protected file; writes the plaintext to out_fd when it is not -1. */
static int decrypt_to(const struct pf_options* opt, const uint8_t key[PF_KEY_SIZE], int out_fd,
                      uint64_t* total) {
    const char* bound = opt->path ? opt->path : opt->in;
    int in = open_fd(opt->in, O_RDONLY);
    struct pf_host host = {&g_fd_ops, &in, NULL};
    struct pf_file* pf = NULL;
    uint8_t* buf = malloc(CHUNK_SIZE);
    struct progress progress;
    uint64_t size = 0, offset = 0;
    int err, ret = EXIT_FAILED;

    if (in < 0 || !buf)
        goto out;
    err = pf_open(&host, bound, key, PF_MODE_READ, &pf);
    if (err == 0)
        err = pf_get_size(pf, &size);
    progress_start(&progress, size);
    while (err == 0 && offset < size) {
        size_t done;
        err = pf_read(pf, offset, buf, CHUNK_SIZE, &done);
        if (err == 0 && out_fd >= 0 && fd_write(&out_fd, offset, buf, done) < 0) {
            fprintf(stderr, "kernite pf: %s: %s\n", opt->out, strerror(errno));
            goto out;
        }
        offset += done;
        progress_update(&progress, offset);
    }
    progress_end(&progress);
    if (err < 0) {
        report_pf_error(opt->in, bound, err);
        goto out;
    }
    *total = size;
    ret = 0;
out:
    if (pf)
        pf_close(pf);
    if (buf) {
        crypto_wipe(buf, CHUNK_SIZE);
        free(buf);
    }
    if (in >= 0)
        close(in);
    return ret;
}

static int cmd_decrypt(const struct pf_options* opt, const uint8_t key[PF_KEY_SIZE]) {
    int out = open_fd(opt->out, O_WRONLY | O_CREAT | O_TRUNC);
    uint64_t size;
    int ret;

    if (out < 0)
        return EXIT_FAILED;
    ret = decrypt_to(opt, key, out, &size);
    if (ret == 0 && fsync(out) < 0) {
        fprintf(stderr, "kernite pf: %s: %s\n", opt->out, strerror(errno));
        ret = EXIT_FAILED;
    }
    close(out);
    /* Half a plaintext of a file that failed authentication must not be left behind. */
    if (ret != 0)
        unlink(opt->out);
    return ret;
}

static int cmd_verify(const struct pf_options* opt, const uint8_t key[PF_KEY_SIZE]) {
    uint64_t size;
    int ret = decrypt_to(opt, key, -1, &size);

    if (ret == 0)
        printf("%s: ok, %llu bytes, bound to '%s'\n", opt->in, (unsigned long long)size,
               opt->path ? opt->path : opt->in);
    return ret;
}

/* A wrapped key: "KNWK" and a format byte (1), then a 12-byte random IV, the 16 key bytes
 * AES-GCM-encrypted under the wrapping key with those 5 header bytes as AAD, and the 16-byte
 * tag: 49 bytes in all. */
#define WRAP_MAGIC    "KNWK\x01"
#define WRAP_HDR_SIZE 5
#define WRAP_SIZE     (WRAP_HDR_SIZE + 12 + PF_KEY_SIZE + 16)

static int cmd_wrap_key(const struct pf_options* opt, const uint8_t wrapping[PF_KEY_SIZE]) {
    uint8_t key[PF_KEY_SIZE], blob[WRAP_SIZE];
    int ret = load_key(opt->in, key) < 0 ? -EINVAL : 0;

    memcpy(blob, WRAP_MAGIC, WRAP_HDR_SIZE);
    if (ret == 0)
        ret = crypto_random(blob + WRAP_HDR_SIZE, 12);
    if (ret == 0)
        ret = crypto_aes_gcm_encrypt(wrapping, PF_KEY_SIZE, blob + WRAP_HDR_SIZE, 12, blob,
                                     WRAP_HDR_SIZE, key, PF_KEY_SIZE, blob + WRAP_HDR_SIZE + 12,
                                     blob + WRAP_HDR_SIZE + 12 + PF_KEY_SIZE);
    if (ret == 0)
        ret = write_secret_file(opt->out, blob, sizeof(blob));
    crypto_wipe(key, sizeof(key));
    return ret < 0 ? EXIT_FAILED : 0;
}

static int cmd_unwrap_key(const struct pf_options* opt, const uint8_t wrapping[PF_KEY_SIZE]) {
    uint8_t key[PF_KEY_SIZE], blob[WRAP_SIZE + 1];
    size_t len;
    int ret = read_small_file(opt->in, blob, sizeof(blob), &len);

    if (ret < 0) {
        fprintf(stderr, "kernite pf: %s: %s\n", opt->in, strerror(-ret));
        return EXIT_FAILED;
    }
    if (len != WRAP_SIZE || memcmp(blob, WRAP_MAGIC, WRAP_HDR_SIZE)) {
        fprintf(stderr, "kernite pf: %s: not a wrapped key\n", opt->in);
        return EXIT_FAILED;
    }
    ret = crypto_aes_gcm_decrypt(wrapping, PF_KEY_SIZE, blob + WRAP_HDR_SIZE, 12, blob,
                                 WRAP_HDR_SIZE, blob + WRAP_HDR_SIZE + 12, PF_KEY_SIZE, key,
                                 blob + WRAP_HDR_SIZE + 12 + PF_KEY_SIZE);
    if (ret < 0) {
        fprintf(stderr, "kernite pf: %s: authentication failed: wrong wrapping key or corrupted\n",
                opt->in);
        return EXIT_FAILED;
    }
    ret = write_key(opt->out, key, opt->raw);
    crypto_wipe(key, sizeof(key));
    return ret < 0 ? EXIT_FAILED : 0;
}

static int cmd_gen_key(const struct pf_options* opt) {
    uint8_t key[PF_KEY_SIZE];
    int ret = crypto_random(key, sizeof(key));

    if (ret == 0)
        ret = write_key(opt->out, key, opt->raw);
    else
        fprintf(stderr, "kernite pf: no randomness: %s\n", strerror(-ret));
    crypto_wipe(key, sizeof(key));
    return ret < 0 ? EXIT_FAILED : 0;
}

/* Which options each subcommand needs: k key, i input, o output. */
static const struct pf_subcommand {
    const char* name;
    const char* needs;
    const char* args;
    const char* help;
    int (*run)(const struct pf_options* opt, const uint8_t key[PF_KEY_SIZE]);
} g_subcommands[] = {
    {"encrypt", "kio", "-k KEYFILE -i IN -o OUT [--path GUESTPATH]",
     "encrypt IN into the protected file OUT, bound to GUESTPATH (default: OUT)", cmd_encrypt},
    {"decrypt", "kio", "-k KEYFILE -i IN -o OUT [--path GUESTPATH]",
     "decrypt the protected file IN, bound to GUESTPATH (default: IN)", cmd_decrypt},
    {"verify", "ki", "-k KEYFILE -i IN [--path GUESTPATH]",
     "check every node of the protected file IN", cmd_verify},
    {"gen-key", "o", "-o KEYFILE [--raw]",
     "write a new random key (32 hex digits, or 16 raw bytes)", NULL},
    {"wrap-key", "kio", "-k WRAPKEY -i KEYFILE -o OUT", "encrypt KEYFILE under WRAPKEY",
     cmd_wrap_key},
    {"unwrap-key", "kio", "-k WRAPKEY -i WRAPPED -o KEYFILE [--raw]",
     "recover a key wrapped by wrap-key", cmd_unwrap_key},
};

#define SUBCOMMAND_COUNT (sizeof(g_subcommands) / sizeof(g_subcommands[0]))

static void pf_usage(FILE* out) {
    fprintf(out, "usage: kernite pf COMMAND OPTIONS\n\n");
    for (size_t i = 0; i < SUBCOMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n  %-10s   %s\n", g_subcommands[i].name, g_subcommands[i].args,
                "", g_subcommands[i].help);
    fprintf(out, "\nA key file holds 16 bytes raw or as 32 hex digits. Exit status: 0 on success,"
                 "\n1 on a wrong key, a corrupted file or a file bound to another path, 2 on bad"
                 "\nusage.\n");
}

static bool has_needed(const struct pf_subcommand* sub, const struct pf_options* opt) {
    return (!strchr(sub->needs, 'k') || opt->key_file) && (!strchr(sub->needs, 'i') || opt->in) &&
           (!strchr(sub->needs, 'o') || opt->out);
}

int kernite_pf_main(int argc, char** argv) {
    const struct pf_subcommand* sub = NULL;
    struct pf_options opt;
    uint8_t key[PF_KEY_SIZE];
    int ret;

    for (size_t i = 0; argc >= 1 && i < SUBCOMMAND_COUNT; i++)
        if (!strcmp(argv[0], g_subcommands[i].name))
            sub = &g_subcommands[i];
    if (argc >= 1 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help"))) {
        pf_usage(stdout);
        return 0;
    }
    if (!sub || parse_options(argc - 1, argv + 1, &opt) < 0 || !has_needed(sub, &opt)) {
        if (sub)
            fprintf(stderr, "usage: kernite pf %s %s\n", sub->name, sub->args);
        else
            pf_usage(stderr);
        return EXIT_USAGE;
    }
    crypto_set_random(crypto_random_getrandom, NULL);
    if (!sub->run)
        return cmd_gen_key(&opt);
    if (load_key(opt.key_file, key) < 0)
        return EXIT_FAILED;
    ret = sub->run(&opt, key);
    crypto_wipe(key, sizeof(key));
    return ret;
}
