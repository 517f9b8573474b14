"""Debian's python3 under Kernite, compared with the same script run natively."""

import textwrap

from conftest import DATA

PYTHON = "/usr/bin/python3"
PY_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}


def py(compare, script, **kw):
    kw.setdefault("env", PY_ENV)
    return compare(PYTHON, ["-c", textwrap.dedent(script)], **kw)


def prepare_tree(work):
    for rel, text in {"a/one.txt": "1\n", "a/b/two.txt": "22\n", "a/b/c/three.txt": "333\n",
                      "a/four.log": "4444\n", "top.txt": "top\n"}.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_prints_and_exits_zero(compare):
    py(compare, "print('hello from python', 6 * 7)")


def test_sys_exit_status_is_returned(compare):
    native, _ = py(compare, "import sys; print('bye'); sys.exit(3)")
    assert native.returncode == 3


def test_json_round_trip(compare):
    py(compare, """
        import json
        doc = {"name": "kernite", "values": [1, 2.5, None, True, "\\u00e9"], "nested": {"k": []}}
        text = json.dumps(doc, sort_keys=True, indent=2)
        print(text)
        assert json.loads(text) == doc
        print(json.dumps(json.loads('[1e3, -0.0, "a\\\\nb", {"x": {"y": [false]}}]')))
    """)


def test_hashlib_digests(compare):
    native, _ = py(compare, """
        import hashlib
        data = b"".join(i.to_bytes(4, "little") for i in range(100000))
        for name in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
            print(name, hashlib.new(name, data).hexdigest())
        print("abc", hashlib.sha256(b"abc").hexdigest())
    """)
    assert "abc ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in native.stdout


def test_re_search_and_substitute(compare):
    py(compare, r"""
        import re
        text = "2024-01-05 alice=3, 2023-12-31 bob=17; carol=x 1999-07-04"
        print(re.findall(r"\d{4}-\d{2}-\d{2}", text))
        print(re.sub(r"(\w+)=(\d+)", lambda m: f"{m.group(1).upper()}:{int(m.group(2)) * 2}", text))
        m = re.match(r"(?P<y>\d+)-(?P<m>\d+)", text)
        print(m.groupdict(), m.span())
        print(re.split(r"[,;]\s*", text))
        print(bool(re.fullmatch(r"(?i)[a-z]+", "Kernite")))
    """)


def test_os_listdir_and_walk(compare):
    py(compare, """
        import os
        print(sorted(os.listdir(".")))
        print(sorted(os.listdir("a")))
        for dirpath, dirnames, filenames in os.walk("a"):
            dirnames.sort()
            sizes = [os.path.getsize(os.path.join(dirpath, f)) for f in sorted(filenames)]
            print(dirpath, dirnames, sorted(filenames), sizes)
        print(os.path.isdir("a/b"), os.path.isfile("a/b"), os.path.exists("nope"))
    """, setup=prepare_tree)


def test_file_write_read_append_rename_remove(compare):
    py(compare, """
        import os
        with open("data.txt", "w") as f:
            for i in range(1000):
                f.write(f"line {i}\\n")
        with open("data.txt", "a") as f:
            f.write("appended\\n")
        with open("data.txt") as f:
            lines = f.readlines()
        print(len(lines), lines[0].strip(), lines[-1].strip())
        with open("bin.dat", "wb") as f:
            f.write(bytes(range(256)) * 64)
        with open("bin.dat", "r+b") as f:
            f.seek(1000)
            f.write(b"XYZ")
            f.seek(998)
            print(f.read(7))
        os.rename("bin.dat", "moved.dat")
        os.mkdir("sub")
        with open("sub/gone.txt", "w") as f:
            f.write("temporary")
        os.remove("sub/gone.txt")
        print(sorted(os.listdir(".")), os.stat("moved.dat").st_size)
    """, files=True)


def test_threads_with_lock_count_exactly(compare):
    native, _ = py(compare, """
        import threading
        counter = 0
        lock = threading.Lock()
        barrier = threading.Barrier(8)
        seen = set()

        def work(n):
            global counter
            barrier.wait()
            for _ in range(20000):
                with lock:
                    counter += 1
            with lock:
                seen.add(n)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("counter", counter, "threads", sorted(seen))
    """)
    assert "counter 160000" in native.stdout


def test_time_sleep_waits_at_least_requested(compare):
    py(compare, """
        import time
        start = time.monotonic()
        time.sleep(0.3)
        elapsed = time.monotonic() - start
        print("slept enough" if 0.3 <= elapsed < 5 else f"wrong: {elapsed}")
        t1 = time.time(); time.sleep(0.05); t2 = time.time()
        print("wall clock advanced" if t2 > t1 else "wall clock stuck")
    """)


def test_exception_prints_traceback_and_exits_1(compare):
    native, _ = py(compare, """
        def inner(x):
            return {"a": 1}[x]

        def outer():
            return inner("missing")

        print("before")
        outer()
    """, stderr=True)
    assert native.returncode == 1
    assert "Traceback (most recent call last):" in native.stderr
    assert "KeyError: 'missing'" in native.stderr


def test_text_report_script_from_repository(compare):
    native, _ = compare(PYTHON, [DATA / "textreport.py", DATA / "corpus", "out", "--top", "10"],
                        mounts=[DATA], env=PY_ENV, files=True)
    assert native.stdout.startswith("3 files, 423 words")


def test_path_outside_every_mount_does_not_exist(sandbox):
    script = ("import os; print([os.path.exists(p) for p in "
              "('/root', '/var', '/home', '/usr/bin/python3', '/etc/passwd')])")
    app = sandbox.make_manifest(PYTHON, env=PY_ENV)
    result = sandbox.run_kernite(app, ["-c", script])
    assert result.returncode == 0, result.describe("kernite")
    assert result.stdout == "[False, False, False, True, True]\n", result.describe("kernite")


def test_reads_stdin_from_a_pipe(compare):
    py(compare, """
        import sys
        data = sys.stdin.read()
        print(len(data), len(data.splitlines()), data.splitlines()[-1])
    """, input=b"".join(b"row %d\n" % i for i in range(5000)))


def test_dev_null_zero_and_urandom(compare):
    py(compare, """
        with open("/dev/zero", "rb") as f:
            print(f.read(8))
        with open("/dev/null", "rb") as f:
            print(f.read(8))
        with open("/dev/null", "w") as f:
            print(f.write("discarded"))
        with open("/dev/urandom", "rb") as f:
            print(len(f.read(32)))
        import os
        print(len(os.urandom(64)))
    """)


def test_proc_self_exe_cmdline_and_fds(compare):
    py(compare, """
        import os
        print(os.readlink("/proc/self/exe"))
        with open("/proc/self/cmdline", "rb") as f:
            print(f.read().split(b"\\0")[:2])
        print(sorted(int(n) for n in os.listdir("/proc/self/fd"))[:3])
        with open("/proc/self/status") as f:
            print([line.split(":")[0] for line in f if line.startswith(("Name", "Threads"))])
    """)


def test_signal_handler_runs_for_signal_sent_to_self(compare):
    py(compare, """
        import os, signal
        got = []
        signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
        os.kill(os.getpid(), signal.SIGUSR1)
        signal.raise_signal(signal.SIGUSR1)
        print("handled", got == [signal.SIGUSR1] * 2)
    """)

