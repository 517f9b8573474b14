"""splice, sendfile and copy_file_range under Kernite against native with hostile arguments:
bad and closed fds, the wrong pipe ends, bad offset pointers, negative and huge offsets and
lengths, unknown flags, overlapping ranges within one file."""

import pytest

from conftest import DATA, build_c_program


@pytest.fixture(scope="module")
def syscall_args(tmp_path_factory):
    return build_c_program(DATA / "hostile" / "syscall_args.c",
                           tmp_path_factory.mktemp("hostile"))


def test_copy_calls_get_linux_errors(compare, syscall_args):
    native, kern = compare(syscall_args, args=["splice"], mounts=[syscall_args.parent],
                           timeout=60)
    assert native.stdout.endswith("end\n"), native.describe("native")
