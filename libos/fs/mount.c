/* The mount table: the manifest's mounts plus /proc and /dev, and start-up of the VFS. */
#include "errstr.h"
#include "manifest.h"
#include "toml.h"
#include "vfs.h"

#define MOUNT_MAX 64

/* Mount types a manifest may name, as data. */
static const struct vfs_fs_ops* const fs_types[] = {
    &vfs_chroot_ops,
    &vfs_tmpfs_ops,
    &vfs_encrypted_ops,
    &vfs_untrusted_shm_ops,
};

/* File systems every process has, whatever the manifest says. */
static const struct {
    const char* path;
    const struct vfs_fs_ops* ops;
    bool yields; /* left out when the manifest mounts something at the same path */
} builtin_mounts[] = {
    {"/proc", &vfs_proc_ops, false},
    {"/dev", &vfs_dev_ops, false},
    {"/dev/shm", &vfs_tmpfs_ops, true},
};

static bool mount_path_taken(const char* path) {
    const char* rel;
    struct vfs_mount* m = vfs_mount_find(path, &rel);

    return m && !rel[0];
}

/* Written only by vfs_init, before any app thread runs; read without a lock afterwards. */
static struct vfs_mount mounts[MOUNT_MAX];
static size_t mount_count;

static bool is_prefix_dir(const char* prefix, size_t len, const char* path) {
    return strncmp(prefix, path, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

struct vfs_mount* vfs_mount_find(const char* path, const char** rel) {
    struct vfs_mount* best = NULL;

    for (size_t i = 0; i < mount_count; i++) {
        struct vfs_mount* m = &mounts[i];

        if (!is_prefix_dir(m->path, m->path_len, path))
            continue;
        if (!best || m->path_len >= best->path_len)
            best = m;
    }
    if (best && rel)
        *rel = path + best->path_len;
    if (best && rel && strcmp(*rel, "/") == 0)
        *rel = "";
    return best;
}

bool vfs_is_mount_ancestor(const char* path) {
    size_t len = strcmp(path, "/") == 0 ? 0 : strlen(path);

    for (size_t i = 0; i < mount_count; i++) {
        if (mounts[i].path_len > len && is_prefix_dir(path, len, mounts[i].path))
            return true;
    }
    return false;
}

int vfs_mount_children(const char* dir, struct vfs_dir_list* list) {
    size_t len = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
    char name[VFS_NAME_MAX + 1];

    for (size_t i = 0; i < mount_count; i++) {
        const char* mp = mounts[i].path;
        const char* end;
        size_t n;
        uint8_t type = DT_DIR;
        int ret;

        if (mounts[i].path_len <= len || !is_prefix_dir(dir, len, mp))
            continue;
        mp += len + 1;
        end = strchr(mp, '/');
        n = end ? (size_t)(end - mp) : strlen(mp);
        if (n == 0 || n > VFS_NAME_MAX)
            continue;
        memcpy(name, mp, n);
        name[n] = '\0';
        if (vfs_dir_has(list, name))
            continue;
        if (!end && mounts[i].host_is_file)
            type = DT_REG;
        ret = vfs_dir_add(list, name, 0, type);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static const struct vfs_fs_ops* fs_type_find(const char* name) {
    for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++) {
        if (strcmp(fs_types[i]->type, name) == 0)
            return fs_types[i];
    }
    return NULL;
}

/* Adds one mount; host_path may be NULL. Messages name the manifest position (pos). */
static int mount_add(const char* path, const struct vfs_fs_ops* ops, const char* host_path,
                     const char* file, struct toml_pos pos) {
    struct vfs_mount* m;
    char* canon = NULL;
    int ret;

    if (mount_count == MOUNT_MAX) {
        log_error("%s:%d:%d: more than %d mounts", file, pos.line, pos.col, MOUNT_MAX);
        return -ENOMEM;
    }
    ret = vfs_path_normalize("/", path, &canon);
    if (ret < 0)
        return ret;

    m = &mounts[mount_count];
    memset(m, 0, sizeof(*m));
    m->ops = ops;
    m->path = canon;
    m->path_len = strcmp(canon, "/") == 0 ? 0 : strlen(canon);
    m->dev = 0x100 + mount_count;
    ret = ops->mount(m, host_path);
    if (ret < 0) {
        if (host_path)
            log_error("%s:%d:%d: cannot mount host path '%s' at '%s': %s", file, pos.line,
                      pos.col, host_path, canon, errstr(-ret));
        else
            log_error("%s:%d:%d: cannot mount %s at '%s': %s", file, pos.line, pos.col,
                      ops->type, canon, errstr(-ret));
        free(canon);
        return ret;
    }
    mount_count++;
    return 0;
}

static int mount_from_manifest(const struct manifest* mf, const struct manifest_mount* mm) {
    const struct vfs_fs_ops* ops = fs_type_find(mm->type);

    if (!ops) {
        log_error("%s:%d:%d: mount type '%s' at '%s' is not supported", mf->file, mm->pos.line,
                  mm->pos.col, mm->type, mm->path);
        return -EINVAL;
    }
    return mount_add(mm->path, ops, mm->host_path, mf->file,
                     mm->uri_pos.line ? mm->uri_pos : mm->pos);
}

static int open_stdio(void) {
    static const char* const names[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};

    for (int i = 0; i < 3; i++) {
        pal_handle_t* h;
        struct libos_file* f;
        int ret = pal_stdio_open(i, &h);

        /* The host may have started us with a standard descriptor closed: leave it closed. */
        if (ret < 0)
            continue;
        ret = vfs_stream_file_new(h, names[i], O_RDWR, &f);
        if (ret < 0) {
            pal_stream_close(h);
            return ret;
        }
        ret = fd_install_at(i, f, /*cloexec=*/false);
        vfs_file_put(f);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int vfs_init(const struct manifest* mf) {
    struct toml_pos none = {0, 0};
    int ret;

    ret = mount_from_manifest(mf, &mf->root_mount);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < mf->mount_count; i++) {
        ret = mount_from_manifest(mf, &mf->mounts[i]);
        if (ret < 0)
            return ret;
    }
    for (size_t i = 0; i < sizeof(builtin_mounts) / sizeof(builtin_mounts[0]); i++) {
        if (builtin_mounts[i].yields && mount_path_taken(builtin_mounts[i].path))
            continue;
        ret = mount_add(builtin_mounts[i].path, builtin_mounts[i].ops, NULL, mf->file, none);
        if (ret < 0)
            return ret;
    }

    ret = vfs_cwd_set(mf->start_dir ? mf->start_dir : "/");
    if (ret < 0) {
        /* Where fs.start_dir is written, or the root mount's line when it is the default. */
        const struct toml_value* at = toml_get_path(mf->root, "fs.start_dir");
        struct toml_pos pos = at ? at->pos : mf->root_mount.pos;
        log_error("%s:%d:%d: key 'fs.start_dir': cannot enter '%s' (in the mounts given): %s",
                  mf->file, pos.line, pos.col, mf->start_dir ? mf->start_dir : "/", errstr(-ret));
        return ret;
    }
    return open_stdio();
}

const struct vfs_mount* vfs_mount_get(size_t index) {
    return index < mount_count ? &mounts[index] : NULL;
}
