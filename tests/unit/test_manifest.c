/* Unit tests of the manifest model: defaults, type errors, suggestions, sizes, env and mounts. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"

#define FILE_NAME "t.toml"

static int g_failed_checks;
static const char* g_data_dir = "tests/data/manifests";

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                    \
            g_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_STR(actual, expect)                                                                  \
    do {                                                                                           \
        const char* a_ = (actual);                                                                 \
        const char* e_ = (expect);                                                                 \
        if (!a_ || strcmp(a_, e_)) {                                                               \
            printf("    %s:%d: expected \"%s\"\n    %*s     got \"%s\"\n", __FILE__, __LINE__, e_, \
                   (int)strlen(__FILE__) + 4, "", a_ ? a_ : "(null)");                             \
            g_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

static struct manifest* parse_ok(const char* text) {
    char err[512];
    struct manifest* m = NULL;
    int ret = manifest_parse(text, strlen(text), FILE_NAME, &m, err, sizeof(err));

    if (ret < 0 || !m) {
        printf("    expected a valid manifest, got %d: %s\n    text: %s\n", ret, err, text);
        g_failed_checks++;
        return NULL;
    }
    return m;
}

/* Parses text that must be rejected; returns the one-line error. */
static const char* parse_error(const char* text) {
    static char err[512];
    struct manifest* m = (struct manifest*)1;
    int ret = manifest_parse(text, strlen(text), FILE_NAME, &m, err, sizeof(err));

    if (ret != -EINVAL || m != NULL) {
        printf("    expected -EINVAL and no manifest, got %d\n    text: %s\n", ret, text);
        g_failed_checks++;
        manifest_free(m == (struct manifest*)1 ? NULL : m);
        return "(accepted)";
    }
    if (strchr(err, '\n')) {
        printf("    the error spans lines: %s\n", err);
        g_failed_checks++;
    }
    return err;
}

#define EP "libos.entrypoint = \"/bin/true\"\n"

/* ---- defaults ---------------------------------------------------------------------------- */

static void test_defaults_fill_every_optional_key(void) {
    struct manifest* m = parse_ok(EP);
    if (!m)
        return;
    CHECK_STR(m->entrypoint, "/bin/true");
    CHECK_STR(m->file, FILE_NAME);
    CHECK(m->argv == NULL && m->argc == 0 && !m->argv_given);
    CHECK(!m->use_cmdline_argv && !m->use_host_env && !m->disable_aslr);
    CHECK(m->env_count == 0 && m->env == NULL);
    CHECK(m->log_level == LOG_ERROR);
    CHECK_STR(m->log_level_name, "error");
    CHECK(m->log_file == NULL);
    CHECK(m->uid == 0 && m->gid == 0);
    CHECK_STR(m->root_mount.type, "chroot");
    CHECK_STR(m->root_mount.path, "/");
    CHECK_STR(m->root_mount.uri, "file:.");
    CHECK_STR(m->root_mount.host_path, ".");
    CHECK(m->mount_count == 0);
    CHECK_STR(m->start_dir, "/");
    CHECK(m->stack_size == 8ull << 20);
    CHECK(m->brk_max_size == 256ull << 20);
    CHECK(!m->enable_sigterm_injection && !m->disallow_subprocesses && !m->allow_eventfd);
    CHECK(m->fds_limit == 900);
    CHECK(m->check_invalid_pointers);
    CHECK(m->enclave_size == 0);
    CHECK(m->max_threads == 0);
    CHECK(!m->sgx_debug && !m->edmm_enable);
    CHECK_STR(m->remote_attestation, "none");
    CHECK_STR(m->file_check_policy, "strict");
    CHECK(m->trusted_file_count == 0 && m->allowed_file_count == 0 && m->key_count == 0);
    CHECK(m->loader_entrypoint == NULL);
    manifest_free(m);
}

static void test_schema_defaults_are_valid_values(void) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    CHECK(count > 40);
    for (size_t i = 0; i < count; i++) {
        const struct manifest_key_spec* s = &schema[i];
        uint64_t size;
        CHECK(s->help && s->help[0]);
        for (size_t j = i + 1; j < count; j++)
            CHECK(strcmp(s->pattern, schema[j].pattern));
        if (!s->default_text)
            continue;
        if (s->kind == MK_SIZE)
            CHECK(manifest_parse_size(s->default_text, &size) == 0);
        if (s->kind == MK_BOOL)
            CHECK(!strcmp(s->default_text, "true") || !strcmp(s->default_text, "false"));
        if (s->kind == MK_ENUM || s->kind == MK_ATTESTATION) {
            bool found = false;
            for (size_t k = 0; s->allowed[k]; k++)
                found |= !strcmp(s->allowed[k], s->default_text);
            CHECK(found);
        }
    }
}

static void test_entrypoint_is_required(void) {
    CHECK_STR(parse_error("loader.log_level = \"debug\"\n"),
              "t.toml:1:1: key 'libos.entrypoint' is required: the guest path of the program to "
              "run");
}

static void test_entrypoint_file_prefix_is_stripped(void) {
    struct manifest* m = parse_ok("libos.entrypoint = \"file:/usr/bin/python3\"\n");
    if (!m)
        return;
    CHECK_STR(m->entrypoint, "/usr/bin/python3");
    CHECK(m->entrypoint_pos.line == 1 && m->entrypoint_pos.col == 20);
    manifest_free(m);
}

static void test_entrypoint_may_be_relative(void) {
    struct manifest* m = parse_ok("libos.entrypoint = \"hello\"\nfs.start_dir = \"/app\"\n");
    if (!m)
        return;
    CHECK_STR(m->entrypoint, "hello");
    CHECK_STR(m->start_dir, "/app");
    manifest_free(m);
}

static void test_gramine_loader_entrypoint_is_accepted(void) {
    struct manifest* m = parse_ok(EP "loader.entrypoint = \"file:/usr/lib/libsysdb.so\"\n");
    if (m) {
        CHECK_STR(m->loader_entrypoint, "file:/usr/lib/libsysdb.so");
        manifest_free(m);
    }
    m = parse_ok(EP "loader.entrypoint.uri = \"file:/usr/lib/libsysdb.so\"\n");
    if (m) {
        CHECK_STR(m->loader_entrypoint, "file:/usr/lib/libsysdb.so");
        manifest_free(m);
    }
    CHECK_STR(parse_error(EP "loader.entrypoint = \"/usr/lib/libsysdb.so\"\n"),
              "t.toml:2:21: key 'loader.entrypoint': expected a \"file:\" URI, got "
              "'/usr/lib/libsysdb.so'");
}

/* ---- type errors ------------------------------------------------------------------------- */

static void test_argv_type_error_names_key_and_position(void) {
    CHECK_STR(parse_error(EP "loader.argv = 5\n"),
              "t.toml:2:15: key 'loader.argv': expected an array of strings, got an integer");
}

static void test_argv_element_type_error_points_at_element(void) {
    CHECK_STR(parse_error(EP "loader.argv = [\"a\", 2]\n"),
              "t.toml:2:21: key 'loader.argv[1]': expected a string, got an integer");
}

static void test_bool_key_rejects_string(void) {
    CHECK_STR(parse_error(EP "sgx.debug = \"yes\"\n"),
              "t.toml:2:13: key 'sgx.debug': expected a boolean, got a string");
}

/* Every key in the schema rejects a value of the wrong type, with its name and position. */
static void test_every_key_checks_its_type(void) {
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    for (size_t i = 0; i < count; i++) {
        const struct manifest_key_spec* s = &schema[i];
        char key[128], text[512], expect[512];
        bool is_entrypoint = !strcmp(s->pattern, "libos.entrypoint");
        const char* bad = "true";
        const char* got = "a boolean";
        const char* star = strchr(s->pattern, '*');

        if (s->kind == MK_BOOL || s->kind == MK_ATTESTATION) {
            bad = "1";
            got = "an integer";
        }
        if (star)
            snprintf(key, sizeof(key), "%.*sX", (int)(star - s->pattern), s->pattern);
        else
            snprintf(key, sizeof(key), "%s", s->pattern);
        snprintf(text, sizeof(text), "%s%s = %s\n", is_entrypoint ? "" : EP, key, bad);
        snprintf(expect, sizeof(expect), "t.toml:%d:%zu: key '%s': expected %s, got %s",
                 is_entrypoint ? 1 : 2, strlen(key) + 4, key, manifest_kind_describe(s->kind), got);
        const char* err = parse_error(text);
        if (strcmp(err, expect)) {
            printf("    key %s:\n      expected \"%s\"\n      got      \"%s\"\n", s->pattern,
                   expect, err);
            g_failed_checks++;
        }
    }
}

static void test_integer_range_is_checked(void) {
    CHECK_STR(parse_error(EP "sgx.max_threads = -1\n"),
              "t.toml:2:19: key 'sgx.max_threads': expected an integer from 0 to 4294967295, got "
              "-1");
    CHECK_STR(parse_error(EP "sgx.isvprodid = 70000\n"),
              "t.toml:2:17: key 'sgx.isvprodid': expected an integer from 0 to 65535, got 70000");
}

static void test_string_with_nul_is_rejected(void) {
    CHECK_STR(parse_error(EP "loader.log_file = \"a\\u0000b\"\n"),
              "t.toml:2:19: key 'loader.log_file': the string contains a NUL character");
}

static void test_syntax_error_has_file_line_col(void) {
    const char* err = parse_error(EP "loader.argv = [\"a\",\n  = 3\n");
    CHECK(!strncmp(err, "t.toml:3:", strlen("t.toml:3:")));
    err = parse_error("libos.entrypoint = \"/x\"\nlibos.entrypoint = \"/y\"\n");
    CHECK(!strncmp(err, "t.toml:2:", strlen("t.toml:2:")));
}

/* ---- unknown keys ------------------------------------------------------------------------ */

static void test_unknown_key_suggests_closest(void) {
    CHECK_STR(parse_error(EP "loader.entrypont = \"/bin/true\"\n"),
              "t.toml:2:8: unknown key 'loader.entrypont' (did you mean 'loader.entrypoint'?)");
}

static void test_unknown_key_suggests_through_wildcard(void) {
    CHECK_STR(parse_error(EP "loader.envv.PATH = \"/bin\"\n"),
              "t.toml:2:13: unknown key 'loader.envv.PATH' (did you mean 'loader.env.PATH'?)");
}

static void test_unknown_top_level_name_is_reported_whole(void) {
    CHECK_STR(parse_error(EP "lodaer.log_level = \"debug\"\n"),
              "t.toml:2:8: unknown key 'lodaer.log_level' (did you mean 'loader.log_level'?)");
}

static void test_old_gramine_mount_syntax_suggests_fs_mounts(void) {
    CHECK_STR(parse_error(EP "[fs.mount.lib]\ntype = \"chroot\"\n"),
              "t.toml:3:1: unknown key 'fs.mount.lib.type' (did you mean 'fs.mounts'?)");
}

static void test_unknown_key_without_close_match(void) {
    CHECK_STR(parse_error(EP "colour = \"blue\"\n"), "t.toml:2:1: unknown key 'colour'");
}

static void test_unknown_key_in_table_section(void) {
    CHECK_STR(parse_error("[libos]\nentrypoint = \"/x\"\n[sys]\nstack_size = \"1M\"\n"),
              "t.toml:4:1: unknown key 'sys.stack_size' (did you mean 'sys.stack.size'?)");
}

static void test_value_where_a_table_belongs(void) {
    CHECK_STR(parse_error(EP "sys.stack = \"1M\"\n"),
              "t.toml:2:13: key 'sys.stack': expected a table, got a string");
    CHECK_STR(parse_error(EP "loader.env = [\"A=1\"]\n"),
              "t.toml:2:14: key 'loader.env': expected a table, got an array");
}

static void test_experimental_keys_are_accepted(void) {
    struct manifest* m = parse_ok(EP "libos.experimental__fast_path = true\n"
                                     "sys.experimental__enable_flock = true\n");
    manifest_free(m);
}

struct diag_lines {
    int errors, warnings;
    char first_warning[512];
};

static void collect_diag(void* ctx, bool is_error, const char* line) {
    struct diag_lines* d = ctx;
    if (is_error) {
        d->errors++;
        return;
    }
    if (!d->warnings++)
        snprintf(d->first_warning, sizeof(d->first_warning), "%s", line);
}

static void test_experimental_key_warns(void) {
    const char* text = EP "libos.experimental__fast_path = true\n";
    struct diag_lines d = {0};
    struct manifest* m;

    CHECK(manifest_parse_diag(text, strlen(text), FILE_NAME, &m, collect_diag, &d) == 0);
    CHECK(d.errors == 0 && d.warnings == 1);
    CHECK_STR(d.first_warning, "t.toml:2:7: experimental key 'libos.experimental__fast_path' is "
                               "not known to Kernite; ignored");
    manifest_free(m);
}

static void test_unsupported_key_warns_and_is_kept(void) {
    const char* text = EP "loader.argv_src_file = \"file:nginx_args\"\n";
    struct diag_lines d = {0};
    struct manifest* m = NULL;

    CHECK(manifest_parse_diag(text, strlen(text), FILE_NAME, &m, collect_diag, &d) == 0);
    CHECK(d.errors == 0 && d.warnings == 1);
    CHECK_STR(d.first_warning, "t.toml:2:8: key 'loader.argv_src_file' is accepted but not "
                               "supported yet; it has no effect");
    if (m)
        CHECK_STR(m->argv_src_file, "file:nginx_args");
    manifest_free(m);
}

static void test_old_gramine_keys_are_accepted(void) {
    struct manifest* m = parse_ok(EP "loader.preload = \"file:/usr/lib/libsysdb.so\"\n"
                                     "sgx.nonpie_binary = true\nsgx.use_exinfo = true\n"
                                     "loader.argv0_override = \"app\"\n");
    if (m)
        CHECK_STR(m->argv0_override, "app");
    manifest_free(m);
}

static void test_all_errors_are_reported(void) {
    const char* text = "sgx.debug = 1\nloader.argv = 2\nfoo = 3\n";
    struct diag_lines d = {0};
    struct manifest* m = (struct manifest*)1;

    CHECK(manifest_parse_diag(text, strlen(text), FILE_NAME, &m, collect_diag, &d) == -EINVAL);
    CHECK(m == NULL);
    CHECK(d.errors == 4); /* three bad keys and the missing entrypoint */
}

struct diag_order {
    int count;
    int lines[8];
};

static void collect_lines(void* ctx, bool is_error, const char* line) {
    struct diag_order* d = ctx;
    const char* colon = strchr(line, ':');
    if (d->count < 8 && colon)
        d->lines[d->count++] = atoi(colon + 1);
}

static void test_errors_come_in_source_order(void) {
    const char* text = EP "loader.argv = 1\nsys.stack.size = \"1Q\"\nloader.log_file = 2\n";
    struct diag_order d = {0};
    struct manifest* m;

    CHECK(manifest_parse_diag(text, strlen(text), FILE_NAME, &m, collect_lines, &d) == -EINVAL);
    CHECK(d.count == 3);
    CHECK(d.lines[0] == 2 && d.lines[1] == 3 && d.lines[2] == 4);
}

/* ---- sizes ------------------------------------------------------------------------------- */

static void test_size_strings(void) {
    static const struct {
        const char* text;
        int ret;
        uint64_t value;
    } cases[] = {
        {"512M", 0, 512ull << 20},
        {"2G", 0, 2ull << 30},
        {"4096", 0, 4096},
        {"1K", 0, 1024},
        {"1k", 0, 1024},
        {"3T", 0, 3ull << 40},
        {"0", 0, 0},
        {"18446744073709551615", 0, UINT64_MAX},
        {"16777215T", 0, 16777215ull << 40},
        {"12Q", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"M", -EINVAL, 0},
        {"1MB", -EINVAL, 0},
        {"-1", -EINVAL, 0},
        {" 1", -EINVAL, 0},
        {"1.5G", -EINVAL, 0},
        {"18446744073709551616", -EINVAL, 0},
        {"16777216T", -EINVAL, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t value = 12345;
        int ret = manifest_parse_size(cases[i].text, &value);
        if (ret != cases[i].ret || (ret == 0 && value != cases[i].value)) {
            printf("    size \"%s\": got %d, %llu\n", cases[i].text, ret,
                   (unsigned long long)value);
            g_failed_checks++;
        }
    }
}

static void test_bad_size_string_is_reported(void) {
    CHECK_STR(parse_error(EP "sys.stack.size = \"12Q\"\n"),
              "t.toml:2:18: key 'sys.stack.size': bad size '12Q' (expected digits with an "
              "optional K, M, G or T suffix)");
}

static void test_sizes_land_in_model(void) {
    struct manifest* m = parse_ok(EP "sys.stack.size = \"1M\"\nsys.brk.max_size = 65536\n"
                                     "sgx.enclave_size = \"1G\"\n");
    if (!m)
        return;
    CHECK(m->stack_size == 1ull << 20);
    CHECK(m->brk_max_size == 65536);
    CHECK(m->enclave_size == 1ull << 30);
    manifest_free(m);
}

static void test_negative_size_is_rejected(void) {
    CHECK_STR(parse_error(EP "sys.stack.size = -4096\n"),
              "t.toml:2:18: key 'sys.stack.size': a size cannot be negative, got -4096");
}

/* ---- log level --------------------------------------------------------------------------- */

static void test_log_levels(void) {
    static const struct {
        const char* name;
        int level;
    } cases[] = {{"none", LOG_NONE},   {"error", LOG_ERROR}, {"warning", LOG_WARNING},
                 {"debug", LOG_DEBUG}, {"trace", LOG_TRACE}, {"all", LOG_TRACE}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), EP "loader.log_level = \"%s\"\n", cases[i].name);
        struct manifest* m = parse_ok(text);
        if (!m)
            continue;
        CHECK(m->log_level == cases[i].level);
        manifest_free(m);
    }
}

static void test_unknown_log_level_lists_the_allowed(void) {
    CHECK_STR(parse_error(EP "loader.log_level = \"verbose\"\n"),
              "t.toml:2:20: key 'loader.log_level': 'verbose' is not one of none, error, "
              "warning, debug, trace, all");
}

/* ---- argv and environment ---------------------------------------------------------------- */

static void test_argv_is_kept_in_order(void) {
    struct manifest* m = parse_ok(EP "loader.argv = [\"python3\", \"-c\", \"print(1)\"]\n");
    if (!m)
        return;
    CHECK(m->argv_given && m->argc == 3);
    CHECK_STR(m->argv[0], "python3");
    CHECK_STR(m->argv[2], "print(1)");
    CHECK(m->argv[3] == NULL);
    manifest_free(m);
}

static void test_allowed_listen_is_kept_and_freed(void) {
    struct manifest* m =
        parse_ok(EP "net.allowed_listen = [\"127.0.0.1:6379\", \"[::1]:0\"]\n");
    if (!m)
        return;
    CHECK(m->allowed_listen_count == 2);
    CHECK_STR(m->allowed_listen[0], "127.0.0.1:6379");
    CHECK_STR(m->allowed_listen[1], "[::1]:0");
    CHECK(m->allowed_listen[2] == NULL);
    manifest_free(m);
#ifdef __SANITIZE_ADDRESS__
    CHECK(__lsan_do_recoverable_leak_check() == 0);
#endif
}

static void test_argv_and_cmdline_argv_exclude_each_other(void) {
    CHECK_STR(parse_error(EP "loader.argv = [\"a\"]\nloader.insecure__use_cmdline_argv = true\n"),
              "t.toml:3:37: key 'loader.insecure__use_cmdline_argv': cannot be combined with "
              "'loader.argv'");
}

static void test_env_forms(void) {
    struct manifest* m = parse_ok(EP "loader.env.PATH = \"/bin:/usr/bin\"\n"
                                     "loader.env.HOME = { value = \"/root\" }\n"
                                     "loader.env.TERM = { passthrough = true }\n"
                                     "loader.env.\"A.B\" = \"dotted\"\n");
    if (!m)
        return;
    CHECK(m->env_count == 4);
    if (m->env_count == 4) {
        CHECK_STR(m->env[0].name, "PATH");
        CHECK_STR(m->env[0].value, "/bin:/usr/bin");
        CHECK(!m->env[0].passthrough);
        CHECK_STR(m->env[1].name, "HOME");
        CHECK_STR(m->env[1].value, "/root");
        CHECK_STR(m->env[2].name, "TERM");
        CHECK(m->env[2].passthrough && m->env[2].value == NULL);
        CHECK_STR(m->env[3].name, "A.B");
    }
    manifest_free(m);
}

static void test_env_passthrough_false_is_rejected(void) {
    CHECK_STR(parse_error(EP "loader.env.X = { passthrough = false }\n"),
              "t.toml:2:32: key 'loader.env.X.passthrough': only 'true' is allowed (list the "
              "variables to pass instead of the ones to hide)");
}

static void test_env_value_and_passthrough_exclude_each_other(void) {
    CHECK_STR(parse_error(EP "loader.env.X = { value = \"1\", passthrough = true }\n"),
              "t.toml:2:16: key 'loader.env.X': give either 'value' or 'passthrough', not both");
}

static void test_env_table_needs_value_or_passthrough(void) {
    CHECK_STR(parse_error(EP "loader.env.X = {}\n"),
              "t.toml:2:16: key 'loader.env.X': needs 'value' or 'passthrough = true'");
}

static void test_env_table_field_typo_is_suggested(void) {
    CHECK_STR(parse_error(EP "loader.env.X = { passthru = true }\n"),
              "t.toml:2:18: unknown key 'loader.env.X.passthru' (did you mean "
              "'loader.env.X.passthrough'?)");
}

static void test_env_name_with_equals_is_rejected(void) {
    CHECK_STR(parse_error(EP "loader.env.\"A=B\" = \"x\"\n"),
              "t.toml:2:20: key 'loader.env.\"A=B\"': 'A=B' is not a valid variable name");
}

/* ---- mounts ------------------------------------------------------------------------------ */

static void test_mount_type_defaults_to_chroot(void) {
    struct manifest* m = parse_ok(EP "fs.mounts = [\n"
                                     "  { path = \"/lib\", uri = \"file:/lib\" },\n"
                                     "  { type = \"tmpfs\", path = \"/tmp\" },\n"
                                     "  { path = \"/data\", uri = \"file:data\" },\n"
                                     "]\n");
    if (!m)
        return;
    CHECK(m->mount_count == 3);
    if (m->mount_count == 3) {
        CHECK_STR(m->mounts[0].type, "chroot");
        CHECK_STR(m->mounts[0].path, "/lib");
        CHECK_STR(m->mounts[0].uri, "file:/lib");
        CHECK_STR(m->mounts[0].host_path, "/lib");
        CHECK(m->mounts[0].pos.line == 3 && m->mounts[0].uri_pos.line == 3);
        CHECK_STR(m->mounts[1].type, "tmpfs");
        CHECK(m->mounts[1].uri == NULL && m->mounts[1].host_path == NULL);
        CHECK_STR(m->mounts[2].host_path, "data");
    }
    manifest_free(m);
}

static void test_mounts_as_array_of_tables(void) {
    struct manifest* m = parse_ok(EP "[[fs.mounts]]\npath = \"/a\"\nuri = \"file:/a\"\n"
                                     "[[fs.mounts]]\ntype = \"tmpfs\"\npath = \"/b\"\n");
    if (!m)
        return;
    CHECK(m->mount_count == 2);
    manifest_free(m);
}

static void test_mount_needs_path(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ uri = \"file:/lib\" }]\n"),
              "t.toml:2:14: key 'fs.mounts[0]': a mount needs a 'path'");
}

static void test_mount_path_must_be_absolute(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ path = \"lib\", uri = \"file:/lib\" }]\n"),
              "t.toml:2:23: key 'fs.mounts[0].path': guest path 'lib' must be absolute");
}

static void test_duplicate_mount_path_is_rejected(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [\n"
                             "  { path = \"/data\", uri = \"file:/a\" },\n"
                             "  { path = \"/data/\", uri = \"file:/b\" },\n"
                             "]\n"),
              "t.toml:4:12: key 'fs.mounts[1].path': '/data/' is already mounted by "
              "fs.mounts[0] (line 3)");
}

static void test_unknown_mount_type_is_rejected(void) {
    CHECK_STR(
        parse_error(EP "fs.mounts = [{ type = \"nfs\", path = \"/n\", uri = \"file:/n\" }]\n"),
        "t.toml:2:23: key 'fs.mounts[0].type': 'nfs' is not one of chroot, tmpfs, "
        "encrypted, untrusted_shm");
}

static void test_tmpfs_takes_no_uri(void) {
    CHECK_STR(
        parse_error(EP "fs.mounts = [{ type = \"tmpfs\", path = \"/t\", uri = \"file:/t\" }]\n"),
        "t.toml:2:51: key 'fs.mounts[0].uri': a tmpfs mount takes no uri");
}

static void test_chroot_needs_uri(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ type = \"chroot\", path = \"/c\" }]\n"),
              "t.toml:2:14: key 'fs.mounts[0]': a chroot mount needs a 'uri'");
}

static void test_uri_must_start_with_file(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ path = \"/c\", uri = \"/host/c\" }]\n"),
              "t.toml:2:35: key 'fs.mounts[0].uri': expected a \"file:\" URI, got '/host/c'");
}

static void test_untrusted_shm_mount_takes_a_dev_uri(void) {
    struct manifest* m = parse_ok(EP "fs.mounts = [{ type = \"untrusted_shm\", "
                                     "path = \"/dev/shm\", uri = \"dev:/dev/shm\" }]\n");
    if (!m)
        return;
    CHECK(m->mount_count == 1);
    if (m->mount_count == 1) {
        CHECK_STR(m->mounts[0].type, "untrusted_shm");
        CHECK_STR(m->mounts[0].uri, "dev:/dev/shm");
        CHECK_STR(m->mounts[0].host_path, "/dev/shm");
    }
    manifest_free(m);
}

static void test_untrusted_shm_uri_errors(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ type = \"untrusted_shm\", path = \"/s\" }]\n"),
              "t.toml:2:14: key 'fs.mounts[0]': an untrusted_shm mount needs a 'uri'");
    CHECK_STR(parse_error(EP "fs.mounts = [{ type = \"untrusted_shm\", path = \"/s\", "
                             "uri = \"file:/dev/shm\" }]\n"),
              "t.toml:2:59: key 'fs.mounts[0].uri': expected a \"dev:\" URI, got 'file:/dev/shm'");
    CHECK_STR(parse_error(EP "fs.mounts = [{ type = \"untrusted_shm\", path = \"/s\", "
                             "uri = \"dev:\" }]\n"),
              "t.toml:2:59: key 'fs.mounts[0].uri': the URI 'dev:' names no host path");
    CHECK_STR(parse_error(EP "fs.mounts = [{ path = \"/c\", uri = \"dev:/dev/c\" }]\n"),
              "t.toml:2:35: key 'fs.mounts[0].uri': expected a \"file:\" URI, got 'dev:/dev/c'");
}

static void test_nothing_is_mounted_below_an_untrusted_shm_mount(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [\n"
                             "  { type = \"untrusted_shm\", path = \"/dev/shm\", "
                             "uri = \"dev:/s\" },\n"
                             "  { type = \"tmpfs\", path = \"/dev/shm/sub\" },\n"
                             "]\n"),
              "t.toml:4:28: key 'fs.mounts[1].path': '/dev/shm/sub' would be a sub-directory "
              "of the untrusted_shm mount at '/dev/shm' (fs.mounts[0], line 3), which holds "
              "files only");
    CHECK_STR(parse_error(EP "fs.mounts = [\n"
                             "  { path = \"/dev/shm/sub\", uri = \"file:/x\" },\n"
                             "  { type = \"untrusted_shm\", path = \"/dev/shm/\", "
                             "uri = \"dev:/s\" },\n"
                             "]\n"),
              "t.toml:4:36: key 'fs.mounts[1].path': '/dev/shm/sub' would be a sub-directory "
              "of the untrusted_shm mount at '/dev/shm/' (fs.mounts[1], line 4), which holds "
              "files only");
    CHECK_STR(parse_error(EP "fs.root = { type = \"untrusted_shm\", uri = \"dev:/s\" }\n"),
              "t.toml:2:20: key 'fs.root.type': the root mount cannot be untrusted_shm: it holds "
              "files only");
    struct manifest* m = parse_ok(EP "fs.mounts = [\n"
                                     "  { type = \"untrusted_shm\", path = \"/dev/shm\", "
                                     "uri = \"dev:/s\" },\n"
                                     "  { type = \"tmpfs\", path = \"/dev/shmem\" },\n"
                                     "  { type = \"tmpfs\", path = \"/dev\" },\n"
                                     "]\n");
    if (m)
        manifest_free(m);
}

static void test_mount_field_typo_is_suggested(void) {
    CHECK_STR(parse_error(EP "fs.mounts = [{ typ = \"tmpfs\", path = \"/t\" }]\n"),
              "t.toml:2:16: unknown key 'fs.mounts[0].typ' (did you mean 'fs.mounts[0].type'?)");
}

static void test_encrypted_mount_key_name(void) {
    struct manifest* m =
        parse_ok(EP "fs.mounts = [\n"
                    "  { type = \"encrypted\", path = \"/s\", uri = \"file:s\" },\n"
                    "  { type = \"encrypted\", path = \"/t\", uri = \"file:t\", "
                    "key_name = \"mine\" },\n"
                    "]\n"
                    "fs.insecure__keys.mine = \"00112233445566778899aabbccddeeff\"\n");
    if (!m)
        return;
    CHECK(m->mount_count == 2);
    if (m->mount_count == 2) {
        CHECK_STR(m->mounts[0].key_name, "default");
        CHECK_STR(m->mounts[1].key_name, "mine");
    }
    CHECK(m->key_count == 1);
    if (m->key_count == 1) {
        CHECK_STR(m->keys[0].name, "mine");
        CHECK(m->keys[0].key[0] == 0x00 && m->keys[0].key[1] == 0x11 && m->keys[0].key[15] == 0xff);
    }
    manifest_free(m);
}

static void test_key_name_only_on_encrypted_mounts(void) {
    CHECK_STR(
        parse_error(EP "fs.mounts = [{ path = \"/c\", uri = \"file:c\", key_name = \"k\" }]\n"),
        "t.toml:2:56: key 'fs.mounts[0].key_name': only encrypted mounts take a key_name");
}

static void test_insecure_key_must_be_32_hex_digits(void) {
    CHECK_STR(parse_error(EP "fs.insecure__keys.default = \"0011\"\n"),
              "t.toml:2:29: key 'fs.insecure__keys.default': expected 32 hex digits (a 128-bit "
              "key), got 4 characters");
    CHECK_STR(parse_error(EP "fs.insecure__keys.default = \"0011223344556677889900aabbccddzz\"\n"),
              "t.toml:2:29: key 'fs.insecure__keys.default': '0011223344556677889900aabbccddzz' "
              "is not a hex string");
}

static void test_root_mount_can_be_replaced(void) {
    struct manifest* m = parse_ok(EP "fs.root.uri = \"file:/srv/root\"\n");
    if (m) {
        CHECK_STR(m->root_mount.type, "chroot");
        CHECK_STR(m->root_mount.path, "/");
        CHECK_STR(m->root_mount.host_path, "/srv/root");
        manifest_free(m);
    }
    m = parse_ok(EP "fs.root = { type = \"tmpfs\" }\n");
    if (m) {
        CHECK_STR(m->root_mount.type, "tmpfs");
        CHECK(m->root_mount.uri == NULL);
        manifest_free(m);
    }
    CHECK_STR(parse_error(EP "fs.root = { path = \"/r\", uri = \"file:/r\" }\n"),
              "t.toml:2:20: key 'fs.root.path': the root mount is always at '/'");
}

/* ---- SGX keys ---------------------------------------------------------------------------- */

static void test_thread_num_is_old_name_of_max_threads(void) {
    struct manifest* m = parse_ok(EP "sgx.thread_num = 16\n");
    if (m) {
        CHECK(m->max_threads == 16);
        manifest_free(m);
    }
    CHECK_STR(parse_error(EP "sgx.thread_num = 16\nsgx.max_threads = 8\n"),
              "t.toml:2:18: key 'sgx.thread_num': old name of 'sgx.max_threads'; give only one");
}

static void test_trusted_and_allowed_files(void) {
    struct manifest* m =
        parse_ok(EP "sgx.trusted_files = [\n"
                    "  \"file:/lib/x86_64-linux-gnu/\",\n"
                    "  { uri = \"file:app.py\", sha256 = \"" /* 64 digits */
                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\" },\n"
                    "]\n"
                    "sgx.allowed_files = [\"file:/tmp/out\"]\n");
    if (!m)
        return;
    CHECK(m->trusted_file_count == 2 && m->allowed_file_count == 1);
    if (m->trusted_file_count == 2) {
        CHECK_STR(m->trusted_files[0].host_path, "/lib/x86_64-linux-gnu/");
        CHECK(m->trusted_files[0].sha256 == NULL);
        CHECK_STR(m->trusted_files[1].uri, "file:app.py");
        CHECK(m->trusted_files[1].sha256 && strlen(m->trusted_files[1].sha256) == 64);
    }
    if (m->allowed_file_count == 1)
        CHECK_STR(m->allowed_files[0].host_path, "/tmp/out");
    manifest_free(m);
}

static void test_trusted_file_errors(void) {
    CHECK_STR(parse_error(EP "sgx.trusted_files = [\"/lib\"]\n"),
              "t.toml:2:22: key 'sgx.trusted_files[0]': expected a \"file:\" URI, got '/lib'");
    CHECK_STR(parse_error(EP "sgx.trusted_files = [{ uri = \"file:a\", sha256 = \"abc\" }]\n"),
              "t.toml:2:49: key 'sgx.trusted_files[0].sha256': expected 64 hex digits, got 3");
    CHECK_STR(parse_error(EP "sgx.trusted_files = [{ sha256 = \"" /* 64 digits */
                             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                             "\" }]\n"),
              "t.toml:2:22: key 'sgx.trusted_files[0]': a file entry needs a 'uri'");
    CHECK_STR(parse_error(EP "sgx.allowed_files = [1]\n"),
              "t.toml:2:22: key 'sgx.allowed_files[0]': expected a \"file:\" URI string or a "
              "table { uri, sha256 }, got an integer");
}

static void test_remote_attestation_forms(void) {
    struct manifest* m = parse_ok(EP "sgx.remote_attestation = \"dcap\"\n");
    if (m) {
        CHECK_STR(m->remote_attestation, "dcap");
        manifest_free(m);
    }
    m = parse_ok(EP "sgx.remote_attestation = true\n");
    if (m) {
        CHECK_STR(m->remote_attestation, "dcap");
        manifest_free(m);
    }
    m = parse_ok(EP "sgx.remote_attestation = true\nsgx.ra_client_spid = \"00ff\"\n");
    if (m) {
        CHECK_STR(m->remote_attestation, "epid");
        manifest_free(m);
    }
    m = parse_ok(EP "sgx.remote_attestation = false\nsgx.ra_client_spid = \"\"\n");
    if (m) {
        CHECK_STR(m->remote_attestation, "none");
        manifest_free(m);
    }
    CHECK_STR(parse_error(EP "sgx.remote_attestation = \"tpm\"\n"),
              "t.toml:2:26: key 'sgx.remote_attestation': 'tpm' is not one of none, epid, dcap");
}

/* ---- whole manifests --------------------------------------------------------------------- */

struct buffer {
    char data[16384];
    size_t len;
};

static void append(void* ctx, const char* buf, size_t size) {
    struct buffer* b = ctx;
    if (b->len + size >= sizeof(b->data))
        size = sizeof(b->data) - 1 - b->len;
    memcpy(b->data + b->len, buf, size);
    b->len += size;
    b->data[b->len] = '\0';
}

static char* read_data_file(const char* name, size_t* size) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", g_data_dir, name);
    FILE* f = fopen(path, "rb");
    if (!f) {
        printf("    cannot open %s\n", path);
        g_failed_checks++;
        return NULL;
    }
    char* text = malloc(1 << 16);
    *size = fread(text, 1, (1 << 16) - 1, f);
    text[*size] = '\0';
    fclose(f);
    return text;
}

/* What `kernite manifest show` prints is itself a manifest with the same meaning. */
static void test_effective_manifest_round_trips(void) {
    static struct buffer first, second;
    size_t size;
    char* text = read_data_file("gramine-python.manifest", &size);
    if (!text)
        return;

    struct manifest* m = parse_ok(text);
    free(text);
    if (!m)
        return;
    first.len = 0;
    manifest_write_toml(m, append, &first);
    manifest_free(m);

    m = parse_ok(first.data);
    if (!m) {
        printf("%s", first.data);
        return;
    }
    second.len = 0;
    manifest_write_toml(m, append, &second);
    CHECK_STR(second.data, first.data);
    CHECK(strstr(first.data, "sys.stack.size = \"2M\"\n") != NULL);
    CHECK(strstr(first.data, "loader.env.OMP_NUM_THREADS = \"4\"\n") != NULL);
    CHECK(strstr(first.data, "loader.env.HOME = { passthrough = true }\n") != NULL);
    CHECK(strstr(first.data, "  { type = \"tmpfs\", path = \"/tmp\" },\n") != NULL);
    manifest_free(m);
}

static void test_gramine_python_manifest_is_valid(void) {
    size_t size;
    char* text = read_data_file("gramine-python.manifest", &size);
    if (!text)
        return;
    struct manifest* m = parse_ok(text);
    free(text);
    if (!m)
        return;
    CHECK_STR(m->entrypoint, "/usr/bin/python3.11");
    CHECK(m->use_cmdline_argv);
    CHECK(m->mount_count == 6);
    CHECK(m->enclave_size == 1ull << 30);
    CHECK(m->max_threads == 32);
    CHECK(m->trusted_file_count == 6);
    CHECK(m->log_level == LOG_ERROR);
    manifest_free(m);
}

static void test_gramine_redis_manifest_is_valid(void) {
    size_t size;
    char* text = read_data_file("gramine-redis.manifest", &size);
    if (!text)
        return;
    struct manifest* m = parse_ok(text);
    free(text);
    if (!m)
        return;
    CHECK_STR(m->entrypoint, "/usr/bin/redis-server");
    CHECK(m->argc == 4);
    CHECK(m->max_threads == 8);
    CHECK(m->enable_sigterm_injection);
    manifest_free(m);
}

struct test_case {
    const char* name;
    void (*run)(void);
};

#define CASE(fn)                                                                                   \
    { #fn, fn }

static const struct test_case g_cases[] = {
    CASE(test_defaults_fill_every_optional_key),
    CASE(test_schema_defaults_are_valid_values),
    CASE(test_entrypoint_is_required),
    CASE(test_entrypoint_file_prefix_is_stripped),
    CASE(test_entrypoint_may_be_relative),
    CASE(test_gramine_loader_entrypoint_is_accepted),
    CASE(test_argv_type_error_names_key_and_position),
    CASE(test_argv_element_type_error_points_at_element),
    CASE(test_bool_key_rejects_string),
    CASE(test_every_key_checks_its_type),
    CASE(test_integer_range_is_checked),
    CASE(test_string_with_nul_is_rejected),
    CASE(test_syntax_error_has_file_line_col),
    CASE(test_unknown_key_suggests_closest),
    CASE(test_unknown_key_suggests_through_wildcard),
    CASE(test_unknown_top_level_name_is_reported_whole),
    CASE(test_old_gramine_mount_syntax_suggests_fs_mounts),
    CASE(test_unknown_key_without_close_match),
    CASE(test_unknown_key_in_table_section),
    CASE(test_value_where_a_table_belongs),
    CASE(test_experimental_keys_are_accepted),
    CASE(test_experimental_key_warns),
    CASE(test_unsupported_key_warns_and_is_kept),
    CASE(test_old_gramine_keys_are_accepted),
    CASE(test_all_errors_are_reported),
    CASE(test_errors_come_in_source_order),
    CASE(test_size_strings),
    CASE(test_bad_size_string_is_reported),
    CASE(test_sizes_land_in_model),
    CASE(test_negative_size_is_rejected),
    CASE(test_log_levels),
    CASE(test_unknown_log_level_lists_the_allowed),
    CASE(test_argv_is_kept_in_order),
    CASE(test_allowed_listen_is_kept_and_freed),
    CASE(test_argv_and_cmdline_argv_exclude_each_other),
    CASE(test_env_forms),
    CASE(test_env_passthrough_false_is_rejected),
    CASE(test_env_value_and_passthrough_exclude_each_other),
    CASE(test_env_table_needs_value_or_passthrough),
    CASE(test_env_table_field_typo_is_suggested),
    CASE(test_env_name_with_equals_is_rejected),
    CASE(test_mount_type_defaults_to_chroot),
    CASE(test_mounts_as_array_of_tables),
    CASE(test_mount_needs_path),
    CASE(test_mount_path_must_be_absolute),
    CASE(test_duplicate_mount_path_is_rejected),
    CASE(test_unknown_mount_type_is_rejected),
    CASE(test_tmpfs_takes_no_uri),
    CASE(test_chroot_needs_uri),
    CASE(test_uri_must_start_with_file),
    CASE(test_untrusted_shm_mount_takes_a_dev_uri),
    CASE(test_untrusted_shm_uri_errors),
    CASE(test_nothing_is_mounted_below_an_untrusted_shm_mount),
    CASE(test_mount_field_typo_is_suggested),
    CASE(test_encrypted_mount_key_name),
    CASE(test_key_name_only_on_encrypted_mounts),
    CASE(test_insecure_key_must_be_32_hex_digits),
    CASE(test_root_mount_can_be_replaced),
    CASE(test_thread_num_is_old_name_of_max_threads),
    CASE(test_trusted_and_allowed_files),
    CASE(test_trusted_file_errors),
    CASE(test_remote_attestation_forms),
    CASE(test_gramine_python_manifest_is_valid),
    CASE(test_gramine_redis_manifest_is_valid),
    CASE(test_effective_manifest_round_trips),
};

int main(int argc, char** argv) {
    int passed = 0, failed = 0;

    if (argc > 1)
        g_data_dir = argv[1];
    for (size_t i = 0; i < sizeof(g_cases) / sizeof(g_cases[0]); i++) {
        int before = g_failed_checks;
        g_cases[i].run();
        if (g_failed_checks == before) {
            passed++;
        } else {
            failed++;
            printf("FAIL %s\n", g_cases[i].name);
        }
    }
    printf("manifest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
