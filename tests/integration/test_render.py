"""kernite-manifest: Gramine-style templates render to exactly the expected manifests, mistakes
are reported at the template line they come from, and rendered manifests run."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, DATA, KERNITE, REPO, run_sandboxed

RENDERER = REPO / "tools" / "kernite-manifest"
TOOL = BUILD / "tools" / "kernite"
TEMPLATES = DATA / "templates"
PYTHON = "/usr/bin/python3"


def render(*args, cwd=None, env=None, input=None):
    """Runs the renderer from the source tree against the build under test."""
    assert os.access(TOOL, os.X_OK), f"{TOOL} is not built"
    full_env = {"PATH": "/usr/bin:/bin", "KERNITE_BUILD": str(BUILD), **(env or {})}
    return subprocess.run([PYTHON, str(RENDERER), *map(str, args)], cwd=cwd, env=full_env,
                          input=input, capture_output=True, text=True, timeout=120)


def expected(name, **extra):
    text = (TEMPLATES / f"{name}.manifest.expected").read_text()
    text = text.replace("@LIBOS@", str(KERNITE.resolve()))
    for key, value in extra.items():
        text = text.replace(f"@{key}@", value)
    return text


def native_sys_path(interpreter):
    """sys.path entries that exist, as the interpreter itself lists them, for trusted_files."""
    out = subprocess.run([interpreter, "-c", "import sys; print('\\n'.join(sys.path))"],
                         capture_output=True, text=True, check=True).stdout
    lines = []
    for path in filter(None, out.splitlines()):
        if os.path.exists(path):
            lines.append(f'  "file:{path}{"/" if os.path.isdir(path) else ""}",')
    return "\n".join(lines)


CASES = {
    "helloworld": [],
    "redis-server": ["-Dport=7000"],
    "nginx": ["-Dinstall_dir=install", "-Dinstall_dir_abspath=/srv/nginx"],
    "sqlite": ["-Dexecdir=/usr/bin"],
    "bash": ["-Dexecdir=/usr/bin"],
    "busybox": ["-Dentrypoint=/usr/bin/busybox"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gramine_style_template_renders_exactly(name):
    result = render("--no-host-paths", *CASES[name], TEMPLATES / f"{name}.manifest.template")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected(name)


def test_python_template_uses_stdlib_distlib_and_interpreter_sys_path():
    interpreter = os.path.realpath(PYTHON)
    result = render("--no-host-paths", f"-Dentrypoint={interpreter}",
                    TEMPLATES / "python.manifest.template")
    assert result.returncode == 0, result.stderr
    text = expected("python", SYS_PATH=native_sys_path(interpreter))
    text = text.replace("/usr/bin/python3.11", interpreter)
    assert result.stdout == text
    assert '{ path = "/usr/lib/python3/dist-packages", uri = "file:/usr/lib/python3/dist-packages" }' \
        in result.stdout


def test_gramine_and_kernite_names_are_the_same():
    source = "a = '{{ gramine.libos }}'\nb = '{{ kernite.libos }}'\n" \
             "c = '{{ gramine.runtimedir() }}'\nd = '{{ kernite.runtimedir }}'\n"
    result = render("--no-check", input=source)
    assert result.returncode == 0, result.stderr
    libos = str(KERNITE.resolve())
    assert result.stdout == f"a = '{libos}'\nb = '{libos}'\n" \
        "c = '/lib/x86_64-linux-gnu'\nd = '/lib/x86_64-linux-gnu'\n"


def test_conditional_follows_the_host_environment():
    template = TEMPLATES / "nginx.manifest.template"
    args = ["--no-host-paths", "-Dinstall_dir=i", "-Dinstall_dir_abspath=/srv", template]
    edmm = render(*args, env={"EDMM": "1", "RELEASE": "1"})
    assert edmm.returncode == 0, edmm.stderr
    assert "sgx.debug = false\nsgx.max_threads = 4\nsgx.edmm_enable = true\n" in edmm.stdout
    assert "enclave_size" not in edmm.stdout


def test_define_overrides_a_default_and_every_define_is_a_string():
    result = render("-D", "log_level=trace", "-Dthreads=3", "--no-host-paths",
                    TEMPLATES / "redis-server.manifest.template")
    assert result.returncode == 0, result.stderr
    assert 'log_level = "trace"\n' in result.stdout
    assert "max_threads = 3\n" in result.stdout


def test_mistakes_are_reported_at_their_template_lines():
    result = render("-Dsize=2X", TEMPLATES / "mistake.manifest.template")
    name = TEMPLATES / "mistake.manifest.template"
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{name}:12: unknown key 'loader.envv.A' (did you mean 'loader.env.A'?) "
        "(rendered <stdout>:11:13)",
        f"{name}:12: unknown key 'loader.envv.B' (did you mean 'loader.env.B'?) "
        "(rendered <stdout>:12:13)",
        f"{name}:15: key 'sgx.enclave_size': bad size '2X' (expected digits with an optional "
        "K, M, G or T suffix) (rendered <stdout>:14:20)",
    ]


def test_verbatim_template_line_keeps_its_column():
    source = "# one\nlibos.entrypoint = \"/usr/bin/true\"\nloader.log_leve = \"error\"\n"
    result = render("--no-host-paths", input=source)
    assert result.returncode == 1
    assert result.stderr.startswith("<stdin>:3:8: unknown key 'loader.log_leve'"), result.stderr


def test_missing_host_path_of_a_mount_is_reported_at_its_line(tmp_path):
    result = render(TEMPLATES / "helloworld.manifest.template", tmp_path / "out.manifest",
                    cwd=tmp_path)
    assert result.returncode == 1
    assert f"{TEMPLATES / 'helloworld.manifest.template'}:11:33: key 'fs.mounts[1].uri': " \
        "host path 'helloworld' does not exist" in result.stderr
    assert not (tmp_path / "out.manifest").exists(), "an invalid manifest must not be written"


def test_undefined_variable_names_the_line_and_the_define_to_give():
    result = render(TEMPLATES / "python.manifest.template")
    assert result.returncode == 1
    assert result.stderr == (f"{TEMPLATES / 'python.manifest.template'}:4: 'entrypoint' is "
                             "undefined (give it with -Dentrypoint=PATH)\n")


def test_template_syntax_error_names_the_line():
    result = render(input="a = 1\n{% for x in y %}\nb = 2\n")
    assert result.returncode == 1
    assert result.stderr.startswith("<stdin>:2: template syntax: Unexpected end of template"), \
        result.stderr


def test_bad_usage_exits_two():
    assert render("-Dnovalue").returncode == 2
    assert render("--frobnicate").returncode == 2
    assert render("a", "b", "c").returncode == 2


def test_kernite_manifest_render_runs_the_renderer(tmp_path):
    out = tmp_path / "busybox.manifest"
    result = run_sandboxed([TOOL, "manifest", "render", "-Dentrypoint=/usr/bin/busybox",
                            TEMPLATES / "busybox.manifest.template", out])
    assert result.returncode == 0, result.describe("kernite manifest render")
    assert out.read_text() == expected("busybox")


def test_rendered_busybox_manifest_runs(tmp_path):
    shutil.copy(TEMPLATES / "busybox.manifest.template", tmp_path)
    result = render("-Dentrypoint=/usr/bin/busybox", "busybox.manifest.template",
                    "busybox.manifest", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = run_sandboxed([KERNITE, tmp_path / "busybox", "sh", "-c",
                         "for i in 1 2 3; do echo $((i * 7)); done > /tmp/x; cat /tmp/x"],
                        cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.describe("kernite")
    assert run.stdout == "7\n14\n21\n"


APP_TEMPLATES = sorted(p for p in (REPO / "apps").glob("*/*.manifest.template"))


@pytest.mark.parametrize("template", APP_TEMPLATES, ids=lambda p: p.parent.name)
def test_committed_app_manifest_is_its_rendered_template(template):
    rendered = render(template)
    assert rendered.returncode == 0, rendered.stderr
    manifest = template.with_name(template.name[:-len(".template")])
    assert manifest.read_text() == rendered.stdout, f"run `make manifests` to update {manifest}"


def test_manifest_reference_in_docs_is_what_the_schema_prints():
    import importlib.util
    spec = importlib.util.spec_from_file_location("docs", REPO / "tools" / "kernite_manifest" /
                                                  "docs.py")
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    _, committed, _ = docs.split((REPO / "docs" / "manifest.md").read_text())
    assert committed == docs.generated_part(str(TOOL)), "run `make docs` to update docs/manifest.md"
    assert "| `libos.entrypoint` |" in committed


def test_rendered_gramine_python_template_runs(tmp_path):
    """Gramine's python shape mounts the runtime libraries at /lib only, so the interpreter is
    found by name there, as Gramine finds it."""
    shutil.copy(TEMPLATES / "python.manifest.template", tmp_path)
    result = render("-Dentrypoint=/usr/bin/python3", "python.manifest.template",
                    "python3.manifest", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = run_sandboxed([KERNITE, tmp_path / "python3", "-c",
                         "import json, sys; print(json.dumps(sys.version_info[:2]))"],
                        cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.describe("kernite")
    assert run.stdout == "[%d, %d]\n" % sys.version_info[:2]


def test_rendered_gramine_redis_template_serves(tmp_path):
    """Gramine's redis shape (the server copied next to its manifest, table headers, a -D port)
    renders unchanged and serves a client on loopback."""
    import socket
    import time

    from conftest import SANDBOX

    redis = shutil.which("redis-server")
    if not redis:
        pytest.fail("redis-server is not installed (scripts/install-deps installs it)")
    shutil.copy(TEMPLATES / "redis-server.manifest.template", tmp_path)
    shutil.copy(redis, tmp_path / "redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = render(f"-Dport={port}", "redis-server.manifest.template", "redis-server.manifest",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    server = subprocess.Popen(SANDBOX + ["--", str(KERNITE), str(tmp_path / "redis-server")],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        reply = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not reply:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
                    c.sendall(b"PING\r\n")
                    reply = c.recv(64)
            except OSError:
                time.sleep(0.1)
        assert reply == b"+PONG\r\n", server.stderr.read1(4096) if server.poll() else reply
    finally:
        server.kill()
        server.wait(timeout=10)
