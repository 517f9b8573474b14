"""Tampering with protected files on the host, seen through an encrypted mount: every changed,
cut, extended, swapped, mixed-in-from-an-older-version or renamed file is refused on read with
EACCES or EIO; a whole older copy opens as that older state (the format's stated limit)."""

import shutil

from test_encrypted import KEY_HEX, PYTHON, app_with_enc, python_script

NODE = 4096
DATA_NODES = 110                      # two MHT nodes: data nodes 96.. hang off MHT node 1
SIZE = 3072 + DATA_NODES * NODE - 100
PHYS_NODES = DATA_NODES + 3           # metadata, MHT 0, MHT 1 and the data nodes


def data_phys(d):
    return d + 2 + d // 96


MHT1 = 1 + 97


def flip(offset):
    def change(path):
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x5A
        path.write_bytes(bytes(data))
    return change


def cut(size):
    def change(path):
        with open(path, "r+b") as f:
            f.truncate(size)
    return change


def extend(extra):
    def change(path):
        with open(path, "ab") as f:
            f.write(extra(path))
    return change


def swap(a, b):
    def change(path):
        data = bytearray(path.read_bytes())
        na, nb = data[a * NODE:(a + 1) * NODE], data[b * NODE:(b + 1) * NODE]
        data[a * NODE:(a + 1) * NODE], data[b * NODE:(b + 1) * NODE] = nb, na
        path.write_bytes(bytes(data))
    return change


def node_from(old_path, node):
    def change(path):
        data = bytearray(path.read_bytes())
        data[node * NODE:(node + 1) * NODE] = old_path.read_bytes()[node * NODE:(node + 1) * NODE]
        path.write_bytes(bytes(data))
    return change


def test_every_tampering_is_refused_on_read(sandbox):
    enc = sandbox.tmp / "enc"
    app = app_with_enc(sandbox, PYTHON, enc)
    old = sandbox.tmp / "old"
    old.mkdir()

    cases = {}
    for off in (0, 7, 8, 9, 10, 25, 41, 42, 50, 57, 58, 100, 830, 840, 1000, 3000, 3941, 3942,
                4000, 4095):
        cases[f"metadata byte {off}"] = flip(off)
    for off in (0, 1000, 3071, 4095):
        cases[f"root MHT byte {off}"] = flip(NODE + off)
        cases[f"MHT 1 byte {off}"] = flip(MHT1 * NODE + off)
    for d in (0, 1, 50, 95, 96, DATA_NODES - 1):
        for off in (0, 2048, 4095):
            cases[f"data node {d} byte {off}"] = flip(data_phys(d) * NODE + off)
    for size in (PHYS_NODES * NODE - NODE, PHYS_NODES * NODE - 1, 2 * NODE, NODE, 0):
        cases[f"cut to {size}"] = cut(size)
    cases["extended by one byte"] = extend(lambda p: b"\0")
    cases["extended by a zero node"] = extend(lambda p: bytes(NODE))
    cases["extended by a copy of node 5"] = extend(lambda p: p.read_bytes()[5 * NODE:6 * NODE])
    cases["swap data nodes 0 and 1"] = swap(data_phys(0), data_phys(1))
    cases["swap data nodes 10 and 100"] = swap(data_phys(10), data_phys(100))
    cases["swap MHT nodes 0 and 1"] = swap(1, MHT1)
    cases["swap data node 3 and MHT 0"] = swap(data_phys(3), 1)
    for label, node in (("data node 5", data_phys(5)), ("data node 100", data_phys(100)),
                        ("root MHT", 1), ("MHT 1", MHT1), ("metadata", 0)):
        cases[f"{label} from the older version"] = ("mix", node)
    cases["another file copied over it"] = "copy"

    names = {label: f"t{i:03d}" for i, label in enumerate(cases)}
    names["whole older copy"] = "older"
    create = python_script(sandbox, "create.py", f"""
import sys
for name in sys.argv[1:]:
    with open("{enc}/" + name, "wb") as f:
        f.write(bytes((i * 7 + len(name)) & 0xff for i in range({SIZE})))
""")
    res = sandbox.run_kernite(app, [create, *names.values(), "donor"])
    assert res.returncode == 0, res.describe("kernite")
    for name in names.values():
        shutil.copy(enc / name, old / name)
    update = python_script(sandbox, "update.py", f"""
import sys
for name in sys.argv[1:]:
    with open("{enc}/" + name, "r+b") as f:
        for node in (0, 5, 100):
            f.seek(3072 + node * 4096 + 10)
            f.write(b"second version")
""")
    res = sandbox.run_kernite(app, [update, *names.values()])
    assert res.returncode == 0, res.describe("kernite")
    assert (enc / "t000").stat().st_size == PHYS_NODES * NODE

    for label, change in cases.items():
        path = enc / names[label]
        if change == "copy":
            shutil.copy(enc / "donor", path)
        elif isinstance(change, tuple):
            node_from(old / names[label], change[1])(path)
        else:
            change(path)
    shutil.copy(old / "older", enc / "older")

    check = python_script(sandbox, "check.py", f"""
import sys
for name in sys.argv[1:]:
    try:
        with open("{enc}/" + name, "rb") as f:
            data = f.read()
        print(name, "read", b"second version" in data)
    except OSError as e:
        print(name, "errno", e.errno)
""")
    res = sandbox.run_kernite(app, [check, *names.values()])
    assert res.returncode == 0, res.describe("kernite")
    outcome = dict((line.split(" ", 1) for line in res.stdout.splitlines()))
    detected = [label for label in cases if outcome[names[label]] in ("errno 13", "errno 5")]
    undetected = [f"{label}: {outcome[names[label]]}" for label in cases if label not in detected]
    print(f"{len(cases)} cases, {len(detected)} detected, {len(undetected)} undetected")
    assert not undetected, "undetected tampering:\n" + "\n".join(undetected)
    # The format cannot tell a complete older copy from the file (docs/protected-files.md).
    assert outcome["older"] == "read False"
