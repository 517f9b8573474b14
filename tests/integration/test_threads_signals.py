"""glibc threads, futexes and signals under Kernite, compared with the native run: the two
programs print one line per behaviour and end with "all ok"."""

import pytest

from conftest import DATA, KERNITE, build_c_program, run_sandboxed

LINKS = {"dynamic": [], "static": ["-static"]}


def build(sandbox, name, link):
    bindir = sandbox.tmp / "bin"
    bindir.mkdir(exist_ok=True)
    return build_c_program(DATA / "proc" / f"{name}.c", bindir, ["-pthread", *LINKS[link]])


@pytest.mark.parametrize("link", sorted(LINKS))
def test_threads_and_futexes_behave_like_native(compare, sandbox, link):
    exe = build(sandbox, "threads", link)
    native, kern = compare(exe, mounts=[exe.parent], timeout=120)
    assert kern.stdout.endswith("all ok\n")


@pytest.mark.parametrize("link", sorted(LINKS))
def test_signals_behave_like_native(compare, sandbox, link):
    exe = build(sandbox, "signals", link)
    native, kern = compare(exe, mounts=[exe.parent], timeout=120)
    assert kern.stdout.endswith("all ok\n")


@pytest.mark.parametrize("signo", [6, 10, 11, 15])
def test_death_by_signal_is_reported_like_native(sandbox, signo):
    """The program kills itself with signo. A shell runs it, so that it is not the namespace's
    init (which the kernel shields from signals), and reports how it ended."""
    exe = build(sandbox, "signals", "dynamic")
    app = sandbox.make_manifest(exe, mounts=[exe.parent])
    report = 'echo "status=$?"'
    native = run_sandboxed(["/bin/sh", "-c", f'"$0" {signo}; {report}', exe], cwd=sandbox.work)
    kern = run_sandboxed(["/bin/sh", "-c", f'"$0" "$1" {signo}; {report}', KERNITE, app],
                         cwd=sandbox.work)
    assert native.stdout == f"status={128 + signo}\n", native.describe("native")
    assert kern.stdout == native.stdout, native.describe("native") + kern.describe("kernite")


@pytest.mark.parametrize("link", sorted(LINKS))
def test_nonblocking_calls_after_a_signal_from_another_thread_answer_at_once(compare, sandbox,
                                                                              link):
    """A handler runs for a signal another thread sent while this one ran its own code; the
    non-blocking pipe, socket and epoll calls that follow give EAGAIN or their result, as
    natively, instead of restarting forever."""
    exe = build(sandbox, "nonblock_after_signal", link)
    native, kern = compare(exe, mounts=[exe.parent], timeout=30)
    assert "pipe read: EAGAIN" in kern.stdout and "handlers run: 5" in kern.stdout
