"""Helpers of the server tests: a free loopback port, a server run under Kernite in its own PID
namespace and stopped by the test, and waits for a port to accept connections."""

import os
import socket
import subprocess
import time

import pytest

from conftest import BASE_ENV, KERNITE, SANDBOX


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A TCP port nothing listens on now (the kernel's pick for an ephemeral bind)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(port, host="127.0.0.1", timeout=20, proc=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def fd_count(pid):
    """Open descriptors of a host process (the Kernite process of a server)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


class KerniteServer:
    """Runs APP under Kernite in a fresh PID namespace; stop() ends the namespace."""

    def __init__(self, app, args=(), cwd=None, log=None):
        self.log_path = log
        out = open(log, "wb") if log else subprocess.DEVNULL
        env = dict(BASE_ENV)
        for name in ("KERNITE_LOG_LEVEL", "KERNITE_SYSCALL_REWRITING"):
            if name in os.environ:
                env[name] = os.environ[name]
        self.proc = subprocess.Popen(SANDBOX + ["--", str(KERNITE), str(app), *map(str, args)],
                                     cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT)
        if log:
            out.close()

    def wait(self, port, host="127.0.0.1", timeout=20):
        if not wait_for_port(port, host, timeout, self.proc):
            self.stop()
            pytest.fail(f"server did not accept connections on {host}:{port}\n{self.output()}",
                        pytrace=False)

    def output(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def host_pids(self):
        """Host pids of the Kernite processes in the server's namespace (its guest processes)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as f:
                    status = f.read()
                exe = os.readlink(f"/proc/{entry}/exe")
            except OSError:
                continue
            ppid = int(next(l.split()[1] for l in status.splitlines() if l.startswith("PPid:")))
            if os.path.realpath(exe) == os.path.realpath(KERNITE) and \
                    self._descends(ppid):
                found.append(int(entry))
        return sorted(found)

    def _descends(self, pid):
        while pid > 1:
            if pid == self.proc.pid:
                return True
            try:
                with open(f"/proc/{pid}/status") as f:
                    pid = int(next(l.split()[1] for l in f if l.startswith("PPid:")))
            except OSError:
                return False
        return False

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        # unshare sends SIGKILL to the namespace's first process when it dies itself, and the
        # rest of the namespace goes with that one.
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
