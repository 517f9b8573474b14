"""Debian's nginx under Kernite: a master and two forked workers serving static files, checked
with curl and loaded with ab; bad clients (resets mid-request, a connection flood)."""

import shutil
import socket
import struct
import subprocess
import time

import pytest

from net_servers import KerniteServer, fd_count, free_port

pytestmark = pytest.mark.skipif(not shutil.which("nginx"), reason="nginx missing")

NGINX_CONF = """
daemon off;
master_process on;
worker_processes 2;
pid {data}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    client_body_temp_path {data}/body;
    proxy_temp_path {data}/proxy;
    fastcgi_temp_path {data}/fastcgi;
    uwsgi_temp_path {data}/uwsgi;
    scgi_temp_path {data}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=64;
        listen [::1]:{port};
        root {data}/www;
    }}
}}
"""


def start_nginx(sandbox, tmp_path):
    data = tmp_path / "data"
    (data / "www").mkdir(parents=True)
    (data / "www" / "index.html").write_text("<h1>kernite</h1>\n")
    (data / "www" / "blob.bin").write_bytes(bytes(range(256)) * 4096)
    port = free_port()
    (data / "nginx.conf").write_text(NGINX_CONF.format(data=data, port=port))
    app = sandbox.make_manifest("/usr/sbin/nginx", mounts=[data], start_dir=data)
    server = KerniteServer(app, ["-c", data / "nginx.conf", "-e", "stderr"], cwd=tmp_path,
                           log=tmp_path / "nginx.log")
    server.wait(port)
    return server, port, data


def curl(url, *args):
    return subprocess.run(["curl", "-s", "-g", "-o", "-", "-w", "%{http_code}", *args, url],
                          capture_output=True, timeout=30)


def test_nginx_master_and_two_workers_serve_static_files(sandbox, tmp_path):
    server, port, data = start_nginx(sandbox, tmp_path)
    with server:
        r = curl(f"http://127.0.0.1:{port}/")
        assert r.stdout == b"<h1>kernite</h1>\n200", server.output()
        r = curl(f"http://[::1]:{port}/index.html")
        assert r.stdout.endswith(b"200")
        r = curl(f"http://127.0.0.1:{port}/blob.bin")
        assert r.stdout[:-3] == (data / "www" / "blob.bin").read_bytes()
        assert curl(f"http://127.0.0.1:{port}/missing").stdout.endswith(b"404")
        deadline = time.monotonic() + 10
        while len(server.host_pids()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(server.host_pids()) == 3, "expected a master and two workers"
        ab = subprocess.run(["ab", "-q", "-n", "20000", "-c", "50", "-k",
                             f"http://127.0.0.1:{port}/index.html"],
                            capture_output=True, text=True, timeout=120)
        assert ab.returncode == 0, ab.stderr
        assert "Complete requests:      20000" in ab.stdout, ab.stdout
        assert "Failed requests:        0" in ab.stdout, ab.stdout
        assert "Non-2xx responses" not in ab.stdout, ab.stdout
        assert server.alive(), server.output()


def test_nginx_survives_resets_mid_request_and_a_connection_flood(sandbox, tmp_path):
    server, port, _ = start_nginx(sandbox, tmp_path)
    with server:
        assert curl(f"http://127.0.0.1:{port}/").stdout.endswith(b"200")
        pids = server.host_pids()
        # The worker that served the curl closes its connection on its own time: count the
        # descriptors once they have settled, so that the count is the server's at rest.
        before = {pid: fd_count(pid) for pid in pids}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = {pid: fd_count(pid) for pid in pids}
            if now == before:
                break
            before = now

        # Peers that send half a request and reset the connection (SO_LINGER 0 sends RST).
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nX-Partial: ")
            s.close()

        # 1,000 connections held open at once, far beyond the listen backlog of 64.
        flood = []
        for _ in range(1000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            flood.append(s)
        assert curl(f"http://127.0.0.1:{port}/", "--max-time", "20").stdout.endswith(b"200")
        for s in flood:
            s.close()

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if {pid: fd_count(pid) for pid in pids} == before:
                break
            time.sleep(0.2)
        assert {pid: fd_count(pid) for pid in pids} == before, "descriptors leaked"
        assert server.host_pids() == pids, "a worker died"
        assert curl(f"http://127.0.0.1:{port}/").stdout.endswith(b"200")
