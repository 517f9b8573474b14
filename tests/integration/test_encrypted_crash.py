"""kill -9 during a loop of fsync'ed writes to a protected file, 50 times: each time the file
holds exactly the last generation the app reported flushed, or the one it was flushing."""

import random
import subprocess
import time

from conftest import DATA, KERNITE, SANDBOX, build_c_program
from test_encrypted import app_with_enc


def test_kill_during_write_loop_leaves_old_or_new_state(sandbox):
    exe = build_c_program(DATA / "enc" / "write_loop.c", sandbox.tmp)
    enc = sandbox.tmp / "enc"
    app = app_with_enc(sandbox, str(exe), enc, extra_mounts=[str(sandbox.tmp)])
    target = enc / "state"
    rng = random.Random(6)
    seen = []
    cut_flushes = 0

    for round_ in range(50):
        proc = subprocess.Popen(SANDBOX + ["--", str(KERNITE), str(app), "loop", str(target)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True)
        try:
            wanted, last = rng.randint(1, 12), 0
            deadline = time.monotonic() + 30
            while last < wanted and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                last = int(line)
            time.sleep(rng.uniform(0, 0.01))
        finally:
            proc.kill()
            proc.wait(timeout=30)
        # What the app printed before it died, including lines not read yet.
        for line in proc.stdout.read().splitlines():
            last = int(line) if line.strip().isdigit() else last
        assert last >= 1, f"round {round_}: the loop reported nothing: {proc.stderr.read()}"
        journal = target.with_name(target.name + ".kernite-journal")
        cut_flushes += journal.exists() and journal.stat().st_size > 0
        check = sandbox.run_kernite(app, ["check", str(target)])
        assert check.returncode == 0, check.describe("check")
        state = check.stdout.strip()
        assert state in (str(last), str(last + 1)), \
            f"round {round_}: app reported {last} flushed, file holds {state!r}"
        seen.append(int(state) - last)
    print(f"50 kills: {seen.count(0)} at the reported state, {seen.count(1)} at the next one, "
          f"{cut_flushes} left a journal to roll back")
    assert not list(enc.glob("*.kernite-journal")), "a journal outlived the check's close"
