/* Guest path strings: canonical path building and normalisation, with no file system access. */
#include <linux/errno.h>

#include "pathname.h"

int vfs_pathbuf_init(struct vfs_pathbuf* pb, const char* canon) {
    pb->s = malloc(VFS_PATH_MAX);
    if (!pb->s)
        return -ENOMEM;
    pb->len = strlen(canon);
    if (pb->len >= VFS_PATH_MAX) {
        free(pb->s);
        return -ENAMETOOLONG;
    }
    memcpy(pb->s, canon, pb->len + 1);
    return 0;
}

int vfs_pathbuf_push(struct vfs_pathbuf* pb, const char* name, size_t n) {
    size_t sep = pb->len > 1 ? 1 : 0;

    if (pb->len + sep + n >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    if (sep)
        pb->s[pb->len++] = '/';
    memcpy(pb->s + pb->len, name, n);
    pb->len += n;
    pb->s[pb->len] = '\0';
    return 0;
}

void vfs_pathbuf_pop(struct vfs_pathbuf* pb) {
    while (pb->len > 1 && pb->s[pb->len - 1] != '/')
        pb->len--;
    if (pb->len > 1)
        pb->len--;
    pb->s[pb->len] = '\0';
}

void vfs_pathbuf_reset_root(struct vfs_pathbuf* pb) {
    pb->s[0] = '/';
    pb->s[1] = '\0';
    pb->len = 1;
}

int vfs_path_normalize(const char* base, const char* path, char** out) {
    struct vfs_pathbuf pb;
    const char* p = path;
    int ret = vfs_pathbuf_init(&pb, path[0] == '/' ? "/" : base);

    if (ret < 0)
        return ret;
    while (*p) {
        const char* name;
        size_t n;

        while (*p == '/')
            p++;
        name = p;
        while (*p && *p != '/')
            p++;
        n = (size_t)(p - name);
        if (n == 0 || (n == 1 && name[0] == '.'))
            continue;
        if (n == 2 && name[0] == '.' && name[1] == '.') {
            vfs_pathbuf_pop(&pb);
            continue;
        }
        ret = vfs_pathbuf_push(&pb, name, n);
        if (ret < 0) {
            free(pb.s);
            return ret;
        }
    }
    *out = pb.s;
    return 0;
}

const char* vfs_path_basename(const char* path) {
    const char* slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}
