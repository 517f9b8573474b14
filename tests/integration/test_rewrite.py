"""Syscall rewriting: patched sites behave as trapped ones, under stress and across fork."""

import pytest

from conftest import DATA, build_c_program

STRESS_SECONDS = 60


def build(sandbox, name):
    bindir = sandbox.tmp / "bin"
    bindir.mkdir(exist_ok=True)
    return build_c_program(DATA / "rewrite" / f"{name}.c", bindir, ["-pthread"])


def test_stress_patching_while_threads_hammer_syscalls(sandbox, run_kernite, syscall_path):
    """8 threads call syscalls through glibc for a minute while 2 others keep mapping fresh
    code files and calling their syscall sites, so sites are patched and unmapped throughout;
    every result must be right and no code file may change on disk."""
    if syscall_path == "trap":
        pytest.skip("exercises the rewriting itself")
    exe = build(sandbox, "stress")
    scratch = sandbox.work / "code"
    scratch.mkdir()
    native = sandbox.run_native([exe, scratch, "2"], timeout=60)
    app = sandbox.make_manifest(exe, mounts=[exe.parent, sandbox.work])
    kern = run_kernite(app, [scratch, str(STRESS_SECONDS)], timeout=STRESS_SECONDS + 60)
    report = native.describe("native") + kern.describe("kernite")
    assert native.returncode == 0, report
    assert kern.returncode == 0 and kern.stdout == native.stdout, report


def test_rewriting_hazards_keep_results_right(compare, sandbox, syscall_path):
    """JIT code, a jump straight to a syscall instruction whose mov was rewritten, execute-only
    code, protection changes and new code at an address where rewritten code was unmapped:
    the same answers as native, and (with rewriting on) sites were really rewritten."""
    import re

    exe = build(sandbox, "hazards")
    native, kern = compare(exe, args=[sandbox.work], mounts=[exe.parent], log_level="debug")
    assert "WRONG" not in kern.stdout
    if syscall_path == "rewrite":
        patched = re.search(r"(\d+) sites patched", kern.stderr)
        assert patched and int(patched.group(1)) > 0, kern.describe("kernite")


def assert_probe_sites(kern, syscall_path):
    """The register probes' sites were rewritten, or with rewriting off left as built."""
    import re

    states = re.findall(r": site (rewritten|as built)$", kern.stderr, re.M)
    want = "rewritten" if syscall_path == "rewrite" else "as built"
    assert states and set(states) == {want}, kern.describe("kernite")


def test_syscalls_keep_registers_flags_vector_state_and_red_zone(compare, sandbox,
                                                                 syscall_path):
    """glibc-style sites of a call the library OS answers (getppid) and of one it passes to the
    host (sched_yield), each called 2000 times with fresh values: every general register but
    rax, rcx and r11, the flags, xmm (and ymm with AVX) and the red zone come back as they
    went in, with rcx the resume address and r11 the flags, as from the kernel."""
    exe = build(sandbox, "regs")
    native, kern = compare(exe, mounts=[exe.parent])
    assert "WRONG" not in kern.stdout
    assert_probe_sites(kern, syscall_path)


def test_signals_during_syscalls_leave_registers_and_vector_state_intact(compare, sandbox,
                                                                         syscall_path):
    """The same probes while an interval timer keeps interrupting them with a handler that
    clobbers the vector registers and the flags: calls interrupted inside the library OS
    deliver the signal and still return every register as it was."""
    exe = build(sandbox, "regs")
    native, kern = compare(exe, args=["signals"], mounts=[exe.parent], timeout=120)
    assert "WRONG" not in kern.stdout
    assert_probe_sites(kern, syscall_path)


def test_forked_child_runs_the_parents_rewritten_code_and_its_file_mappings(compare, sandbox,
                                                                          syscall_path):
    """A child forked after its parent's sites were rewritten finds the parent's code as it
    was, gets the right results from it, patches sites of its own, maps new code where patched
    code was and forks again; private file mappings come back with the pages the parent wrote
    (one made read-only afterwards, as RELRO is, stays so), the file's bytes elsewhere, also
    when the file was replaced on disk before the fork, and the same file maps again in the
    child; a mapping rebuilt from pieces of one file starts at the right offset."""
    exe = build(sandbox, "fork")
    native, kern = compare(exe, args=[sandbox.work], mounts=[exe.parent])
    assert "WRONG" not in native.stdout and "WRONG" not in kern.stdout
    assert kern.stdout.count("status 0") == 5, kern.describe("kernite")


def test_forked_child_does_not_trap_again_where_its_parent_was_rewritten(sandbox, run_kernite,
                                                                         syscall_path):
    """The child calls only sites the parent had patched (200 times each): it inherits them,
    and only the calls its parent never made (glibc's set_robust_list after fork, exit_group)
    still trap in it."""
    import re

    if syscall_path == "trap":
        pytest.skip("counts rewritten sites")
    exe = build(sandbox, "fork")
    app = sandbox.make_manifest(exe, mounts=[exe.parent, sandbox.work], log_level="debug")
    kern = run_kernite(app, [sandbox.work, "inherit"])
    assert kern.returncode == 0 and "status 0" in kern.stdout, kern.describe("kernite")
    inherited = re.search(r"fork: (\d+) syscall sites inherited", kern.stderr)
    assert inherited and int(inherited.group(1)) >= 4, kern.describe("kernite")
    child = re.search(r"(\d+) syscalls trapped\n(?:.*trapped \d+ times at.*\n)*"
                      r".*process 2 exits", kern.stderr)
    assert child and int(child.group(1)) <= 3, kern.describe("kernite")
