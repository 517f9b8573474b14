"""How the app's syscalls are caught: Syscall User Dispatch by default, the seccomp filter when
chosen (KERNITE_SYSCALL_FILTER=seccomp) or when the kernel refuses dispatch. Either way every
syscall instruction of the app reaches the library OS, in every thread and process, and the app
cannot turn the catching off."""

import ctypes
import re

import pytest

from conftest import BASE_ENV, DATA, FILTER_SWITCH, KERNITE, build_c_program, run_sandboxed

FILTERS = ["dispatch", "seccomp"]
SIGSYS = 31

# prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF) succeeds where the kernel has it.
HAS_DISPATCH = ctypes.CDLL(None, use_errno=True).prctl(59, 0, 0, 0, 0) == 0
needs_dispatch = pytest.mark.skipif(not HAS_DISPATCH, reason="no Syscall User Dispatch here")

# "where: raw getpid P getppid Q, glibc getpid P2 getppid Q2"
REPORT = re.compile(r"^(.+): raw getpid (-?\d+) getppid (-?\d+), glibc getpid (-?\d+) "
                    r"getppid (-?\d+)$", re.M)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    bindir = tmp_path_factory.mktemp("filter")
    return {
        "raw": build_c_program(DATA / "filter" / "raw_syscalls.c", bindir, ["-pthread"]),
        "no_dispatch": build_c_program(DATA / "filter" / "no_dispatch.c", bindir),
        "dispatch_kernel": build_c_program(DATA / "filter" / "dispatch_kernel.c", bindir),
    }


@pytest.fixture(params=FILTERS)
def syscall_filter(request, monkeypatch):
    if request.param == "dispatch" and not HAS_DISPATCH:
        pytest.skip("no Syscall User Dispatch here")
    monkeypatch.setenv(FILTER_SWITCH, request.param)
    return request.param


def run_under_shell(sandbox, programs, args, wrapper=(), env=None):
    """Runs the raw program under Kernite, started by a shell so that the host process is not
    the namespace's pid 1: a syscall the host answered would show the host's pid (2)."""
    app = sandbox.make_manifest(programs["raw"], mounts=[programs["raw"].parent])
    return run_sandboxed(["/bin/sh", "-c", '"$@"; echo "status=$?"', "sh", *wrapper, KERNITE,
                          app, *args], cwd=sandbox.work, env={**BASE_ENV, **(env or {})})


def reports(result):
    """{where: (raw getpid, raw getppid)}, after checking that glibc said the same."""
    found = {}
    for where, pid, ppid, libc_pid, libc_ppid in REPORT.findall(result.stdout):
        assert (pid, ppid) == (libc_pid, libc_ppid), result.describe("kernite")
        found[where] = (int(pid), int(ppid))
    return found


@needs_dispatch
def test_host_kernel_dispatches_as_the_pal_expects(sandbox, programs):
    """Natively, what the PAL builds on: the SIGSYS of a dispatched call carries the number in
    si_syscall and in rax (rolled back, as under the seccomp trap) and the address after the
    instruction in rip and si_call_addr; the range is compared with that address; a new thread,
    a forked child and an execve'd program run without dispatch until they turn it on."""
    native = run_sandboxed([programs["dispatch_kernel"]], cwd=sandbox.work, env=BASE_ENV)
    assert native.returncode == 0 and native.stdout == (
        "own getpid: dispatched, si_code 2, si_syscall 39, si_arch x86_64, rax 39, "
        "rip after the instruction, si_call_addr = rip\n"
        "syscall instruction ending at the gate's start: dispatched\n"
        "syscall instruction ending at the gate's end (rt_sigreturn): not dispatched\n"
        "own getpid in a new thread: not dispatched\n"
        "own getpid in a forked child: not dispatched\n"
        "own getpid after execve: not dispatched\n"), native.describe("native")


def filter_in_log(result):
    found = re.findall(r"the app's syscalls are caught by (\w+)", result.stderr)
    assert len(found) == 1, result.describe("kernite")
    return found[0]


# What each mode reports under Kernite: guest pids and parents.
GUEST_ANSWERS = {
    "main": {"main": (1, 0)},
    "thread": {"thread": (1, 0), "main after thread": (1, 0)},
    "fork": {"child": (2, 1), "parent": (1, 0)},
    "exec": {"before execve": (1, 0), "main": (1, 0)},
}


@pytest.mark.parametrize("mode", sorted(GUEST_ANSWERS))
def test_own_syscall_instructions_get_the_guests_answer(sandbox, programs, syscall_filter, mode):
    """getpid and getppid from the program's own syscall instruction, in the main thread, in a
    pthread, in a forked child and after execve: the guest's pids, as glibc's calls say, never
    the host's (the Kernite process is pid 2 of its namespace, its child pid 3)."""
    kern = run_under_shell(sandbox, programs, [mode], env={"KERNITE_LOG_LEVEL": "debug"})
    assert filter_in_log(kern) == syscall_filter
    assert kern.stdout.endswith("status=0\n"), kern.describe("kernite")
    assert reports(kern) == GUEST_ANSWERS[mode], kern.describe("kernite")


def test_app_cannot_turn_dispatch_off_or_widen_it(sandbox, programs, syscall_filter):
    """prctl(PR_SET_SYSCALL_USER_DISPATCH) fails with EINVAL, through glibc and through an own
    syscall instruction, both to turn it off and to allow every address; the next own syscall
    instruction is still the guest's. Natively the same calls succeed."""
    native = run_sandboxed(["/bin/sh", "-c", '"$@"; echo "status=$?"', "sh", programs["raw"],
                            "prctl"], cwd=sandbox.work, env=BASE_ENV)
    assert "glibc prctl off: 0 \nraw prctl off: 0\nraw prctl on, everything allowed: 0\n" \
        in native.stdout, native.describe("native")

    kern = run_under_shell(sandbox, programs, ["prctl"])
    assert kern.stdout.startswith("glibc prctl off: -1 EINVAL\nraw prctl off: -22\n"
                                  "raw prctl on, everything allowed: -22\n"), \
        kern.describe("kernite")
    assert reports(kern) == {"after prctl": (1, 0)}, kern.describe("kernite")
    assert kern.stdout.endswith("status=0\n"), kern.describe("kernite")


def test_32bit_syscall_ends_the_process_by_sigsys_with_a_reason(sandbox, programs,
                                                                syscall_filter):
    """int $0x80 is a call of the i386 ABI, which the library OS does not answer: the process
    ends by SIGSYS, saying why, rather than having the call taken for a 64-bit one."""
    kern = run_under_shell(sandbox, programs, ["int80"])
    assert kern.stdout == f"status={128 + SIGSYS}\n", kern.describe("kernite")
    assert "32-bit system call 20 (int $0x80)" in kern.stderr, kern.describe("kernite")
    assert not list(sandbox.work.glob("core*")), "a core file was left"


@needs_dispatch
def test_dispatch_is_the_default_and_seccomp_is_used_when_chosen(sandbox, programs, monkeypatch):
    monkeypatch.delenv(FILTER_SWITCH, raising=False)
    debug = {"KERNITE_LOG_LEVEL": "debug"}
    assert filter_in_log(run_under_shell(sandbox, programs, ["main"], env=debug)) == "dispatch"
    for name in FILTERS:
        chosen = run_under_shell(sandbox, programs, ["main"], env={**debug, FILTER_SWITCH: name})
        assert filter_in_log(chosen) == name


def test_unknown_filter_name_is_refused_before_the_app_runs(sandbox, programs, monkeypatch):
    monkeypatch.delenv(FILTER_SWITCH, raising=False)
    kern = run_under_shell(sandbox, programs, ["main"], env={FILTER_SWITCH: "ptrace"})
    assert kern.stdout == "status=1\n", kern.describe("kernite")
    assert "KERNITE_SYSCALL_FILTER='ptrace': expected seccomp or dispatch" in kern.stderr
    assert "cannot catch the app's syscalls" in kern.stderr


@pytest.mark.parametrize("mode", ["main", "thread", "fork"])
def test_kernel_without_dispatch_falls_back_to_the_seccomp_filter(sandbox, programs, monkeypatch,
                                                                  mode):
    """Under a host filter that fails PR_SET_SYSCALL_USER_DISPATCH as an older kernel does (and
    that is not Kernite's own), Kernite installs its filter and still catches every call."""
    monkeypatch.delenv(FILTER_SWITCH, raising=False)
    kern = run_under_shell(sandbox, programs, [mode], wrapper=[programs["no_dispatch"]],
                           env={"KERNITE_LOG_LEVEL": "debug"})
    assert filter_in_log(kern) == "seccomp"
    assert kern.stdout.endswith("status=0\n"), kern.describe("kernite")
    assert reports(kern) == GUEST_ANSWERS[mode], kern.describe("kernite")


def test_dispatch_chosen_on_a_kernel_without_it_is_an_error(sandbox, programs, monkeypatch):
    monkeypatch.delenv(FILTER_SWITCH, raising=False)
    kern = run_under_shell(sandbox, programs, ["main"], wrapper=[programs["no_dispatch"]],
                           env={FILTER_SWITCH: "dispatch"})
    assert kern.stdout == "status=1\n", kern.describe("kernite")
    assert "Syscall User Dispatch, which KERNITE_SYSCALL_FILTER=dispatch asks for, is not " \
        "available" in kern.stderr, kern.describe("kernite")
