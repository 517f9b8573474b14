"""The curated manifests in apps/, run the way apps/README.md shows, against native runs."""

import os

import pytest

from conftest import BUILD, REPO, run_sandboxed

from test_coreutils import prepare_tree


def run_both(sandbox, name, entrypoint, args, cwd=None, between=None, app=None):
    cwd = cwd or sandbox.work
    native = sandbox.run_native([entrypoint, *args], cwd=cwd)
    if between:
        between()
    kern = sandbox.run_kernite(app or REPO / "apps" / name / name, args, cwd=cwd)
    report = native.describe("native") + kern.describe("kernite")
    assert native.returncode == 0, "the native run failed\n" + report
    assert kern.returncode == 0, report
    assert kern.stdout == native.stdout, "stdout differs\n" + report
    return native, kern


def test_python3_app_runs_command_line_script(sandbox):
    script = ('import json, hashlib; '
              'print(json.dumps({"sha256": hashlib.sha256(b"kernite").hexdigest()}))')
    run_both(sandbox, "python3", "/usr/bin/python3", ["-c", script])


def test_sqlite3_app_runs_the_demo_report(sandbox):
    native, _ = run_both(sandbox, "sqlite3", "/usr/bin/sqlite3",
                         ["-batch", ":memory:", ".read apps/sqlite3/demo/elements.sql"], cwd=REPO)
    assert "He Ne Ar Kr Xe Rn Og" in native.stdout


def test_busybox_app_runs_shell_script_writing_a_file(sandbox):
    script = ('for i in 1 2 3; do echo "line $i"; done > out.txt; '
              'while read l; do echo "[$l]"; done < out.txt')
    out = sandbox.work / "out.txt"
    run_both(sandbox, "busybox", "/usr/bin/busybox", ["sh", "-c", script], between=out.unlink)
    assert (sandbox.work / "out.txt").read_text() == "line 1\nline 2\nline 3\n"


def test_ls_app_lists_relative_directory(sandbox):
    prepare_tree(sandbox.work)
    run_both(sandbox, "ls", "/usr/bin/ls", ["-la", "tree"])


def test_app_sees_nothing_outside_its_mounts(sandbox):
    result = sandbox.run_kernite(REPO / "apps" / "python3" / "python3",
                                 ["-c", "import os; print(os.path.exists('/home'), "
                                        "os.path.exists('/var/lib'), os.path.exists('/etc/passwd'))"])
    assert result.returncode == 0, result.describe("kernite")
    assert result.stdout == "False False True\n", result.describe("kernite")


MANIFESTS = sorted(str(p.relative_to(REPO)) for p in (REPO / "apps").glob("*/*.manifest"))


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_curated_manifest_passes_kernite_manifest_check(manifest):
    tool = BUILD / "tools" / "kernite"
    assert os.access(tool, os.X_OK), f"{tool} is not built"
    result = run_sandboxed([tool, "manifest", "check", REPO / manifest])
    assert result.returncode == 0, result.describe("kernite manifest check")


def test_coreutils_app_runs_each_tool_by_name(sandbox):
    prepare_tree(sandbox.work)
    run_both(sandbox, "coreutils", "/usr/bin/wc", ["-l", "tree/numbers.txt"],
             app=REPO / "apps" / "coreutils" / "wc")


def test_bash_app_runs_builtin_script(sandbox):
    script = 'declare -A n=([a]=1 [b]=2); for k in a b; do echo "$k=${n[$k]}"; done; echo $((6*7))'
    run_both(sandbox, "bash", "/usr/bin/bash", ["-c", script])
