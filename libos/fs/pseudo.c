/* The engine under /proc and /dev: a tree of table-described nodes whose contents are made up
 * when they are opened. */
#include "pseudo.h"

/* ---- Walking the tree --------------------------------------------------------------------- */

static const struct pseudo_node* child_find(const struct pseudo_node* dir, const char* name,
                                            struct pseudo_ctx* ctx) {
    if (!dir->children)
        return NULL;
    for (const struct pseudo_node* c = dir->children; c->name || c->match; c++) {
        if (c->name && strcmp(c->name, name) == 0)
            return c;
    }
    for (const struct pseudo_node* c = dir->children; c->name || c->match; c++) {
        if (!c->name && c->match(name, ctx))
            return c;
    }
    return NULL;
}

/* Walks a canonical rel path, filling ctx with what dynamic names stand for. */
static const struct pseudo_node* walk(struct vfs_mount* m, const char* rel,
                                      struct pseudo_ctx* ctx) {
    const struct pseudo_node* n = m->data;
    char name[VFS_NAME_MAX + 1];
    const char* p = rel;

    memset(ctx, 0, sizeof(*ctx));
    ctx->fd = -1;
    while (*p) {
        const char* start;
        size_t len;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && *p != '/')
            p++;
        len = (size_t)(p - start);
        if (n->kind != PSEUDO_DIR || len > VFS_NAME_MAX)
            return NULL;
        memcpy(name, start, len);
        name[len] = '\0';
        n = child_find(n, name, ctx);
        if (!n)
            return NULL;
    }
    return n;
}

static uint32_t kind_type(enum pseudo_kind kind) {
    switch (kind) {
        case PSEUDO_DIR:
            return S_IFDIR;
        case PSEUDO_LINK:
            return S_IFLNK;
        case PSEUDO_DEV:
            return S_IFCHR;
        default:
            return S_IFREG;
    }
}

/* Inode numbers only need to be stable and distinct: a hash of the path does. */
static uint64_t path_ino(const struct vfs_mount* m, const char* rel) {
    uint64_t h = 1469598103934665603ULL ^ m->dev;

    for (const char* p = rel; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h | 1;
}

static void node_stat(struct vfs_mount* m, const char* rel, const struct pseudo_node* n,
                      struct linux_stat* st) {
    uint64_t ns = 0;

    pal_clock_get(PAL_CLOCK_REALTIME, &ns);
    memset(st, 0, sizeof(*st));
    st->st_dev = m->dev;
    st->st_ino = path_ino(m, rel);
    st->st_mode = kind_type(n->kind) | n->perm;
    st->st_nlink = n->kind == PSEUDO_DIR ? 2 : 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_rdev = n->rdev;
    st->st_blksize = 4096;
    st->st_atime_sec = st->st_mtime_sec = st->st_ctime_sec = ns / 1000000000;
}

int pseudo_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st) {
    struct pseudo_ctx ctx;
    const struct pseudo_node* n = walk(m, rel, &ctx);

    if (!n)
        return -ENOENT;
    node_stat(m, rel, n, st);
    return 0;
}

long pseudo_readlink(struct vfs_mount* m, const char* rel, char* buf, size_t size) {
    struct pseudo_ctx ctx;
    const struct pseudo_node* n = walk(m, rel, &ctx);

    if (!n)
        return -ENOENT;
    if (n->kind != PSEUDO_LINK)
        return -EINVAL;
    if (n->target) {
        size_t len = strlen(n->target);

        len = len < size ? len : size;
        memcpy(buf, n->target, len);
        return (long)len;
    }
    return n->link(&ctx, buf, size);
}

int pseudo_follow_magic(struct vfs_mount* m, const char* rel, struct libos_file** out) {
    struct pseudo_ctx ctx;
    const struct pseudo_node* n = walk(m, rel, &ctx);

    if (!n || n->kind != PSEUDO_LINK || !n->magic)
        return 0;
    return n->magic(&ctx, out);
}

int pseudo_access(struct vfs_mount* m, const char* rel, int mode) {
    struct pseudo_ctx ctx;
    const struct pseudo_node* n = walk(m, rel, &ctx);

    if (!n)
        return -ENOENT;
    if (((mode & W_OK) && !(n->perm & 0222)) || ((mode & X_OK) && !(n->perm & 0111)) ||
        ((mode & R_OK) && !(n->perm & 0444)))
        return -EACCES;
    return 0;
}

/* ---- Open pseudo files -------------------------------------------------------------------- */

struct pseudo_open {
    const struct pseudo_node* node;
    struct pseudo_ctx ctx;
    struct vfs_mount* mount;
    char* rel;
};

static int pseudo_dir_list(struct libos_file* f, struct vfs_dir_list* list) {
    struct pseudo_open* o = f->data;
    int ret = 0;

    for (const struct pseudo_node* c = o->node->children; c && (c->name || c->match); c++) {
        if (c->name)
            ret = vfs_dir_add(list, c->name, 0, vfs_dtype_of_mode(kind_type(c->kind)));
        else if (c->list_names)
            ret = c->list_names(&o->ctx, list, vfs_dtype_of_mode(kind_type(c->kind)));
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int pseudo_dir_stat(struct libos_file* f, struct linux_stat* st) {
    struct pseudo_open* o = f->data;

    node_stat(o->mount, o->rel, o->node, st);
    return 0;
}

static void pseudo_dir_release(struct libos_file* f) {
    struct pseudo_open* o = f->data;

    free(o->rel);
    free(o);
}

static const struct vfs_file_ops pseudo_dir_ops = {
    .seek = vfs_dir_seek,
    .stat = pseudo_dir_stat,
    .list = pseudo_dir_list,
    .release = pseudo_dir_release,
};

static int open_dir(struct vfs_mount* m, const char* rel, const struct pseudo_node* n,
                    const struct pseudo_ctx* ctx, struct libos_file** out) {
    struct pseudo_open* o = calloc(1, sizeof(*o));
    struct libos_file* f;

    if (!o)
        return -ENOMEM;
    o->node = n;
    o->ctx = *ctx;
    o->mount = m;
    o->rel = strdup(rel);
    f = o->rel ? vfs_file_new(&pseudo_dir_ops, NULL, O_RDONLY | O_DIRECTORY, S_IFDIR) : NULL;
    if (!f) {
        free(o->rel);
        free(o);
        return -ENOMEM;
    }
    f->data = o;
    *out = f;
    return 0;
}

int pseudo_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                struct libos_file** out) {
    struct pseudo_ctx ctx;
    const struct pseudo_node* n = walk(m, rel, &ctx);
    struct vfs_text text = {0};
    int ret;

    if (!n)
        return (flags & O_CREAT) ? -EACCES : -ENOENT;
    switch (n->kind) {
        case PSEUDO_DIR:
            return open_dir(m, rel, n, &ctx, out);
        case PSEUDO_DEV:
            return n->open(&ctx, flags, out);
        case PSEUDO_FILE:
            if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
            ret = n->text(&ctx, &text);
            if (ret < 0) {
                free(text.buf);
                return ret;
            }
            return vfs_buffer_file_new(NULL, text.buf, text.len, out);
        default:
            return -ELOOP;
    }
}

/* ---- Read-only snapshots ------------------------------------------------------------------ */

struct buffer_data {
    char* data;
    size_t size;
};

static long buffer_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    struct buffer_data* b = f->data;
    size_t n;

    if (offset >= b->size)
        return 0;
    n = b->size - offset < size ? b->size - offset : size;
    return pal_user_copy(buf, b->data + offset, n) < 0 ? -EFAULT : (long)n;
}

static long buffer_seek(struct libos_file* f, int64_t offset, int whence) {
    struct buffer_data* b = f->data;

    return vfs_generic_seek(f, offset, whence, b->size);
}

/* Like Linux's /proc files: size 0, contents only through read. */
static int buffer_stat(struct libos_file* f, struct linux_stat* st) {
    uint64_t ns = 0;

    pal_clock_get(PAL_CLOCK_REALTIME, &ns);
    memset(st, 0, sizeof(*st));
    st->st_dev = f->mount ? f->mount->dev : 0xfd;
    st->st_ino = (uint64_t)(uintptr_t)f->data;
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = 4096;
    st->st_atime_sec = st->st_mtime_sec = st->st_ctime_sec = ns / 1000000000;
    return 0;
}

static int buffer_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                       uint64_t offset) {
    void* at = (void*)addr;
    int ret = pal_mem_map(&at, size, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_FIXED);

    if (ret < 0)
        return ret;
    buffer_pread(f, at, size, offset);
    return pal_mem_protect(at, size, prot);
}

static void buffer_release(struct libos_file* f) {
    struct buffer_data* b = f->data;

    free(b->data);
    free(b);
}

static const struct vfs_file_ops buffer_ops = {
    .read = vfs_generic_read,
    .pread = buffer_pread,
    .seek = buffer_seek,
    .stat = buffer_stat,
    .mmap = buffer_mmap,
    .release = buffer_release,
};

int vfs_buffer_file_new(const char* path, char* data, size_t size, struct libos_file** out) {
    struct buffer_data* b = malloc(sizeof(*b));
    struct libos_file* f = b ? vfs_file_new(&buffer_ops, path, O_RDONLY, S_IFREG) : NULL;

    if (!f) {
        free(b);
        free(data);
        return -ENOMEM;
    }
    b->data = data;
    b->size = size;
    f->data = b;
    *out = f;
    return 0;
}
