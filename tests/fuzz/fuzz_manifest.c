/* libFuzzer entry: every input goes through the TOML parser, its JSON dump, the manifest checker
 * and the effective-manifest writer, the same path `kernite manifest check` and `show` take. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"
#include "toml.h"

/* Output is produced and thrown away: the fuzzer looks for crashes, leaks and undefined
 * behaviour, and the sanitizers see every byte written. */
static void discard_output(void* ctx, const char* buf, size_t size) {
    size_t* total = ctx;

    *total += size;
    if (size)
        *total += (unsigned char)buf[size - 1];
}

static void discard_diag(void* ctx, bool is_error, const char* line) {
    size_t* total = ctx;

    *total += strlen(line) + is_error;
}

static void discard_log(const char* buf, unsigned long size) {
}

static void fuzz_toml(const char* text, size_t size) {
    struct toml_error err;
    struct toml_value* root = toml_parse(text, size, &err);
    size_t total = 0;

    if (root)
        toml_dump_json(root, discard_output, &total);
    toml_free(root);
}

static void fuzz_manifest(const char* text, size_t size) {
    struct manifest* m = NULL;
    size_t total = 0;

    if (manifest_parse_diag(text, size, "fuzz.manifest", &m, discard_diag, &total) == 0) {
        manifest_write_toml(m, discard_output, &total);
        manifest_free(m);
    }
}

/* Set from KERNITE_FUZZ_FORCE_LEAK: each input then leaks a few bytes, so that the test suite can
 * see that a leak fails a run (the proof that its fuzz test is able to fail). */
static bool g_force_leak;
static size_t g_leaked;

static void leak_on_purpose(size_t size) {
    char* p = malloc(32);

    if (!p)
        return;
    snprintf(p, 32, "%zu", size);
    g_leaked += strlen(p);
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    log_set_sink(discard_log);
    g_force_leak = getenv("KERNITE_FUZZ_FORCE_LEAK") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    /* An exact-size copy, not NUL-terminated, so that a read past the end is caught. */
    char* text = malloc(size ? size : 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    fuzz_toml(text, size);
    fuzz_manifest(text, size);
    free(text);
    if (g_force_leak)
        leak_on_purpose(size);
    return 0;
}
