"""The loader: one C program built as each kind of x86-64 executable, compared with native runs
(argv, environment, auxiliary vector, its own program headers, TLS, heap, exit status)."""

import pytest

from conftest import DATA, build_c_program

KINDS = {
    "dynamic_pie": ["-fPIE", "-pie"],
    "dynamic_non_pie": ["-fno-pie", "-no-pie"],
    "static": ["-static"],
    "static_pie": ["-static-pie"],
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    built = {}
    for kind, flags in KINDS.items():
        out = tmp_path_factory.mktemp(kind)
        built[kind] = build_c_program(DATA / "auxv_report.c", out, flags)
    return built


@pytest.mark.parametrize("kind", KINDS)
def test_executable_kind_starts_with_right_stack_and_auxv(compare, programs, kind):
    exe = programs[kind]
    native, _ = compare(exe, ["first", "two words"], mounts=[exe.parent],
                        env={"GREETING": "hi"})
    assert native.returncode == 3
    assert "own program headers found: yes" in native.stdout
