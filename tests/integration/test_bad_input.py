"""Bad manifests and bad programs: each must end with a non-zero exit and one line on stderr that
names the file, the line or the key at fault; never a crash or a hang."""

import re
import shutil

import pytest

from conftest import DATA, build_c_program

TIMEOUT = 30


def line_of(app, text):
    """1-based line number of the first manifest line containing text."""
    lines = open(str(app) + ".manifest").read().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def replace_in_manifest(app, old, new):
    path = str(app) + ".manifest"
    text = open(path).read()
    assert old in text
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


def assert_rejected(result, *needles):
    report = result.describe("kernite")
    assert 0 < result.returncode < 128, "expected a clean non-zero exit\n" + report
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, "expected exactly one line of error\n" + report
    for needle in needles:
        if isinstance(needle, re.Pattern):
            assert needle.search(lines[0]), f"error does not match {needle.pattern}\n" + report
        else:
            assert needle in lines[0], f"error does not name {needle!r}\n" + report
    assert result.stdout == "", "nothing should run\n" + report


def test_malformed_toml_names_file_line_and_column(sandbox):
    app = sandbox.write_manifest_text(
        'libos.entrypoint = "/usr/bin/true"\n'
        'loader.argv = ["true"]\n'
        'loader.log_level = "error\n'
        'fs.mounts = [ { path = "/usr", uri = "file:/usr" } ]\n')
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, re.compile(r"app\.manifest:3:\d+"))


def test_duplicate_key_names_its_second_definition(sandbox):
    app = sandbox.write_manifest_text(
        'libos.entrypoint = "/usr/bin/true"\n'
        'loader.argv = ["true"]\n'
        '\n'
        'libos.entrypoint = "/usr/bin/false"\n')
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, re.compile(r"app\.manifest:4:\d+"), "libos.entrypoint")


def test_unknown_key_names_key_and_line(sandbox):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"], extra="loader.no_such_key = 1")
    line = line_of(app, "no_such_key")
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, f"true.manifest:{line}:", "loader.no_such_key")


@pytest.mark.parametrize("key, old, new", [
    ("sgx.max_threads", "sgx.max_threads = 64", 'sgx.max_threads = "sixteen"'),
    ("loader.log_level", 'loader.log_level = "error"', "loader.log_level = 3"),
    ("loader.argv", 'loader.argv = ["true"]', 'loader.argv = "true"'),
    ("sgx.enclave_size", 'sgx.enclave_size = "1G"', 'sgx.enclave_size = "one gigabyte"'),
])
def test_wrong_value_type_names_key_and_line(sandbox, key, old, new):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"])
    replace_in_manifest(app, old, new)
    line = line_of(app, new)
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, f"true.manifest:{line}:", key)


def test_missing_manifest_file_is_named(sandbox):
    result = sandbox.run_kernite(sandbox.tmp / "nothing-here", timeout=TIMEOUT)
    assert_rejected(result, "nothing-here.manifest")


def test_missing_entrypoint_file_is_named(sandbox):
    app = sandbox.make_manifest("/usr/bin/kernite-no-such-program", argv=["x"])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, "/usr/bin/kernite-no-such-program")


def test_non_elf_entrypoint_is_named(sandbox):
    notes = sandbox.work / "notes.txt"
    notes.write_text("this is plain text, not a program\n" * 20)
    app = sandbox.make_manifest(str(notes), mounts=[sandbox.work], argv=["notes"])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, str(notes))


@pytest.mark.parametrize("keep", ["header", "half"])
def test_truncated_elf_entrypoint_is_named(sandbox, keep):
    data = open("/usr/bin/busybox", "rb").read()
    cut = sandbox.work / "busybox-cut"
    cut.write_bytes(data[:40] if keep == "header" else data[:len(data) // 2])
    cut.chmod(0o755)
    app = sandbox.make_manifest(str(cut), mounts=[sandbox.work], argv=["busybox", "true"])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, str(cut))


def test_mount_of_missing_host_path_is_named(sandbox):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"],
                                mounts=[{"path": "/data", "uri": "file:/kernite-missing-host-dir"}])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    assert_rejected(result, "/kernite-missing-host-dir")


def test_untrusted_shm_mount_without_uri_names_the_key(sandbox):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"],
                                mounts=[{"type": "untrusted_shm", "path": "/dev/shm"}])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    line = line_of(app, 'type = "untrusted_shm"')
    assert_rejected(result, re.compile(rf"true\.manifest:{line}:\d+"), "fs.mounts[",
                    "an untrusted_shm mount needs a 'uri'")


def test_mount_below_an_untrusted_shm_mount_is_a_subdirectory_error(sandbox):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"], mounts=[
        {"type": "untrusted_shm", "path": "/dev/shm", "uri": "dev:/dev/shm"},
        {"type": "tmpfs", "path": "/dev/shm/sub"}])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    line = line_of(app, '"/dev/shm/sub"')
    assert_rejected(result, re.compile(rf"true\.manifest:{line}:\d+"), "'/dev/shm/sub'",
                    "sub-directory", "untrusted_shm")


def test_untrusted_shm_mount_of_a_file_uri_is_rejected(sandbox):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"], mounts=[
        {"type": "untrusted_shm", "path": "/dev/shm", "uri": "file:/dev/shm"}])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    line = line_of(app, '"file:/dev/shm"')
    assert_rejected(result, re.compile(rf"true\.manifest:{line}:\d+"), 'expected a "dev:" URI')


@pytest.fixture(scope="module")
def enosys_program(tmp_path_factory):
    return build_c_program(DATA / "enosys.c", tmp_path_factory.mktemp("enosys"))


def test_unimplemented_syscall_returns_enosys_and_is_logged_once(sandbox, enosys_program):
    shutil.copy(enosys_program, sandbox.work / "enosys")
    exe = sandbox.work / "enosys"
    app = sandbox.make_manifest(str(exe), mounts=[sandbox.work], argv=[str(exe)],
                                log_level="warning")
    native = sandbox.run_native([exe], timeout=TIMEOUT)
    kern = sandbox.run_kernite(app, timeout=TIMEOUT)
    report = native.describe("native") + kern.describe("kernite")

    expected = "syscall 400 returned -1, errno 38\n" * 2
    assert native.stdout == expected, report
    assert kern.returncode == 0, report
    assert kern.stdout == expected, report
    mentions = [line for line in kern.stderr.splitlines() if re.search(r"\b400\b", line)]
    assert len(mentions) == 1, "the unimplemented syscall should be logged exactly once\n" + report


def test_trace_level_logs_each_syscall_by_name(sandbox):
    app = sandbox.make_manifest("/usr/bin/busybox", argv=["busybox", "echo", "traced"],
                                log_level="trace")
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    report = result.describe("kernite")
    assert result.returncode == 0, report
    assert result.stdout == "traced\n", report
    assert re.search(r"\bwrite\(1,", result.stderr), "no trace of write(1, ...)\n" + report
    assert re.search(r"\bexit_group\(0", result.stderr), "no trace of exit_group(0)\n" + report
