/* Tests of guest path normalisation (libos/fs/pathname.c), built against the host libc.
 *
 * Prints one line per failed case and a final "vfs_path: N passed, M failed"; exits 0 only if
 * M == 0. */
#include <errno.h>

#include "pathname.h"

static int passed, failed;

static void expect_normal(const char* base, const char* path, const char* want) {
    char* got = NULL;
    int ret = vfs_path_normalize(base, path, &got);

    if (ret == 0 && strcmp(got, want) == 0) {
        passed++;
    } else {
        failed++;
        printf("FAIL normalize(\"%s\", \"%s\"): got %s (%d), want \"%s\"\n", base, path,
               ret == 0 ? got : "error", ret, want);
    }
    free(got);
}

static void expect_error(const char* base, const char* path, int want) {
    char* got = NULL;
    int ret = vfs_path_normalize(base, path, &got);

    if (ret == want) {
        passed++;
    } else {
        failed++;
        printf("FAIL normalize(\"%s\", \"%s\") = %d, want %d\n", base, path, ret, want);
    }
    free(got);
}

static void expect_basename(const char* path, const char* want) {
    const char* got = vfs_path_basename(path);

    if (strcmp(got, want) == 0) {
        passed++;
    } else {
        failed++;
        printf("FAIL basename(\"%s\") = \"%s\", want \"%s\"\n", path, got, want);
    }
}

static void test_absolute_paths_ignore_the_base(void) {
    expect_normal("/home/user", "/etc/passwd", "/etc/passwd");
    expect_normal("/home/user", "/", "/");
}

static void test_relative_paths_join_the_base(void) {
    expect_normal("/home/user", "notes.txt", "/home/user/notes.txt");
    expect_normal("/", "a/b", "/a/b");
}

static void test_dot_and_repeated_slashes_vanish(void) {
    expect_normal("/", "//a///./b/.//c/", "/a/b/c");
    expect_normal("/x", ".", "/x");
    expect_normal("/x", "./", "/x");
}

static void test_dotdot_removes_one_component(void) {
    expect_normal("/a/b/c", "..", "/a/b");
    expect_normal("/a/b/c", "../../d", "/a/d");
    expect_normal("/", "a/b/../c", "/a/c");
}

static void test_dotdot_never_climbs_above_the_root(void) {
    expect_normal("/", "..", "/");
    expect_normal("/a", "../../../../etc", "/etc");
    expect_normal("/", "/../../a/..", "/");
}

static void test_names_made_of_dots_are_names(void) {
    expect_normal("/", "...", "/...");
    expect_normal("/", "a/.hidden/..x", "/a/.hidden/..x");
}

static void test_too_long_paths_are_refused(void) {
    static char long_path[VFS_PATH_MAX + 16];

    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    expect_error("/", long_path, -ENAMETOOLONG);
}

static void test_a_long_path_that_shrinks_is_fine(void) {
    static char path[VFS_PATH_MAX * 2];
    size_t pos = 0;

    /* Each "x/.." cancels out, so the result is short although the input is not. */
    while (pos + 5 < sizeof(path) - 2) {
        memcpy(path + pos, "x/../", 5);
        pos += 5;
    }
    memcpy(path + pos, "y", 2);
    expect_normal("/", path, "/y");
}

static void test_basename_is_the_last_component(void) {
    expect_basename("/usr/bin/python3", "python3");
    expect_basename("/", "");
    expect_basename("/a", "a");
}

int main(void) {
    test_absolute_paths_ignore_the_base();
    test_relative_paths_join_the_base();
    test_dot_and_repeated_slashes_vanish();
    test_dotdot_removes_one_component();
    test_dotdot_never_climbs_above_the_root();
    test_names_made_of_dots_are_names();
    test_too_long_paths_are_refused();
    test_a_long_path_that_shrinks_is_fine();
    test_basename_is_the_last_component();
    printf("vfs_path: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
