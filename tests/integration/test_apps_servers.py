"""The curated server apps in apps/ (redis, nginx, memcached, lighttpd), run as apps/README.md
shows: each test renders the app's template with -Dport=N for a free loopback port into a
temporary directory laid out like the checkout (apps/NAME/), and for nginx and lighttpd copies
the shipped config and page there with the config's listen port changed to N. The server runs
under Kernite from that directory, answers one real request and is stopped."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BUILD, REPO
from net_servers import KerniteServer, free_port

# The listen line of each shipped config, as written in apps/NAME/NAME.conf, and what the test
# writes instead.
CONFIG_PORTS = {
    "nginx": ("listen 127.0.0.1:8080;", "listen 127.0.0.1:{port};"),
    "lighttpd": ("server.port = 8081\n", "server.port = {port}\n"),
}


def need(program):
    if not shutil.which(program):
        pytest.fail(f"{program} is not installed (scripts/install-deps installs it)",
                    pytrace=False)


def prepare_app(tmp_path, name, port):
    """Copies apps/NAME's config and page to tmp_path/apps/NAME, with the listen port changed to
    port, and renders NAME.manifest there with -Dport=port; returns the app path."""
    src = REPO / "apps" / name
    dst = tmp_path / "apps" / name
    dst.mkdir(parents=True)
    if (src / "www").is_dir():
        shutil.copytree(src / "www", dst / "www")
    conf = src / f"{name}.conf"
    if conf.exists():
        text = conf.read_text()
        old, new = CONFIG_PORTS[name]
        assert text.count(old) == 1, f"{conf} no longer has {old!r}"
        (dst / conf.name).write_text(text.replace(old, new.format(port=port)))
    tool = BUILD / "tools" / "kernite"
    assert os.access(tool, os.X_OK), f"{tool} is not built"
    rendered = subprocess.run(["/usr/bin/python3", str(REPO / "tools" / "kernite-manifest"),
                               f"-Dport={port}", str(src / f"{name}.manifest.template"),
                               str(dst / f"{name}.manifest")],
                              cwd=tmp_path, env={"PATH": "/usr/bin:/bin",
                                                 "KERNITE_BUILD": str(BUILD)},
                              capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert f'net.allowed_listen = ["127.0.0.1:{port}"]' in (dst / f"{name}.manifest").read_text()
    return dst / name


def start(tmp_path, name, port):
    app = prepare_app(tmp_path, name, port)
    server = KerniteServer(app, cwd=tmp_path, log=tmp_path / f"{name}.log")
    server.wait(port)
    return server


def curl(port, path):
    return subprocess.run(["curl", "-s", "--max-time", "10", "-o", "-", "-w", "%{http_code}",
                           f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=15)


def test_redis_app_answers_ping_set_get(tmp_path):
    need("redis-server")
    need("redis-cli")
    port = free_port()
    with start(tmp_path, "redis", port) as server:
        def cli(*args):
            r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                               capture_output=True, text=True, timeout=10)
            return r.stdout.strip()
        assert cli("PING") == "PONG", server.output()
        assert cli("SET", "app", "redis under kernite") == "OK"
        assert cli("GET", "app") == "redis under kernite"
        assert server.alive(), server.output()


def test_memcached_app_sets_and_gets_from_a_socket_client(tmp_path):
    need("memcached")
    port = free_port()
    with start(tmp_path, "memcached", port) as server:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            f = c.makefile("rwb")
            f.write(b"set greeting 5 0 6\r\nkernel\r\n")
            f.flush()
            assert f.readline() == b"STORED\r\n", server.output()
            f.write(b"get greeting\r\n")
            f.flush()
            assert f.readline() == b"VALUE greeting 5 6\r\n"
            assert f.readline() == b"kernel\r\n"
            assert f.readline() == b"END\r\n"
        assert server.alive(), server.output()


@pytest.mark.parametrize("name", ["nginx", "lighttpd"])
def test_web_server_app_serves_its_page_and_a_404(tmp_path, name):
    need(name)
    port = free_port()
    page = (REPO / "apps" / name / "www" / "index.html").read_bytes()
    with start(tmp_path, name, port) as server:
        assert curl(port, "/").stdout == page + b"200", server.output()
        assert curl(port, "/index.html").stdout == page + b"200"
        assert curl(port, "/missing.html").stdout.endswith(b"404")
        if name == "nginx":
            deadline = time.monotonic() + 5
            while len(server.host_pids()) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(server.host_pids()) == 3, "expected a master and two workers"
            assert "[alert]" not in server.output() and "[emerg]" not in server.output(), \
                server.output()
        assert server.alive(), server.output()
