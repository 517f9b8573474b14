"""Test harness: finds kernite-direct, writes manifests, runs programs natively and under Kernite
(each in its own PID namespace) and compares the two runs."""

import dataclasses
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KERNITE_BUILD", REPO / "build")).resolve()
KERNITE = BUILD / "kernite-direct"
DATA = REPO / "tests" / "data"

DEFAULT_TIMEOUT = 60

# Host directories every test app sees at the same path: the programs and their libraries.
SYSTEM_DIRS = [d for d in ("/usr", "/lib", "/lib64", "/etc") if os.path.exists(d)]

# The whole environment of a test app, native or under Kernite, unless a test adds to it.
BASE_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}

# A fresh PID namespace per run: a program (or a Kernite bug) that signals -1 or every process
# it can see reaches only what runs inside it, and all of it dies with the run.
SANDBOX = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
if os.geteuid() != 0:
    SANDBOX = ["unshare", "--user", "--map-root-user"] + SANDBOX[1:]


@dataclasses.dataclass
class Result:
    argv: list
    returncode: int
    stdout: str
    stderr: str

    def describe(self, label):
        return (f"--- {label}: {' '.join(map(str, self.argv))}\n"
                f"exit status {self.returncode}\n"
                f"stdout:\n{_clip(self.stdout)}\nstderr:\n{_clip(self.stderr)}\n")


def _clip(text, limit=4000):
    if len(text) <= limit:
        return text
    return text[:limit // 2] + f"\n[... {len(text) - limit} characters left out ...]\n" + \
        text[-limit // 2:]


def run_sandboxed(argv, cwd=None, env=None, timeout=DEFAULT_TIMEOUT, input=None):
    """Runs argv in a new PID namespace; fails the test if it does not end within timeout."""
    argv = [str(a) for a in argv]
    # The syscall path a test runs under (see syscall_path below) and the way syscalls are
    # caught (see test_syscall_filter.py) reach every Kernite run, and no native one, whose
    # environment must stay the one the test gave.
    if env is not None and any(str(KERNITE) in a for a in argv):
        env = {**env, **{name: os.environ[name] for name in (SYSCALL_SWITCH, FILTER_SWITCH)
                         if name in os.environ}}
    try:
        proc = subprocess.run(SANDBOX + ["--"] + argv, cwd=cwd, env=env, timeout=timeout,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace")
        err = (exc.stderr or b"").decode(errors="replace")
        pytest.fail(f"timed out after {timeout} s: {' '.join(argv)}\n"
                    f"stdout:\n{_clip(out)}\nstderr:\n{_clip(err)}", pytrace=False)
    return Result(argv, proc.returncode, proc.stdout.decode(errors="replace"),
                  proc.stderr.decode(errors="replace"))


def toml_string(value):
    """A TOML basic string holding value exactly."""
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return toml_string(value)


def _mount_entry(mount):
    """A mount given as a host directory (seen at the same path) or as a Gramine-style table."""
    if isinstance(mount, (str, Path)):
        path = os.path.abspath(mount)
        return {"type": "chroot", "path": path, "uri": "file:" + path}
    return dict(mount)


class Sandbox:
    """One test's scratch area: a work directory, a root skeleton and the manifests."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.work = tmp_path / "work"
        self.work.mkdir(exist_ok=True)
        self.rootfs = tmp_path / "rootfs"

    def make_manifest(self, entrypoint, mounts=(), env=None, argv=None, log_level="error",
                      start_dir=None, name=None, system_mounts=True, extra=""):
        """Writes NAME.manifest and returns the app path to give kernite-direct.

        mounts are host directories (seen at the same guest path) or mount tables. The guest
        root is an empty skeleton holding only the mount points, so a path outside every mount
        does not exist. argv None means "take the command line".
        """
        name = name or Path(entrypoint).name
        entries = [_mount_entry(d) for d in (SYSTEM_DIRS if system_mounts else [])]
        entries += [_mount_entry(m) for m in mounts]
        start_dir = str(start_dir or self.work)

        for guest in [e["path"] for e in entries] + [start_dir, "/dev", "/proc", "/tmp"]:
            (self.rootfs / guest.lstrip("/")).mkdir(parents=True, exist_ok=True)

        lines = [f"libos.entrypoint = {toml_string(entrypoint)}"]
        if argv is None:
            lines.append("loader.insecure__use_cmdline_argv = true")
        else:
            lines.append(f"loader.argv = {toml_value([str(a) for a in argv])}")
        lines.append(f"loader.log_level = {toml_string(log_level)}")
        for key, value in {**BASE_ENV, **(env or {})}.items():
            lines.append(f"loader.env.{key} = {toml_value(value)}")
        lines.append(f'fs.root = {{ type = "chroot", uri = {toml_string("file:" + str(self.rootfs))} }}')
        lines.append(f"fs.start_dir = {toml_string(start_dir)}")
        lines.append("fs.mounts = [")
        lines += [f"    {toml_value(e)}," for e in entries]
        lines.append("]")
        lines.append('sgx.enclave_size = "1G"')
        lines.append("sgx.max_threads = 64")
        if extra:
            lines.append(extra)

        app = self.tmp / name
        Path(str(app) + ".manifest").write_text("\n".join(lines) + "\n")
        return app

    def write_manifest_text(self, text, name="app"):
        """Writes a manifest verbatim (for tests of bad manifests) and returns the app path."""
        app = self.tmp / name
        Path(str(app) + ".manifest").write_text(text)
        return app

    def run_native(self, argv, cwd=None, env=None, timeout=DEFAULT_TIMEOUT, input=None):
        return run_sandboxed(argv, cwd=cwd or self.work, env={**BASE_ENV, **(env or {})},
                             timeout=timeout, input=input)

    def run_kernite(self, app, args=(), cwd=None, timeout=DEFAULT_TIMEOUT, input=None,
                    host_env=None):
        if not os.access(KERNITE, os.X_OK):
            pytest.fail(f"{KERNITE} is not built (set KERNITE_BUILD to another build directory)",
                        pytrace=False)
        env = {**BASE_ENV, **(host_env or {})}
        if "KERNITE_LOG_LEVEL" in os.environ:
            env.setdefault("KERNITE_LOG_LEVEL", os.environ["KERNITE_LOG_LEVEL"])
        return run_sandboxed([KERNITE, app, *args], cwd=cwd or self.work, env=env,
                             timeout=timeout, input=input)

    def reset_work(self, setup):
        shutil.rmtree(self.work)
        self.work.mkdir()
        if setup:
            setup(self.work)

    def compare(self, entrypoint, args=(), mounts=(), env=None, setup=None, files=False,
                mtimes=False, stderr=False, normalize=None, input=None, start_dir=None,
                native_cwd=None, log_level="error", timeout=DEFAULT_TIMEOUT):
        """Runs entrypoint with args natively, then under Kernite, from the same freshly set-up
        work directory (seen by the app at its host path), and asserts the same exit status and
        stdout; with stderr=True the same stderr; with files=True the same files left in the
        work directory. normalize, if given, maps stdout before comparing. Returns both results.
        """
        argv = [str(entrypoint), *map(str, args)]
        app = self.make_manifest(entrypoint, mounts=[self.work, *mounts], env=env, argv=argv,
                                 start_dir=start_dir, log_level=log_level)

        self.reset_work(setup)
        native = self.run_native(argv, cwd=native_cwd, env=env, timeout=timeout, input=input)
        native_files = snapshot(self.work, mtimes) if files else None

        self.reset_work(setup)
        kern = self.run_kernite(app, timeout=timeout, input=input)
        kern_files = snapshot(self.work, mtimes) if files else None

        report = native.describe("native") + kern.describe("kernite")
        assert native.returncode >= 0, "the native run itself crashed:\n" + report
        assert kern.returncode == native.returncode, "exit status differs\n" + report
        norm = normalize or (lambda s: s)
        assert norm(kern.stdout) == norm(native.stdout), "stdout differs\n" + report
        if stderr:
            assert kern.stderr == native.stderr, "stderr differs\n" + report
        if files:
            assert kern_files == native_files, \
                "files written differ\n" + describe_snapshot_diff(native_files, kern_files)
        return native, kern


def snapshot(root, mtimes=False):
    """What a directory holds: relative path -> kind, permission bits and content digest."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("symlink", os.readlink(full))
                continue
            perms = oct(stat.S_IMODE(st.st_mode))
            if stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", perms)
                continue
            with open(full, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            entry = ("file", perms, st.st_size, digest)
            found[rel] = entry + ((st.st_mtime_ns,) if mtimes else ())
    return found


def describe_snapshot_diff(native, kern):
    lines = []
    for rel in sorted(set(native) | set(kern)):
        a, b = native.get(rel), kern.get(rel)
        if a != b:
            lines.append(f"{rel}: native {a}, kernite {b}")
    return "\n".join(lines)


def build_c_program(source, out_dir, extra_flags=()):
    """Compiles one of the test programs in tests/data with the host's gcc."""
    exe = Path(out_dir) / Path(source).stem
    proc = subprocess.run(["gcc", "-O2", "-Wall", "-o", str(exe), str(source), *extra_flags],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"gcc failed on {source}:\n{proc.stderr}"
    return exe


@pytest.fixture(scope="session")
def kernite_bin():
    """Path of kernite-direct in the build directory (KERNITE_BUILD, default build/)."""
    if not os.access(KERNITE, os.X_OK):
        pytest.fail(f"{KERNITE} is not built (run make, or set KERNITE_BUILD)", pytrace=False)
    return KERNITE


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)


@pytest.fixture
def make_manifest(sandbox):
    return sandbox.make_manifest


@pytest.fixture
def run_native(sandbox):
    return sandbox.run_native


@pytest.fixture
def run_kernite(sandbox):
    return sandbox.run_kernite


@pytest.fixture
def compare(sandbox):
    return sandbox.compare


@pytest.fixture
def workdir(sandbox):
    return sandbox.work


# Every integration test runs twice: with syscall rewriting (the default) and with every syscall
# on the trap path, so a failure in either is seen and can be told apart.
SYSCALL_SWITCH = "KERNITE_SYSCALL_REWRITING"
# Syscall User Dispatch (the default) or the seccomp filter; a test module may choose one.
FILTER_SWITCH = "KERNITE_SYSCALL_FILTER"


def pytest_generate_tests(metafunc):
    if "syscall_path" in metafunc.fixturenames and "integration" in metafunc.definition.path.parts:
        metafunc.parametrize("syscall_path", ["rewrite", "trap"], indirect=True)


@pytest.fixture(autouse=True)
def syscall_path(request, monkeypatch):
    mode = getattr(request, "param", "rewrite")
    if mode == "trap":
        monkeypatch.setenv(SYSCALL_SWITCH, "0")
    else:
        monkeypatch.delenv(SYSCALL_SWITCH, raising=False)
    return mode
