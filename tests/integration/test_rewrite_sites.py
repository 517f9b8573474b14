"""Syscall sites of other shapes than `mov $nr, %eax; syscall`, rewritten and compared with
native."""

import re

from conftest import DATA, build_c_program


def test_read_with_its_number_set_early_is_rewritten(sandbox, syscall_path):
    """glibc's read (`xor %eax, %eax` ... `syscall; cmp $-4096, %rax`), 40,000 calls on both
    of its paths: the same results as natively and, with rewriting on, almost none trapped."""
    exe = build_c_program(DATA / "rewrite" / "reads.c", sandbox.tmp, ["-pthread"])
    app = sandbox.make_manifest(exe, mounts=[exe.parent], log_level="debug")
    native = sandbox.run_native([exe])
    kern = sandbox.run_kernite(app)
    report = native.describe("native") + kern.describe("kernite")
    assert native.returncode == 0 and "bad fd: -1, empty read: 0" in native.stdout, report
    assert kern.returncode == 0 and kern.stdout == native.stdout, report
    trapped = re.search(r"(\d+) sites patched, (\d+) syscalls trapped", kern.stderr)
    assert trapped, report
    if syscall_path == "rewrite":
        assert int(trapped.group(2)) < 1000, trapped.group(0)
    else:
        assert int(trapped.group(2)) > 80000, trapped.group(0)
