"""Hostile manifests: bad values for keys the loader acts on late (the stack size, the start
directory in an empty root), and malformed TOML (deep nesting, huge strings, NUL bytes, invalid
UTF-8). Each must end with one line FILE:LINE:COL naming the key, never a crash or a hang."""

import re

import pytest

TIMEOUT = 30


def run_with(sandbox, extra=None, drop=(), raw=b""):
    app = sandbox.make_manifest("/usr/bin/true", argv=["true"])
    path = str(app) + ".manifest"
    lines = [line for line in open(path).read().splitlines()
             if not any(line.startswith(key) for key in drop)]
    if extra:
        lines.append(extra)
    with open(path, "wb") as f:
        f.write("\n".join(lines).encode() + b"\n" + raw)
    return sandbox.run_kernite(app, timeout=TIMEOUT)


def assert_one_line_error(result, *needles):
    report = result.describe("kernite")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 0 < result.returncode < 128, "expected a clean non-zero exit\n" + report
    assert len(lines) == 1, "expected one line of error\n" + report
    assert re.search(r"true\.manifest:\d+:\d+", lines[0]), "no FILE:LINE:COL\n" + report
    assert "fault" not in lines[0], report
    for needle in needles:
        assert needle in lines[0], f"error does not say {needle!r}\n" + report


@pytest.mark.parametrize("size", ["12", "0", "4096"])
def test_stack_too_small_for_the_arguments_is_an_error_not_a_fault(sandbox, size):
    result = run_with(sandbox, f"sys.stack.size = {size}")
    assert_one_line_error(result, "sys.stack.size", "/usr/bin/true")


def test_start_dir_missing_from_the_root_names_key_and_reason(sandbox):
    result = run_with(sandbox, "fs.root = {}", drop=("fs.root",))
    assert_one_line_error(result, "fs.start_dir", "No such file or directory")


@pytest.mark.parametrize("value", [
    b"[" * 100000 + b"]" * 100000,
    b"{a=" * 20000 + b"1" + b"}" * 20000,
    b'"' + b"A" * 2000000 + b'"',
    b'"a\\u0000b"',
    b'"\xff\xfe\xc0\x80"',
    b"99999999999999999999999",
    b'"99999999999999999999G"',
])
def test_malformed_values_are_one_line_errors(sandbox, value):
    result = run_with(sandbox, drop=("loader.log_level",),
                      raw=b"loader.log_level = " + value + b"\n")
    assert_one_line_error(result)
