"""ioctl under Kernite against native with hostile arguments: the fd requests, FIONREAD,
FIOQSIZE, terminal and unknown requests with good and bad pointers on every kind of fd (file,
directory, both pipe ends, unix and inet sockets, eventfd, epoll, /dev/null, O_PATH)."""

import pytest

from conftest import DATA, build_c_program


@pytest.fixture(scope="module")
def syscall_args(tmp_path_factory):
    return build_c_program(DATA / "hostile" / "syscall_args.c",
                           tmp_path_factory.mktemp("hostile"))


def test_ioctl_on_every_fd_kind_gets_linux_errors(compare, syscall_args):
    native, kern = compare(syscall_args, args=["ioctl"], mounts=[syscall_args.parent],
                           timeout=60)
    assert native.stdout.endswith("end\n"), native.describe("native")
