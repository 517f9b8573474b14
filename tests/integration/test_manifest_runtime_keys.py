"""Manifest keys that change how the library OS runs the app: loader.log_file and
sys.disallow_subprocesses."""

import shutil


def test_log_file_receives_the_messages_of_every_process_instead_of_stderr(sandbox):
    log = sandbox.tmp / "kernite.log"
    sh = shutil.which("sh")
    app = sandbox.make_manifest(sh, log_level="debug",
                                extra=f'loader.log_file = "{log}"\n')
    kern = sandbox.run_kernite(app, ["-c", "echo hello; (exit 3); echo $?"])
    report = kern.describe("kernite")
    assert kern.returncode == 0 and kern.stdout == "hello\n3\n", report
    assert "kernite:" not in kern.stderr, report
    text = log.read_text()
    assert "kernite: debug: process 1 exits with status 0" in text, text
    assert "kernite: debug: process 2 exits with status 3" in text, text


def test_log_file_that_cannot_be_opened_is_an_error_naming_the_key(sandbox):
    app = sandbox.make_manifest(shutil.which("true"),
                                extra='loader.log_file = "/nonexistent-dir/k.log"\n')
    kern = sandbox.run_kernite(app)
    assert kern.returncode != 0, kern.describe("kernite")
    assert "loader.log_file: cannot open '/nonexistent-dir/k.log': No such file or directory" \
        in kern.stderr, kern.describe("kernite")


def test_disallowed_subprocesses_make_fork_fail_with_eagain(sandbox):
    python = shutil.which("python3") and "/usr/bin/python3"
    script = ("import os\n"
              "try:\n"
              "    os.fork()\n"
              "except OSError as e:\n"
              "    print('fork failed:', e.errno == 11)\n"
              "import subprocess\n"
              "try:\n"
              "    subprocess.run(['/bin/true'])\n"
              "except OSError as e:\n"
              "    print('subprocess failed:', e.errno == 11)\n")
    app = sandbox.make_manifest(python, log_level="warning",
                                extra="sys.disallow_subprocesses = true\n")
    kern = sandbox.run_kernite(app, ["-c", script])
    report = kern.describe("kernite")
    assert kern.returncode == 0, report
    assert kern.stdout == "fork failed: True\nsubprocess failed: True\n", report
    assert kern.stderr.count("sys.disallow_subprocesses forbids it") == 1, report


def test_ls_long_listing_sees_files_without_extended_attributes(sandbox):
    """ls -l asks for each file's attributes (SELinux label, ACL): with none kept, it lists
    quietly as on a file system without them."""
    (sandbox.work / "a.txt").write_text("a\n")
    ls = shutil.which("ls")
    app = sandbox.make_manifest(ls, mounts=[sandbox.work])
    kern = sandbox.run_kernite(app, ["-l", str(sandbox.work)])
    report = kern.describe("kernite")
    assert kern.returncode == 0 and kern.stderr == "", report
    assert "a.txt" in kern.stdout, report


def test_xattr_calls_check_the_file_and_name_and_report_no_attributes(sandbox):
    script = (
        "import os, errno\n"
        "def err(f, *a):\n"
        "    try:\n"
        "        return f(*a)\n"
        "    except OSError as e:\n"
        "        return errno.errorcode[e.errno]\n"
        "open('f', 'w').close()\n"
        "print(err(os.getxattr, 'f', 'user.x'), err(os.getxattr, 'missing', 'user.x'),\n"
        "      err(os.getxattr, 'f', ''), err(os.listxattr, 'f'),\n"
        "      err(os.setxattr, 'f', 'user.x', b'1'), err(os.removexattr, 'f', 'user.x'))\n")
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[sandbox.work])
    kern = sandbox.run_kernite(app, ["-c", script])
    assert kern.stdout == "ENODATA ENOENT ERANGE [] ENOTSUP ENODATA\n", kern.describe("k")


def test_ignored_command_line_arguments_are_explained_by_the_manifest_key_that_wins(sandbox):
    echo = shutil.which("echo")
    app = sandbox.make_manifest(echo, argv=["echo", "from", "manifest"], log_level="warning")
    text = open(str(app) + ".manifest").read()
    app2 = sandbox.make_manifest(echo, log_level="warning", name="echo2")
    text2 = open(str(app2) + ".manifest").read().replace(
        "loader.insecure__use_cmdline_argv = true\n", "")
    open(str(app2) + ".manifest", "w").write(text2)
    given = sandbox.run_kernite(app, ["ignored"])
    neither = sandbox.run_kernite(app2, ["ignored"])
    assert "loader.argv" in text and given.stdout == "from manifest\n", given.describe("given")
    assert "the manifest's loader.argv gives the arguments" in given.stderr, given.describe("g")
    assert "sets neither loader.argv nor" in neither.stderr, neither.describe("neither")
