"""A signal storm (SIGALRM every 100 us, SIGUSR1 from a child, SIGCHLD) while the program forks,
execs, waits, splices and waits on futexes: under Kernite every round must finish as natively,
within the time bound, with no hang or crash."""

from conftest import DATA, build_c_program

TIMEOUT = 120


def test_signal_storm_over_fork_exec_wait_splice_futex(compare, tmp_path):
    exe = build_c_program(DATA / "hostile" / "signal_storm.c", tmp_path, extra_flags=["-pthread"])
    native, kern = compare(exe, mounts=[tmp_path], timeout=TIMEOUT)
    assert native.stdout == "100 of 100 rounds; alarms seen, SIGUSR1 seen, SIGCHLD seen\n", \
        native.describe("native")
