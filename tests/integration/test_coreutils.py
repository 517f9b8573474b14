"""Debian's coreutils under Kernite on a mounted directory, compared with native runs."""

import hashlib
import os

FIXED_TIME = (1_700_000_000, 1_700_000_000)


def prepare_tree(work):
    """A small directory tree with known contents, modes and times."""
    tree = work / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "hello.txt").write_text("hello, world\n")
    (tree / "numbers.txt").write_text("".join(f"{n}\n" for n in (42, 7, 19, 3, 100, 7)))
    (tree / "script.sh").write_text("#!/bin/sh\necho hi\n")
    (tree / "script.sh").chmod(0o755)
    (tree / "private").write_text("secret\n")
    (tree / "private").chmod(0o600)
    (tree / "sub" / "notes.md").write_text("# Notes\n\n- one\n- two\n")
    (tree / "sub" / "deeper" / "empty").write_bytes(b"")
    os.symlink("hello.txt", tree / "link-to-hello")
    for dirpath, dirnames, filenames in os.walk(work, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), FIXED_TIME, follow_symlinks=False)
        os.utime(dirpath, FIXED_TIME)


def prepare_blob(work):
    """A 3 MiB file of deterministic bytes, so that reads span many buffers."""
    chunks = [hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(3 * 32768)]
    (work / "blob.bin").write_bytes(b"".join(chunks))
    prepare_tree(work)


def test_ls_la_lists_prepared_directory(compare):
    compare("/usr/bin/ls", ["-la", "tree", "tree/sub"], setup=prepare_tree)


def test_ls_reports_missing_path(compare):
    native, _ = compare("/usr/bin/ls", ["-l", "no-such-entry"], setup=prepare_tree, stderr=True)
    assert native.returncode == 2


def test_cat_concatenates_files(compare):
    compare("/usr/bin/cat", ["tree/hello.txt", "tree/numbers.txt", "tree/sub/notes.md"],
            setup=prepare_tree)


def test_sort_orders_numerically_and_uniquely(compare):
    compare("/usr/bin/sort", ["-n", "-u", "tree/numbers.txt"], setup=prepare_tree)


def test_sort_by_key_writes_output_file(compare):
    def setup(work):
        rows = ["pear,3", "apple,10", "fig,3", "kiwi,1", "banana,22", "apple,2"]
        (work / "fruit.csv").write_text("\n".join(rows) + "\n")

    compare("/usr/bin/sort", ["-t,", "-k2,2n", "-k1,1", "-o", "sorted.csv", "fruit.csv"],
            setup=setup, files=True)


def test_wc_counts_lines_words_bytes(compare):
    compare("/usr/bin/wc", ["tree/hello.txt", "tree/numbers.txt", "tree/sub/notes.md", "blob.bin"],
            setup=prepare_blob)


def test_sha256sum_of_small_and_large_files(compare):
    native, _ = compare("/usr/bin/sha256sum", ["blob.bin", "tree/hello.txt"], setup=prepare_blob)
    expected = hashlib.sha256(b"hello, world\n").hexdigest()
    assert f"{expected}  tree/hello.txt" in native.stdout


def test_cp_r_copies_tree(compare):
    compare("/usr/bin/cp", ["-r", "tree", "copy"], setup=prepare_tree, files=True)


def test_cp_p_preserves_mode_and_times(compare):
    compare("/usr/bin/cp", ["-p", "tree/script.sh", "tree/private", "tree/sub"],
            setup=prepare_tree, files=True, mtimes=True)


def test_mkdir_p_creates_nested_directories(compare):
    compare("/usr/bin/mkdir", ["-p", "a/b/c/d", "tree/sub/deeper/new", "x/y"],
            setup=prepare_tree, files=True)


def test_mkdir_m_sets_mode(compare):
    compare("/usr/bin/mkdir", ["-m", "0700", "locked"], files=True)


def test_rm_r_removes_tree(compare):
    compare("/usr/bin/rm", ["-r", "tree/sub", "tree/link-to-hello"], setup=prepare_tree,
            files=True)


def test_rm_reports_missing_file(compare):
    native, _ = compare("/usr/bin/rm", ["gone.txt"], stderr=True)
    assert native.returncode == 1


def test_date_prints_current_year(compare):
    compare("/usr/bin/date", ["+%Y"])


def test_date_formats_given_epoch_in_utc(compare):
    compare("/usr/bin/date", ["-d", "@1234567890", "+%F %T %Z %A"])


def test_env_prints_manifest_environment(compare):
    def lines(text):
        return sorted(text.splitlines())

    native, _ = compare("/usr/bin/env", [], env={"GREETING": "hello world", "EMPTY": ""},
                        normalize=lines)
    assert "GREETING=hello world" in native.stdout.splitlines()
