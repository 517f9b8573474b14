"""Trusted files in direct mode: sgx.trusted_files pinned by sha256 are checked on open and per
4 KiB chunk on every read; files listed nowhere are refused once trusted files are listed."""

import hashlib
import os

import pytest

from conftest import DATA, build_c_program


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def setup(sandbox):
    """A static reader program and a 5-chunk data file, both trusted; a hard link to the data
    file in an allowed directory."""
    exe = build_c_program(DATA / "enc" / "trusted_reader.c", sandbox.tmp, ["-static"])
    data = sandbox.tmp / "trusted.dat"
    data.write_bytes(bytes(i % 251 for i in range(5 * 4096 - 10)))
    allowed = sandbox.tmp / "allowed"
    allowed.mkdir()
    os.link(data, allowed / "link.dat")
    return exe, data, allowed


def manifest(sandbox, exe, trusted, allowed=(), policy=None):
    entries = ", ".join(f'{{ uri = "file:{p}", sha256 = "{h}" }}' for p, h in trusted)
    extra = [f"sgx.trusted_files = [{entries}]"]
    extra.append("sgx.allowed_files = [" + ", ".join(f'"file:{p}"' for p in allowed) + "]")
    if policy:
        extra.append(f'sgx.file_check_policy = "{policy}"')
    return sandbox.make_manifest(str(exe), mounts=[str(sandbox.tmp)], system_mounts=False,
                                 extra="\n".join(extra))


def test_trusted_file_reads_and_a_chunk_changed_after_open_is_refused(sandbox, setup):
    exe, data, allowed = setup
    app = manifest(sandbox, exe, [(exe, sha256_of(exe)), (data, sha256_of(data))],
                   allowed=[f"{allowed}/"])
    res = sandbox.run_kernite(app, [data, allowed / "link.dat"])
    assert res.returncode == 0, res.describe("kernite")
    assert res.stdout == ("first chunk: ok\nthird chunk: ok\n"
                          "third chunk after change: Permission denied\n"
                          "first chunk after change: ok\n"
                          "read across the change: Permission denied\n")
    assert f"trusted file '{data}' changed after it was checked" in res.stderr


def test_file_changed_after_signing_is_refused_with_one_log_line(sandbox, setup):
    exe, data, allowed = setup
    digest = sha256_of(data)
    with open(data, "r+b") as f:
        f.seek(9000)
        f.write(b"!")
    app = manifest(sandbox, exe, [(exe, sha256_of(exe)), (data, digest)],
                   allowed=[f"{allowed}/"])
    res = sandbox.run_kernite(app, [data, allowed / "link.dat"])
    assert res.returncode == 0 and res.stdout == "open: Permission denied\n", \
        res.describe("kernite")
    lines = [line for line in res.stderr.splitlines() if str(data) in line]
    assert lines == [f"kernite: error: trusted file '{data}' does not match its sha256 in the "
                     "manifest"], res.stderr


def test_changed_entrypoint_does_not_start(sandbox, setup):
    exe, data, allowed = setup
    app = manifest(sandbox, exe, [(exe, "0" * 64), (data, sha256_of(data))])
    res = sandbox.run_kernite(app, [data, data])
    assert res.returncode != 0 and res.stdout == ""
    assert f"trusted file '{exe}' does not match its sha256" in res.stderr


def test_unlisted_file_is_refused_and_named(sandbox, setup):
    exe, data, allowed = setup
    other = sandbox.tmp / "other.dat"
    other.write_bytes(b"x" * 100)
    app = manifest(sandbox, exe, [(exe, sha256_of(exe))], allowed=[f"{allowed}/"])
    res = sandbox.run_kernite(app, [other, other])
    assert res.stdout == "open: Permission denied\n", res.describe("kernite")
    assert f"file '{other}' is neither trusted nor allowed" in res.stderr


def test_allowed_file_passes_unchecked(sandbox, setup):
    exe, data, allowed = setup
    app = manifest(sandbox, exe, [(exe, sha256_of(exe))], allowed=[f"{allowed}/"])
    res = sandbox.run_kernite(app, [allowed / "link.dat", allowed / "link.dat"])
    assert res.returncode == 0, res.describe("kernite")
    assert "Permission denied" not in res.stdout and res.stderr == ""


def test_trusted_file_opened_for_writing_is_refused(sandbox, setup):
    exe, data, allowed = setup
    app = manifest(sandbox, exe, [(exe, sha256_of(exe)), (data, sha256_of(data))])
    res = sandbox.run_kernite(app, [data, data])
    assert "link write: Permission denied" in res.stdout, res.describe("kernite")
    assert f"trusted file '{data}' is read-only" in res.stderr


def test_allow_all_but_log_opens_unlisted_files_with_a_warning(sandbox, setup):
    exe, data, allowed = setup
    app = manifest(sandbox, exe, [(exe, sha256_of(exe))], policy="allow_all_but_log")
    app.with_suffix(".manifest")
    text = open(str(app) + ".manifest").read().replace('loader.log_level = "error"',
                                                       'loader.log_level = "warning"')
    open(str(app) + ".manifest", "w").write(text)
    res = sandbox.run_kernite(app, [data, allowed / "link.dat"])
    assert res.stdout.startswith("first chunk: ok\n"), res.describe("kernite")
    assert f"file '{data}' is neither trusted nor allowed; opened anyway" in res.stderr


def test_listed_symlink_also_lists_its_target(sandbox, setup):
    exe, data, allowed = setup
    alias = sandbox.tmp / "alias.dat"
    alias.symlink_to(data.name)
    app = manifest(sandbox, exe, [(exe, sha256_of(exe)), (alias, sha256_of(data))],
                   allowed=[f"{allowed}/"])
    res = sandbox.run_kernite(app, [alias, allowed / "link.dat"])
    assert res.stdout.startswith("first chunk: ok\nthird chunk: ok\n"), res.describe("kernite")
