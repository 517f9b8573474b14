"""The harness itself: its sandbox, its timeouts, its manifests and its file comparison."""

import tomllib

import pytest

from conftest import SYSTEM_DIRS, run_sandboxed, snapshot


def test_sandboxed_program_runs_as_pid_1_of_its_own_namespace():
    result = run_sandboxed(["/usr/bin/python3", "-c", "import os; print(os.getpid())"])
    assert (result.returncode, result.stdout) == (0, "1\n"), result.describe("sandboxed")


def test_sandboxed_program_sees_only_its_own_processes():
    result = run_sandboxed(["/usr/bin/ls", "/proc"])
    pids = sorted(int(name) for name in result.stdout.split() if name.isdigit())
    assert pids == [1], result.describe("sandboxed")


def test_sandboxed_program_that_hangs_fails_the_test_after_timeout():
    with pytest.raises(pytest.fail.Exception, match="timed out after 1 s"):
        run_sandboxed(["/usr/bin/sleep", "30"], timeout=1)


def test_exit_status_and_output_are_passed_back():
    result = run_sandboxed(["/usr/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 5"])
    assert (result.returncode, result.stdout, result.stderr) == (5, "out\n", "err\n")


def test_manifest_is_valid_toml_with_requested_keys(sandbox):
    app = sandbox.make_manifest("/usr/bin/env", mounts=[sandbox.work, {"type": "tmpfs",
                                                                        "path": "/scratch"}],
                                env={"QUOTED": 'say "hi"\\n\tdone', "HOME": {"passthrough": True}},
                                argv=["env", "-0"], log_level="trace")
    manifest = tomllib.loads(open(str(app) + ".manifest").read())
    assert manifest["libos"]["entrypoint"] == "/usr/bin/env"
    assert manifest["loader"]["argv"] == ["env", "-0"]
    assert manifest["loader"]["log_level"] == "trace"
    assert manifest["loader"]["env"]["QUOTED"] == 'say "hi"\\n\tdone'
    assert manifest["loader"]["env"]["HOME"] == {"passthrough": True}
    paths = [m["path"] for m in manifest["fs"]["mounts"]]
    assert paths == SYSTEM_DIRS + [str(sandbox.work), "/scratch"]
    assert manifest["fs"]["start_dir"] == str(sandbox.work)
    assert (sandbox.rootfs / "scratch").is_dir()


def test_manifest_without_argv_takes_the_command_line(sandbox):
    app = sandbox.make_manifest("/usr/bin/true")
    manifest = tomllib.loads(open(str(app) + ".manifest").read())
    assert manifest["loader"]["insecure__use_cmdline_argv"] is True
    assert "argv" not in manifest["loader"]


def test_snapshot_sees_content_mode_and_links(tmp_path):
    (tmp_path / "a").write_text("one")
    (tmp_path / "link").symlink_to("a")
    before = snapshot(tmp_path)
    (tmp_path / "a").write_text("two")
    assert snapshot(tmp_path) != before
    (tmp_path / "a").write_text("one")
    assert snapshot(tmp_path) == before
    (tmp_path / "a").chmod(0o600)
    assert snapshot(tmp_path) != before
    assert before["link"] == ("symlink", "a")
