"""The libFuzzer target over the TOML parser and the manifest checker: a fixed, short run with
AddressSanitizer, UBSan and leak checking; any crash, leak or undefined behaviour fails it."""

import os

from conftest import BUILD, DATA, REPO, run_sandboxed

FUZZER = BUILD / "tests" / "fuzz" / "fuzz_manifest"
RUNS = 20000
SEEDS = [REPO / "tests" / "fuzz" / "regressions", REPO / "tests" / "toml" / "valid",
         DATA / "manifests", DATA / "templates"]


def fuzz(tmp_path, *args):
    assert os.access(FUZZER, os.X_OK), f"{FUZZER} is not built (it needs clang)"
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    return run_sandboxed([FUZZER, "-seed=1", "-max_len=8192", "-timeout=10",
                          f"-artifact_prefix={tmp_path}/", *args], timeout=120)


def test_fuzzer_finds_no_crash_or_leak_in_a_fixed_run(tmp_path):
    result = fuzz(tmp_path, f"-runs={RUNS}", tmp_path / "corpus", *SEEDS)
    report = result.describe("fuzz_manifest")
    assert result.returncode == 0, report
    assert f"Done {RUNS} runs" in result.stderr, report
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*")), report


def test_inputs_that_once_crashed_stay_fixed(tmp_path):
    inputs = sorted((REPO / "tests" / "fuzz" / "regressions").iterdir())
    assert inputs
    result = fuzz(tmp_path, *inputs)
    assert result.returncode == 0, result.describe("fuzz_manifest")


def test_fuzz_run_fails_when_the_target_leaks(tmp_path):
    # The test above must be able to fail: this runs the same build with a leak forced in by
    # the target's one test hook, and expects libFuzzer's leak report and a failing status.
    probe = tmp_path / "probe.toml"
    probe.write_text("a = 1\n")
    result = run_sandboxed([FUZZER, f"-artifact_prefix={tmp_path}/", probe],
                           env={**os.environ, "KERNITE_FUZZ_FORCE_LEAK": "1"}, timeout=120)
    assert result.returncode != 0, result.describe("fuzz_manifest")
    assert "LeakSanitizer" in result.stderr, result.describe("fuzz_manifest")
