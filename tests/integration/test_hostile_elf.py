"""Malformed ELF entrypoints, each made from a real program by changing one field: kernite-direct
must refuse each with one line naming the file and a clean non-zero exit, never crash or hang."""

import struct

import pytest

TIMEOUT = 30
PROGRAM = "/usr/bin/true"

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # e_phoff is field 5, e_phentsize 10, e_phnum 11
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
PT_LOAD, PT_INTERP = 1, 3


def program_headers(data):
    eh = EHDR.unpack_from(data, 0)
    return [(eh[5] + i * PHDR.size, list(PHDR.unpack_from(data, eh[5] + i * PHDR.size)))
            for i in range(eh[11])]


def change_header(data, field, value):
    eh = list(EHDR.unpack_from(data, 0))
    eh[field] = value
    data[0:EHDR.size] = EHDR.pack(*eh)


def change_segment(data, kind, nth, field, value):
    off, ph = [s for s in program_headers(data) if s[1][0] == kind][nth]
    ph[field] = value
    data[off:off + PHDR.size] = PHDR.pack(*ph)


def interp_unterminated(data):
    _, ph = [s for s in program_headers(data) if s[1][0] == PT_INTERP][0]
    data[ph[2] + ph[5] - 1] = ord("x")


CASES = {
    "truncated header": (lambda d: d[:40], "too short"),
    "32-bit class": (lambda d: d.__setitem__(4, 1), "x86-64"),
    "big endian": (lambda d: d.__setitem__(5, 2), "x86-64"),
    "relocatable object": (lambda d: change_header(d, 1, 1), "neither"),
    "program headers past the end": (lambda d: change_header(d, 5, len(d) + 4096), "beyond"),
    "program header offset wraps": (lambda d: change_header(d, 5, 2**64 - 8), "beyond"),
    "program header entry size 0": (lambda d: change_header(d, 10, 0), "program header"),
    "segment past the end of the file": (
        lambda d: change_segment(d, PT_LOAD, 1, 2, len(d) + 8192), "beyond"),
    "huge p_memsz": (lambda d: change_segment(d, PT_LOAD, 1, 6, 2**62), ""),
    "p_memsz wraps": (lambda d: change_segment(d, PT_LOAD, 1, 6, 2**64 - 4096), "wraps"),
    "p_filesz above p_memsz": (lambda d: change_segment(d, PT_LOAD, 1, 6, 1), "larger"),
    "segment in kernite-direct's image": (
        lambda d: change_segment(d, PT_LOAD, 0, 3, 0x7d0000000000), ""),
    "segment in the kernel half": (
        lambda d: change_segment(d, PT_LOAD, 1, 3, 0xffff800000000000), ""),
    "no loadable segment": (
        lambda d: [change_segment(d, PT_LOAD, 0, 0, 0x6474e551) for _ in range(4)], "loadable"),
    "PT_INTERP past the end": (lambda d: change_segment(d, PT_INTERP, 0, 2, len(d) + 100),
                               "interpreter"),
    "PT_INTERP offset wraps": (lambda d: change_segment(d, PT_INTERP, 0, 2, 2**64 - 10),
                               "interpreter"),
    "PT_INTERP of 1 TiB": (lambda d: change_segment(d, PT_INTERP, 0, 5, 2**40), "interpreter"),
    "PT_INTERP not NUL-terminated": (interp_unterminated, "NUL-terminated"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_elf_is_refused_with_its_name(sandbox, case):
    change, words = CASES[case]
    data = bytearray(open(PROGRAM, "rb").read())
    cut = change(data)  # changes data in place, or returns a shorter copy
    if isinstance(cut, (bytes, bytearray)):
        data = cut
    bad = sandbox.work / "malformed"
    bad.write_bytes(bytes(data))
    bad.chmod(0o755)
    app = sandbox.make_manifest(str(bad), mounts=[sandbox.work], argv=[str(bad)])
    result = sandbox.run_kernite(app, timeout=TIMEOUT)
    report = result.describe("kernite")
    lines = [line for line in result.stderr.splitlines() if line.strip()]

    assert 0 < result.returncode < 128, "expected a clean non-zero exit\n" + report
    assert len(lines) == 1 and str(bad) in lines[0], "expected one line naming the file\n" + report
    assert words in lines[0], f"error does not say {words!r}\n" + report
    assert "fault" not in result.stderr, report
