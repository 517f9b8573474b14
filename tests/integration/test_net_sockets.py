"""Sockets and event files under Kernite: C programs that print one outcome per behaviour, run
natively and under Kernite with the same output expected."""

from conftest import DATA, build_c_program

NET = DATA / "net"


def test_sockets_tcp_udp_unix_options_scm_rights_fork_and_sendfile(compare, tmp_path):
    exe = build_c_program(NET / "sockets.c", tmp_path)
    compare(exe, [], mounts=[tmp_path])


def test_epoll_eventfd_timerfd_signalfd_and_their_wakeups(compare, tmp_path):
    exe = build_c_program(NET / "events.c", tmp_path, extra_flags=["-pthread"])
    compare(exe, [], mounts=[tmp_path])
