/* Open file objects: references, the positions the library OS keeps, and the contract calls. */
#include "vfs.h"

_Static_assert(sizeof(struct linux_stat) == sizeof(struct pal_stat),
               "the PAL speaks the Linux stat layout");

struct libos_file* vfs_file_new(const struct vfs_file_ops* ops, const char* path, int flags,
                                uint32_t type) {
    struct libos_file* f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->path = strdup(path ? path : "");
    if (!f->path) {
        free(f);
        return NULL;
    }
    f->refcount = 1;
    f->ops = ops;
    f->flags = flags;
    f->type = type;
    return f;
}

void vfs_file_get_ref(struct libos_file* file) {
    __atomic_add_fetch(&file->refcount, 1, __ATOMIC_RELAXED);
}

void vfs_file_put(struct libos_file* file) {
    if (!file || __atomic_sub_fetch(&file->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (file->ops->release)
        file->ops->release(file);
    if (file->dir) {
        vfs_dir_free(file->dir);
        free(file->dir);
    }
    free(file->path);
    free(file);
}

const char* vfs_file_path(struct libos_file* file) {
    return file->path;
}

void vfs_stat_from_pal(const struct pal_stat* ps, struct linux_stat* st) {
    memcpy(st, ps, sizeof(*st));
}

int vfs_file_stat(struct libos_file* file, struct linux_stat* st) {
    if (!file->ops->stat)
        return -EBADF;
    return file->ops->stat(file, st);
}

long vfs_pread(struct libos_file* file, void* buf, size_t size, uint64_t offset) {
    if (!file->ops->pread)
        return -ESPIPE;
    return file->ops->pread(file, buf, size, offset);
}

int vfs_mmap(struct libos_file* file, uint64_t addr, size_t size, int prot, int flags,
             uint64_t offset) {
    if (!file->ops->mmap)
        return -ENODEV;
    return file->ops->mmap(file, addr, size, prot, flags, offset);
}

/* ---- Files whose position the library OS keeps ----------------------------------------- */

long vfs_generic_read(struct libos_file* f, void* buf, size_t size) {
    uint64_t off;
    long ret;

    spinlock_lock(&f->lock);
    off = f->offset;
    spinlock_unlock(&f->lock);

    ret = f->ops->pread(f, buf, size, off);
    if (ret > 0) {
        spinlock_lock(&f->lock);
        f->offset = off + ret;
        spinlock_unlock(&f->lock);
    }
    return ret;
}

/* O_APPEND writes at the size the file has just before the write. Two threads appending to
 * the same file at once may both pick the same size: the file system serialises nothing
 * across the stat and the write. */
long vfs_generic_write(struct libos_file* f, const void* buf, size_t size) {
    struct linux_stat st;
    uint64_t off;
    long ret;

    spinlock_lock(&f->lock);
    off = f->offset;
    spinlock_unlock(&f->lock);

    if (f->flags & O_APPEND) {
        ret = f->ops->stat(f, &st);
        if (ret < 0)
            return ret;
        off = (uint64_t)st.st_size;
    }
    ret = f->ops->pwrite(f, buf, size, off);
    if (ret > 0) {
        spinlock_lock(&f->lock);
        f->offset = off + ret;
        spinlock_unlock(&f->lock);
    }
    return ret;
}

long vfs_generic_seek(struct libos_file* f, int64_t offset, int whence, uint64_t size) {
    int64_t base;
    long ret;

    spinlock_lock(&f->lock);
    switch (whence) {
        case SEEK_SET:
            base = 0;
            break;
        case SEEK_CUR:
            base = (int64_t)f->offset;
            break;
        case SEEK_END:
            base = (int64_t)size;
            break;
        case SEEK_DATA:
        case SEEK_HOLE:
            /* No holes are tracked: all of the file is data, and its end is the one hole. */
            if (offset < 0 || (uint64_t)offset >= size) {
                ret = -ENXIO;
                goto out;
            }
            base = whence == SEEK_DATA ? 0 : (int64_t)size - offset;
            break;
        default:
            ret = -EINVAL;
            goto out;
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) {
        ret = -EINVAL;
        goto out;
    }
    f->offset = (uint64_t)(base + offset);
    ret = (long)f->offset;
out:
    spinlock_unlock(&f->lock);
    return ret;
}

/* ---- Blocking calls ------------------------------------------------------------------------ */

int vfs_before_block(void) {
    pal_thread_clear_interrupt();
    if (signal_pending())
        return -ERESTARTSYS;
    return 0;
}

/* ---- Text built for pseudo files ------------------------------------------------------------ */

int vfs_text_append(struct vfs_text* t, const char* data, size_t size) {
    if (t->len + size + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        char* buf;

        while (cap < t->len + size + 1)
            cap *= 2;
        buf = realloc(t->buf, cap);
        if (!buf)
            return -ENOMEM;
        t->buf = buf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, size);
    t->len += size;
    t->buf[t->len] = '\0';
    return 0;
}

int vfs_text_printf(struct vfs_text* t, const char* fmt, ...) {
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(line))
        return vfs_text_append(t, line, (size_t)n);

    /* A line longer than the local buffer: format again straight into the text. */
    char* big = malloc((size_t)n + 1);
    int ret;
    if (!big)
        return -ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ret = vfs_text_append(t, big, (size_t)n);
    free(big);
    return ret;
}
