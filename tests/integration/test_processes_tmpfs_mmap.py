"""fork with a tmpfs file both open and mapped, compared with native. Kernite's tmpfs is per
process: the child sees the mapping's bytes as of the fork, and its fds of the file are gone."""

import pytest

TMP = {"type": "tmpfs", "path": "/tmp"}
SHM = {"type": "tmpfs", "path": "/dev/shm"}


@pytest.mark.parametrize("flags", ["MAP_SHARED", "MAP_PRIVATE"])
def test_fork_with_an_open_and_mapped_tmpfs_file(compare, flags):
    native, _ = compare("/usr/bin/python3", ["-c", (
        "import os, mmap, tempfile\n"
        "fd, name = tempfile.mkstemp(dir='/tmp')\n"
        "os.unlink(name)\n"
        "os.ftruncate(fd, 4096)\n"
        f"m = mmap.mmap(fd, 4096, flags=mmap.{flags})\n"
        "m[0:2] = b'hi'\n"
        "m[4095:4096] = b'z'\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.write(1, b'child sees ' + m[0:2] + m[4095:4096] + b'\\n')\n"
        "    os._exit(7)\n"
        "print('child status', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
        "print('parent sees', m[0:2], m[4095:4096])\n")], mounts=[TMP])
    assert native.stdout == "child sees hiz\nchild status 7\nparent sees b'hi' b'z'\n"


def test_value_read_by_four_processes_without_host_shared_memory(compare):
    # The heap arena of multiprocessing.Value is a tmpfs file, open and mapped, in /dev/shm.
    native, _ = compare("/usr/bin/python3", ["-c", (
        "import multiprocessing as mp\n"
        "def check(value, n):\n"
        "    raise SystemExit(10 + n if value.value == 4242 else 1)\n"
        "value = mp.Value('i', 4242)\n"
        "procs = [mp.Process(target=check, args=(value, n)) for n in range(4)]\n"
        "for p in procs:\n"
        "    p.start()\n"
        "for p in procs:\n"
        "    p.join()\n"
        "print(value.value, [p.exitcode for p in procs])\n")], mounts=[SHM], timeout=120)
    assert native.stdout == "4242 [10, 11, 12, 13]\n"
