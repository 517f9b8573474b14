/* Pure string handling of guest paths, shared by path resolution and its unit test. */
#ifndef KERNITE_FS_PATHNAME_H
#define KERNITE_FS_PATHNAME_H

#include "rt.h"

#define VFS_PATH_MAX 4096

/* A path under construction, kept canonical: "/" or "/a/b" with no trailing slash. */
struct vfs_pathbuf {
    char* s; /* VFS_PATH_MAX bytes, malloc'ed */
    size_t len;
};

/* Starts from a canonical path; -ENOMEM or -ENAMETOOLONG. */
int vfs_pathbuf_init(struct vfs_pathbuf* pb, const char* canon);
/* Appends one component of n bytes. */
int vfs_pathbuf_push(struct vfs_pathbuf* pb, const char* name, size_t n);
/* Drops the last component; "/" stays "/". */
void vfs_pathbuf_pop(struct vfs_pathbuf* pb);
void vfs_pathbuf_reset_root(struct vfs_pathbuf* pb);

/* Joins base and path and removes ".", ".." and repeated slashes, without touching any file
 * system. The result is absolute. Returns 0, -ENAMETOOLONG or -ENOMEM. */
int vfs_path_normalize(const char* base, const char* path, char** out);
/* Last component of a canonical path ("" for "/"). */
const char* vfs_path_basename(const char* path);

#endif
