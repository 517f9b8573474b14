/* tmpfs: files, directories and symlinks kept in library OS memory. */
#include "vfs.h"

struct tmpfs_entry;

struct tmpfs_node {
    uint32_t mode; /* type and permission bits */
    uint64_t ino;
    uint32_t nlink; /* names pointing here; directories: 1 while linked */
    int open_count; /* open files */
    struct linux_timespec atime, mtime, ctime;
    union {
        struct {
            uint8_t* data;
            size_t size, cap;
        } file;
        struct tmpfs_entry* entries; /* directories */
        char* target;                /* symlinks */
    };
};

struct tmpfs_entry {
    char* name;
    struct tmpfs_node* node;
    struct tmpfs_entry* next;
};

/* One lock per mount guards all of its nodes; copies of file data happen under it. */
struct tmpfs {
    spinlock_t lock;
    struct tmpfs_node* root;
    uint64_t next_ino;
    uint64_t dev;
};

/* What an open tmpfs file points at. */
struct tmpfs_open {
    struct tmpfs* fs;
    struct tmpfs_node* node;
};

static struct linux_timespec now(void) {
    struct linux_timespec ts = {0, 0};
    uint64_t ns;

    if (pal_clock_get(PAL_CLOCK_REALTIME, &ns) == 0) {
        ts.tv_sec = (int64_t)(ns / 1000000000);
        ts.tv_nsec = (int64_t)(ns % 1000000000);
    }
    return ts;
}

static struct tmpfs_node* node_new(struct tmpfs* fs, uint32_t mode) {
    struct tmpfs_node* n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    n->mode = mode;
    n->ino = ++fs->next_ino;
    n->nlink = 1;
    n->atime = n->mtime = n->ctime = now();
    return n;
}

static void node_free(struct tmpfs_node* n) {
    if (S_ISREG(n->mode))
        free(n->file.data);
    else if (S_ISLNK(n->mode))
        free(n->target);
    free(n);
}

/* Frees a node nothing refers to any more; the lock is held. */
static void node_maybe_free(struct tmpfs_node* n) {
    if (n->nlink == 0 && n->open_count == 0)
        node_free(n);
}

static struct tmpfs_entry* dir_find(struct tmpfs_node* dir, const char* name, size_t len) {
    for (struct tmpfs_entry* e = dir->entries; e; e = e->next) {
        if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return e;
    }
    return NULL;
}

/* Walks a canonical rel path ("" or "/a/b"); the lock is held. */
static struct tmpfs_node* walk(struct tmpfs* fs, const char* rel) {
    struct tmpfs_node* n = fs->root;
    const char* p = rel;

    while (*p) {
        const char* name;
        struct tmpfs_entry* e;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        name = p;
        while (*p && *p != '/')
            p++;
        if (!S_ISDIR(n->mode))
            return NULL;
        e = dir_find(n, name, (size_t)(p - name));
        if (!e)
            return NULL;
        n = e->node;
    }
    return n;
}

/* Finds the directory holding rel's last component; *name points at that component. */
static struct tmpfs_node* walk_parent(struct tmpfs* fs, const char* rel, const char** name) {
    const char* slash = strrchr(rel, '/');
    char* dir;
    struct tmpfs_node* n;

    if (!slash || !slash[1])
        return NULL;
    *name = slash + 1;
    dir = strndup(rel, (size_t)(slash - rel));
    if (!dir)
        return NULL;
    n = walk(fs, dir);
    free(dir);
    return n && S_ISDIR(n->mode) ? n : NULL;
}

static int dir_link(struct tmpfs_node* dir, const char* name, struct tmpfs_node* node) {
    struct tmpfs_entry* e = calloc(1, sizeof(*e));

    if (!e)
        return -ENOMEM;
    e->name = strdup(name);
    if (!e->name) {
        free(e);
        return -ENOMEM;
    }
    e->node = node;
    e->next = dir->entries;
    dir->entries = e;
    dir->mtime = dir->ctime = now();
    return 0;
}

/* Removes the entry and returns its node (whose nlink the caller adjusts). */
static struct tmpfs_node* dir_unlink(struct tmpfs_node* dir, const char* name) {
    for (struct tmpfs_entry** pe = &dir->entries; *pe; pe = &(*pe)->next) {
        struct tmpfs_entry* e = *pe;
        struct tmpfs_node* n;

        if (strcmp(e->name, name) != 0)
            continue;
        *pe = e->next;
        n = e->node;
        free(e->name);
        free(e);
        dir->mtime = dir->ctime = now();
        return n;
    }
    return NULL;
}

static void node_stat(struct tmpfs* fs, struct tmpfs_node* n, struct linux_stat* st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = fs->dev;
    st->st_ino = n->ino;
    st->st_mode = n->mode;
    st->st_nlink = n->nlink;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = 4096;
    if (S_ISREG(n->mode))
        st->st_size = (int64_t)n->file.size;
    else if (S_ISLNK(n->mode))
        st->st_size = (int64_t)strlen(n->target);
    else if (S_ISDIR(n->mode)) {
        st->st_size = 4096;
        st->st_nlink = 2;
        for (struct tmpfs_entry* e = n->entries; e; e = e->next)
            st->st_nlink += S_ISDIR(e->node->mode) ? 1 : 0;
    }
    st->st_blocks = (st->st_size + 511) / 512;
    st->st_atime_sec = (uint64_t)n->atime.tv_sec;
    st->st_atime_nsec = (uint64_t)n->atime.tv_nsec;
    st->st_mtime_sec = (uint64_t)n->mtime.tv_sec;
    st->st_mtime_nsec = (uint64_t)n->mtime.tv_nsec;
    st->st_ctime_sec = (uint64_t)n->ctime.tv_sec;
    st->st_ctime_nsec = (uint64_t)n->ctime.tv_nsec;
}

/* Sets a regular file's size; new bytes read as zero. The lock is held. */
static int file_resize(struct tmpfs_node* n, size_t size) {
    if (size > n->file.cap) {
        size_t cap = n->file.cap ? n->file.cap : 4096;
        uint8_t* data;

        while (cap < size) {
            if (cap > SIZE_MAX / 2)
                return -EFBIG;
            cap *= 2;
        }
        data = realloc(n->file.data, cap);
        if (!data)
            return -ENOSPC;
        n->file.data = data;
        n->file.cap = cap;
    }
    if (size > n->file.size)
        memset(n->file.data + n->file.size, 0, size - n->file.size);
    n->file.size = size;
    n->mtime = n->ctime = now();
    return 0;
}

/* ---- Open files ---------------------------------------------------------------------------- */

static long tmpfs_pread(struct libos_file* f, void* buf, size_t size, uint64_t offset) {
    struct tmpfs_open* o = f->data;
    struct tmpfs_node* n = o->node;
    size_t count = 0;

    spinlock_lock(&o->fs->lock);
    if (offset < n->file.size) {
        count = n->file.size - offset;
        if (count > size)
            count = size;
        /* buf is the app's: another of its threads may unmap it under the copy. */
        if (pal_user_copy(buf, n->file.data + offset, count) < 0)
            count = (size_t)-EFAULT;
    }
    spinlock_unlock(&o->fs->lock);
    return (long)count;
}

static long tmpfs_pwrite(struct libos_file* f, const void* buf, size_t size, uint64_t offset) {
    struct tmpfs_open* o = f->data;
    struct tmpfs_node* n = o->node;
    long ret = (long)size;

    if (size == 0)
        return 0;
    if (offset > INT64_MAX - size)
        return -EFBIG;
    spinlock_lock(&o->fs->lock);
    if (offset + size > n->file.size) {
        int r = file_resize(n, offset + size);

        if (r < 0) {
            ret = r;
            goto out;
        }
    }
    if (pal_user_copy(n->file.data + offset, buf, size) < 0) {
        ret = -EFAULT;
        goto out;
    }
    n->mtime = n->ctime = now();
out:
    spinlock_unlock(&o->fs->lock);
    return ret;
}

static long tmpfs_file_seek(struct libos_file* f, int64_t offset, int whence) {
    struct tmpfs_open* o = f->data;
    uint64_t size;

    if (S_ISDIR(f->type))
        return vfs_dir_seek(f, offset, whence);
    spinlock_lock(&o->fs->lock);
    size = o->node->file.size;
    spinlock_unlock(&o->fs->lock);
    return vfs_generic_seek(f, offset, whence, size);
}

static int tmpfs_fstat(struct libos_file* f, struct linux_stat* st) {
    struct tmpfs_open* o = f->data;

    spinlock_lock(&o->fs->lock);
    node_stat(o->fs, o->node, st);
    spinlock_unlock(&o->fs->lock);
    return 0;
}

static int tmpfs_ftruncate(struct libos_file* f, uint64_t size) {
    struct tmpfs_open* o = f->data;
    int ret;

    if (size > INT64_MAX)
        return -EFBIG;
    spinlock_lock(&o->fs->lock);
    ret = file_resize(o->node, (size_t)size);
    spinlock_unlock(&o->fs->lock);
    return ret;
}

/* Nothing lies below tmpfs to write back to. */
static int tmpfs_fsync(struct libos_file* f) {
    return 0;
}

static void set_times(struct tmpfs_node* n, const int64_t t[4]) {
    struct linux_timespec cur = now();
    struct linux_timespec* dst[2] = {&n->atime, &n->mtime};

    for (int i = 0; i < 2; i++) {
        int64_t ns = t[2 * i + 1];

        if (ns == UTIME_OMIT)
            continue;
        if (ns == UTIME_NOW)
            *dst[i] = cur;
        else
            *dst[i] = (struct linux_timespec){t[2 * i], ns};
    }
    n->ctime = cur;
}

static int tmpfs_fchmod(struct libos_file* f, uint32_t mode) {
    struct tmpfs_open* o = f->data;

    spinlock_lock(&o->fs->lock);
    o->node->mode = (o->node->mode & S_IFMT) | (mode & 07777);
    o->node->ctime = now();
    spinlock_unlock(&o->fs->lock);
    return 0;
}

static int tmpfs_futimens(struct libos_file* f, const int64_t t[4]) {
    struct tmpfs_open* o = f->data;

    spinlock_lock(&o->fs->lock);
    set_times(o->node, t);
    spinlock_unlock(&o->fs->lock);
    return 0;
}

/* The app gets a private copy: writes to a MAP_SHARED mapping of a tmpfs file are not seen by
 * read() and do not reach the file, and later writes to the file are not seen in the map. */
static int tmpfs_mmap(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                      uint64_t offset) {
    void* at = (void*)addr;
    long n;
    int ret = pal_mem_map(&at, size, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_FIXED);

    if (ret < 0)
        return ret;
    n = tmpfs_pread(f, at, size, offset);
    if (n < 0)
        return (int)n;
    return pal_mem_protect(at, size, prot);
}

static int tmpfs_list(struct libos_file* f, struct vfs_dir_list* list) {
    struct tmpfs_open* o = f->data;
    int ret = 0;

    spinlock_lock(&o->fs->lock);
    for (struct tmpfs_entry* e = o->node->entries; e && ret == 0; e = e->next)
        ret = vfs_dir_add(list, e->name, e->node->ino, vfs_dtype_of_mode(e->node->mode));
    spinlock_unlock(&o->fs->lock);
    return ret;
}

static void tmpfs_release(struct libos_file* f) {
    struct tmpfs_open* o = f->data;

    spinlock_lock(&o->fs->lock);
    o->node->open_count--;
    node_maybe_free(o->node);
    spinlock_unlock(&o->fs->lock);
    free(o);
}

static const struct vfs_file_ops tmpfs_file_ops = {
    .read = vfs_generic_read,
    .write = vfs_generic_write,
    .pread = tmpfs_pread,
    .pwrite = tmpfs_pwrite,
    .seek = tmpfs_file_seek,
    .stat = tmpfs_fstat,
    .truncate = tmpfs_ftruncate,
    .sync = tmpfs_fsync,
    .chmod = tmpfs_fchmod,
    .utimens = tmpfs_futimens,
    .mmap = tmpfs_mmap,
    .list = tmpfs_list,
    .release = tmpfs_release,
};

/* ---- The file system -------------------------------------------------------------------- */

static int tmpfs_mount(struct vfs_mount* m, const char* host_path) {
    struct tmpfs* fs = calloc(1, sizeof(*fs));

    if (!fs)
        return -ENOMEM;
    fs->dev = m->dev;
    fs->root = node_new(fs, S_IFDIR | 01777);
    if (!fs->root) {
        free(fs);
        return -ENOMEM;
    }
    m->data = fs;
    return 0;
}

static int tmpfs_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;

    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (n)
        node_stat(fs, n, st);
    spinlock_unlock(&fs->lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_readlink(struct vfs_mount* m, const char* rel, char* buf, size_t size) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;
    long ret = -ENOENT;

    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (n && !S_ISLNK(n->mode))
        ret = -EINVAL;
    else if (n) {
        size_t len = strlen(n->target);

        ret = (long)(len < size ? len : size);
        memcpy(buf, n->target, (size_t)ret);
    }
    spinlock_unlock(&fs->lock);
    return ret;
}

/* Creates a node under rel's parent; the lock is held. */
static int create_locked(struct tmpfs* fs, const char* rel, uint32_t mode,
                         struct tmpfs_node** out) {
    const char* name;
    struct tmpfs_node* dir = walk_parent(fs, rel, &name);
    struct tmpfs_node* n;
    int ret;

    if (!dir)
        return -ENOENT;
    if (strlen(name) > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (dir_find(dir, name, strlen(name)))
        return -EEXIST;
    n = node_new(fs, mode);
    if (!n)
        return -ENOMEM;
    ret = dir_link(dir, name, n);
    if (ret < 0) {
        node_free(n);
        return ret;
    }
    *out = n;
    return 0;
}

static int tmpfs_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                      struct libos_file** out) {
    struct tmpfs* fs = m->data;
    struct tmpfs_open* o = calloc(1, sizeof(*o));
    struct tmpfs_node* n;
    struct libos_file* f;
    int ret = 0;

    if (!o)
        return -ENOMEM;
    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (!n && (flags & O_CREAT))
        ret = create_locked(fs, rel, S_IFREG | (mode & 07777), &n);
    else if (!n)
        ret = -ENOENT;
    if (ret == 0 && S_ISREG(n->mode) && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
        ret = file_resize(n, 0);
    if (ret == 0)
        n->open_count++;
    spinlock_unlock(&fs->lock);
    if (ret < 0) {
        free(o);
        return ret;
    }

    o->fs = fs;
    o->node = n;
    f = vfs_file_new(&tmpfs_file_ops, NULL, flags, n->mode & S_IFMT);
    if (!f) {
        spinlock_lock(&fs->lock);
        n->open_count--;
        node_maybe_free(n);
        spinlock_unlock(&fs->lock);
        free(o);
        return -ENOMEM;
    }
    f->data = o;
    *out = f;
    return 0;
}

static int tmpfs_mkdir(struct vfs_mount* m, const char* rel, uint32_t mode) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;
    int ret;

    spinlock_lock(&fs->lock);
    ret = create_locked(fs, rel, S_IFDIR | (mode & 07777), &n);
    spinlock_unlock(&fs->lock);
    return ret;
}

static int tmpfs_symlink(struct vfs_mount* m, const char* rel, const char* target) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;
    char* copy = strdup(target);
    int ret;

    if (!copy)
        return -ENOMEM;
    spinlock_lock(&fs->lock);
    ret = create_locked(fs, rel, S_IFLNK | 0777, &n);
    if (ret == 0)
        n->target = copy;
    spinlock_unlock(&fs->lock);
    if (ret < 0)
        free(copy);
    return ret;
}

static int remove_locked(struct tmpfs* fs, const char* rel, bool dir) {
    const char* name;
    struct tmpfs_node* parent = walk_parent(fs, rel, &name);
    struct tmpfs_entry* e = parent ? dir_find(parent, name, strlen(name)) : NULL;
    struct tmpfs_node* n;

    if (!e)
        return -ENOENT;
    n = e->node;
    if (dir && !S_ISDIR(n->mode))
        return -ENOTDIR;
    if (!dir && S_ISDIR(n->mode))
        return -EISDIR;
    if (dir && n->entries)
        return -ENOTEMPTY;
    dir_unlink(parent, name);
    n->nlink--;
    n->ctime = now();
    node_maybe_free(n);
    return 0;
}

static int tmpfs_rmdir(struct vfs_mount* m, const char* rel) {
    struct tmpfs* fs = m->data;
    int ret;

    spinlock_lock(&fs->lock);
    ret = remove_locked(fs, rel, /*dir=*/true);
    spinlock_unlock(&fs->lock);
    return ret;
}

static int tmpfs_unlink(struct vfs_mount* m, const char* rel) {
    struct tmpfs* fs = m->data;
    int ret;

    spinlock_lock(&fs->lock);
    ret = remove_locked(fs, rel, /*dir=*/false);
    spinlock_unlock(&fs->lock);
    return ret;
}

/* May the node `from` replace `to` (Linux's rules for rename over an existing name)? */
static int replace_allowed(struct tmpfs_node* from, struct tmpfs_node* to) {
    if (S_ISDIR(from->mode) && !S_ISDIR(to->mode))
        return -ENOTDIR;
    if (!S_ISDIR(from->mode) && S_ISDIR(to->mode))
        return -EISDIR;
    if (S_ISDIR(to->mode) && to->entries)
        return -ENOTEMPTY;
    return 0;
}

static int rename_locked(struct tmpfs* fs, const char* from, const char* to, unsigned int flags) {
    const char *fname, *tname;
    struct tmpfs_node* fdir = walk_parent(fs, from, &fname);
    struct tmpfs_node* tdir = walk_parent(fs, to, &tname);
    struct tmpfs_entry* fe = fdir ? dir_find(fdir, fname, strlen(fname)) : NULL;
    struct tmpfs_entry* te;
    size_t flen = strlen(from);
    int ret;

    if (!fe || !tdir)
        return -ENOENT;
    if (strlen(tname) > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    /* A directory cannot move below itself. */
    if (strncmp(to, from, flen) == 0 && to[flen] == '/')
        return -EINVAL;
    te = dir_find(tdir, tname, strlen(tname));
    if (te == fe)
        return 0;
    if (flags & RENAME_EXCHANGE) {
        struct tmpfs_node* tmp;

        if (!te)
            return -ENOENT;
        tmp = fe->node;
        fe->node = te->node;
        te->node = tmp;
        return 0;
    }
    if (te) {
        struct tmpfs_node* old = te->node;

        ret = replace_allowed(fe->node, old);
        if (ret < 0)
            return ret;
        te->node = fe->node;
        dir_unlink(fdir, fname);
        old->nlink--;
        node_maybe_free(old);
        return 0;
    }
    ret = dir_link(tdir, tname, fe->node);
    if (ret < 0)
        return ret;
    dir_unlink(fdir, fname);
    return 0;
}

static int tmpfs_rename(struct vfs_mount* m, const char* from, const char* to, unsigned int flags) {
    struct tmpfs* fs = m->data;
    int ret;

    spinlock_lock(&fs->lock);
    ret = rename_locked(fs, from, to, flags);
    spinlock_unlock(&fs->lock);
    return ret;
}

static int tmpfs_link(struct vfs_mount* m, const char* from, const char* to) {
    struct tmpfs* fs = m->data;
    const char* name;
    struct tmpfs_node* src;
    struct tmpfs_node* dir;
    int ret;

    spinlock_lock(&fs->lock);
    src = walk(fs, from);
    dir = walk_parent(fs, to, &name);
    if (!src || !dir)
        ret = -ENOENT;
    else if (S_ISDIR(src->mode))
        ret = -EPERM;
    else if (dir_find(dir, name, strlen(name)))
        ret = -EEXIST;
    else
        ret = dir_link(dir, name, src);
    if (ret == 0) {
        src->nlink++;
        src->ctime = now();
    }
    spinlock_unlock(&fs->lock);
    return ret;
}

static int tmpfs_chmod(struct vfs_mount* m, const char* rel, uint32_t mode) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;

    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (n) {
        n->mode = (n->mode & S_IFMT) | (mode & 07777);
        n->ctime = now();
    }
    spinlock_unlock(&fs->lock);
    return n ? 0 : -ENOENT;
}

static int tmpfs_utimens(struct vfs_mount* m, const char* rel, const int64_t t[4], bool follow) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;

    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (n)
        set_times(n, t);
    spinlock_unlock(&fs->lock);
    return n ? 0 : -ENOENT;
}

static int tmpfs_truncate(struct vfs_mount* m, const char* rel, uint64_t size) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;
    int ret;

    if (size > INT64_MAX)
        return -EFBIG;
    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    if (!n)
        ret = -ENOENT;
    else if (!S_ISREG(n->mode))
        ret = S_ISDIR(n->mode) ? -EISDIR : -EINVAL;
    else
        ret = file_resize(n, (size_t)size);
    spinlock_unlock(&fs->lock);
    return ret;
}

/* The app is the owner of everything in tmpfs: the owner's bits decide, except that root
 * may read and write anything and execute what has any x bit. */
static int tmpfs_access(struct vfs_mount* m, const char* rel, int mode) {
    struct tmpfs* fs = m->data;
    struct tmpfs_node* n;
    uint32_t perm;
    bool root = g_process.euid == 0;
    int ret = 0;

    spinlock_lock(&fs->lock);
    n = walk(fs, rel);
    perm = n ? n->mode : 0;
    spinlock_unlock(&fs->lock);
    if (!n)
        return -ENOENT;
    if ((mode & X_OK) && !(perm & (root ? 0111 : 0100)))
        ret = -EACCES;
    if (!root && (((mode & R_OK) && !(perm & 0400)) || ((mode & W_OK) && !(perm & 0200))))
        ret = -EACCES;
    return ret;
}

const struct vfs_fs_ops vfs_tmpfs_ops = {
    .type = "tmpfs",
    .mount = tmpfs_mount,
    .lookup = tmpfs_lookup,
    .readlink = tmpfs_readlink,
    .open = tmpfs_open,
    .mkdir = tmpfs_mkdir,
    .rmdir = tmpfs_rmdir,
    .unlink = tmpfs_unlink,
    .rename = tmpfs_rename,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .chmod = tmpfs_chmod,
    .utimens = tmpfs_utimens,
    .truncate = tmpfs_truncate,
    .access = tmpfs_access,
    .magic = 0x01021994,
};
