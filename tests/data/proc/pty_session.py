"""Drives an interactive program on a new pseudo-terminal: types each line of a script, with
Ctrl-C for a line that reads ^C, and prints what the terminal showed and how the program ended.

Usage: pty_session.py SCRIPT_FILE PROGRAM [ARGS...]
"""

import os
import pty
import select
import signal
import sys
import time


def read_for(fd, seconds, out):
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        out.append(data)


def main():
    lines = open(sys.argv[1]).read().splitlines()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    out = []
    read_for(fd, 1.5, out)
    for line in lines:
        os.write(fd, b"\x03" if line == "^C" else line.encode() + b"\n")
        read_for(fd, 0.7, out)
    status = None
    for _ in range(100):
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.05)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sys.stdout.write(b"".join(out).decode(errors="replace"))
    print(f"\n[ended: {status if status is not None else 'still running, killed'}]")


if __name__ == "__main__":
    main()
