"""Hostile syscall arguments under Kernite against native: bad pointers (NULL, unmapped, no
access, kernel half, non-canonical, inside kernite-direct's own image), huge and negative sizes
and counts, unknown flags, closed and huge fds. Each group must give the same results, line for
line, as Linux, without a crash or a hang."""

import pytest

from conftest import DATA, build_c_program

TIMEOUT = 60


@pytest.fixture(scope="module")
def syscall_args(tmp_path_factory):
    return build_c_program(DATA / "hostile" / "syscall_args.c",
                           tmp_path_factory.mktemp("hostile"))


GROUPS = ["mm", "iov", "epoll", "wait", "pgrp", "poll", "signals", "prctl"]


@pytest.mark.parametrize("group", GROUPS)
def test_bad_arguments_get_linux_errors(compare, syscall_args, group):
    native, kern = compare(syscall_args, args=[group], mounts=[syscall_args.parent],
                           timeout=TIMEOUT)
    assert native.stdout.endswith("end\n"), native.describe("native")
