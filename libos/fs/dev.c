/* /dev: null, zero, full, random, urandom, the host terminal, and links to the stdio fds. */
#include "protected.h"
#include "pseudo.h"

#define MKDEV(major, minor) (((uint64_t)(major) << 8) | (minor))

/* Which device an open device file is; kept in the file's data pointer. */
enum dev_id { DEV_NULL = 1, DEV_ZERO, DEV_FULL, DEV_RANDOM };

static const uint64_t dev_rdev[] = {
    [DEV_NULL] = MKDEV(1, 3),
    [DEV_ZERO] = MKDEV(1, 5),
    [DEV_FULL] = MKDEV(1, 7),
    [DEV_RANDOM] = MKDEV(1, 9),
};

static enum dev_id dev_of(struct libos_file* f) {
    return (enum dev_id)(uintptr_t)f->data;
}

static long dev_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    switch (dev_of(f)) {
        case DEV_NULL:
            return 0;
        case DEV_RANDOM: {
            int ret = pal_random(buf, size);
            return ret < 0 ? ret : (long)size;
        }
        default:
            return pal_user_zero(buf, size) < 0 ? -EFAULT : (long)size;
    }
}

static long dev_read(struct libos_file* f, void* buf, size_t size) {
    return dev_pread(f, buf, size, 0);
}

static long dev_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    return dev_of(f) == DEV_FULL ? -ENOSPC : (long)size;
}

static long dev_write(struct libos_file* f, const void* buf, size_t size) {
    return dev_pwrite(f, buf, size, 0);
}

/* Seeking these devices always succeeds and changes nothing, as on Linux. */
static long dev_seek(struct libos_file* f, int64_t offset, int whence) {
    return 0;
}

static int dev_stat(struct libos_file* f, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = f->mount ? f->mount->dev : 0;
    st->st_ino = (uint64_t)dev_of(f) + 2;
    st->st_mode = S_IFCHR | 0666;
    st->st_nlink = 1;
    st->st_rdev = dev_rdev[dev_of(f)];
    st->st_blksize = 4096;
    return 0;
}

/* Reading the mapping gives zeros (fresh anonymous memory) for /dev/zero; the others refuse
 * mapping as Linux does. */
static int dev_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                    uint64_t offset) {
    void* at = (void*)addr;

    if (dev_of(f) != DEV_ZERO)
        return -ENODEV;
    return pal_mem_map(&at, size, prot, PAL_MAP_FIXED);
}

static const struct vfs_file_ops dev_file_ops = {
    .read = dev_read,
    .write = dev_write,
    .pread = dev_pread,
    .pwrite = dev_pwrite,
    .seek = dev_seek,
    .stat = dev_stat,
    .mmap = dev_mmap,
};

static int dev_open_id(enum dev_id id, int flags, struct libos_file** out) {
    struct libos_file* f = vfs_file_new(&dev_file_ops, NULL, flags, S_IFCHR);

    if (!f)
        return -ENOMEM;
    f->data = (void*)(uintptr_t)id;
    *out = f;
    return 0;
}

static int open_null(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    return dev_open_id(DEV_NULL, flags, out);
}

static int open_zero(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    return dev_open_id(DEV_ZERO, flags, out);
}

static int open_full(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    return dev_open_id(DEV_FULL, flags, out);
}

static int open_random(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    return dev_open_id(DEV_RANDOM, flags, out);
}

/* The host's controlling terminal, if Kernite has one. */
static int open_tty(const struct pseudo_ctx* ctx, int flags, struct libos_file** out) {
    pal_handle_t* h;
    int ret = pal_file_open("/dev/tty", flags & (O_ACCMODE | O_NONBLOCK | O_NOCTTY), 0, &h);

    if (ret < 0)
        return ret;
    ret = vfs_stream_file_new(h, NULL, flags, out);
    if (ret < 0)
        pal_stream_close(h);
    return ret;
}

/* /dev/attestation/keys/NAME: the keys of encrypted mounts (fs/keys.c). */
static const struct pseudo_node attestation_keys_children[] = {
    {.kind = PSEUDO_DEV, .perm = 0600, .match = keys_dev_match, .list_names = keys_dev_list,
     .open = keys_dev_open},
    {0},
};

static const struct pseudo_node attestation_children[] = {
    {.name = "keys", .kind = PSEUDO_DIR, .perm = 0755, .children = attestation_keys_children},
    {0},
};

static const struct pseudo_node dev_children[] = {
    {.name = "null", .kind = PSEUDO_DEV, .perm = 0666, .open = open_null, .rdev = MKDEV(1, 3)},
    {.name = "zero", .kind = PSEUDO_DEV, .perm = 0666, .open = open_zero, .rdev = MKDEV(1, 5)},
    {.name = "full", .kind = PSEUDO_DEV, .perm = 0666, .open = open_full, .rdev = MKDEV(1, 7)},
    {.name = "random", .kind = PSEUDO_DEV, .perm = 0666, .open = open_random, .rdev = MKDEV(1, 8)},
    {.name = "urandom", .kind = PSEUDO_DEV, .perm = 0666, .open = open_random, .rdev = MKDEV(1, 9)},
    {.name = "tty", .kind = PSEUDO_DEV, .perm = 0666, .open = open_tty, .rdev = MKDEV(5, 0)},
    {.name = "stdin", .kind = PSEUDO_LINK, .perm = 0777, .target = "/proc/self/fd/0"},
    {.name = "stdout", .kind = PSEUDO_LINK, .perm = 0777, .target = "/proc/self/fd/1"},
    {.name = "stderr", .kind = PSEUDO_LINK, .perm = 0777, .target = "/proc/self/fd/2"},
    {.name = "fd", .kind = PSEUDO_LINK, .perm = 0777, .target = "/proc/self/fd"},
    {.name = "attestation", .kind = PSEUDO_DIR, .perm = 0755, .children = attestation_children},
    {0},
};

static const struct pseudo_node dev_root = {
    .kind = PSEUDO_DIR,
    .perm = 0755,
    .children = dev_children,
};

static int dev_mount(struct vfs_mount* m, const char* host_path) {
    m->data = (void*)&dev_root;
    return 0;
}

const struct vfs_fs_ops vfs_dev_ops = {
    .type = "dev",
    .mount = dev_mount,
    .lookup = pseudo_lookup,
    .readlink = pseudo_readlink,
    .open = pseudo_open,
    .access = pseudo_access,
    .magic = 0x01021994,
};
