"""Shells, make and xargs under Kernite: every script forks and execs, compared with native."""

import re

import pytest

from conftest import DATA

# Debian's /bin is a link to /usr/bin; the test root holds only mount points, so programs that
# run /bin/sh (make, system(3)) get /usr/bin there.
BIN = {"type": "chroot", "path": "/bin", "uri": "file:/usr/bin"}

WORDS = "pear\napple\nfig\napple\npear\napple\nkiwi\n"

SCRIPTS = {
    "pipeline": "cat words | sort | uniq -c | sort -rn | head -3",
    "command_substitution": 'n=$(wc -l < words); echo "lines: $n"; echo "$(echo $(echo nested))"',
    "subshell_keeps_parent_state": "x=1; (x=2; cd /; echo in $x $(pwd)); echo out $x",
    "background_and_wait": "(sleep 0.2; echo slow) & (echo fast) & wait; echo both done",
    "wait_reports_each_status": "(exit 3) & a=$!; (exit 4) & b=$!; wait $a; echo $?; wait $b; echo $?",
    "trap_on_sigterm_to_self": 'trap "echo caught TERM" TERM; kill -TERM $$; echo after trap',
    "trap_on_sigterm_from_a_child": 'trap "echo caught TERM; exit 0" TERM; '
                                    "(sleep 0.2; kill -TERM $$) & while :; do sleep 0.05; done",
    "kill_of_a_job_group": "set -m; sleep 5 & kill -TERM -$!; wait $!; echo $?",
    "exit_status_of_failed_commands": "ls /no/such 2>/dev/null; echo $?; /usr/bin/false; echo $?; "
                                      "nosuchcommand 2>/dev/null; echo $?",
    "pipefail": "false | true; echo plain=$?; set -o pipefail; false | true; echo pipefail=$?; "
                "true | (exit 7) | true; echo $?",
    "exit_code_of_script": "echo out; exit 42",
    "redirections_across_fork": "echo one > f; (echo two; echo err >&2) >> f 2>&1; cat f",
}


def _words(work):
    (work / "words").write_text(WORDS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_bash_runs_script_like_native(compare, name):
    compare("/usr/bin/bash", ["-c", SCRIPTS[name]], setup=_words, mounts=[BIN])


@pytest.mark.parametrize("name", SCRIPTS)
def test_busybox_sh_runs_script_like_native(compare, name):
    compare("/usr/bin/busybox", ["sh", "-c", SCRIPTS[name]], setup=_words, mounts=[BIN])


MAKEFILE = """\
all: report.txt
\t@echo all done

a.txt:
\techo alpha > $@

b.txt: a.txt
\tcat a.txt > $@; echo beta >> $@

c.txt:
\tseq 3 > $@

report.txt: a.txt b.txt c.txt
\tcat $^ | sort > $@
\t@wc -l < $@
"""


def test_make_runs_a_makefile_with_several_recipes(compare):
    def setup(work):
        (work / "Makefile").write_text(MAKEFILE)
    compare("/usr/bin/make", ["-j2"], setup=setup, mounts=[BIN], files=True,
            normalize=lambda s: "".join(sorted(s.splitlines(True))))


def test_make_stops_at_a_failing_recipe(compare):
    def setup(work):
        (work / "Makefile").write_text("all:\n\techo first\n\texit 3\n\techo never\n")
    compare("/usr/bin/make", [], setup=setup, mounts=[BIN], stderr=True)


def test_xargs_runs_two_commands_at_a_time(compare):
    compare("/usr/bin/bash", ["-c", "seq 12 | xargs -P2 -n3 sh -c 'echo $(($1+$2+$3))' x | sort -n"],
            mounts=[BIN])


def test_bash_app_manifest_runs_a_pipeline_and_a_script_file(sandbox):
    from conftest import REPO
    (sandbox.work / "words").write_text(WORDS)
    (sandbox.work / "count.sh").write_text("#!/bin/sh\nsort words | uniq -c | sort -rn\n")
    (sandbox.work / "count.sh").chmod(0o755)
    args = ["-c", "./count.sh | head -2; echo $(cat words | wc -l) words"]
    native = sandbox.run_native(["/usr/bin/bash", *args])
    kern = sandbox.run_kernite(REPO / "apps" / "bash" / "bash", args)
    report = native.describe("native") + kern.describe("kernite")
    assert native.returncode == 0 and kern.returncode == 0, report
    assert kern.stdout == native.stdout == "      3 apple\n      2 pear\n7 words\n", report


# Typed into an interactive bash on a terminal: a command, a foreground job stopped by Ctrl-C
# while a background job keeps running, then the shell's own exit.
INTERACTIVE = ["echo hi", "sleep 20 &", "sleep 5", "^C", "echo status=$?", "jobs",
               "kill %1", "wait", "exit 3"]


def test_interactive_bash_on_a_terminal_runs_commands_and_ctrl_c_reaches_the_foreground_job(
        sandbox):
    from conftest import KERNITE, run_sandboxed
    script = sandbox.tmp / "typed"
    script.write_text("\n".join(INTERACTIVE) + "\n")
    driver = [DATA / "proc" / "pty_session.py", script]
    bash = ["/usr/bin/bash", "--norc", "--noprofile", "-i"]
    app = sandbox.make_manifest("/usr/bin/bash", mounts=[BIN])
    native = run_sandboxed(["/usr/bin/python3", *driver, *bash], cwd=sandbox.work,
                           env={"PATH": "/usr/bin", "TERM": "dumb"})
    kern = run_sandboxed(["/usr/bin/python3", *driver, KERNITE, app, *bash[1:]],
                         cwd=sandbox.work, env={"PATH": "/usr/bin", "TERM": "dumb"})
    report = native.describe("native") + kern.describe("kernite")
    assert "status=130" in native.stdout and "[ended: 3]" in native.stdout, report
    assert "Running" in native.stdout, report
    # Pids differ: natively bash is not the first process of its namespace.
    same = [re.sub(r"\[1\] \d+", "[1] PID", r.stdout) for r in (native, kern)]
    assert same[1] == same[0], report
