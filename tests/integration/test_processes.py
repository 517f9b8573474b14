"""Guest processes under Kernite: fork, execve and wait, compared with the same runs natively."""

import re
from pathlib import Path

import pytest

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
    header = b"KNTCKPT\0\3\0\0\0\0\0\0\0"
    too_long = b"\1\0\0\0\0\0\0\0\xff\xff\xff\xff\0\0\0\0"
    for stream, why in [(b"garbage" * 4, "bad magic"), (header, "truncated"),
                        (header + too_long, "longer than its type allows")]:
        r = run_sandboxed([kernite_bin, "--kernite-child", "0"], input=stream, timeout=20)
        assert r.returncode == 127, r.describe("kernite")
        assert "corrupt checkpoint stream: " in r.stderr and why in r.stderr, r.stderr


def ckpt_record(kind, payload=b""):
    import struct
    return struct.pack("<IIQ", kind, 0, len(payload)) + payload


def ckpt_prefix(manifest):
    """A checkpoint stream up to its first mapping: header, manifest and process records."""
    import struct
    text = manifest.read_bytes()
    # struct ckpt_process: pid, ppid, pgid, sid; uid, gid, euid, egid, umask; log_level;
    # brk_start, brk_current; 65 sigactions of 32 bytes; 16 rlimits of 16 bytes.
    process = struct.pack("<4i5Iiqq", 2, 1, 1, 1, 0, 0, 0, 0, 0o22, 1, 0, 0)
    process += bytes(65 * 32 + 16 * 16)
    return (b"KNTCKPT\0" + struct.pack("<II", 3, 0) +
            ckpt_record(1, str(manifest).encode() + b"\0" + text) + ckpt_record(2, process))


def ckpt_vma(start, end, how, flags=0x22, name=0, file=0, path=b"", prot=3):
    import struct
    return ckpt_record(5, struct.pack("<QQQiiIIII", start, end, 0, prot, flags, how, name, file,
                                      0) + path + b"\0")


BAD_MAPPINGS = [
    ("unknown how bit", ckpt_vma(0x10000000, 0x10001000, 0x40), "mapping kind"),
    ("two kinds at once", ckpt_vma(0x10000000, 0x10001000, 0x4 | 0x2, flags=0x2, path=b"/x"),
     "mapping kind"),
    ("a file number on anonymous memory", ckpt_vma(0x10000000, 0x10001000, 0, file=3),
     "mapping kind"),
    ("a host file mapping that is shared", ckpt_vma(0x10000000, 0x10001000, 0x4, flags=0x1,
                                                    path=b"/x"), "mapping kind"),
    ("a host file mapping without its handle", ckpt_vma(0x10000000, 0x10001000, 0x4, flags=0x2,
                                                        path=b"/usr/bin/true"),
     "file mapping without its file's handle"),
    ("a host file not sent yet", ckpt_vma(0x10000000, 0x10001000, 0x4, flags=0x2, file=1,
                                          path=b"/usr/bin/true"),
     "file mapping names a file not yet sent"),
    ("an unknown name", ckpt_vma(0x10000000, 0x10001000, 0, name=9), "mapping name"),
    ("a rewriting table of the wrong size", ckpt_record(11, bytes(12)), "rewriting state"),
    ("a stub page that is not mapped",
     ckpt_record(11, bytes([1, 0, 0, 0]) + bytes(12) + (0x20000000).to_bytes(8, "little") +
                 (128).to_bytes(4, "little") + bytes(4)), "rewriting state"),
    ("a stub page that is writable memory",
     ckpt_vma(0x10000000, 0x10001000, 0) +
     ckpt_record(11, bytes([1, 0, 0, 0]) + bytes(12) + (0x10000000).to_bytes(8, "little") +
                 (128).to_bytes(4, "little") + bytes(4)), "rewriting state"),
    ("a mapping after the rewriting table",
     ckpt_record(11, bytes(16)) + ckpt_vma(0x10000000, 0x10001000, 0), "records out of order"),
    ("pages outside their mapping",
     ckpt_vma(0x10000000, 0x10001000, 0) +
     ckpt_record(6, (0x10001000).to_bytes(8, "little") + bytes(4096)),
     "pages outside their mapping"),
]


@pytest.mark.parametrize("what,records,why", BAD_MAPPINGS, ids=[b[0] for b in BAD_MAPPINGS])
def test_inconsistent_mapping_records_make_the_child_exit_with_an_error(kernite_bin, sandbox,
                                                                        what, records, why):
    from conftest import run_sandboxed
    stream = ckpt_prefix(Path(str(sandbox.make_manifest("/usr/bin/true")) + ".manifest"))
    r = run_sandboxed([kernite_bin, "--kernite-child", "0"], input=stream + records, timeout=20)
    assert r.returncode == 127, r.describe("kernite")
    assert "corrupt checkpoint stream: " + why in r.stderr, r.describe("kernite")
