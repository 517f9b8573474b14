"""A thread that unmaps and protects a buffer while another passes it to syscalls: between
Kernite's check of the buffer and its copy the memory may go, and the call must then fail with
EFAULT (as on Linux) instead of faulting inside the library OS."""

import pytest

from conftest import DATA, build_c_program

TIMEOUT = 120


@pytest.fixture(scope="module")
def unmap_race(tmp_path_factory):
    return build_c_program(DATA / "hostile" / "unmap_race.c", tmp_path_factory.mktemp("race"),
                           extra_flags=["-pthread"])


@pytest.mark.parametrize("where", ["host", "tmpfs"])
def test_buffer_unmapped_under_a_syscall_gives_efault_not_a_crash(sandbox, unmap_race, where):
    native = sandbox.run_native([unmap_race, sandbox.work], timeout=TIMEOUT)
    scratch = str(sandbox.work) if where == "host" else "/scratch"
    mounts = [unmap_race.parent, sandbox.work]
    if where == "tmpfs":
        mounts.append({"type": "tmpfs", "path": scratch})
    app = sandbox.make_manifest(unmap_race, mounts=mounts, argv=[str(unmap_race), scratch])
    kern = sandbox.run_kernite(app, timeout=TIMEOUT)
    report = native.describe("native") + kern.describe("kernite")

    expected = "answered 45000 of 45000 calls, 0 odd\n"
    assert native.stdout == expected, report
    assert kern.returncode == 0, report
    assert kern.stdout == expected, report
