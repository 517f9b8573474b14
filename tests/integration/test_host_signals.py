"""Signals sent by the host to a Kernite process: what the app sees and how the process ends."""

import shlex

from conftest import KERNITE, run_sandboxed

SLEEPER = """
import signal, sys, time
def on_term(signo, frame):
    print("handler", signo, flush=True)
    sys.exit(5)
signal.signal(signal.SIGTERM, on_term)
try:
    print("ready", flush=True)
    time.sleep(20)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(3)
"""


def signal_after_start(sandbox, app, signame):
    """Starts the app, sends the host signal once it is ready, and reports its exit status."""
    script = sandbox.work / "sleeper.py"
    script.write_text(SLEEPER)
    cmd = (f"{shlex.quote(str(KERNITE))} {shlex.quote(str(app))} {shlex.quote(str(script))} & "
           "p=$!; sleep 1; kill -" + signame + " $p; wait $p; echo status=$?")
    return run_sandboxed(["/bin/sh", "-c", cmd], cwd=sandbox.work, timeout=30)


def test_host_sigint_reaches_the_app_as_keyboard_interrupt(sandbox):
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[sandbox.work])
    result = signal_after_start(sandbox, app, "INT")
    assert "interrupted" in result.stdout and "status=3" in result.stdout, result.describe("sh")


def test_host_sigterm_ends_the_process_when_injection_is_off(sandbox):
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[sandbox.work])
    result = signal_after_start(sandbox, app, "TERM")
    assert "handler" not in result.stdout, result.describe("sh")
    assert "status=143" in result.stdout, result.describe("sh")


def test_host_sigterm_reaches_the_app_with_injection(sandbox):
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[sandbox.work],
                                extra="sys.enable_sigterm_injection = true")
    result = signal_after_start(sandbox, app, "TERM")
    assert "handler 15" in result.stdout and "status=5" in result.stdout, result.describe("sh")
