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



def test_setpgid_setsid_and_getsid_across_processes(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os, signal, time\n"
        "r, w = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setpgid(0, 0)\n"
        "    os.write(w, b'x')\n"
        "    time.sleep(20)\n"
        "    os._exit(0)\n"
        "os.read(r, 1)\n"
        "print('child leads its group', os.getpgid(pid) == pid, os.getpgid(0) != pid)\n"
        "print('same session', os.getsid(pid) == os.getsid(0))\n"
        "os.kill(-pid, signal.SIGTERM)\n"
        "print('group killed', os.waitpid(pid, 0)[1])\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    me = os.getpid()\n"
        "    print('setsid', os.setsid() == me, os.getsid(0) == me, os.getpgrp() == me)\n"
        "    try:\n"
        "        os.setsid()\n"
        "    except PermissionError:\n"
        "        print('second setsid: EPERM')\n"
        "    try:\n"
        "        os.setpgid(0, 1)\n"
        "    except PermissionError:\n"
        "        print('into a group of another session: EPERM')\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "try:\n"
        "    os.getpgid(pid)\n"
        "except ProcessLookupError:\n"
        "    print('reaped: ESRCH')\n")])


def test_kill_reaches_the_parent_and_kill_zero_the_whole_group(compare):
    # The first child makes a group of its own, so that kill(0) natively reaches only the two
    # processes of the test (the namespace's pid 1 shares the group of whoever started it).
    compare("/usr/bin/python3", ["-c", (
        "import os, signal, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setpgid(0, 0)\n"
        "    got = []\n"
        "    signal.signal(signal.SIGUSR1, lambda *a: got.append('usr1'))\n"
        "    signal.signal(signal.SIGUSR2, lambda *a: got.append('usr2'))\n"
        "    g = os.fork()\n"
        "    if g == 0:\n"
        "        os.kill(os.getppid(), signal.SIGUSR1)\n"
        "        signal.signal(signal.SIGUSR2, lambda *a: os._exit(22))\n"
        "        os.kill(0, signal.SIGUSR2)\n"
        "        time.sleep(20)\n"
        "        os._exit(0)\n"
        "    print('grandchild', os.WEXITSTATUS(os.waitpid(g, 0)[1]), flush=True)\n"
        "    time.sleep(0.2)\n"
        "    print(sorted(got), flush=True)\n"
        "    os._exit(0)\n"
        "print('child', os.WEXITSTATUS(os.waitpid(pid, 0)[1]))\n")])


def test_proc_pid_of_a_child_shows_its_state_parent_and_command_line(compare):
    compare("/usr/bin/python3", ["-c", (
        "import os, time\n"
        "r, w = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.close(r)\n"
        "    os.execv('/usr/bin/sleep', ['sleep', '0.5'])\n"
        "os.close(w)\n"
        "os.read(r, 1)\n"
        "fields = open(f'/proc/{pid}/stat').read().split()\n"
        "print(fields[1], fields[2] in 'RSD', int(fields[3]) == os.getpid(),\n"
        "      int(fields[4]) == os.getpgid(0))\n"
        "print(open(f'/proc/{pid}/cmdline').read().split('\\0'))\n"
        "print(open(f'/proc/{pid}/comm').read().strip())\n"
        "print(str(pid) in os.listdir('/proc'))\n"
        "time.sleep(1)\n"
        "print('after exit', open(f'/proc/{pid}/stat').read().split()[2])\n"
        "os.waitpid(pid, 0)\n"
        "print('after wait', os.path.exists(f'/proc/{pid}'))\n")])


# Python's multiprocessing locks are POSIX semaphores in /dev/shm files, shared through the
# mapping a fork inherits; host shared memory makes them work across guest processes.
SHM = {"type": "untrusted_shm", "path": "/dev/shm", "uri": "dev:/dev/shm"}


def test_pool_map_gives_every_result_twenty_times_over(compare):
    native, _ = compare("/usr/bin/python3", ["-c", (
        "import multiprocessing as mp\n"
        "def square(x):\n"
        "    return x * x\n"
        "good = 0\n"
        "for _ in range(20):\n"
        "    with mp.Pool(2) as pool:\n"
        "        good += pool.map(square, range(100)) == [x * x for x in range(100)]\n"
        "print('correct maps:', good)\n")], mounts=[SHM], timeout=120)
    assert native.stdout == "correct maps: 20\n"


def test_value_and_lock_count_exactly_from_two_processes(compare):
    native, _ = compare("/usr/bin/python3", ["-c", (
        "import multiprocessing as mp\n"
        "def add(counter, lock, unlocked):\n"
        "    for _ in range(2000):\n"
        "        with lock:\n"
        "            counter.value += 1\n"
        "        with unlocked.get_lock():\n"
        "            unlocked.value += 2\n"
        "counter = mp.Value('i', 0, lock=False)\n"
        "unlocked = mp.Value('q', 0)\n"
        "lock = mp.Lock()\n"
        "procs = [mp.Process(target=add, args=(counter, lock, unlocked)) for _ in range(2)]\n"
        "for p in procs:\n"
        "    p.start()\n"
        "add(counter, lock, unlocked)\n"
        "for p in procs:\n"
        "    p.join()\n"
        "print(counter.value, unlocked.value, [p.exitcode for p in procs])\n")],
        mounts=[SHM], timeout=120)
    assert native.stdout == "6000 12000 [0, 0]\n"
