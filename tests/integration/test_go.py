"""Go programs under Kernite: the Go runtime's own threads, signals, timers, heap and netpoller,
built by Debian's golang as a static binary (CGO_ENABLED=0) and as a dynamically linked one
(CGO_ENABLED=1), each compared with its native run."""

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DATA

GO = shutil.which("go", path="/usr/bin:/usr/lib/go/bin")
GO_SOURCES = DATA / "go"
# The programs start /bin/true and /bin/sh: Debian's /bin is /usr/bin.
BIN = {"type": "chroot", "path": "/bin", "uri": "file:/usr/bin"}

pytestmark = pytest.mark.skipif(GO is None, reason="go is not installed (scripts/install-deps "
                                "installs golang-go)")


def go_build(out_dir, program, cgo):
    """Builds tests/data/go/PROGRAM/main.go offline, with its caches inside out_dir."""
    exe = out_dir / (program + ("-cgo" if cgo else ""))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(out_dir),
        "GOCACHE": str(out_dir / "gocache"),
        "GOPATH": str(out_dir / "gopath"),
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GO111MODULE": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "1" if cgo else "0",
    }
    proc = subprocess.run([GO, "build", "-o", str(exe), "main.go"], cwd=GO_SOURCES / program,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"go build of {program} failed:\n{proc.stderr}"
    return exe


@pytest.fixture(scope="module")
def go_programs(tmp_path_factory):
    out = tmp_path_factory.mktemp("go")
    return {
        "static": go_build(out, "runtime", cgo=False),
        "cgo": go_build(out, "runtime", cgo=True),
        "syscalls": go_build(out, "syscalls", cgo=False),
    }


# Go reserves its heap arenas and glibc a 128 MB arena per thread up front: more address space
# than the harness's default memory limit.
GO_MEMORY = "8G"


def compare_go(sandbox, exe, args, timeout=60, log_level="error"):
    """Runs exe natively and under Kernite (with GO_MEMORY as its memory limit) from fresh work
    directories; asserts the same exit status and output."""
    argv = [exe, *args]
    app = sandbox.make_manifest(exe, mounts=[sandbox.work, exe.parent, BIN], argv=argv,
                                log_level=log_level)
    manifest = Path(str(app) + ".manifest")
    text = manifest.read_text()
    assert 'sgx.enclave_size = "1G"' in text
    manifest.write_text(text.replace('sgx.enclave_size = "1G"', f'sgx.enclave_size = "{GO_MEMORY}"'))

    sandbox.reset_work(None)
    native = sandbox.run_native(argv, timeout=timeout)
    sandbox.reset_work(None)
    kern = sandbox.run_kernite(app, timeout=timeout)
    report = native.describe("native") + kern.describe("kernite")
    assert native.returncode == 0, "the native run failed:\n" + report
    assert kern.returncode == native.returncode, "exit status differs\n" + report
    assert kern.stdout == native.stdout, "stdout differs\n" + report
    return native, kern


@pytest.mark.parametrize("linking", ["static", "cgo"])
def test_go_runtime_matches_native(sandbox, go_programs, linking):
    """Goroutines on several threads, channels, a mutex, timers, preemption of a busy loop,
    SIGUSR1 caught through os/signal, files, os/exec, a pipe, 300 MB through the GC and a TCP
    echo on 127.0.0.1 (whose io.Copy splices socket to socket): the same lines and exit status
    as natively."""
    native, _ = compare_go(sandbox, go_programs[linking], [sandbox.work])
    assert native.stdout.endswith("done\n"), native.describe("native")


def test_go_generic_syscall_site_is_rewritten_and_answers_like_native(sandbox, go_programs,
                                                                      syscall_path):
    """200,000 calls through syscall.RawSyscall, a blocking read in progress on another thread
    while the site is rewritten, errors, sigaltstack (never taken on the fast path) and calls
    from 16 goroutines: the same lines as natively, and with rewriting on, almost nothing
    trapped."""
    import re

    native, kern = compare_go(sandbox, go_programs["syscalls"], [], log_level="debug")
    assert "0 wrong" in native.stdout and "80000 right" in native.stdout, native.stdout
    trapped = re.search(r"(\d+) sites patched, (\d+) syscalls trapped", kern.stderr)
    assert trapped, kern.describe("kernite")
    if syscall_path == "rewrite":
        assert int(trapped.group(2)) < 10000, trapped.group(0)
    else:
        assert int(trapped.group(2)) > 280000, trapped.group(0)
