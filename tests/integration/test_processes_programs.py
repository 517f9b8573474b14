"""C programs that fork in hard situations, compared with native: threads, 100 MB, zombies,
orphans, and an address space with many mappings."""

import pytest

from conftest import DATA, build_c_program

PROC = DATA / "proc"


@pytest.fixture
def forks(tmp_path):
    return build_c_program(PROC / "forks.c", tmp_path, ["-pthread"])


def test_fork_while_other_threads_allocate(compare, forks, tmp_path):
    compare(forks, ["threads"], mounts=[tmp_path])


def test_fork_of_100_mb_touched_memory_copies_every_page(compare, forks, tmp_path):
    native, _ = compare(forks, ["bigmem"], mounts=[tmp_path], timeout=120)
    assert "intact; parent words changed: 0" in native.stdout


def test_zombie_can_be_signalled_until_it_is_reaped_once(compare, forks, tmp_path):
    compare(forks, ["zombie"], mounts=[tmp_path])


def test_orphan_is_reparented_to_pid_1_which_reaps_it(compare, forks, tmp_path):
    native, _ = compare(forks, ["orphan"], mounts=[tmp_path])
    assert "now 1\npid 1 reaped the orphan: 1, exit code 9" in native.stdout


def test_mmap_finds_room_among_hundreds_of_unmergeable_mappings(compare, tmp_path):
    exe = build_c_program(PROC / "manymaps.c", tmp_path)
    native, _ = compare(exe, [], mounts=[tmp_path])
    assert native.stdout == "sum 33586\n"


def test_forked_child_continues_with_the_parents_fpu_state(compare, tmp_path):
    exe = build_c_program(PROC / "fpu_fork.c", tmp_path, ["-lm"])
    native, _ = compare(exe, [], mounts=[tmp_path])
    assert native.stdout.endswith("parent: child ok\n")


@pytest.mark.parametrize("caller", ["main", "other"])
def test_execve_ends_the_other_threads_first(compare, tmp_path, caller):
    exe = build_c_program(PROC / "exec_threads.c", tmp_path, ["-pthread"])
    native, _ = compare(exe, [caller], mounts=[tmp_path])
    assert "1 thread(s), tid is pid: 1" in native.stdout


def test_ignored_sigchld_that_arrives_in_app_code_leaves_later_calls_alone(compare, tmp_path):
    exe = build_c_program(PROC / "quiet_sigchld.c", tmp_path)
    native, _ = compare(exe, [], mounts=[tmp_path], timeout=60)
    assert native.stdout.count("accept -1 (Resource temporarily unavailable), read 4") == 20
