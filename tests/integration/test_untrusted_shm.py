"""Host shared memory (untrusted_shm mounts) between guest processes, compared with native:
named semaphores, shm_open, and MAP_SHARED|MAP_ANONYMOUS memory across fork; the mount holds
files only and what is written there is the host's."""

import os

import pytest

from conftest import DATA, build_c_program

SHM = {"type": "untrusted_shm", "path": "/dev/shm", "uri": "dev:/dev/shm"}


@pytest.fixture
def shm_program(tmp_path):
    return build_c_program(DATA / "proc" / "shm.c", tmp_path, ["-pthread"])


def test_named_semaphores_ping_pong_between_parent_and_child(compare, shm_program):
    native, _ = compare(shm_program, ["semaphores"], mounts=[shm_program.parent, SHM])
    assert "2000 rounds of ping-pong, child exit 0, ping value 0" in native.stdout


def test_process_shared_mutex_guards_a_shared_anonymous_counter(compare, shm_program):
    native, _ = compare(shm_program, ["counter"], mounts=[shm_program.parent, SHM])
    assert native.stdout == ("counter 60000 (expected 60000), children exit 0\n"
                             "private word after the child wrote it: 1\n")


def test_shm_open_object_is_seen_by_parent_child_and_read(compare, shm_program):
    native, _ = compare(shm_program, ["shm_open"], mounts=[shm_program.parent, SHM])
    assert "parent sees: 'changed by the child' and 'from the child'" in native.stdout


def test_shared_anonymous_memory_survives_fork_without_the_mount(compare, shm_program):
    # No untrusted_shm mount: sem_open's files are per process, but anonymous memory is shared.
    native, _ = compare(shm_program, ["counter"], mounts=[shm_program.parent])
    assert native.stdout.startswith("counter 60000 ")


def test_mount_holds_files_only_and_the_host_sees_them(sandbox, tmp_path):
    host_dir = tmp_path / "hostshm"
    host_dir.mkdir()
    (host_dir / "sub").mkdir()
    (host_dir / "sub" / "hidden").write_text("x")
    (host_dir / "from-host").write_text("host data")
    app = sandbox.make_manifest("/usr/bin/python3", argv=["python3", "-c", (
        "import os, mmap\n"
        "print(sorted(os.listdir('/shm')))\n"
        "for op in (lambda: os.mkdir('/shm/new'), lambda: os.stat('/shm/sub'),\n"
        "           lambda: open('/shm/sub/hidden'), lambda: os.symlink('x', '/shm/l')):\n"
        "    try:\n"
        "        op()\n"
        "        print('allowed')\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__)\n"
        "print(open('/shm/from-host').read())\n"
        "fd = os.open('/shm/guest', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)\n"
        "os.ftruncate(fd, 4096)\n"
        "m = mmap.mmap(fd, 4096)\n"
        "m[:11] = b'guest bytes'\n"
        "os.link('/shm/guest', '/shm/linked')\n"
        "os.rename('/shm/linked', '/shm/renamed')\n"
        "print(sorted(os.listdir('/shm')), os.fstat(fd).st_size)\n")],
        mounts=[{"type": "untrusted_shm", "path": "/shm", "uri": "dev:" + str(host_dir)}])
    result = sandbox.run_kernite(app)
    assert result.returncode == 0, result.describe("kernite")
    assert result.stdout == ("['from-host']\n"
                             + "PermissionError\n" * 4
                             + "host data\n"
                             "['from-host', 'guest', 'renamed'] 4096\n"), result.describe("kernite")
    assert (host_dir / "renamed").read_bytes()[:11] == b"guest bytes"
    assert sorted(os.listdir(host_dir)) == ["from-host", "guest", "renamed", "sub"]
