"""futex under Kernite against native with hostile arguments: every operation with NULL,
unmapped, read-only, kernel-half and misaligned words, bad timeouts, negative counts, unknown
operations and clock flags where Linux refuses them. (Priority-inheritance operations are not
implemented and are left out.)"""

import pytest

from conftest import DATA, build_c_program


@pytest.fixture(scope="module")
def syscall_args(tmp_path_factory):
    return build_c_program(DATA / "hostile" / "syscall_args.c",
                           tmp_path_factory.mktemp("hostile"))


def test_futex_ops_get_linux_errors(compare, syscall_args):
    native, kern = compare(syscall_args, args=["futex"], mounts=[syscall_args.parent],
                           timeout=60)
    assert native.stdout.endswith("end\n"), native.describe("native")
