/* Directory listings: taken whole at the first getdents64, merged with mount points. */
#include "vfs.h"

uint8_t vfs_dtype_of_mode(uint32_t mode) {
    return (uint8_t)((mode & S_IFMT) >> 12);
}

int vfs_dir_add(struct vfs_dir_list* list, const char* name, uint64_t ino, uint8_t type) {
    struct vfs_dirent* e;

    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        struct vfs_dirent* entries = realloc(list->entries, cap * sizeof(*entries));

        if (!entries)
            return -ENOMEM;
        list->entries = entries;
        list->cap = cap;
    }
    e = &list->entries[list->count];
    e->name = strdup(name);
    if (!e->name)
        return -ENOMEM;
    e->ino = ino ? ino : 1;
    e->type = type;
    list->count++;
    return 0;
}

bool vfs_dir_has(const struct vfs_dir_list* list, const char* name) {
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->entries[i].name, name) == 0)
            return true;
    }
    return false;
}

void vfs_dir_free(struct vfs_dir_list* list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->entries[i].name);
    free(list->entries);
    memset(list, 0, sizeof(*list));
}

/* ".", "..", what the file system holds, then mount points it does not hold itself. */
static int dir_build(struct libos_file* f, struct vfs_dir_list* list) {
    struct linux_stat st;
    int ret = vfs_file_stat(f, &st);

    if (ret < 0)
        return ret;
    ret = vfs_dir_add(list, ".", st.st_ino, DT_DIR);
    if (ret < 0)
        return ret;
    ret = vfs_dir_add(list, "..", 1, DT_DIR);
    if (ret < 0)
        return ret;
    if (f->ops->list) {
        ret = f->ops->list(f, list);
        if (ret < 0)
            return ret;
    }
    return vfs_mount_children(f->path, list);
}

static size_t dirent_size(const char* name) {
    size_t size = offsetof(struct linux_dirent64, d_name) + strlen(name) + 1;

    return (size + 7) & ~(size_t)7;
}

/* Fills buf with the records from the listing's position on; the file's lock is held. */
static long dir_emit(struct vfs_dir_list* list, uint8_t* buf, size_t size) {
    size_t used = 0;

    while (list->pos < list->count) {
        struct vfs_dirent* e = &list->entries[list->pos];
        size_t rec = dirent_size(e->name);
        struct linux_dirent64* d = (struct linux_dirent64*)(buf + used);

        if (used + rec > size)
            break;
        memset(d, 0, rec);
        d->d_ino = e->ino;
        d->d_off = (int64_t)list->pos + 1;
        d->d_reclen = (uint16_t)rec;
        d->d_type = e->type;
        memcpy(d->d_name, e->name, strlen(e->name) + 1);
        used += rec;
        list->pos++;
    }
    if (used == 0 && list->pos < list->count)
        return -EINVAL;
    return (long)used;
}

long sys_getdents64(int fd, void* buf, size_t size) {
    struct libos_file* f = fd_get(fd);
    struct vfs_dir_list* fresh = NULL;
    long ret;

    if (!f)
        return -EBADF;
    if (!S_ISDIR(f->type)) {
        ret = -ENOTDIR;
        goto out;
    }
    if (!mm_is_accessible((uint64_t)buf, size, PROT_WRITE)) {
        ret = -EFAULT;
        goto out;
    }

    /* Built without the lock held (it may call the host), then installed unless another
     * thread was quicker. */
    if (!__atomic_load_n(&f->dir, __ATOMIC_ACQUIRE)) {
        fresh = calloc(1, sizeof(*fresh));
        if (!fresh) {
            ret = -ENOMEM;
            goto out;
        }
        ret = dir_build(f, fresh);
        if (ret < 0)
            goto out;
    }
    spinlock_lock(&f->lock);
    if (!f->dir) {
        f->dir = fresh;
        fresh = NULL;
    }
    ret = f->dir ? dir_emit(f->dir, buf, size) : -ENOMEM;
    spinlock_unlock(&f->lock);
out:
    if (fresh) {
        vfs_dir_free(fresh);
        free(fresh);
    }
    vfs_file_put(f);
    return ret;
}

/* lseek on a directory: 0 starts a fresh listing, other values are positions getdents64
 * handed out in d_off (as telldir/seekdir use them). */
long vfs_dir_seek(struct libos_file* f, int64_t offset, int whence) {
    struct vfs_dir_list* old = NULL;
    long ret;

    spinlock_lock(&f->lock);
    if (whence == SEEK_CUR && offset == 0) {
        ret = f->dir ? (long)f->dir->pos : 0;
    } else if (whence != SEEK_SET || offset < 0) {
        ret = -EINVAL;
    } else if (offset == 0) {
        old = f->dir;
        f->dir = NULL;
        ret = 0;
    } else if (!f->dir) {
        ret = -EINVAL;
    } else {
        f->dir->pos = (size_t)offset < f->dir->count ? (size_t)offset : f->dir->count;
        ret = offset;
    }
    spinlock_unlock(&f->lock);
    if (old) {
        vfs_dir_free(old);
        free(old);
    }
    return ret;
}

/* ---- Directories that only mount points below them make exist ------------------------------ */

static int virtual_dir_fstat(struct libos_file* f, struct linux_stat* st) {
    vfs_virtual_dir_stat(st);
    return 0;
}

static const struct vfs_file_ops virtual_dir_ops = {
    .seek = vfs_dir_seek,
    .stat = virtual_dir_fstat,
};

int vfs_virtual_dir_open(struct libos_file** out) {
    *out = vfs_file_new(&virtual_dir_ops, NULL, O_RDONLY | O_DIRECTORY, S_IFDIR);
    return *out ? 0 : -ENOMEM;
}

int vfs_host_dir_list(pal_handle_t* handle, struct vfs_dir_list* list,
                      bool (*hidden)(const char* name)) {
    size_t size = 32768;
    uint8_t* buf = malloc(size);
    long n;
    int ret = 0;

    if (!buf)
        return -ENOMEM;
    ret = pal_dir_rewind(handle);
    if (ret < 0)
        goto out;
    while ((n = pal_dir_read(handle, buf, size)) > 0) {
        for (long pos = 0; pos < n;) {
            struct linux_dirent64* d = (struct linux_dirent64*)(buf + pos);

            pos += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
                (hidden && hidden(d->d_name)))
                continue;
            ret = vfs_dir_add(list, d->d_name, d->d_ino, d->d_type);
            if (ret < 0)
                goto out;
        }
    }
    ret = (int)n;
out:
    free(buf);
    return ret;
}
