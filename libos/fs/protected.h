/* Protected and trusted files inside the library OS: the key store, the crypto entry guard,
 * encrypted mounts' process-wide hooks and the trusted-file policy of host mounts. */
#ifndef KERNITE_FS_PROTECTED_H
#define KERNITE_FS_PROTECTED_H

#include "pseudo.h"

#define KEY_SIZE     16
#define KEY_NAME_MAX 64 /* bytes of a key name, its NUL included */

/* ---- Key store (keys.c) ----------------------------------------------------------------- */

/* The names the store knows: every fs.insecure__keys.NAME (set to its value) and every key_name
 * of an encrypted mount (unset until the app writes /dev/attestation/keys/NAME). */
int keys_find(const char* name);
/* Copies a key out; -ENOENT for a name the store does not know, -ENOKEY while it is unset. */
int keys_get(const char* name, uint8_t key[KEY_SIZE]);
int keys_set(const char* name, const uint8_t key[KEY_SIZE]);
/* /dev/attestation/keys/NAME, as a dynamic entry of the /dev table: match recognises a known
 * name (its index goes into ctx->fd), list names them all, open gives a file whose read is the
 * 16 raw key bytes and whose write sets the key (16 raw bytes, or 32 hex digits). */
bool keys_dev_match(const char* name, struct pseudo_ctx* ctx);
int keys_dev_list(const struct pseudo_ctx* ctx, struct vfs_dir_list* list, uint8_t type);
int keys_dev_open(const struct pseudo_ctx* ctx, int flags, struct libos_file** out);

/* The keys that are set, as records for a checkpoint: a malloc'ed buffer that the caller
 * releases with keys_checkpoint_free (which wipes it); restore sets them again. */
int keys_checkpoint_save(void** buf, size_t* size);
void keys_checkpoint_free(void* buf, size_t size);
int keys_checkpoint_restore(void* buf, size_t size);

/* ---- Crypto guard (crypto_guard.c) ------------------------------------------------------ */

/* Debian's mbedTLS reads its stack-protector word at %fs:0x28, and the FS base belongs to the
 * app (or is 0 before it runs). crypto_enter points FS at a library-OS block holding a valid
 * word for the duration of a crypto call and returns what to give crypto_leave, which puts the
 * app's FS back. Nesting is harmless. */
uint64_t crypto_enter(void);
void crypto_leave(uint64_t saved_fs);

/* ---- Encrypted mounts (encrypted.c) ----------------------------------------------------- */

/* Flushes every open protected file, so that a forked child that reopens them sees the state
 * the parent has written so far. */
void encrypted_flush_all(void);

/* Fork: flushes every open protected file, so that the child, which reopens them by path, sees
 * what the parent wrote, and puts the key store into the checkpoint as one record of the given
 * type; restore reads that record back in the child before any fd is reopened. */
struct writer;
void encrypted_checkpoint_write(struct writer* w, uint32_t type,
                                void (*put)(struct writer*, uint32_t, const void*, size_t));
int encrypted_checkpoint_restore(void* payload, size_t size);

/* ---- Trusted and allowed files (trusted.c) ---------------------------------------------- */

#define TRUSTED_UNCHECKED 0 /* open it as any host file */
#define TRUSTED_VERIFY    1 /* open it through trusted_open */

/* The policy for opening host_path on a host mount: TRUSTED_UNCHECKED, TRUSTED_VERIFY, or
 * -EACCES for a file the manifest lists nowhere while it lists trusted files. */
int trusted_check_open(const char* host_path, int flags);
/* Opens a trusted file read-only: its whole content is checked against the manifest's SHA-256
 * at the first open, and every 4 KiB chunk again on each read and mapping. */
int trusted_open(const char* host_path, int flags, struct libos_file** out);

#endif
