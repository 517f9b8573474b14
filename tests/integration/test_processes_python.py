"""python3 starting processes under Kernite: subprocess, os.fork, os.kill, compared with native."""

# shell=True runs /bin/sh; the test root holds only mount points.
BIN = {"type": "chroot", "path": "/bin", "uri": "file:/usr/bin"}


def test_subprocess_run_with_pipes_and_return_codes(compare):
    compare("/usr/bin/python3", ["-c", (
        "import subprocess\n"
        "r = subprocess.run(['sort'], input=b'b\\na\\nc\\n', capture_output=True)\n"
        "print(r.returncode, r.stdout)\n"
        "r = subprocess.run(['sh', '-c', 'echo err >&2; exit 9'], capture_output=True)\n"
        "print(r.returncode, r.stdout, r.stderr)\n"
        "print(subprocess.run('echo $((6*7))', shell=True, stdout=subprocess.PIPE).stdout)\n"
        "try:\n"
        "    subprocess.run(['/no/such/program'])\n"
        "except FileNotFoundError as e:\n"
        "    print('missing:', e.errno)\n")], mounts=[BIN])


def test_popen_chains_two_processes_through_a_pipe(compare):
    compare("/usr/bin/python3", ["-c", (
        "import subprocess\n"
        "a = subprocess.Popen(['seq', '1000'], stdout=subprocess.PIPE)\n"
        "b = subprocess.Popen(['wc', '-l'], stdin=a.stdout, stdout=subprocess.PIPE)\n"
        "a.stdout.close()\n"
        "print(b.communicate()[0], a.wait(), b.returncode)\n"
        "p = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)\n"
        "out, _ = p.communicate(b'x' * 200000)\n"
        "print(len(out), p.returncode)\n")])


def test_fork_and_waitpid_of_several_children(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os\n"
        "pids = {}\n"
        "for i in range(5):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os._exit(10 + i)\n"
        "    pids[pid] = i\n"
        "codes = sorted(os.WEXITSTATUS(os.waitpid(-1, 0)[1]) for _ in pids)\n"
        "print(codes)\n"
        "try:\n"
        "    os.waitpid(-1, 0)\n"
        "except ChildProcessError:\n"
        "    print('no more children')\n")])


def test_kill_of_a_child_with_a_handler_and_without(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os, signal, time\n"
        "r, w = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    signal.signal(signal.SIGUSR1, lambda *a: os._exit(33))\n"
        "    os.write(w, b'r')\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "os.read(r, 1)\n"
        "os.kill(pid, signal.SIGUSR1)\n"
        "print(os.WEXITSTATUS(os.waitpid(pid, 0)[1]))\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "os.kill(pid, signal.SIGKILL)\n"
        "st = os.waitpid(pid, 0)[1]\n"
        "print(os.WIFSIGNALED(st), os.WTERMSIG(st))\n")])

