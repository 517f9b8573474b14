/* The manifest schema as data: every key Kernite accepts, its type, default and meaning. */
#include "manifest.h"

#include "rt.h"

#define FIELD(type, name)  .offset = offsetof(type, name), .size = sizeof(((type*)0)->name)
#define M(name)            FIELD(struct manifest, name)
#define LIST(items, count) M(items), .count_offset = offsetof(struct manifest, count)
#define IGNORED            MANIFEST_KEY_IGNORED
#define OLD                (MANIFEST_KEY_DEPRECATED)
#define COUNT(array)       (sizeof(array) / sizeof((array)[0]))
#define NO_FIELD           .offset = 0 /* not stored in the model */

static const char* const g_log_levels[] = {"none",  "error", "warning", "debug",
                                           "trace", "all",   NULL};
static const char* const g_mount_types[] = {"chroot", "tmpfs", "encrypted", "untrusted_shm", NULL};
static const char* const g_file_check_policies[] = {"strict", "allow_all_but_log", NULL};
static const char* const g_attestation_types[] = {"none", "epid", "dcap", NULL};
static const char* const g_profile_enable[] = {"none", "main", "all", NULL};
static const char* const g_profile_mode[] = {"aex", "ocall_inner", "ocall_outer", NULL};

/*
 * The order of rows is the order of `kernite manifest keys`, `kernite manifest show` and the
 * generated reference. Rows marked IGNORED are Gramine keys that Kernite type-checks but does
 * not act on yet (mostly SGX details that matter only to the SGX backend).
 */
static const struct manifest_key_spec g_schema[] = {
    /* What to run. */
    {"libos.entrypoint", MK_PATH, NULL, NULL, 0, MANIFEST_KEY_REQUIRED | MANIFEST_KEY_RELATIVE,
     "program to run: a guest path (relative ones start at fs.start_dir); \"file:\" accepted",
     M(entrypoint)},
    {"loader.entrypoint", MK_ENTRY, NULL, NULL, 0, IGNORED,
     "Gramine's library OS URI or { uri, sha256 }; accepted, Kernite always uses its own",
     M(loader_entrypoint)},
    {"loader.argv", MK_STRING_ARRAY, NULL, NULL, 0, 0,
     "argv of the program; when absent, argv is [libos.entrypoint]", LIST(argv, argc)},
    {"loader.insecure__use_cmdline_argv", MK_BOOL, "false", NULL, 0, 0,
     "take argv from the host command line (the host controls it)", M(use_cmdline_argv)},
    {"loader.argv_src_file", MK_URI, NULL, NULL, 0, MANIFEST_KEY_UNSUPPORTED,
     "file with serialized argv; accepted with a warning, not read yet", M(argv_src_file)},
    {"loader.argv0_override", MK_STRING, NULL, NULL, 0, OLD, "old Gramine key: replaces argv[0]",
     M(argv0_override)},

    /* Environment. */
    {"loader.env.*", MK_ENV, NULL, NULL, 0, 0,
     "sets variable NAME: \"value\", { value = \"...\" } or { passthrough = true } (from host)",
     LIST(env, env_count)},
    {"loader.insecure__use_host_env", MK_BOOL, "false", NULL, 0, 0,
     "pass the whole host environment to the program (the host controls it)", M(use_host_env)},
    {"loader.env_src_file", MK_URI, NULL, NULL, 0, MANIFEST_KEY_UNSUPPORTED,
     "file with a serialized environment; accepted with a warning, not read yet", M(env_src_file)},

    /* Identity and diagnostics. */
    {"loader.log_level", MK_ENUM, "error", g_log_levels, 0, 0,
     "which messages Kernite prints; \"all\" is the same as \"trace\"", M(log_level_name)},
    {"loader.log_file", MK_STRING, NULL, NULL, 0, 0,
     "host file the messages are appended to instead of stderr", M(log_file)},
    {"loader.uid", MK_UINT, "0", NULL, UINT32_MAX, 0, "user ID the program sees", M(uid)},
    {"loader.gid", MK_UINT, "0", NULL, UINT32_MAX, 0, "group ID the program sees", M(gid)},
    {"loader.insecure__disable_aslr", MK_BOOL, "false", NULL, 0, 0,
     "accepted for compatibility; addresses are not randomised yet, so the program and its "
     "mappings always load at the same addresses",
     M(disable_aslr)},
    {"loader.preload", MK_STRING, NULL, NULL, 0, OLD | IGNORED,
     "old Gramine key: library OS URI for Gramine 1.0; not used", NO_FIELD},
    {"loader.pal_internal_mem_size", MK_SIZE, NULL, NULL, 0, OLD | IGNORED,
     "old Gramine key: extra internal memory; no longer needed", NO_FIELD},
    {"libos.check_invalid_pointers", MK_BOOL, "true", NULL, 0, 0,
     "return EFAULT for bad pointers passed to syscalls instead of faulting",
     M(check_invalid_pointers)},
    {"libos.syscall_rewriting", MK_BOOL, "true", NULL, 0, 0,
     "patch the app's syscall instructions on first use into calls to the library OS; false "
     "keeps every syscall on the trap path (the environment variable "
     "KERNITE_SYSCALL_REWRITING=0 does the same without editing the manifest)",
     M(syscall_rewriting)},

    /* File systems. */
    {"fs.root", MK_MOUNT, "{ type = \"chroot\", uri = \"file:.\" }", NULL, 0, 0,
     "what the guest sees at \"/\": a table { type, uri }", M(root_mount)},
    {"fs.mounts", MK_MOUNT_ARRAY, NULL, NULL, 0, 0,
     "mounts in order: { type = \"chroot\"|\"tmpfs\"|\"encrypted\"|\"untrusted_shm\", path, uri, "
     "key_name }",
     LIST(mounts, mount_count)},
    {"fs.start_dir", MK_PATH, "/", NULL, 0, 0, "initial working directory (guest path)",
     M(start_dir)},
    {"fs.insecure__keys.*", MK_KEY, NULL, NULL, 0, 0,
     "key NAME for encrypted mounts, 32 hex digits written in the manifest (debugging only)",
     LIST(keys, key_count)},
    {"fs.experimental__enable_sysfs_topology", MK_BOOL, NULL, NULL, 0, OLD | IGNORED,
     "old Gramine key: sysfs topology is always present", NO_FIELD},

    /* Process limits and behaviour. */
    {"sys.stack.size", MK_SIZE, "8M", NULL, 0, 0,
     "stack size of the main thread and of each new thread", M(stack_size)},
    {"sys.brk.max_size", MK_SIZE, "256M", NULL, 0, 0, "largest program break (brk heap)",
     M(brk_max_size)},
    {"sys.enable_sigterm_injection", MK_BOOL, "false", NULL, 0, 0,
     "let one SIGTERM from the host reach the program", M(enable_sigterm_injection)},
    {"sys.disallow_subprocesses", MK_BOOL, "false", NULL, 0, 0,
     "make fork, clone of a process and vfork fail", M(disallow_subprocesses)},
    {"sys.insecure__allow_eventfd", MK_BOOL, "false", NULL, 0, 0,
     "accepted for compatibility; the direct backend always allows eventfd and eventfd2 (host "
     "counters)",
     M(allow_eventfd)},
    {"net.allowed_listen", MK_STRING_ARRAY, NULL, NULL, 0, 0,
     "when present, the only \"ADDR:PORT\" endpoints sockets may listen on (ADDR: IPv4, [IPv6] "
     "or *; PORT: number or *)",
     LIST(allowed_listen, allowed_listen_count)},
    {"sys.fds.limit", MK_UINT, "900", NULL, 1u << 20, 0, "largest number of open file descriptors",
     M(fds_limit)},
    {"sys.enable_extra_runtime_domain_names_conf", MK_BOOL, "false", NULL, 0, IGNORED,
     "give the guest the host's hostname and /etc/resolv.conf", NO_FIELD},
    {"sys.experimental__enable_flock", MK_BOOL, "false", NULL, 0, IGNORED,
     "Gramine's experimental flock support", NO_FIELD},
    {"sys.ioctl_structs.*", MK_ARRAY, NULL, NULL, 0, IGNORED,
     "memory layout of an ioctl argument, for sys.allowed_ioctls", NO_FIELD},
    {"sys.allowed_ioctls", MK_ARRAY, NULL, NULL, 0, IGNORED,
     "device ioctls passed to the host: { request_code, struct }", NO_FIELD},

    /* SGX enclave. */
    {"sgx.enclave_size", MK_SIZE, NULL, NULL, 0, 0,
     "enclave size; also the memory limit in direct mode (absent: no limit)", M(enclave_size)},
    {"sgx.max_threads", MK_UINT, "0", NULL, UINT32_MAX, 0,
     "most threads alive at once; 0 is no limit in direct mode", M(max_threads)},
    {"sgx.thread_num", MK_UINT, NULL, NULL, UINT32_MAX, OLD, "old name of sgx.max_threads",
     M(max_threads)},
    {"sgx.debug", MK_BOOL, "false", NULL, 0, 0, "build a debug enclave", M(sgx_debug)},
    {"sgx.edmm_enable", MK_BOOL, "false", NULL, 0, 0, "add enclave memory on demand (SGX2 EDMM)",
     M(edmm_enable)},
    {"sgx.trusted_files", MK_FILE_ARRAY, NULL, NULL, 0, 0,
     "files checked against SHA-256: \"file:...\" or { uri, sha256 }; a trailing / is a tree",
     LIST(trusted_files, trusted_file_count)},
    {"sgx.allowed_files", MK_FILE_ARRAY, NULL, NULL, 0, 0,
     "files passed through unchecked: \"file:...\"; a trailing / is a tree",
     LIST(allowed_files, allowed_file_count)},
    {"sgx.file_check_policy", MK_ENUM, "strict", g_file_check_policies, 0, 0,
     "\"allow_all_but_log\" lets unlisted files through with a warning", M(file_check_policy)},
    {"sgx.remote_attestation", MK_ATTESTATION, "none", g_attestation_types, 0, 0,
     "attestation scheme; the old boolean form is accepted", M(remote_attestation)},
    {"sgx.ra_client_spid", MK_HEX, NULL, NULL, 0, 0, "EPID service provider ID (hex)",
     M(ra_client_spid)},
    {"sgx.ra_client_linkable", MK_BOOL, "false", NULL, 0, 0, "EPID linkable quotes",
     M(ra_client_linkable)},
    {"sgx.isvprodid", MK_UINT, "0", NULL, UINT16_MAX, 0, "ISV product ID in the signature",
     M(isvprodid)},
    {"sgx.isvsvn", MK_UINT, "0", NULL, UINT16_MAX, 0, "ISV security version in the signature",
     M(isvsvn)},
    {"sgx.insecure__rpc_thread_num", MK_UINT, "0", NULL, 4096, IGNORED,
     "host threads serving exitless calls", NO_FIELD},
    {"sgx.preheat_enclave", MK_BOOL, "false", NULL, 0, IGNORED, "touch every heap page at start",
     NO_FIELD},
    {"sgx.require_avx", MK_BOOL, "false", NULL, 0, IGNORED, "refuse to start without AVX",
     NO_FIELD},
    {"sgx.require_avx512", MK_BOOL, "false", NULL, 0, IGNORED, "refuse to start without AVX-512",
     NO_FIELD},
    {"sgx.require_mpx", MK_BOOL, "false", NULL, 0, IGNORED, "refuse to start without MPX",
     NO_FIELD},
    {"sgx.require_pkru", MK_BOOL, "false", NULL, 0, IGNORED, "refuse to start without PKRU",
     NO_FIELD},
    {"sgx.require_amx", MK_BOOL, "false", NULL, 0, IGNORED, "refuse to start without AMX",
     NO_FIELD},
    {"sgx.require_exinfo", MK_BOOL, "false", NULL, 0, IGNORED,
     "refuse to start without EXINFO (fault addresses)", NO_FIELD},
    {"sgx.seal_key.flags_mask", MK_HEX, "0xffffffffffffffff", NULL, 0, IGNORED,
     "KEYREQUEST.ATTRIBUTESMASK.FLAGS for sealing keys (8-byte hex)", NO_FIELD},
    {"sgx.seal_key.xfrm_mask", MK_HEX, "0xfffffffffff9ff1b", NULL, 0, IGNORED,
     "KEYREQUEST.ATTRIBUTESMASK.XFRM for sealing keys (8-byte hex)", NO_FIELD},
    {"sgx.seal_key.misc_mask", MK_HEX, "0xffffffff", NULL, 0, IGNORED,
     "KEYREQUEST.MISCMASK for sealing keys (4-byte hex)", NO_FIELD},
    {"sgx.enable_stats", MK_BOOL, "false", NULL, 0, IGNORED,
     "count enclave entries and exits (debug enclaves)", NO_FIELD},
    {"sgx.profile.enable", MK_ENUM, "none", g_profile_enable, 0, IGNORED,
     "sample enclave code addresses for perf", NO_FIELD},
    {"sgx.profile.mode", MK_ENUM, "aex", g_profile_mode, 0, IGNORED, "what the profiler records",
     NO_FIELD},
    {"sgx.profile.with_stack", MK_BOOL, "false", NULL, 0, IGNORED, "record call chains in profiles",
     NO_FIELD},
    {"sgx.profile.frequency", MK_UINT, "50", NULL, 100000, IGNORED, "profiling samples per second",
     NO_FIELD},
    {"sgx.vtune_profile", MK_BOOL, "false", NULL, 0, IGNORED, "VTune enclave profiling", NO_FIELD},
    {"sgx.ioctl_structs.*", MK_ARRAY, NULL, NULL, 0, OLD | IGNORED,
     "old place of sys.ioctl_structs", NO_FIELD},
    {"sgx.allowed_ioctls", MK_ARRAY, NULL, NULL, 0, OLD | IGNORED,
     "old place of sys.allowed_ioctls", NO_FIELD},
    {"sgx.use_exinfo", MK_BOOL, NULL, NULL, 0, OLD | IGNORED, "old name of sgx.require_exinfo",
     NO_FIELD},
    {"sgx.nonpie_binary", MK_BOOL, NULL, NULL, 0, OLD | IGNORED,
     "old Gramine key: non-PIE programs are recognised without it", NO_FIELD},
};

/* Fields of a mount table (fs.root and each entry of fs.mounts). */
static const struct manifest_key_spec g_mount_fields[] = {
    {"type", MK_ENUM, "chroot", g_mount_types, 0, 0,
     "\"chroot\" (host directory or file), \"tmpfs\" (in memory), \"encrypted\" or "
     "\"untrusted_shm\" (host shared memory: files only, mapped MAP_SHARED, visible to the host)",
     FIELD(struct manifest_mount, type)},
    {"path", MK_PATH, NULL, NULL, 0, 0, "absolute guest path the mount appears at",
     FIELD(struct manifest_mount, path)},
    {"uri", MK_MOUNT_URI, NULL, NULL, 0, 0,
     "host file or directory, \"file:PATH\" (\"dev:PATH\" for untrusted_shm); not given for "
     "tmpfs",
     FIELD(struct manifest_mount, uri)},
    {"key_name", MK_STRING, "default", NULL, 0, 0,
     "encrypted mounts: name of the key (fs.insecure__keys.NAME or a provisioned one)",
     FIELD(struct manifest_mount, key_name)},
};

/* Fields of { value, passthrough } in loader.env.NAME. */
static const struct manifest_key_spec g_env_fields[] = {
    {"value", MK_STRING, NULL, NULL, 0, 0, "the value to set", FIELD(struct manifest_env, value)},
    {"passthrough", MK_BOOL, NULL, NULL, 0, 0, "true: copy the variable from the host",
     FIELD(struct manifest_env, passthrough)},
};

/* Fields of { uri, sha256 } in sgx.trusted_files, sgx.allowed_files and loader.entrypoint. */
static const struct manifest_key_spec g_file_fields[] = {
    {"uri", MK_URI, NULL, NULL, 0, 0, "host file, \"file:PATH\"", FIELD(struct manifest_file, uri)},
    {"sha256", MK_HEX, NULL, NULL, 64, 0, "SHA-256 of the file, 64 hex digits",
     FIELD(struct manifest_file, sha256)},
};

const struct manifest_key_spec* manifest_schema(size_t* count) {
    *count = COUNT(g_schema);
    return g_schema;
}

const struct manifest_key_spec* manifest_schema_fields(enum manifest_kind kind, size_t* count) {
    switch (kind) {
        case MK_MOUNT:
        case MK_MOUNT_ARRAY:
            *count = COUNT(g_mount_fields);
            return g_mount_fields;
        case MK_ENV:
            *count = COUNT(g_env_fields);
            return g_env_fields;
        case MK_FILE_ARRAY:
        case MK_ENTRY:
            *count = COUNT(g_file_fields);
            return g_file_fields;
        default:
            *count = 0;
            return NULL;
    }
}

struct kind_text {
    const char* name;
    const char* describe;
};

static const struct kind_text g_kind_text[] = {
    [MK_STRING] = {"string", "a string"},
    [MK_ENUM] = {"string", "a string"},
    [MK_BOOL] = {"bool", "a boolean"},
    [MK_UINT] = {"integer", "an integer"},
    [MK_SIZE] = {"size", "a size string (like \"512M\") or an integer"},
    [MK_URI] = {"uri", "a \"file:\" URI string"},
    [MK_MOUNT_URI] = {"uri", "a \"file:\" or \"dev:\" URI string"},
    [MK_PATH] = {"path", "a guest path string"},
    [MK_STRING_ARRAY] = {"array of strings", "an array of strings"},
    [MK_ENV] = {"env", "a string or a table { value = \"...\" } or { passthrough = true }"},
    [MK_MOUNT] = {"mount", "a mount table { type, path, uri }"},
    [MK_MOUNT_ARRAY] = {"array of mounts", "an array of mount tables"},
    [MK_FILE_ARRAY] = {"array of files", "an array of \"file:\" URIs or { uri, sha256 } tables"},
    [MK_ENTRY] = {"uri or file", "a \"file:\" URI string or a table { uri, sha256 }"},
    [MK_KEY] = {"key", "a string of 32 hex digits"},
    [MK_HEX] = {"hex string", "a hex string"},
    [MK_ATTESTATION] = {"string", "a string or a boolean"},
    [MK_TABLE] = {"table", "a table"},
    [MK_ARRAY] = {"array", "an array"},
};

const char* manifest_kind_describe(enum manifest_kind kind) {
    if ((size_t)kind >= COUNT(g_kind_text) || !g_kind_text[kind].describe)
        return "a value";
    return g_kind_text[kind].describe;
}

const char* manifest_kind_name(enum manifest_kind kind) {
    if ((size_t)kind >= COUNT(g_kind_text) || !g_kind_text[kind].name)
        return "value";
    return g_kind_text[kind].name;
}
