"""ELF loading and the app's address space: every kind of executable, the initial stack and
auxv, no host vDSO, and the memory syscalls, each compared with the native run."""

import pytest

from conftest import DATA, build_c_program


def build(sandbox, source, flags=()):
    """Builds a test program into its own directory, which the tests mount for the app."""
    bindir = sandbox.tmp / "bin"
    bindir.mkdir(exist_ok=True)
    return build_c_program(source, bindir, flags)

ELF_KINDS = {
    "static": ["-static", "-no-pie"],
    "static-pie": ["-static-pie"],
    "dynamic-pie": ["-pie", "-fPIE"],
    "dynamic-non-pie": ["-no-pie"],
}


@pytest.mark.parametrize("kind", sorted(ELF_KINDS))
def test_every_elf_kind_runs_like_native(compare, sandbox, kind):
    exe = build(sandbox, DATA / "loader" / "hello.c", ELF_KINDS[kind])
    native, kern = compare(exe, args=["one", "two words"], mounts=[exe.parent])
    assert native.returncode == 3


def test_auxv_has_what_glibc_needs(compare, sandbox):
    exe = build(sandbox, DATA / "loader" / "auxv.c")
    native, kern = compare(exe, mounts=[exe.parent])
    assert "random present" in kern.stdout and "pagesz 4096" in kern.stdout


def test_vdso_time_agrees_with_the_syscall_clock(compare, sandbox):
    """The app gets the library OS's vDSO (not the host's image); its clock and the emulated
    syscall's never disagree in order."""
    exe = build(sandbox, DATA / "loader" / "vdso.c")
    native, kern = compare(exe, mounts=[exe.parent])
    assert "vdso present" in kern.stdout and "agree: yes" in kern.stdout


def test_shebang_script_runs_its_interpreter(compare, sandbox):
    def setup(work):
        script = work / "greet.sh"
        script.write_text("#!/usr/bin/busybox sh\necho \"hello from $0 with $1\"\nexit 4\n")
        script.chmod(0o755)
    compare(sandbox.work / "greet.sh", args=["world"], setup=setup)


def test_memory_syscalls_behave_like_native(compare, sandbox):
    exe = build(sandbox, DATA / "mm" / "mappings.c")
    native, kern = compare(exe, mounts=[exe.parent])
    assert "mremap ok, contents kept: yes" in kern.stdout
