/* Guest path resolution: ".", "..", symlinks and mounts, always in guest space. */
#include "pathname.h"
#include "vfs.h"

static spinlock_t cwd_lock = SPINLOCK_INIT;
static char* cwd_path;

/* Directories the app expects because something is mounted at or below them. */
void vfs_virtual_dir_stat(struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_blksize = 4096;
    st->st_dev = 0xfe;
    st->st_ino = 1;
}

static int lookup_canonical(const char* path, struct vfs_resolved* r) {
    struct vfs_mount* m = vfs_mount_find(path, &r->rel);
    int ret;

    if (!m)
        return -ENOENT;
    r->mount = m;
    r->virtual_dir = false;
    ret = m->ops->lookup(m, r->rel, &r->st);
    if (ret == -ENOENT && vfs_is_mount_ancestor(path)) {
        vfs_virtual_dir_stat(&r->st);
        r->virtual_dir = true;
        ret = 0;
    }
    return ret;
}

/* Replaces the unresolved rest of the path by target + rest; rest is empty or starts with
 * a slash, so a trailing slash is kept exactly when the app wrote one. */
static int splice_link(char** rest, const char** p, const char* target) {
    size_t tlen = strlen(target);
    size_t rlen = strlen(*p);
    char* s = malloc(tlen + rlen + 1);

    if (!s)
        return -ENOMEM;
    memcpy(s, target, tlen);
    memcpy(s + tlen, *p, rlen + 1);
    free(*rest);
    *rest = s;
    *p = s;
    return 0;
}

static int follow_link(struct vfs_mount* m, const char* rel, struct vfs_pathbuf* pb, char** rest,
                       const char** p) {
    char* target = malloc(VFS_PATH_MAX);
    long n;
    int ret;

    if (!target)
        return -ENOMEM;
    n = m->ops->readlink ? m->ops->readlink(m, rel, target, VFS_PATH_MAX - 1) : -EINVAL;
    if (n < 0) {
        ret = (int)n;
        goto out;
    }
    if (n == 0) {
        ret = -ENOENT;
        goto out;
    }
    target[n] = '\0';

    vfs_pathbuf_pop(pb);
    if (target[0] == '/')
        vfs_pathbuf_reset_root(pb);
    ret = splice_link(rest, p, target);
out:
    free(target);
    return ret;
}

static bool only_slashes(const char* p) {
    while (*p == '/')
        p++;
    return *p == '\0';
}

int vfs_resolve(const char* base, const char* path, int flags, struct vfs_resolved* out) {
    struct vfs_pathbuf pb = {0};
    char* cwd = NULL;
    char* rest = NULL;
    const char* p;
    bool have_st = false;
    int links = 0;
    int ret;

    memset(out, 0, sizeof(*out));
    if (!path[0])
        return -ENOENT;
    if (!base && path[0] != '/') {
        cwd = vfs_cwd_get();
        if (!cwd)
            return -ENOMEM;
        base = cwd;
    }
    ret = vfs_pathbuf_init(&pb, path[0] == '/' ? "/" : base);
    if (ret < 0)
        goto out;
    rest = strdup(path);
    if (!rest) {
        ret = -ENOMEM;
        goto out;
    }
    p = rest;

    for (;;) {
        const char* name;
        size_t n;
        bool last;
        bool dir_wanted;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        name = p;
        while (*p && *p != '/')
            p++;
        n = (size_t)(p - name);
        last = only_slashes(p);
        dir_wanted = !last || *p == '/';

        if (n == 1 && name[0] == '.') {
            have_st = false;
            continue;
        }
        if (n == 2 && name[0] == '.' && name[1] == '.') {
            vfs_pathbuf_pop(&pb);
            have_st = false;
            continue;
        }
        if (n > VFS_NAME_MAX) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        ret = vfs_pathbuf_push(&pb, name, n);
        if (ret < 0)
            goto out;

        ret = lookup_canonical(pb.s, out);
        if (ret == -ENOENT && last && (flags & VFS_CREATE)) {
            out->exists = false;
            out->trailing_slash = dir_wanted;
            have_st = true;
            break;
        }
        if (ret < 0)
            goto out;
        have_st = true;
        out->exists = true;

        if (S_ISLNK(out->st.st_mode) && (dir_wanted || (flags & VFS_FOLLOW))) {
            struct vfs_mount* m = out->mount;

            if (++links > VFS_SYMLINK_MAX) {
                ret = -ELOOP;
                goto out;
            }
            if (m->ops->follow_magic) {
                ret = m->ops->follow_magic(m, out->rel, &out->magic);
                if (ret < 0)
                    goto out;
                if (ret == 1) {
                    ret = vfs_file_stat(out->magic, &out->st);
                    if (ret < 0)
                        goto out;
                    if (dir_wanted && !S_ISDIR(out->st.st_mode)) {
                        ret = -ENOTDIR;
                        goto out;
                    }
                    break;
                }
            }
            ret = follow_link(m, out->rel, &pb, &rest, &p);
            if (ret < 0)
                goto out;
            have_st = false;
            continue;
        }
        if (dir_wanted && !S_ISDIR(out->st.st_mode)) {
            ret = -ENOTDIR;
            goto out;
        }
    }

    if (!have_st) {
        ret = lookup_canonical(pb.s, out);
        if (ret < 0)
            goto out;
        out->exists = true;
    }
    if ((flags & VFS_DIRECTORY) && out->exists && !S_ISDIR(out->st.st_mode)) {
        ret = -ENOTDIR;
        goto out;
    }
    out->path = pb.s;
    pb.s = NULL;
    /* rel pointed into the working buffer; point it into the path we hand out. */
    out->rel = out->path + out->mount->path_len;
    if (strcmp(out->rel, "/") == 0)
        out->rel = "";
    ret = 0;
out:
    if (ret < 0 && out->magic) {
        vfs_file_put(out->magic);
        out->magic = NULL;
    }
    free(pb.s);
    free(rest);
    free(cwd);
    return ret;
}

int vfs_resolve_at(int dirfd, const char* path, int flags, struct vfs_resolved* out) {
    struct libos_file* dir;
    int ret;

    if (path[0] == '/' || dirfd == AT_FDCWD)
        return vfs_resolve(NULL, path, flags, out);

    dir = fd_get(dirfd);
    if (!dir)
        return -EBADF;
    if (!S_ISDIR(dir->type) || !dir->mount)
        ret = path[0] ? -ENOTDIR : -ENOENT;
    else
        ret = vfs_resolve(dir->path, path, flags, out);
    vfs_file_put(dir);
    return ret;
}

void vfs_resolved_free(struct vfs_resolved* r) {
    free(r->path);
    if (r->magic)
        vfs_file_put(r->magic);
    memset(r, 0, sizeof(*r));
}

int vfs_realpath(const char* path, char** out) {
    struct vfs_resolved r;
    int ret = vfs_resolve(NULL, path, VFS_FOLLOW, &r);

    if (ret < 0)
        return ret;
    if (r.magic) {
        *out = strdup(vfs_file_path(r.magic));
        vfs_resolved_free(&r);
        return *out ? 0 : -ENOMEM;
    }
    *out = r.path;
    r.path = NULL;
    vfs_resolved_free(&r);
    return 0;
}

char* vfs_cwd_get(void) {
    char* copy;

    spinlock_lock(&cwd_lock);
    copy = strdup(cwd_path ? cwd_path : "/");
    spinlock_unlock(&cwd_lock);
    return copy;
}

int vfs_cwd_set(const char* path) {
    struct vfs_resolved r;
    char* old;
    int ret = vfs_resolve(NULL, path, VFS_FOLLOW | VFS_DIRECTORY, &r);

    if (ret < 0)
        return ret;
    if (r.magic) {
        vfs_resolved_free(&r);
        return -ENOTDIR;
    }
    spinlock_lock(&cwd_lock);
    old = cwd_path;
    cwd_path = r.path;
    spinlock_unlock(&cwd_lock);
    r.path = NULL;
    vfs_resolved_free(&r);
    free(old);
    return 0;
}
