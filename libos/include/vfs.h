/* The library OS's virtual file system: mounts, path resolution, open files and the fd table. */
#ifndef KERNITE_VFS_H
#define KERNITE_VFS_H

#include "libos.h"

#include <linux/fs.h>
#include <linux/stat.h>

/* linux/stat.h leaves these to libc once a libc header has been seen (limits.h may pull one
 * in), so the Linux values are spelt out here. */
#ifndef S_IFMT
#define S_IFMT      0170000
#define S_IFSOCK    0140000
#define S_IFLNK     0120000
#define S_IFREG     0100000
#define S_IFBLK     0060000
#define S_IFDIR     0040000
#define S_IFCHR     0020000
#define S_IFIFO     0010000
#define S_ISLNK(m)  (((m)&S_IFMT) == S_IFLNK)
#define S_ISREG(m)  (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m)&S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)
#endif

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#endif

#ifndef UTIME_NOW
#define UTIME_NOW  ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)
#endif

#ifndef O_ASYNC
#define O_ASYNC FASYNC
#endif

#ifndef VFS_PATH_MAX
#define VFS_PATH_MAX 4096
#endif
#define VFS_NAME_MAX       255
#define VFS_SYMLINK_MAX    40 /* symlinks followed in one resolution, as Linux allows */
#define VFS_DEFAULT_NOFILE 1024

struct vfs_mount;
struct vfs_dir_list;

/* ---- Open files ------------------------------------------------------------------------- */

/* Operations on an open file. A NULL entry means the file does not support it; the VFS then
 * answers with the errno Linux gives for that kind of file. */
struct vfs_file_ops {
    /* At the file's own position, advancing it. */
    long (*read)(struct libos_file* f, void* buf, size_t size);
    long (*write)(struct libos_file* f, const void* buf, size_t size);
    /* At an explicit offset; the position is left alone. */
    long (*pread)(struct libos_file* f, void* buf, size_t size, uint64_t offset);
    long (*pwrite)(struct libos_file* f, const void* buf, size_t size, uint64_t offset);
    long (*seek)(struct libos_file* f, int64_t offset, int whence);
    int (*stat)(struct libos_file* f, struct linux_stat* st);
    int (*truncate)(struct libos_file* f, uint64_t size);
    int (*sync)(struct libos_file* f);
    int (*ioctl)(struct libos_file* f, unsigned int request, uint64_t arg);
    int (*chmod)(struct libos_file* f, uint32_t mode);
    int (*utimens)(struct libos_file* f, const int64_t times[4]);
    int (*mmap)(struct libos_file* f, uint64_t addr, size_t size, int prot, int flags,
                uint64_t offset);
    /* Readiness of a file the library OS serves itself without a host handle (signalfd):
     * the POLL* bits of events ready now; adds to *signals the signals whose arrival changes
     * that. NULL: a pollable host handle asks the host, any other file is always ready. */
    short (*poll)(struct libos_file* f, short events, sigset64_t* signals);
    /* Fills a directory's listing (directories only). */
    int (*list)(struct libos_file* f, struct vfs_dir_list* list);
    /* Frees what the file owns; called once, when the last reference goes. */
    void (*release)(struct libos_file* f);
};

struct libos_file {
    int refcount; /* atomic */
    const struct vfs_file_ops* ops;
    struct vfs_mount* mount;  /* NULL for pipes and stdio */
    char* path;               /* guest path (or a "pipe:[N]" style name); owned */
    int flags;                /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT ... */
    uint32_t type;            /* S_IFMT bits of what is open */
    spinlock_t lock;          /* guards offset and dir */
    uint64_t offset;          /* used by files whose position the library OS keeps */
    pal_handle_t* handle;     /* host stream, if any */
    bool pollable;            /* handle may block: poll asks the host */
    void* data;               /* owned by the file system */
    struct vfs_dir_list* dir; /* directory listing, taken at the first getdents */
};

/* A new file with one reference; path is copied. */
struct libos_file* vfs_file_new(const struct vfs_file_ops* ops, const char* path, int flags,
                                uint32_t type);

/* Position helpers for files whose offset the library OS keeps (tmpfs, pseudo files). */
long vfs_generic_read(struct libos_file* f, void* buf, size_t size);
long vfs_generic_write(struct libos_file* f, const void* buf, size_t size);
long vfs_generic_seek(struct libos_file* f, int64_t offset, int whence, uint64_t size);

/* Files over a host stream (pipes, stdio, host ttys) whose position the host keeps. */
extern const struct vfs_file_ops vfs_stream_ops;
int vfs_stream_file_new(pal_handle_t* h, const char* name, int flags, struct libos_file** out);

/* ---- Directory listings ----------------------------------------------------------------- */

struct vfs_dirent {
    uint64_t ino;
    uint8_t type; /* DT_* */
    char* name;
};

struct vfs_dir_list {
    struct vfs_dirent* entries;
    size_t count, cap;
    size_t pos; /* next entry getdents returns */
};

/* Adds one entry (the name is copied). File systems never list "." and "..": the VFS does. */
int vfs_dir_add(struct vfs_dir_list* list, const char* name, uint64_t ino, uint8_t type);
bool vfs_dir_has(const struct vfs_dir_list* list, const char* name);
/* Lists a host directory handle from its start, leaving out "." and ".." and the names hidden
 * says to (NULL: none). */
int vfs_host_dir_list(pal_handle_t* handle, struct vfs_dir_list* list,
                      bool (*hidden)(const char* name));
/* lseek on a directory file. */
long vfs_dir_seek(struct libos_file* f, int64_t offset, int whence);
void vfs_dir_free(struct vfs_dir_list* list);
uint8_t vfs_dtype_of_mode(uint32_t mode);

/* ---- Mounts ----------------------------------------------------------------------------- */

/* Paths given to these operations are relative to the mount's root: "" is the root itself,
 * otherwise "/a/b". They are canonical: no ".", "..", repeated slashes, and no symlink in any
 * but possibly the last component. A NULL operation means the file system refuses it. */
struct vfs_fs_ops {
    const char* type;
    int (*mount)(struct vfs_mount* m, const char* host_path);
    /* As lstat: never follows a final symlink. */
    int (*lookup)(struct vfs_mount* m, const char* rel, struct linux_stat* st);
    long (*readlink)(struct vfs_mount* m, const char* rel, char* buf, size_t size);
    /* Symlinks of /proc that lead to an object rather than a path (pipes, stdio): returns 1
     * with *out set to a new reference, or 0 when the link is an ordinary one. */
    int (*follow_magic)(struct vfs_mount* m, const char* rel, struct libos_file** out);
    /* The object is not a symlink (or O_CREAT makes a regular file). */
    int (*open)(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                struct libos_file** out);
    int (*mkdir)(struct vfs_mount* m, const char* rel, uint32_t mode);
    int (*rmdir)(struct vfs_mount* m, const char* rel);
    int (*unlink)(struct vfs_mount* m, const char* rel);
    int (*rename)(struct vfs_mount* m, const char* from, const char* to, unsigned int flags);
    int (*symlink)(struct vfs_mount* m, const char* rel, const char* target);
    int (*link)(struct vfs_mount* m, const char* from, const char* to);
    int (*chmod)(struct vfs_mount* m, const char* rel, uint32_t mode);
    int (*utimens)(struct vfs_mount* m, const char* rel, const int64_t times[4], bool follow);
    int (*truncate)(struct vfs_mount* m, const char* rel, uint64_t size);
    int (*access)(struct vfs_mount* m, const char* rel, int mode);
    uint64_t magic; /* statfs f_type */
};

struct vfs_mount {
    const struct vfs_fs_ops* ops;
    char* path;      /* guest path, canonical; "/" for the root */
    size_t path_len; /* 0 for "/" so that prefix tests work unchanged */
    char* host_path; /* chroot mounts */
    bool host_is_file;
    uint64_t dev; /* st_dev of objects on pseudo file systems */
    void* data;   /* file system state */
};

extern const struct vfs_fs_ops vfs_chroot_ops;
extern const struct vfs_fs_ops vfs_tmpfs_ops;
extern const struct vfs_fs_ops vfs_proc_ops;
extern const struct vfs_fs_ops vfs_dev_ops;
extern const struct vfs_fs_ops vfs_encrypted_ops;
extern const struct vfs_fs_ops vfs_untrusted_shm_ops;

/* Host objects behind shared mappings (fs/shm.c). A new MAP_SHARED|MAP_ANONYMOUS object of
 * size bytes; the file that maps an object received from another process (the handle is
 * taken over); and whether a MAP_SHARED mapping of f maps host memory another process can map
 * too, so that a fork passes the object instead of a copy. */
int shm_anon_new(uint64_t size, struct libos_file** out);
int shm_object_from_handle(pal_handle_t* h, const char* path, bool anonymous,
                           struct libos_file** out);
bool shm_file_maps_shared(const struct libos_file* f);

/* Private mappings of host files (fs/chroot.c): whether f is a regular file of a host-directory
 * mount that the host maps itself (neither trusted nor encrypted), so that another process can
 * map the same host file from f's handle; and the file of such a handle received from another
 * process (the handle is taken over), at guest path path, which must be on such a mount. */
bool chroot_file_maps_host(const struct libos_file* f);
int chroot_file_from_handle(pal_handle_t* h, const char* path, struct libos_file** out);

/* Mount whose path is the longest prefix of a canonical guest path; *rel gets the rest. */
struct vfs_mount* vfs_mount_find(const char* path, const char** rel);
/* Lists (into list) the names of mount points directly below a canonical guest dir. */
int vfs_mount_children(const char* dir, struct vfs_dir_list* list);
/* The index-th mount in the table, NULL past the end (for /proc/mounts). */
const struct vfs_mount* vfs_mount_get(size_t index);
/* True if some mount point lies strictly below the canonical guest path (or is it). */
bool vfs_is_mount_ancestor(const char* path);

/* ---- Path resolution -------------------------------------------------------------------- */

#define VFS_FOLLOW    0x1 /* follow a symlink in the last component */
#define VFS_CREATE    0x2 /* a missing last component is fine: resolve its parent */
#define VFS_DIRECTORY 0x4 /* the result must be a directory */

struct vfs_resolved {
    char* path; /* canonical guest path; owned */
    struct vfs_mount* mount;
    const char* rel; /* inside path */
    bool exists;
    bool virtual_dir;         /* only a mount point's ancestor: the file system lacks it */
    bool trailing_slash;      /* the path named a directory explicitly ("name/") */
    struct linux_stat st;     /* valid if exists */
    struct libos_file* magic; /* a /proc fd link led to this object (own reference) */
};

/* Resolves path relative to base (a canonical directory; NULL means the cwd). */
int vfs_resolve(const char* base, const char* path, int flags, struct vfs_resolved* out);
/* Resolves the dirfd and path of an *at syscall (path already copied from the app). */
int vfs_resolve_at(int dirfd, const char* path, int flags, struct vfs_resolved* out);
void vfs_resolved_free(struct vfs_resolved* r);

/* Joins base and path and removes ".", ".." and repeated slashes, without touching any file
 * system. The result is absolute. Returns 0, -ENAMETOOLONG or -ENOMEM. */
int vfs_path_normalize(const char* base, const char* path, char** out);
/* Last component of a canonical path ("" for "/"). */
const char* vfs_path_basename(const char* path);

/* The current directory, canonical; a copy the caller frees. */
char* vfs_cwd_get(void);
int vfs_cwd_set(const char* path);

/* ---- fd table ----------------------------------------------------------------------------- */

/* Installs file at the lowest free fd >= min; takes a reference of its own. */
int fd_install(struct libos_file* file, int min, bool cloexec);
/* Replaces whatever is at fd (dup2 semantics); takes a reference of its own. */
int fd_install_at(int fd, struct libos_file* file, bool cloexec);
/* The file at fd with a new reference, or NULL. */
struct libos_file* fd_get(int fd);
int fd_close(int fd);
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);
/* Largest fd number the table may hold, plus one (RLIMIT_NOFILE). */
int fd_limit(void);
/* Calls fn for every open fd in increasing order, with the table unlocked; the file stays
 * referenced during the call. Used by /proc/self/fd and by checkpointing. */
void fd_for_each(void (*fn)(int fd, struct libos_file* file, bool cloexec, void* ctx), void* ctx);

/* ---- Helpers shared by the syscalls ------------------------------------------------------ */

/* Fills a struct linux_stat from the PAL's layout (identical on x86-64). */
void vfs_stat_from_pal(const struct pal_stat* ps, struct linux_stat* st);
/* Opens a resolved path with open(2) flags: the core of open and openat. */
int vfs_open_resolved(struct vfs_resolved* r, int flags, uint32_t mode, struct libos_file** out);
/* Guards a blocking host call: returns -ERESTARTSYS if a signal is already pending. */
int vfs_before_block(void);
/* Pseudo-file buffer helper: appends formatted text, growing the buffer. */
struct vfs_text {
    char* buf;
    size_t len, cap;
};
int vfs_text_printf(struct vfs_text* t, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int vfs_text_append(struct vfs_text* t, const char* data, size_t size);

/* A directory that exists only because something is mounted below it. */
int vfs_virtual_dir_open(struct libos_file** out);
void vfs_virtual_dir_stat(struct linux_stat* st);

/* Pseudo files with fixed contents taken at open (tmpfs-like read-only snapshot). */
int vfs_buffer_file_new(const char* path, char* data, size_t size, struct libos_file** out);

#endif
