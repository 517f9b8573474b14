/* The `kernite` command: checks, shows and documents manifests, and dumps TOML as JSON. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "toml.h"

#define EXIT_USAGE 2

struct command {
    const char* group; /* first word, or NULL for a one-word command */
    const char* name;
    const char* args;
    const char* help;
    int (*run)(int argc, char** argv); /* argv[0] is the first argument after the name */
};

static const struct command g_commands[];

static void write_stdout(void* ctx, const char* buf, size_t size) {
    fwrite(buf, 1, size, stdout);
}

/* Reads a whole file; returns 0 or -errno. */
static int read_file(const char* path, char** text, size_t* size) {
    FILE* f = fopen(path, "rb");
    char* buf = NULL;
    size_t len = 0, cap = 0;
    int ret = 0;

    if (!f)
        return -errno;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char* grown = realloc(buf, cap + 1);
            if (!grown) {
                ret = -ENOMEM;
                goto out;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        ret = -EIO;
        goto out;
    }
    buf[len] = '\0';
    *text = buf;
    *size = len;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return ret;
}

static int read_or_complain(const char* path, char** text, size_t* size) {
    int ret = read_file(path, text, size);

    if (ret < 0)
        fprintf(stderr, "kernite: %s: %s\n", path, strerror(-ret));
    return ret;
}

struct diag_count {
    int errors;
};

static void print_diag(void* ctx, bool is_error, const char* line) {
    struct diag_count* count = ctx;

    if (is_error)
        count->errors++;
    fprintf(stderr, "%s%s\n", line, is_error ? "" : " (warning)");
}

static int load_manifest(const char* path, struct manifest** m) {
    struct diag_count count = {0};
    char* text;
    size_t size;
    int ret;

    ret = read_or_complain(path, &text, &size);
    if (ret < 0)
        return ret;
    ret = manifest_parse_diag(text, size, path, m, print_diag, &count);
    if (ret == -ENOMEM)
        fprintf(stderr, "kernite: %s: out of memory\n", path);
    free(text);
    return ret;
}

/*
 * What only the host can tell: a chroot mount whose host path does not exist. Relative host
 * paths are taken from the current directory, as kernite-direct will take them.
 */
static int check_host_mount(const char* file, const char* key, const struct manifest_mount* mnt) {
    struct stat st;
    struct toml_pos pos = mnt->uri_pos.line ? mnt->uri_pos : mnt->pos;

    if (strcmp(mnt->type, "chroot") || !mnt->host_path)
        return 0;
    if (stat(mnt->host_path, &st) == 0)
        return 0;
    fprintf(stderr, "%s:%d:%d: key '%s': host path '%s' does not exist\n", file,
            pos.line ? pos.line : 1, pos.col ? pos.col : 1, key, mnt->host_path);
    return -ENOENT;
}

static int check_host_paths(const struct manifest* m) {
    char key[64];
    int ret = 0;

    if (m->root_mount.pos.line && check_host_mount(m->file, "fs.root.uri", &m->root_mount) < 0)
        ret = -ENOENT;
    for (size_t i = 0; i < m->mount_count; i++) {
        snprintf(key, sizeof(key), "fs.mounts[%zu].uri", i);
        if (check_host_mount(m->file, key, &m->mounts[i]) < 0)
            ret = -ENOENT;
    }
    return ret;
}

static int cmd_manifest_check(int argc, char** argv) {
    bool host_paths = true;
    const char* path = NULL;
    struct manifest* m;
    int ret;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--no-host-paths"))
            host_paths = false;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            return -EINVAL;
    }
    if (!path)
        return -EINVAL;

    if (load_manifest(path, &m) < 0)
        return 1;
    ret = host_paths ? check_host_paths(m) : 0;
    manifest_free(m);
    return ret < 0 ? 1 : 0;
}

static int cmd_manifest_show(int argc, char** argv) {
    struct manifest* m;

    if (argc != 1)
        return -EINVAL;
    if (load_manifest(argv[0], &m) < 0)
        return 1;
    manifest_write_toml(m, write_stdout, NULL);
    manifest_free(m);
    return 0;
}

static const char* key_default(const struct manifest_key_spec* spec) {
    if (spec->default_text)
        return spec->default_text;
    return spec->flags & MANIFEST_KEY_REQUIRED ? "(required)" : "(none)";
}

static const char* key_note(const struct manifest_key_spec* spec) {
    if (spec->flags & MANIFEST_KEY_DEPRECATED)
        return " [old name]";
    if (spec->flags & MANIFEST_KEY_UNSUPPORTED)
        return " [not supported yet]";
    if (spec->flags & MANIFEST_KEY_IGNORED)
        return " [checked, not used yet]";
    return "";
}

static void print_key_text(const char* key, const struct manifest_key_spec* spec) {
    printf("%-44s %-16s %s\n", key, manifest_kind_name(spec->kind), key_default(spec));
    printf("    %s%s\n", spec->help, key_note(spec));
    if (spec->allowed) {
        printf("    one of:");
        for (size_t i = 0; spec->allowed[i]; i++)
            printf(" %s", spec->allowed[i]);
        printf("\n");
    }
}

/* Markdown table cells: a '|' would end the cell. */
static void print_cell(const char* s) {
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', stdout);
        fputc(*s, stdout);
    }
}

static void print_key_markdown(const char* key, const struct manifest_key_spec* spec) {
    printf("| `%s` | %s | ", key, manifest_kind_name(spec->kind));
    if (spec->default_text) {
        printf("`");
        print_cell(spec->default_text);
        printf("`");
    } else {
        printf("%s", key_default(spec));
    }
    printf(" | ");
    print_cell(spec->help);
    printf("%s", key_note(spec));
    if (spec->allowed) {
        printf("; one of");
        for (size_t i = 0; spec->allowed[i]; i++)
            printf(" `%s`", spec->allowed[i]);
    }
    printf(" |\n");
}

/* Patterns as users read them: "loader.env.*" is "loader.env.NAME". */
static void display_key(const char* pattern, char* buf, size_t size) {
    const char* star = strchr(pattern, '*');

    if (star)
        snprintf(buf, size, "%.*sNAME%s", (int)(star - pattern), pattern, star + 1);
    else
        snprintf(buf, size, "%s", pattern);
}

static void print_key(const char* pattern, const struct manifest_key_spec* spec, bool markdown) {
    char key[160];

    display_key(pattern, key, sizeof(key));
    if (markdown)
        print_key_markdown(key, spec);
    else
        print_key_text(key, spec);
}

/* Fields of table-valued keys are listed right after their key, as KEY[].FIELD or KEY.FIELD. */
static void print_fields(const struct manifest_key_spec* spec, bool markdown) {
    size_t count;
    const struct manifest_key_spec* fields = manifest_schema_fields(spec->kind, &count);
    const char* sep = spec->kind == MK_MOUNT_ARRAY || spec->kind == MK_FILE_ARRAY ? "[]." : ".";
    char key[128];

    for (size_t i = 0; i < count; i++) {
        snprintf(key, sizeof(key), "%s%s%s", spec->pattern, sep, fields[i].pattern);
        print_key(key, &fields[i], markdown);
    }
}

static int cmd_manifest_keys(int argc, char** argv) {
    bool markdown = argc == 1 && !strcmp(argv[0], "--markdown");
    size_t count;
    const struct manifest_key_spec* schema = manifest_schema(&count);

    if (argc > 1 || (argc == 1 && !markdown))
        return -EINVAL;
    if (markdown) {
        printf("| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    } else {
        printf("%-44s %-16s %s\n", "KEY", "TYPE", "DEFAULT");
    }
    for (size_t i = 0; i < count; i++) {
        print_key(schema[i].pattern, &schema[i], markdown);
        print_fields(&schema[i], markdown);
    }
    return 0;
}

/* The renderer is a Python program installed next to this binary (and copied next to it in the
 * build tree); this command runs it with the same arguments. */
static int cmd_manifest_render(int argc, char** argv) {
    char self[4096];
    char script[4096 + 32];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char* slash;

    if (len < 0) {
        fprintf(stderr, "kernite: /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(script, sizeof(script), "%s/kernite-manifest", self);
    argv[-1] = script; /* the slot of "render": the script sees itself as argv[0] */
    execv(script, argv - 1);
    fprintf(stderr, "kernite: %s: %s\n", script, strerror(errno));
    return 1;
}

static int cmd_toml_dump(int argc, char** argv) {
    struct toml_error err;
    struct toml_value* root;
    char* text;
    size_t size;

    if (argc != 1)
        return -EINVAL;
    if (read_or_complain(argv[0], &text, &size) < 0)
        return 1;
    root = toml_parse(text, size, &err);
    free(text);
    if (!root) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[0], err.pos.line, err.pos.col, err.message);
        return 1;
    }
    toml_dump_json(root, write_stdout, NULL);
    printf("\n");
    toml_free(root);
    return 0;
}

static void usage(FILE* out) {
    fprintf(out, "usage: kernite COMMAND [ARGS]\n\ncommands:\n");
    for (const struct command* c = g_commands; c->name; c++) {
        char words[64];
        snprintf(words, sizeof(words), "%s%s%s %s", c->group ? c->group : "", c->group ? " " : "",
                 c->name, c->args);
        fprintf(out, "  %-40s %s\n", words, c->help);
    }
    fprintf(out, "\nExit status: 0 on success, 1 when the input is invalid, 2 on bad usage.\n");
}

static int cmd_help(int argc, char** argv) {
    usage(stdout);
    return 0;
}

int kernite_pf_main(int argc, char** argv); /* tools/kernite_pf.c */

static const struct command g_commands[] = {
    {"manifest", "check", "[--no-host-paths] FILE", "validate a manifest; errors as FILE:LINE:COL",
     cmd_manifest_check},
    {"manifest", "show", "FILE", "print the effective manifest, defaults filled in",
     cmd_manifest_show},
    {"manifest", "keys", "[--markdown]", "list every manifest key: type, default, meaning",
     cmd_manifest_keys},
    {"manifest", "render", "[-Dk=v] [TEMPLATE [OUT]]",
     "render a Jinja2 template and check it", cmd_manifest_render},
    {"toml", "dump", "FILE", "print a TOML file as JSON (toml-test form)", cmd_toml_dump},
    {NULL, "pf", "COMMAND OPTIONS", "protected files: encrypt, decrypt, verify, gen-key, wrap-key",
     kernite_pf_main},
    {NULL, "help", "", "show this help", cmd_help},
    {NULL, NULL, NULL, NULL, NULL},
};

static const struct command* find_command(int argc, char** argv, int* used) {
    for (const struct command* c = g_commands; c->name; c++) {
        if (!c->group && argc >= 2 && !strcmp(argv[1], c->name)) {
            *used = 2;
            return c;
        }
        if (c->group && argc >= 3 && !strcmp(argv[1], c->group) && !strcmp(argv[2], c->name)) {
            *used = 3;
            return c;
        }
    }
    return NULL;
}

int main(int argc, char** argv) {
    const struct command* c;
    int used;
    int ret;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cmd_help(0, NULL);
    c = find_command(argc, argv, &used);
    if (!c) {
        if (argc >= 2)
            fprintf(stderr, "kernite: unknown command '%s%s%s'\n", argv[1], argc >= 3 ? " " : "",
                    argc >= 3 ? argv[2] : "");
        usage(stderr);
        return EXIT_USAGE;
    }

    ret = c->run(argc - used, argv + used);
    if (ret == -EINVAL) {
        fprintf(stderr, "usage: kernite %s%s%s %s\n", c->group ? c->group : "", c->group ? " " : "",
                c->name, c->args);
        return EXIT_USAGE;
    }
    if (fflush(stdout) != 0)
        return 1;
    return ret;
}
