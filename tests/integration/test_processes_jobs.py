"""Job control and process accounting against native: stop and continue, what wait4, waitid
and SIGCHLD report of it, waits for process groups, and the CPU times of getrusage, times and
/proc/self/stat."""

import pytest

from conftest import DATA, build_c_program

PROC = DATA / "proc"


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


def test_waitpid_for_a_group_waits_only_for_children_in_it(compare, jobs, tmp_path):
    native, _ = compare(jobs, ["groups"], mounts=[tmp_path])
    assert "waitpid(-a): a 1, exit 1\n" in native.stdout
    assert "waitpid(0): same-group child 1, exit 3\n" in native.stdout


def test_cpu_times_of_self_thread_and_reaped_children_are_plausible(compare, jobs, tmp_path):
    native, kern = compare(jobs, ["rusage"], mounts=[tmp_path])
    assert "implausible" not in native.stdout + kern.stdout
    assert ": 0\n" not in native.stdout
