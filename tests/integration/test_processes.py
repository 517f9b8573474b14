"""Guest processes under Kernite: fork, execve and wait, compared with the same runs natively."""

import re

from conftest import DATA, build_c_program

PROC = DATA / "proc"
SCRIPT = 'echo a | cat; x=$(echo b); echo $x; (exit 3); echo $?; false || echo failed=$?'


def test_busybox_sh_pipeline_substitution_and_subshell_status(compare):
    compare("/usr/bin/busybox", ["sh", "-c", SCRIPT])


def test_bash_pipeline_substitution_and_subshell_status(compare):
    compare("/usr/bin/bash", ["-c", SCRIPT + "; /usr/bin/true; echo true=$?; /usr/bin/false; echo $?"])


def test_bash_exit_status_of_a_failed_command_is_its_own(compare):
    compare("/usr/bin/bash", ["-c", "ls /no/such/dir 2>/dev/null; echo status=$?; exit 5"])


def test_python_subprocess_run_captures_output(compare):
    compare("/usr/bin/python3", ["-c", (
        "import subprocess\n"
        "r = subprocess.run(['echo', 'x'], capture_output=True)\n"
        "print(r.returncode, r.stdout)\n"
        "r = subprocess.run(['sh', '-c', 'exit 9'])\n"
        "print(r.returncode)\n")])


def test_python_fork_and_waitpid_report_exit_status(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(7)\n"
        "p, st = os.waitpid(pid, 0)\n"
        "print(p == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))\n")])


def test_python_kill_of_a_child_reaches_it(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os, signal, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "os.kill(pid, signal.SIGTERM)\n"
        "p, st = os.waitpid(pid, 0)\n"
        "print(os.WIFSIGNALED(st), os.WTERMSIG(st))\n")])


def test_wait_statuses_signal_deaths_nohang_and_echild(compare, tmp_path):
    exe = build_c_program(PROC / "waits.c", tmp_path)
    compare(exe, [], mounts=[tmp_path])


def test_execve_of_missing_file_and_non_elf_keeps_the_old_image(compare, tmp_path):
    exe = build_c_program(PROC / "exec.c", tmp_path)
    script = tmp_path / "notelf"
    script.write_text("this is no program\n")
    script.chmod(0o755)
    compare(exe, ["keep", "/no/such/file"], mounts=[tmp_path])
    compare(exe, ["keep", str(script)], mounts=[tmp_path])


def test_execve_replaces_the_image(compare, tmp_path):
    exe = build_c_program(PROC / "exec.c", tmp_path)
    compare(exe, ["run", "/usr/bin/echo"], mounts=[tmp_path])


def test_thousand_sequential_forks_exit_and_are_waited_for(compare, tmp_path):
    exe = build_c_program(PROC / "forkloop.c", tmp_path)
    native, kern = compare(exe, ["1000"], mounts=[tmp_path], timeout=120)
    assert kern.stdout == "rounds 1000 sum 2997\n"
    per_fork = [float(re.match(r"([\d.]+) us", r.stderr).group(1)) for r in (native, kern)]
    print(f"fork+exit+wait: native {per_fork[0]:.0f} us, Kernite {per_fork[1]:.0f} us")


def test_corrupt_or_truncated_checkpoint_makes_the_child_exit_with_an_error(kernite_bin):
    from conftest import run_sandboxed
    header = b"KNTCKPT\0\2\0\0\0\0\0\0\0"
    too_long = b"\1\0\0\0\0\0\0\0\xff\xff\xff\xff\0\0\0\0"
    for stream, why in [(b"garbage" * 4, "bad magic"), (header, "truncated"),
                        (header + too_long, "longer than its type allows")]:
        r = run_sandboxed([kernite_bin, "--kernite-child", "0"], input=stream, timeout=20)
        assert r.returncode == 127, r.describe("kernite")
        assert "corrupt checkpoint stream: " in r.stderr and why in r.stderr, r.stderr
