"""Job control and process accounting against native: stop and continue, what wait4, waitid
and SIGCHLD report of it, waits for process groups, and the CPU times of getrusage, times and
/proc/self/stat."""

import re

import pytest

from conftest import DATA, KERNITE, build_c_program, run_sandboxed

PROC = DATA / "proc"
PTY = PROC / "pty_jobs.py"
BIN = {"type": "chroot", "path": "/bin", "uri": "file:/usr/bin"}
TERMINAL_ENV = {"PATH": "/usr/bin", "TERM": "dumb"}

# Typed into an interactive bash: a foreground job stopped with Ctrl-Z, listed, continued in
# the background, brought back, stopped again and killed while stopped. Ctrl-Z is typed again
# each second until the job stops (one typed before the job has the terminal is lost), and
# Enter until bash tells of the kill, which it does at a prompt.
CTRL_Z = ["sleep 100", "@sleep 0.5", "^Z", "@until Stopped", "jobs", "@expect sleep 100",
          "bg", "@expect sleep 100 &", "jobs", "@expect Running", "fg", "@expect sleep 100",
          "^Z", "@until Stopped", "kill %1", "@enter-until Terminated", "jobs", "exit 4"]
JOB_STATE = re.compile(r"\[1\]\+  (Stopped|Running|Terminated|Killed|Done)\b")


@pytest.fixture
def jobs(tmp_path):
    return build_c_program(PROC / "jobs.c", tmp_path, ["-pthread"])


def test_stopped_child_makes_no_progress_until_sigcont_and_sigkill_still_ends_it(
        compare, jobs, tmp_path):
    native, _ = compare(jobs, ["stop"], mounts=[tmp_path])
    assert "bytes while stopped: 0\n" in native.stdout
    assert "SIGTSTP: stopped by Stopped\n" in native.stdout
    assert "SIGKILL while stopped: killed by Killed\n" in native.stdout


def test_waitid_reports_stops_and_continues_with_their_codes_and_keeps_them_under_wnowait(
        compare, jobs, tmp_path):
    native, _ = compare(jobs, ["waitid"], mounts=[tmp_path])
    assert "continued: code CLD_CONTINUED, status Continued\n" in native.stdout


def test_sigchld_tells_stops_and_continues_unless_sa_nocldstop(compare, jobs, tmp_path):
    native, _ = compare(jobs, ["sigchld"], mounts=[tmp_path])
    assert "raise(SIGTSTP): SIGCHLD CLD_STOPPED, status Stopped\n" in native.stdout
    assert "SA_NOCLDSTOP: SIGCHLD on continue: 0\n" in native.stdout


def test_terminal_stops_are_discarded_in_an_orphaned_group(compare, jobs, tmp_path):
    native, _ = compare(jobs, ["orphan"], mounts=[tmp_path])
    assert native.stdout.endswith("exited 5\n")


def test_sigterm_then_sigcont_to_a_stopped_child_always_ends_it_by_sigterm(
        compare, jobs, tmp_path):
    native, _ = compare(jobs, ["termcont"], mounts=[tmp_path])
    assert native.stdout == "ended by SIGTERM: 200 of 200\n"


def test_waitpid_for_a_group_waits_only_for_children_in_it(compare, jobs, tmp_path):
    native, _ = compare(jobs, ["groups"], mounts=[tmp_path])
    assert "waitpid(-a): a 1, exit 1\n" in native.stdout
    assert "waitpid(0): same-group child 1, exit 3\n" in native.stdout


def test_cpu_times_of_self_thread_and_reaped_children_are_plausible(compare, jobs, tmp_path):
    native, kern = compare(jobs, ["rusage"], mounts=[tmp_path])
    assert "implausible" not in native.stdout + kern.stdout
    assert ": 0\n" not in native.stdout


def on_terminal(sandbox, script_lines, native_argv, kernite_args, native_tries=1):
    """Runs a program on a pseudo-terminal natively and under Kernite, typing the script. The
    native run is tried again (at most native_tries times in all) while some expected text did
    not appear in it; the Kernite run is made once."""
    script = sandbox.tmp / "typed"
    script.write_text("\n".join(script_lines) + "\n")
    driver = ["/usr/bin/python3", PTY, script]
    for _ in range(native_tries):
        native = run_sandboxed([*driver, *native_argv], cwd=sandbox.work, env=TERMINAL_ENV,
                               timeout=120)
        if "expected text did not appear" not in native.stdout:
            break
    kern = run_sandboxed([*driver, KERNITE, *kernite_args], cwd=sandbox.work, env=TERMINAL_ENV,
                         timeout=120)
    return native, kern, native.describe("native") + kern.describe("kernite")


def job_states(out):
    """The states bash reported for job 1, in order, a state said again in a row once: bash
    natively reports a stop once or twice and lists the job as often as it was asked."""
    states = []
    for state in JOB_STATE.findall(out):
        if not states or states[-1] != state:
            states.append(state)
    return states


def test_ctrl_z_in_interactive_bash_stops_the_job_and_jobs_bg_fg_kill_work(sandbox):
    bash = ["/usr/bin/bash", "--norc", "--noprofile", "-i"]
    app = sandbox.make_manifest("/usr/bin/bash", mounts=[BIN])
    # Natively the killed job now and then stays stopped (up to a third of the runs on a loaded
    # machine): the native reference is taken again then, never the Kernite run.
    native, kern, report = on_terminal(sandbox, CTRL_Z, bash, [app, *bash[1:]], native_tries=5)
    for run in (native, kern):
        assert "expected text did not appear" not in run.stdout, report
        assert job_states(run.stdout) == ["Stopped", "Running", "Stopped", "Terminated"], report
        assert "[1]+ sleep 100 &" in run.stdout, report
        assert "[1]+  Running                 sleep 100 &" in run.stdout, report
        assert "[1]+  Terminated              sleep 100" in run.stdout, report
        assert run.stdout.endswith("[ended: 4]\n"), report


def test_background_group_gets_sigttin_on_read_and_sigttou_on_write_or_tcsetattr(
        sandbox, tmp_path):
    exe = build_c_program(PROC / "ttyjobs.c", tmp_path)
    app = sandbox.make_manifest(exe, mounts=[tmp_path])
    native, kern, report = on_terminal(sandbox, [], [exe], [app])
    assert "read in the background: stopped by Stopped (tty input)" in native.stdout, report
    assert "write with TOSTOP: stopped by Stopped (tty output)" in native.stdout, report
    assert "tcsetattr in the background: stopped by Stopped (tty output)" in native.stdout, report
    assert "done" in native.stdout, report
    assert kern.stdout == native.stdout, report


def test_processes_signal_each_other_after_the_first_process_has_ended(sandbox):
    """A and B outlive the shell that started them; B, not A's parent, stops, continues and
    signals A. Under Kernite the shell is the first process, whose table must live on."""
    work = sandbox.work
    script = (f"( trap 'echo A got USR1 > {work}/a.out; exit 0' USR1; "
              f"while :; do sleep 0.05; done ) & echo $! > {work}/a.pid; "
              f"( sleep 1; a=$(cat {work}/a.pid); kill -STOP $a && kill -CONT $a && "
              f"kill -USR1 $a && echo B signalled A > {work}/b.out ) & exit 0")
    app = sandbox.make_manifest("/usr/bin/bash", mounts=[BIN, work])
    wait = (f"; i=0; while [ ! -f {work}/a.out ] && [ $i -lt 100 ]; do sleep 0.1; "
            f"i=$((i+1)); done; sleep 0.3; cat {work}/b.out {work}/a.out")
    results = []
    for cmd in (["/usr/bin/bash", "-c", script], [KERNITE, app, "-c", script]):
        for name in ("a.out", "b.out"):
            (work / name).unlink(missing_ok=True)
        quoted = " ".join("'" + str(a).replace("'", "'\\''") + "'" for a in cmd)
        results.append(run_sandboxed(["/bin/sh", "-c", quoted + wait], cwd=work,
                                     env={"PATH": "/usr/bin:/bin"}, timeout=60))
    native, kern = results
    report = native.describe("native") + kern.describe("kernite")
    assert native.stdout == "B signalled A\nA got USR1\n", report
    assert kern.stdout == native.stdout and kern.returncode == native.returncode, report


PYTHON_JOBS = """
import os, resource, signal, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    os.write(w, b"x")
    while True:
        time.sleep(0.05)
os.setpgid(pid, pid)
os.read(r, 1)
os.kill(pid, signal.SIGSTOP)
_, st = os.waitpid(pid, os.WUNTRACED)
print("stopped:", os.WIFSTOPPED(st), signal.Signals(os.WSTOPSIG(st)).name)
os.killpg(pid, signal.SIGCONT)
_, st = os.waitpid(-pid, os.WCONTINUED)
print("continued:", os.WIFCONTINUED(st))
os.kill(pid, signal.SIGTERM)
_, st, ru = os.wait4(pid, 0)
print("terminated:", os.WTERMSIG(st) == signal.SIGTERM)
print("child CPU plausible:", 0.18 < ru.ru_utime + ru.ru_stime < 5)
c = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
print("RUSAGE_CHILDREN is the child's:", abs(c.ru_utime + c.ru_stime - cpu) < 0.01)
t = os.times()
print("os.times agrees:", abs(t.children_user + t.children_system - c.ru_utime - c.ru_stime) < 0.05)
"""


def test_python_stops_continues_and_accounts_for_a_child(compare):
    native, _ = compare("/usr/bin/python3", ["-c", PYTHON_JOBS])
    assert native.stdout.count("True") == 6 and "False" not in native.stdout
