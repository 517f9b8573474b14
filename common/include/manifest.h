/* The manifest model: an app's whole policy, parsed from TOML and validated against one schema. */
#ifndef KERNITE_MANIFEST_H
#define KERNITE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toml.h"

/*
 * Every string below is already validated. Strings point into the parsed TOML tree or are
 * static defaults; they live as long as the struct manifest. Host paths taken from "file:"
 * URIs are used as written: a relative one ("file:data") is relative to the current directory
 * of the host process that starts Kernite, as in Gramine.
 */

struct manifest_mount {
    const char* type;        /* "chroot", "tmpfs", "encrypted" or "untrusted_shm" */
    const char* path;        /* guest path, absolute */
    const char* uri;         /* "file:/host/path" ("dev:" for untrusted_shm); NULL for tmpfs */
    const char* host_path;   /* uri without its prefix; NULL for tmpfs */
    const char* key_name;    /* encrypted mounts: name of the key ("default" if not given) */
    struct toml_pos pos;     /* where the mount is written; {0, 0} for a default */
    struct toml_pos uri_pos; /* where its uri is written; {0, 0} when none is */
};

struct manifest_env {
    const char* name;
    const char* value; /* NULL when passthrough */
    bool passthrough;  /* take the value from the host environment, if set there */
    struct toml_pos pos;
};

/* An entry of sgx.trusted_files or sgx.allowed_files. A URI ending in "/" names a directory,
 * expanded recursively by whoever uses the list. */
struct manifest_file {
    const char* uri;       /* "file:..." as written */
    const char* host_path; /* uri without "file:" */
    const char* sha256;    /* 64 lowercase or uppercase hex digits, or NULL when not pinned */
    struct toml_pos pos;
};

/* fs.insecure__keys.NAME: a 128-bit key for encrypted mounts, written as 32 hex digits. */
struct manifest_key {
    const char* name;
    uint8_t key[16];
    struct toml_pos pos;
};

struct manifest {
    const char* file;        /* manifest path, for messages (a copy) */
    struct toml_value* root; /* the parsed tree, owned */

    const char* entrypoint; /* libos.entrypoint: guest path, "file:" prefix stripped */
    struct toml_pos entrypoint_pos;
    const char* loader_entrypoint; /* loader.entrypoint as written (Gramine's library OS path);
                                      accepted and not used; NULL if absent */
    char** argv;                   /* loader.argv (points into the tree); NULL if absent */
    size_t argc;
    bool argv_given;
    const char* argv0_override; /* loader.argv0_override (old Gramine key); NULL if absent */
    const char* argv_src_file;  /* loader.argv_src_file URI; NULL if absent (not read yet) */
    const char* env_src_file;   /* loader.env_src_file URI; NULL if absent (not read yet) */
    bool use_cmdline_argv;      /* loader.insecure__use_cmdline_argv */
    bool use_host_env;          /* loader.insecure__use_host_env */
    bool disable_aslr;          /* loader.insecure__disable_aslr */
    struct manifest_env* env;   /* loader.env.NAME, in source order */
    size_t env_count;
    int log_level;              /* loader.log_level as enum log_level; default LOG_ERROR */
    const char* log_level_name; /* loader.log_level as written ("all" means trace) */
    const char* log_file;       /* loader.log_file; NULL means the default stream */
    uint32_t uid;               /* loader.uid, default 0 */
    uint32_t gid;               /* loader.gid, default 0 */

    struct manifest_mount root_mount; /* fs.root; default chroot of host "." at "/" */
    struct manifest_mount* mounts;    /* fs.mounts, in order */
    size_t mount_count;
    const char* start_dir;     /* fs.start_dir, default "/" */
    struct manifest_key* keys; /* fs.insecure__keys.NAME */
    size_t key_count;

    uint64_t stack_size;           /* sys.stack.size, default 8M */
    uint64_t brk_max_size;         /* sys.brk.max_size, default 256M */
    bool enable_sigterm_injection; /* sys.enable_sigterm_injection */
    bool disallow_subprocesses;    /* sys.disallow_subprocesses */
    bool allow_eventfd;            /* sys.insecure__allow_eventfd */
    uint32_t fds_limit;            /* sys.fds.limit, default 900 */
    char** allowed_listen;         /* net.allowed_listen; NULL if absent (no policy) */
    size_t allowed_listen_count;
    bool check_invalid_pointers;   /* libos.check_invalid_pointers, default true */
    bool syscall_rewriting;        /* libos.syscall_rewriting, default true */

    uint64_t enclave_size;          /* sgx.enclave_size; 0 if absent (no limit in direct mode) */
    uint32_t max_threads;           /* sgx.max_threads or sgx.thread_num; 0 = no limit */
    bool sgx_debug;                 /* sgx.debug */
    bool edmm_enable;               /* sgx.edmm_enable */
    const char* remote_attestation; /* sgx.remote_attestation: "none", "epid" or "dcap" */
    uint16_t isvprodid;             /* sgx.isvprodid */
    uint16_t isvsvn;                /* sgx.isvsvn */
    const char* file_check_policy;  /* sgx.file_check_policy: "strict" or "allow_all_but_log" */
    const char* ra_client_spid;     /* sgx.ra_client_spid (EPID); NULL if absent */
    bool ra_client_linkable;        /* sgx.ra_client_linkable (EPID) */
    struct manifest_file* trusted_files; /* sgx.trusted_files */
    size_t trusted_file_count;
    struct manifest_file* allowed_files; /* sgx.allowed_files */
    size_t allowed_file_count;
};

/* Parses and validates a manifest. Returns 0 with *out set, -EINVAL with a one-line message
 * "FILE:LINE:COL: ..." in err (the first problem found), or -ENOMEM. Warnings (experimental
 * keys) go to log_warning. */
int manifest_parse(const char* text, size_t size, const char* file, struct manifest** out,
                   char* err, size_t err_size);

/* Same, but reports every problem (up to a limit) through diag, one line each, without a
 * trailing newline; is_error is false for warnings. */
typedef void (*manifest_diag_fn)(void* ctx, bool is_error, const char* line);
int manifest_parse_diag(const char* text, size_t size, const char* file, struct manifest** out,
                        manifest_diag_fn diag, void* ctx);

void manifest_free(struct manifest* m);

/* Parses a size: decimal digits with an optional K, M, G or T suffix (powers of 1024), e.g.
 * "512M", "2G", "4096", "1K". Returns 0, or -EINVAL for anything else or on overflow. */
int manifest_parse_size(const char* s, uint64_t* out);

/* Writes the effective manifest (defaults filled in) as TOML through the callback. */
void manifest_write_toml(const struct manifest* m, toml_write_fn write, void* ctx);

/* The schema, as data: one row per key. The same table drives validation, `kernite manifest
 * keys` and the generated reference in docs/manifest.md. */
enum manifest_kind {
    MK_STRING, /* any string */
    MK_ENUM,   /* one of spec->allowed */
    MK_BOOL,
    MK_UINT, /* non-negative integer up to spec->max */
    MK_SIZE, /* size string ("512M") or a non-negative integer of bytes */
    MK_URI,  /* "file:..." string */
    MK_MOUNT_URI, /* "file:..." or "dev:..." string; which one the mount type decides */
    MK_PATH, /* absolute guest path, "file:" prefix accepted */
    MK_STRING_ARRAY,
    MK_ENV,   /* string, { value = "..." } or { passthrough = true } */
    MK_MOUNT, /* { type, path, uri, key_name } */
    MK_MOUNT_ARRAY,
    MK_FILE_ARRAY,  /* "file:..." strings or { uri, sha256 } tables */
    MK_ENTRY,       /* "file:..." string or { uri, sha256 } table */
    MK_KEY,         /* 32 hex digits */
    MK_HEX,         /* hex string of any even length, "0x" prefix accepted */
    MK_ATTESTATION, /* "none", "epid", "dcap", or a boolean (old Gramine form) */
    MK_TABLE,       /* any table, not interpreted */
    MK_ARRAY,       /* any array, not interpreted */
};

#define MANIFEST_KEY_REQUIRED    0x1  /* must be present */
#define MANIFEST_KEY_IGNORED     0x2  /* accepted and type-checked; Kernite does not act on it */
#define MANIFEST_KEY_DEPRECATED  0x4  /* old Gramine name, still accepted */
#define MANIFEST_KEY_RELATIVE    0x8  /* MK_PATH: a relative guest path is allowed too */
#define MANIFEST_KEY_UNSUPPORTED 0x10 /* accepted with a warning: Kernite does not implement it */

struct manifest_key_spec {
    const char* pattern; /* dotted key; "*" stands for any one name */
    enum manifest_kind kind;
    const char* default_text;   /* as shown to users; NULL when there is no default */
    const char* const* allowed; /* MK_ENUM: NULL-terminated list */
    uint64_t max;               /* MK_UINT: largest value; MK_HEX: exact digit count or 0 */
    unsigned int flags;
    const char* help;    /* one line */
    size_t offset;       /* where the value lands in struct manifest; 0 if elsewhere */
    size_t size;         /* size of that field */
    size_t count_offset; /* array kinds: where the element count lands */
};

/* Returns the schema table and its length. */
const struct manifest_key_spec* manifest_schema(size_t* count);
/* The fields of the tables a kind takes (MK_MOUNT, MK_MOUNT_ARRAY, MK_ENV, MK_FILE_ARRAY,
 * MK_ENTRY), with offsets into their struct; NULL and 0 for other kinds. */
const struct manifest_key_spec* manifest_schema_fields(enum manifest_kind kind, size_t* count);
/* "a string", "an array of strings", ... as used in messages. */
const char* manifest_kind_describe(enum manifest_kind kind);
/* Short type name for references: "string", "bool", "size", ... */
const char* manifest_kind_name(enum manifest_kind kind);

#endif
