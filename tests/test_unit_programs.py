"""Runs each C unit-test program registered with meson, one pytest case per program."""

import json
import os
import subprocess

import pytest

from conftest import BUILD, run_sandboxed


def registered_unit_tests():
    """meson's list of test() programs, or a single entry saying why there is none."""
    if not (BUILD / "meson-info").is_dir():
        return [pytest.param(None, id="build-directory-missing")]
    proc = subprocess.run(["meson", "introspect", "--tests", str(BUILD)], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        return [pytest.param({"error": proc.stderr}, id="meson-introspect-failed")]
    tests = json.loads(proc.stdout)
    return [pytest.param(t, id=t["name"]) for t in sorted(tests, key=lambda t: t["name"])]


@pytest.mark.parametrize("unit_test", registered_unit_tests())
def test_unit_program_passes(unit_test):
    if unit_test is None:
        pytest.fail(f"no meson build directory at {BUILD} (run make first)", pytrace=False)
    if "error" in unit_test:
        pytest.fail("meson introspect failed:\n" + unit_test["error"], pytrace=False)

    # meson runs the program itself, so its own rules hold (should_fail, env, workdir).
    timeout = unit_test.get("timeout") or 60
    timeout = timeout if timeout > 0 else 600
    result = run_sandboxed(["meson", "test", "-C", str(BUILD), "--no-rebuild", "--print-errorlogs",
                            unit_test["name"]], cwd=BUILD, env=dict(os.environ),
                           timeout=timeout + 30)
    assert result.returncode == 0, result.describe(unit_test["name"])
