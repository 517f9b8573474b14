"""Drives a program on a new pseudo-terminal, as a user at a shell would: types each line of a
script and prints what the terminal showed and how the program ended. Every read is bounded.

Script lines: ^C or ^Z types that control character; "@expect TEXT" waits (at most 15 s) until
the terminal has shown TEXT since the previous line was typed; "@until TEXT" waits the same
way but types the previous line again each second until TEXT appears (for a keystroke that a
program may miss while it is not yet ready for it); "@enter-until TEXT" presses Enter instead
(a shell tells of a job's end at its next prompt); "@sleep SECONDS" waits; any other line is
typed followed by a newline. After the script the program is given 15 s to end.

Usage: pty_jobs.py SCRIPT_FILE PROGRAM [ARGS...]
"""

import os
import pty
import select
import signal
import sys
import time

CONTROL = {"^C": b"\x03", "^Z": b"\x1a"}
EXPECT_SECONDS = 15


class Terminal:
    def __init__(self, fd):
        self.fd = fd
        self.out = bytearray()
        self.mark = 0
        self.closed = False
        self.last = b""

    def read_for(self, seconds, until=None):
        """Collects output for seconds, or until the text until appears after the mark."""
        end = time.time() + seconds
        while time.time() < end and not self.closed:
            if until is not None and until.encode() in self.out[self.mark:]:
                return True
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                self.closed = True
            self.out += data
        return until is not None and until.encode() in self.out[self.mark:]

    def type(self, data):
        self.mark = len(self.out)
        self.last = data
        os.write(self.fd, data)

    def retype_until(self, text, seconds, data=None):
        """Types data (the last input again) each second until text appears after the mark."""
        end = time.time() + seconds
        while not self.read_for(min(1.0, end - time.time()), until=text):
            if time.time() >= end or self.closed:
                return False
            os.write(self.fd, self.last if data is None else data)
        return True


def main():
    lines = open(sys.argv[1]).read().splitlines()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    term = Terminal(fd)
    term.read_for(1.0)
    for line in lines:
        if line.startswith("@expect "):
            if not term.read_for(EXPECT_SECONDS, until=line[len("@expect "):]):
                term.out += f"\n[expected text did not appear: {line[8:]!r}]\n".encode()
        elif line.startswith("@until "):
            if not term.retype_until(line[len("@until "):], EXPECT_SECONDS):
                term.out += f"\n[expected text did not appear: {line[7:]!r}]\n".encode()
        elif line.startswith("@enter-until "):
            if not term.retype_until(line[len("@enter-until "):], EXPECT_SECONDS, b"\n"):
                term.out += f"\n[expected text did not appear: {line[13:]!r}]\n".encode()
        elif line.startswith("@sleep "):
            term.read_for(float(line[len("@sleep "):]))
        else:
            term.type(CONTROL.get(line, line.encode() + b"\n"))
            term.read_for(0.3)
    status = None
    end = time.time() + 15
    while time.time() < end:
        term.read_for(0.1)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    term.read_for(0.5)
    sys.stdout.write(term.out.decode(errors="replace"))
    print(f"\n[ended: {status if status is not None else 'still running, killed'}]")


if __name__ == "__main__":
    main()
