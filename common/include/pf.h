/* Protected files: an encrypted, integrity-checked file format (the Gramine / Intel SGX SDK
 * protected-files layout, see docs/protected-files.md) over any host storage reached through
 * callbacks. Functions return 0 or a negative errno: -EACCES when authentication fails (wrong
 * key, tampering, truncation, extension, a file bound to another path), -EIO when the host
 * storage fails, -EINVAL for bad arguments. After a failed flush a handle only reports -EIO. */
#ifndef KERNITE_PF_H
#define KERNITE_PF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_NODE_SIZE 4096
#define PF_KEY_SIZE  16
#define PF_PATH_SIZE 772 /* bytes for the bound path, its terminating NUL included */

/* Access to one host file. read and write transfer exactly size bytes or fail; read of a range
 * past the end fails. flush must return only once earlier writes are durable (for a crash of
 * the process, once they reached the host OS; for power loss, fsync). Each returns 0 or -errno
 * (any error is reported to the caller of the pf function as -EIO). */
struct pf_host_ops {
    int (*read)(void* file, uint64_t offset, void* buf, size_t size);
    int (*write)(void* file, uint64_t offset, const void* buf, size_t size);
    int (*truncate)(void* file, uint64_t size);
    int (*flush)(void* file);
    int (*get_size)(void* file, uint64_t* size);
};

/* The protected file and, optionally, a journal file next to it (same ops) that makes each
 * flush all-or-nothing across a crash; with journal NULL a crash during a flush can leave the
 * file failing authentication (see docs/protected-files.md, "Crash consistency"). */
struct pf_host {
    const struct pf_host_ops* ops;
    void* file;
    void* journal;
};

enum pf_mode {
    PF_MODE_READ,   /* existing file, read only */
    PF_MODE_WRITE,  /* existing file, read and write */
    PF_MODE_CREATE, /* new file: the host file is truncated and an empty protected file written */
};

struct pf_file;

/* path is the name the file is bound to (the path the guest sees); opening it under another
 * name fails with -EACCES. key is the file's key-derivation key. A journal left by a crash is
 * applied (rolled back) before the file is read, whatever the mode. */
int pf_open(const struct pf_host* host, const char* path, const uint8_t key[PF_KEY_SIZE],
            enum pf_mode mode, struct pf_file** pf);

/* Reads up to size bytes at offset; *done is less than size only at the end of the file. */
int pf_read(struct pf_file* pf, uint64_t offset, void* buf, size_t size, size_t* done);

/* Writes all of buf at offset, extending the file (with zeros up to offset) if needed. */
int pf_write(struct pf_file* pf, uint64_t offset, const void* buf, size_t size);

int pf_get_size(struct pf_file* pf, uint64_t* size);
int pf_set_size(struct pf_file* pf, uint64_t size);

/* Makes every change so far durable, as one step when there is a journal. Writes also flush on
 * their own when the node cache fills with changed nodes. */
int pf_flush(struct pf_file* pf);

/* Binds the file to a new path and flushes; the caller renames the host file. */
int pf_rename(struct pf_file* pf, const char* new_path);

/* Flushes (if writable), wipes keys and plaintext and frees the handle, even when the flush
 * fails; returns the flush's result. */
int pf_close(struct pf_file* pf);

/* A short description of a pf error for messages, such as "authentication failed". */
const char* pf_strerror(int err);

#endif
