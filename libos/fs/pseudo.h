/* Table-described pseudo file systems (/proc, /dev): node shapes and the shared operations. */
#ifndef KERNITE_FS_PSEUDO_H
#define KERNITE_FS_PSEUDO_H

#include "vfs.h"

/* What the dynamic names met on the way stand for. */
struct pseudo_ctx {
    int pid;
    int fd;
};

enum pseudo_kind {
    PSEUDO_FILE = 1, /* text made by `text` at open */
    PSEUDO_DIR,      /* `children`, ended by an entry with neither name nor match */
    PSEUDO_LINK,     /* `target`, or `link` (and optionally `magic`) */
    PSEUDO_DEV,      /* character device opened by `open` */
};

struct pseudo_node {
    const char* name; /* NULL: a dynamic entry, recognised by match */
    enum pseudo_kind kind;
    uint32_t perm;
    bool (*match)(const char* name, struct pseudo_ctx* ctx);
    int (*list_names)(const struct pseudo_ctx* ctx, struct vfs_dir_list* list, uint8_t type);
    const struct pseudo_node* children;
    int (*text)(const struct pseudo_ctx* ctx, struct vfs_text* t);
    const char* target;
    long (*link)(const struct pseudo_ctx* ctx, char* buf, size_t size);
    int (*magic)(const struct pseudo_ctx* ctx, struct libos_file** out);
    int (*open)(const struct pseudo_ctx* ctx, int flags, struct libos_file** out);
    uint64_t rdev;
};

int pseudo_lookup(struct vfs_mount* m, const char* rel, struct linux_stat* st);
long pseudo_readlink(struct vfs_mount* m, const char* rel, char* buf, size_t size);
int pseudo_follow_magic(struct vfs_mount* m, const char* rel, struct libos_file** out);
int pseudo_open(struct vfs_mount* m, const char* rel, int flags, uint32_t mode,
                struct libos_file** out);
int pseudo_access(struct vfs_mount* m, const char* rel, int mode);

/* /proc/PID of other guest processes (libos/proc/procfs.c). */
bool procfs_match_other_pid(const char* name, struct pseudo_ctx* ctx);
int procfs_list_other_pids(const struct pseudo_ctx* ctx, struct vfs_dir_list* list,
                           uint8_t type);
extern const struct pseudo_node procfs_other_pid_dir[];

#endif
