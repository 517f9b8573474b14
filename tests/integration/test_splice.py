"""splice(2) under Kernite against native: files into pipes and back at offsets and positions,
no more than a pipe has room for, pipes to sockets and pipes, SPLICE_F_NONBLOCK, the errors and
SIGPIPE."""

from conftest import DATA, build_c_program


def test_splice_moves_bytes_between_pipes_files_and_sockets_like_native(compare, tmp_path):
    exe = build_c_program(DATA / "splice.c", tmp_path)
    native, kern = compare(exe, mounts=[tmp_path])
    assert "read back 65536 of 65536" in kern.stdout and kern.stdout.endswith("done\n")
