"""Servers under Kernite beyond redis and nginx: memcached with a python client, lighttpd with
curl, python3's http.server and an asyncio echo server with 100 clients; name resolution of
localhost; the manifest's listening policy."""

import asyncio
import shutil
import subprocess

import pytest

from net_servers import KerniteServer, free_port


def test_memcached_set_get_delete_from_a_python_client(sandbox, tmp_path):
    pymemcache = pytest.importorskip("pymemcache.client.base")
    if not shutil.which("memcached"):
        pytest.skip("memcached missing")
    port = free_port()
    app = sandbox.make_manifest("/usr/bin/memcached")
    server = KerniteServer(app, ["-l", "127.0.0.1", "-p", port, "-U", "0", "-t", "4", "-u",
                                 "root", "-m", "64", "-c", "256"], cwd=tmp_path, log=tmp_path / "mc.log")
    server.wait(port)
    with server:
        client = pymemcache.Client(("127.0.0.1", port), timeout=10)
        for i in range(500):
            client.set(f"k{i}", f"v{i}".encode() * 10)
        assert client.get("k123") == b"v123" * 10
        assert client.get_many(["k1", "k2"]) == {"k1": b"v1" * 10, "k2": b"v2" * 10}
        assert client.delete("k1") and client.get("k1") is None
        assert client.incr("counter", 1) is None
        client.set("counter", b"41")
        assert client.incr("counter", 1) == 42
        client.close()
        assert server.alive(), server.output()


LIGHTTPD_CONF = """
server.document-root = "{data}/www"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{data}/lighttpd.pid"
server.errorlog = "{data}/error.log"
server.upload-dirs = ("{data}")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain")
"""


def test_lighttpd_serves_static_files(sandbox, tmp_path):
    if not shutil.which("lighttpd"):
        pytest.skip("lighttpd missing")
    data = tmp_path / "data"
    (data / "www").mkdir(parents=True)
    (data / "www" / "index.html").write_text("<p>lighttpd under kernite</p>\n")
    port = free_port()
    (data / "lighttpd.conf").write_text(LIGHTTPD_CONF.format(data=data, port=port))
    app = sandbox.make_manifest("/usr/sbin/lighttpd", mounts=[data], start_dir=data)
    server = KerniteServer(app, ["-D", "-f", data / "lighttpd.conf"], cwd=tmp_path,
                           log=tmp_path / "lighttpd.log")
    server.wait(port)
    with server:
        r = subprocess.run(["curl", "-s", "-w", "%{http_code}", f"http://127.0.0.1:{port}/"],
                           capture_output=True, timeout=30)
        assert r.stdout == b"<p>lighttpd under kernite</p>\n200", server.output()
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            f"http://127.0.0.1:{port}/nothing"], capture_output=True, timeout=30)
        assert r.stdout == b"404"
        ab = subprocess.run(["ab", "-q", "-n", "2000", "-c", "20",
                             f"http://127.0.0.1:{port}/index.html"],
                            capture_output=True, text=True, timeout=120)
        assert "Failed requests:        0" in ab.stdout, ab.stdout + ab.stderr
        assert server.alive()


def test_python_http_server_serves_a_directory(sandbox, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello.txt").write_text("served by python under kernite\n")
    port = free_port()
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[data], start_dir=data)
    server = KerniteServer(app, ["-m", "http.server", "--bind", "127.0.0.1", port],
                           cwd=tmp_path, log=tmp_path / "http.log")
    server.wait(port)
    with server:
        r = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/hello.txt"],
                           capture_output=True, timeout=30)
        assert r.stdout == b"served by python under kernite\n", server.output()


ECHO_SERVER = """
import asyncio, sys

async def echo(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", int(sys.argv[1]), backlog=128)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


async def _echo_clients(port, count, rounds):
    async def one(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for r in range(rounds):
            msg = f"client {i} round {r}\n".encode() * 50
            writer.write(msg)
            await writer.drain()
            assert await reader.readexactly(len(msg)) == msg
        writer.close()
        await writer.wait_closed()
        return True

    return await asyncio.gather(*(one(i) for i in range(count)))


def test_asyncio_echo_server_with_100_concurrent_clients(sandbox, tmp_path):
    (tmp_path / "work" / "echo.py").write_text(ECHO_SERVER)
    port = free_port()
    app = sandbox.make_manifest("/usr/bin/python3", mounts=[tmp_path / "work"])
    server = KerniteServer(app, [tmp_path / "work" / "echo.py", port], cwd=tmp_path,
                           log=tmp_path / "echo.log")
    server.wait(port)
    with server:
        results = asyncio.run(asyncio.wait_for(_echo_clients(port, 100, 5), timeout=60))
        assert results == [True] * 100
        assert server.alive(), server.output()


def test_getaddrinfo_of_localhost_and_a_loopback_roundtrip(compare):
    compare("/usr/bin/python3", ["-c", (
        "import socket\n"
        "print(sorted({a[4][0] for a in socket.getaddrinfo('localhost', 80, "
        "type=socket.SOCK_STREAM)}))\n"
        "print(socket.gethostbyname('localhost'))\n"
        "s = socket.create_server(('127.0.0.1', 0))\n"
        "c = socket.create_connection(s.getsockname())\n"
        "a, _ = s.accept()\n"
        "c.sendall(b'over loopback')\n"
        "print(a.recv(100))\n")])


def test_listen_outside_net_allowed_listen_is_refused(sandbox, tmp_path):
    allowed, refused = free_port(), free_port()
    script = (
        "import socket\n"
        "kept = []\n"
        f"for port in ({allowed}, {refused}):\n"
        "    s = socket.socket()\n"
        "    kept.append(s)\n"
        "    try:\n"
        "        s.bind(('127.0.0.1', port)); s.listen()\n"
        "        print(port, 'listening')\n"
        "    except OSError as e:\n"
        "        print(port, e.strerror)\n"
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n"
        f"    u.bind(('127.0.0.1', {refused})); print('udp bound')\n"
        "except OSError as e:\n"
        "    print('udp', e.strerror)\n"
        "c = socket.create_connection(('127.0.0.1', "
        f"{allowed}))\n"
        "print('outgoing connect ok')\n")
    app = sandbox.make_manifest("/usr/bin/python3", argv=["python3", "-c", script],
                                log_level="warning", extra=f'net.allowed_listen = ["127.0.0.1:{allowed}", "[::1]:*"]')
    r = sandbox.run_kernite(app)
    assert r.stdout.splitlines() == [f"{allowed} listening", f"{refused} Permission denied",
                                     "udp Permission denied", "outgoing connect ok"], r.stderr
    assert "net.allowed_listen" in r.stderr
