/* Host shared memory: "untrusted_shm" mounts and the host objects behind shared mappings.
 *
 * An untrusted_shm mount is a host directory (or one host file) such as /dev/shm whose files
 * the app maps MAP_SHARED: the mapping is the host file's own memory, so other host processes
 * (and forked guest processes) see every write. It holds regular files only: sub-directories
 * of the host directory are inaccessible and none can be made, nor symlinks. The data lives
 * outside the library OS, visible to and changeable by the host. Files are opened through the
 * chroot code, so the trusted and allowed file lists apply to them as to any host file.
 *
 * MAP_SHARED|MAP_ANONYMOUS memory is a host object of its own (pal_mem_shared_open). A fork
 * sends the handle of every shared mapping's object to the child, which maps it again at the
 * same address. */
#include "vfs.h"

#define TMPFS_MAGIC 0x01021994

/* Only names directly in the mounted directory exist: "" (the directory itself) or "/name". */
static bool shm_rel_is_flat(const struct vfs_mount* m, const char* rel) {
    if (!rel[0])
        return true;
    return !m->host_is_file && !strchr(rel + 1, '/');
}

static int shm_mount(struct vfs_mount* m, const char* host_path) {
    struct pal_stat st;
    int ret = vfs_chroot_ops.mount(m, host_path);

    if (ret < 0)
        return ret;
    ret = pal_path_stat(host_path, /*follow=*/true, &st);
    if (ret == 0 && !S_ISDIR(st.mode) && !S_ISREG(st.mode))
        ret = -EINVAL;
    return ret;
}

static int shm_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st) {
    int ret;

    if (!shm_rel_is_flat(m, rel))
        return -EACCES;
    ret = vfs_chroot_ops.lookup(m, rel, st);
    if (ret == 0 && rel[0] && !S_ISREG(st->st_mode))
        return -EACCES;
    return ret;
}

/* ---- The mounted directory ----------------------------------------------------------------- */

static int shm_dir_stat(struct libos_file* f, struct linux_stat* st) {
    struct pal_stat ps;
    int ret = pal_stream_stat(f->handle, &ps);

    if (ret == 0)
        vfs_stat_from_pal(&ps, st);
    return ret;
}

/* The host's listing, less everything that is not a regular file. */
static int shm_dir_list(struct libos_file* f, struct vfs_dir_list* list) {
    size_t first = list->count;
    size_t kept = first;
    int ret = vfs_host_dir_list(f->handle, list, NULL);

    if (ret < 0)
        return ret;
    for (size_t i = first; i < list->count; i++) {
        if (list->entries[i].type == DT_REG)
            list->entries[kept++] = list->entries[i];
        else
            free(list->entries[i].name);
    }
    list->count = kept;
    return 0;
}

static void shm_handle_release(struct libos_file* f) {
    if (f->handle)
        pal_stream_close(f->handle);
}

static const struct vfs_file_ops shm_dir_ops = {
    .seek = vfs_dir_seek,
    .stat = shm_dir_stat,
    .list = shm_dir_list,
    .release = shm_handle_release,
};

static int shm_dir_open(struct vfs_mount* m, int flags, struct libos_file** out) {
    struct libos_file* f;
    pal_handle_t* h;
    int ret = pal_file_open(m->host_path[0] ? m->host_path : "/", O_RDONLY | O_DIRECTORY, 0, &h);

    if (ret < 0)
        return ret;
    f = vfs_file_new(&shm_dir_ops, NULL, flags, S_IFDIR);
    if (!f) {
        pal_stream_close(h);
        return -ENOMEM;
    }
    f->handle = h;
    *out = f;
    return 0;
}

static int shm_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                    struct libos_file** out) {
    if (!shm_rel_is_flat(m, rel))
        return -EACCES;
    if (!rel[0] && !m->host_is_file)
        return shm_dir_open(m, flags, out);
    if (flags & O_DIRECTORY)
        return -ENOTDIR;
    return vfs_chroot_ops.open(m, rel, flags, mode, out);
}

/* ---- Path operations: files directly in the directory, through the chroot code ------------- */

static int shm_mkdir(struct vfs_mount* m, const char* rel, uint32_t mode) {
    return -EPERM;
}

static int shm_unlink(struct vfs_mount* m, const char* rel) {
    if (!rel[0] || !shm_rel_is_flat(m, rel))
        return -EACCES;
    return vfs_chroot_ops.unlink(m, rel);
}

static int shm_rename(struct vfs_mount* m, const char* from, const char* to, unsigned int flags) {
    if (!from[0] || !to[0] || !shm_rel_is_flat(m, from) || !shm_rel_is_flat(m, to))
        return -EACCES;
    return vfs_chroot_ops.rename(m, from, to, flags);
}

static int shm_link(struct vfs_mount* m, const char* from, const char* to) {
    if (!from[0] || !to[0] || !shm_rel_is_flat(m, from) || !shm_rel_is_flat(m, to))
        return -EACCES;
    return vfs_chroot_ops.link(m, from, to);
}

static int shm_chmod(struct vfs_mount* m, const char* rel, uint32_t mode) {
    return shm_rel_is_flat(m, rel) ? vfs_chroot_ops.chmod(m, rel, mode) : -EACCES;
}

static int shm_utimens(struct vfs_mount* m, const char* rel, const int64_t times[4], bool follow) {
    return shm_rel_is_flat(m, rel) ? vfs_chroot_ops.utimens(m, rel, times, follow) : -EACCES;
}

static int shm_truncate(struct vfs_mount* m, const char* rel, uint64_t size) {
    return shm_rel_is_flat(m, rel) ? vfs_chroot_ops.truncate(m, rel, size) : -EACCES;
}

static int shm_access(struct vfs_mount* m, const char* rel, int mode) {
    return shm_rel_is_flat(m, rel) ? vfs_chroot_ops.access(m, rel, mode) : -EACCES;
}

const struct vfs_fs_ops vfs_untrusted_shm_ops = {
    .type = "untrusted_shm",
    .mount = shm_mount,
    .lookup = shm_lookup,
    .open = shm_open,
    .mkdir = shm_mkdir,
    .unlink = shm_unlink,
    .rename = shm_rename,
    .link = shm_link,
    .chmod = shm_chmod,
    .utimens = shm_utimens,
    .truncate = shm_truncate,
    .access = shm_access,
    .magic = TMPFS_MAGIC, /* what the host's /dev/shm is */
};

/* ---- Host objects behind shared mappings ---------------------------------------------------- */

static int shm_object_stat(struct libos_file* f, struct linux_stat* st) {
    return shm_dir_stat(f, st);
}

static int shm_object_truncate(struct libos_file* f, uint64_t size) {
    return pal_stream_truncate(f->handle, size);
}

static int shm_object_map(struct libos_file* f, uint64_t addr, size_t size, int prot,
                          uint64_t offset) {
    void* at = (void*)addr;

    return pal_stream_map(f->handle, &at, size, prot, PAL_MAP_FIXED | PAL_MAP_SHARED, offset);
}

/* A file's object ends where the file does: a page past it faults, as on Linux. */
static int shm_file_object_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot,
                                int flags, uint64_t offset) {
    if (!(flags & MAP_SHARED))
        return -EACCES;
    return shm_object_map(f, addr, size, prot, offset);
}

/* Anonymous memory has no end of its own: mremap growing a mapping grows the object. */
static int shm_anon_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                         uint64_t offset) {
    struct pal_stat st;
    int ret = pal_stream_stat(f->handle, &st);

    if (ret < 0)
        return ret;
    if (offset + size < offset)
        return -EINVAL;
    if ((uint64_t)st.size < offset + size) {
        ret = pal_stream_truncate(f->handle, offset + size);
        if (ret < 0)
            return ret;
    }
    return shm_object_map(f, addr, size, prot, offset);
}

static const struct vfs_file_ops shm_file_object_ops = {
    .stat = shm_object_stat,
    .truncate = shm_object_truncate,
    .mmap = shm_file_object_mmap,
    .release = shm_handle_release,
};

static const struct vfs_file_ops shm_anon_ops = {
    .stat = shm_object_stat,
    .truncate = shm_object_truncate,
    .mmap = shm_anon_mmap,
    .release = shm_handle_release,
};

/* Linux names shared anonymous memory so in /proc/PID/maps. */
#define SHM_ANON_NAME "/dev/zero (deleted)"

int shm_object_from_handle(pal_handle_t* h, const char* path, bool anonymous,
                           struct libos_file** out) {
    const struct vfs_file_ops* ops = anonymous ? &shm_anon_ops : &shm_file_object_ops;
    struct libos_file* f = vfs_file_new(ops, anonymous ? SHM_ANON_NAME : path, O_RDWR, S_IFREG);

    if (!f)
        return -ENOMEM;
    f->handle = h;
    *out = f;
    return 0;
}

int shm_anon_new(uint64_t size, struct libos_file** out) {
    pal_handle_t* h;
    int ret = pal_mem_shared_open(size, &h);

    if (ret < 0)
        return ret;
    ret = shm_object_from_handle(h, NULL, /*anonymous=*/true, out);
    if (ret < 0)
        pal_stream_close(h);
    return ret;
}

bool shm_file_maps_shared(const struct libos_file* f) {
    if (!f->handle)
        return false;
    if (f->ops == &shm_anon_ops || f->ops == &shm_file_object_ops)
        return true;
    return f->mount && f->mount->ops == &vfs_untrusted_shm_ops && S_ISREG(f->type);
}
