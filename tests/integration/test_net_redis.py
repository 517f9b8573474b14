"""Debian's redis-server under Kernite, driven by the native redis-cli and redis-benchmark."""

import shutil
import subprocess

import pytest

from conftest import SANDBOX
from net_servers import KerniteServer, free_port, wait_for_port

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server missing")


def redis_cli(port, *args, host="127.0.0.1"):
    return subprocess.run(["redis-cli", "-h", host, "-p", str(port), *args], capture_output=True,
                          text=True, timeout=30)


def start_redis(sandbox, tmp_path, port, extra=()):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    app = sandbox.make_manifest("/usr/bin/redis-server", mounts=[data], start_dir=data)
    args = ["--port", port, "--bind", "127.0.0.1", "-::1", "--save", "", "--dir", data,
            "--daemonize", "no", *extra]
    server = KerniteServer(app, args, cwd=tmp_path, log=tmp_path / "redis.log")
    server.wait(port)
    return server, data


def test_redis_serves_cli_commands_and_a_benchmark_on_ipv4_and_ipv6(sandbox, tmp_path):
    port = free_port()
    server, _ = start_redis(sandbox, tmp_path, port)
    with server:
        assert redis_cli(port, "ping").stdout.strip() == "PONG"
        assert redis_cli(port, "set", "greeting", "hello").stdout.strip() == "OK"
        assert redis_cli(port, "get", "greeting", host="::1").stdout.strip() == "hello"
        assert redis_cli(port, "rpush", "l", "a", "b", "c").stdout.strip() == "3"
        assert redis_cli(port, "lrange", "l", "0", "-1").stdout.split() == ["a", "b", "c"]
        bench = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
                                "-n", "5000", "-c", "50", "-t", "set,get,lpush,lpop"],
                               capture_output=True, text=True, timeout=60)
        assert bench.returncode == 0, bench.stderr
        lines = [l.split("\r")[-1] for l in bench.stdout.splitlines() if "requests per" in l]
        assert [l.split(":")[0].strip() for l in lines] == ["SET", "GET", "LPUSH", "LPOP"], \
            bench.stdout
        assert redis_cli(port, "dbsize").stdout.strip() != "0"
        assert server.alive(), server.output()


def test_redis_bgsave_in_a_forked_child_writes_a_dump_native_redis_loads(sandbox, tmp_path):
    port = free_port()
    server, data = start_redis(sandbox, tmp_path, port)
    with server:
        for i in range(100):
            redis_cli(port, "set", f"key:{i}", f"value-{i}")
        before = redis_cli(port, "lastsave").stdout.strip()
        assert "Background saving started" in redis_cli(port, "bgsave").stdout
        for _ in range(200):
            status = redis_cli(port, "info", "persistence").stdout
            if "rdb_bgsave_in_progress:0" in status and \
                    redis_cli(port, "lastsave").stdout.strip() != before:
                break
            subprocess.run(["sleep", "0.05"])
        assert "rdb_last_bgsave_status:ok" in status, status + server.output()
    dump = data / "dump.rdb"
    assert dump.exists()
    check = subprocess.run(["redis-check-rdb", str(dump)], capture_output=True, text=True,
                           timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr

    native_port = free_port()
    native = subprocess.Popen(SANDBOX + ["--", "redis-server", "--port", str(native_port), "--bind", "127.0.0.1",
                               "--dir", str(data), "--dbfilename", "dump.rdb", "--save", ""],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(native_port, proc=native)
        assert redis_cli(native_port, "dbsize").stdout.strip() == "100"
        assert redis_cli(native_port, "get", "key:42").stdout.strip() == "value-42"
    finally:
        native.kill()
        native.wait(timeout=10)
