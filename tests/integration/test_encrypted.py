"""Encrypted mounts: apps read and write plain data, the host holds protected files only; keys
from the manifest and from /dev/attestation/keys; interchange with `kernite pf`."""

import hashlib
import os
import subprocess

import pytest

from conftest import BUILD, DATA

KEY_HEX = "00112233445566778899aabbccddeeff"
OTHER_KEY_HEX = "ffeeddccbbaa99887766554433221100"
PF_TOOL = BUILD / "tools" / "kernite"
PYTHON = "/usr/bin/python3"
SQLITE = "/usr/bin/sqlite3"


def enc_mount(host_dir, guest=None, key_name="k"):
    host_dir.mkdir(exist_ok=True)
    return {"type": "encrypted", "path": str(guest or host_dir), "uri": f"file:{host_dir}",
            "key_name": key_name}


def keys(**named):
    return "\n".join(f'fs.insecure__keys.{name} = "{value}"' for name, value in named.items())


def app_with_enc(sandbox, entrypoint, enc_dir, key_hex=KEY_HEX, extra_mounts=(), name=None,
                 key_name="k", extra_keys=None):
    extra = keys(**({key_name: key_hex} if key_hex else {}), **(extra_keys or {}))
    return sandbox.make_manifest(entrypoint, mounts=[sandbox.work, enc_mount(enc_dir,
                                 key_name=key_name), *extra_mounts], extra=extra, name=name)


def pf_tool(*args):
    return subprocess.run([str(PF_TOOL), "pf", *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def python_script(sandbox, name, text):
    path = sandbox.work / name
    path.write_text(text)
    return path


def test_file_operations_match_a_plain_directory(sandbox):
    plain = sandbox.tmp / "plain"
    plain.mkdir()
    enc = sandbox.tmp / "enc"
    script = DATA / "enc" / "fileops.py"
    native = sandbox.run_native([PYTHON, script, plain])
    assert native.returncode == 0, native.describe("native")
    app = sandbox.make_manifest(PYTHON, mounts=[enc_mount(enc, guest=plain),
                                                str(DATA / "enc")], extra=keys(k=KEY_HEX))
    kern = sandbox.run_kernite(app, [script, plain])
    assert kern.returncode == 0, kern.describe("kernite")
    assert kern.stdout == native.stdout
    # Names are not encrypted; contents are, and no journal is left behind.
    assert sorted(os.listdir(enc)) == ["c.bin"]
    assert b"new c" not in (enc / "c.bin").read_bytes()


def test_python_writes_and_reads_50_mb(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "big.py", f"""
import hashlib, os
block = hashlib.sha256(b"seed").digest() * 32768      # 1 MiB
h = hashlib.sha256()
with open("{enc}/big", "wb") as f:
    for i in range(50):
        chunk = bytes([i]) + block[1:]
        h.update(chunk)
        f.write(chunk)
print("written", os.stat("{enc}/big").st_size, h.hexdigest())
r = hashlib.sha256()
with open("{enc}/big", "rb") as f:
    while True:
        data = f.read(1 << 20)
        if not data:
            break
        r.update(data)
print("read", r.hexdigest() == h.hexdigest())
""")
    app = app_with_enc(sandbox, PYTHON, enc)
    res = sandbox.run_kernite(app, [script])
    assert res.returncode == 0, res.describe("kernite")
    lines = res.stdout.split()
    assert lines[:2] == ["written", str(50 << 20)] and res.stdout.endswith("read True\n")
    expected = lines[2]

    host = (enc / "big").read_bytes()
    assert hashlib.sha256(b"seed").digest() not in host, "plaintext reached the host"
    assert len(host) % 4096 == 0 and len(host) > 50 << 20
    key = sandbox.tmp / "key"
    key.write_text(KEY_HEX + "\n")
    out = sandbox.tmp / "plain"
    res = pf_tool("decrypt", "-k", key, "-i", enc / "big", "-o", out, "--path", enc / "big")
    assert res.returncode == 0, res.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected


def test_sqlite3_database_on_encrypted_mount(sandbox):
    plain = sandbox.tmp / "plain"
    plain.mkdir()
    enc = sandbox.tmp / "enc"
    sql = ["CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v INTEGER);", "BEGIN;"]
    sql += [f"INSERT INTO t (k, v) VALUES ('key-{i:05d}', {(i * 7919) % 10007});"
            for i in range(10000)]
    sql += ["COMMIT;", "CREATE INDEX t_v ON t(v);"]
    for round_ in range(20):
        sql.append("BEGIN;")
        sql += [f"UPDATE t SET v = v + {round_ + 1} WHERE id = {(j * 104729 + round_) % 10000 + 1};"
                for j in range(200)]
        sql.append("COMMIT;")
    sql += ["DELETE FROM t WHERE id % 17 = 0;", "VACUUM;",
            "SELECT count(*), sum(v), min(k), max(k) FROM t;", "PRAGMA integrity_check;"]
    script = sandbox.work / "db.sql"
    script.write_text("\n".join(sql) + "\n")

    native = sandbox.run_native([SQLITE, "-batch", plain / "db", f".read {script}"])
    assert native.returncode == 0, native.describe("native")
    app = sandbox.make_manifest(SQLITE, mounts=[sandbox.work, enc_mount(enc, guest=plain)],
                                extra=keys(k=KEY_HEX))
    kern = sandbox.run_kernite(app, ["-batch", plain / "db", f".read {script}"])
    assert kern.returncode == 0, kern.describe("kernite")
    assert kern.stdout == native.stdout
    assert kern.stdout.splitlines()[-1] == "ok"
    again = sandbox.run_kernite(app, ["-batch", plain / "db",
                                      "PRAGMA integrity_check; SELECT count(*) FROM t;"])
    assert again.stdout == f"ok\n{10000 - 10000 // 17}\n", again.describe("kernite")
    assert b"key-00042" not in (enc / "db").read_bytes()


def test_file_from_pf_encrypt_is_read_and_app_file_is_decrypted(sandbox):
    enc = sandbox.tmp / "enc"
    enc.mkdir()
    key = sandbox.tmp / "key"
    key.write_text(KEY_HEX)
    plain_in = sandbox.tmp / "in.txt"
    plain_in.write_bytes(b"made on the host\n" * 500)
    res = pf_tool("encrypt", "-k", key, "-i", plain_in, "-o", enc / "in.txt",
                  "--path", enc / "in.txt")
    assert res.returncode == 0, res.stderr
    script = python_script(sandbox, "copy.py", f"""
data = open("{enc}/in.txt", "rb").read()
open("{enc}/out.txt", "wb").write(data.upper())
print(len(data))
""")
    res = sandbox.run_kernite(app_with_enc(sandbox, PYTHON, enc), [script])
    assert res.returncode == 0 and res.stdout == "8500\n", res.describe("kernite")
    out = sandbox.tmp / "out.txt"
    res = pf_tool("decrypt", "-k", key, "-i", enc / "out.txt", "-o", out,
                  "--path", enc / "out.txt")
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == b"MADE ON THE HOST\n" * 500


def test_wrong_key_is_eacces_and_names_the_file(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "w.py", f"open('{enc}/f', 'w').write('secret')\n")
    assert sandbox.run_kernite(app_with_enc(sandbox, PYTHON, enc), [script]).returncode == 0
    script = python_script(sandbox, "r.py", f"""
try:
    open("{enc}/f").read()
except OSError as e:
    print(e.errno)
""")
    res = sandbox.run_kernite(app_with_enc(sandbox, PYTHON, enc, key_hex=OTHER_KEY_HEX,
                                           name="other"), [script])
    assert res.stdout == "13\n", res.describe("kernite")
    assert f"protected file '{enc}/f'" in res.stderr


def test_key_written_to_dev_attestation_opens_the_mount(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "k.py", f"""
import os
print(sorted(os.listdir("/dev/attestation/keys")))
try:
    open("{enc}/f", "w")
except OSError as e:
    print("no key yet", e.errno)
try:
    fd = os.open("/dev/attestation/keys/prov", os.O_WRONLY)
    os.write(fd, b"not a key")
except OSError as e:
    print("bad key", e.errno)
with open("/dev/attestation/keys/prov", "w") as f:
    f.write("{KEY_HEX}\\n")
print(open("/dev/attestation/keys/prov", "rb").read().hex())
open("{enc}/f", "w").write("provisioned")
with open("/dev/attestation/keys/prov", "wb") as f:
    f.write(bytes.fromhex("{OTHER_KEY_HEX}"))
try:
    open("{enc}/f").read()
except OSError as e:
    print("raw key replaced it", e.errno)
""")
    app = app_with_enc(sandbox, PYTHON, enc, key_hex=None, key_name="prov",
                       extra_keys={"fixed": OTHER_KEY_HEX})
    res = sandbox.run_kernite(app, [script])
    assert res.returncode == 0, res.describe("kernite")
    assert res.stdout == (f"['fixed', 'prov']\nno key yet 13\nbad key 22\n{KEY_HEX}\n"
                          "raw key replaced it 13\n")
    key = sandbox.tmp / "key"
    key.write_text(KEY_HEX)
    res = pf_tool("verify", "-k", key, "-i", enc / "f", "--path", enc / "f")
    assert res.returncode == 0, res.stderr


def test_fork_child_reads_open_file_and_inherits_provisioned_key(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "fork.py", f"""
import os
with open("/dev/attestation/keys/k", "w") as f:
    f.write("{KEY_HEX}")
f = open("{enc}/shared", "w+")
f.write("written-before-fork:" * 300)    # not flushed by the app: the fork must flush it
f.flush()
fd = os.open("{enc}/shared", os.O_RDONLY)
os.lseek(fd, 20, os.SEEK_SET)
pid = os.fork()
if pid == 0:
    print("child", os.read(fd, 20).decode(), os.fstat(fd).st_size, flush=True)
    open("{enc}/from-child", "w").write("child was here")
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("parent", status, open("{enc}/from-child").read())
""")
    app = app_with_enc(sandbox, PYTHON, enc, key_hex=None)
    res = sandbox.run_kernite(app, [script])
    assert res.returncode == 0, res.describe("kernite")
    assert res.stdout == "child written-before-fork: 6000\nparent 0 child was here\n"


def test_shared_writable_mapping_is_refused_not_lost(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "m.py", f"""
import mmap
f = open("{enc}/m", "w+b")
f.write(b"x" * 8192)
f.flush()
try:
    mmap.mmap(f.fileno(), 8192)
except OSError as e:
    print("shared", e.errno)
m = mmap.mmap(f.fileno(), 8192, prot=mmap.PROT_READ)
print("shared read-only", m[:3])
""")
    res = sandbox.run_kernite(app_with_enc(sandbox, PYTHON, enc), [script])
    assert res.stdout == "shared 19\nshared read-only b'xxx'\n", res.describe("kernite")


def test_journal_names_are_hidden_and_refused(sandbox):
    enc = sandbox.tmp / "enc"
    script = python_script(sandbox, "j.py", f"""
import os
open("{enc}/f", "w").write("data")
for name in ("f.kernite-journal",):
    try:
        open("{enc}/" + name, "w")
    except OSError as e:
        print("create", e.errno)
    print("exists", os.path.exists("{enc}/" + name))
print(os.listdir("{enc}"))
""")
    res = sandbox.run_kernite(app_with_enc(sandbox, PYTHON, enc), [script])
    assert res.stdout == "create 13\nexists False\n['f']\n", res.describe("kernite")
