"""Starts the production topology from the repository's own deploy files, on this machine.

nginx (deploy/nginx/tadamon.conf) in front of N web instances (deploy/systemd/tadamon-web@.service),
the RQ worker (tadamon-worker.service) and the scheduler (tadamon-scheduler.service), all
reading an environment file rendered from deploy/tadamon.env.example. Nothing here repeats what
those files say: their production paths and ports are replaced by this run's (see `Paths`),
then each unit's WorkingDirectory, EnvironmentFile, Environment and ExecStart are read and run
as systemd would run them (each in its own process group, stopped with SIGTERM, then SIGKILL).

Used by tests/deploy/test_topology.py and scripts/loadtest.py.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT_ROOT / "deploy"
# Production's placeholders (the deploy files' own), replaced by this run's values.
CHECKOUT, STATE, ENV_FILE, TLS = "/srv/tadamon", "/var/lib/tadamon", "/etc/tadamon/tadamon.env", "/etc/ssl/tadamon"
VENV_BIN = "/srv/tadamon/.venv/bin/"
EXAMPLE_PORTS = (8001, 8002)


def nginx_binary() -> str | None:
    """TADAMON_NGINX, else nginx on the PATH or in /usr/sbin (Debian's nginx-light)."""
    for candidate in (os.environ.get("TADAMON_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Unit:
    """What systemd would run for one unit: the command, its environment, its folder."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path


def render(text: str, replacements: Mapping[str, str]) -> str:
    """The production placeholders replaced, longest first (the venv's path before the checkout's)."""
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return text


def read_env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: KEY=VALUE lines, # comments, optional quotes."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _expand(word: str, env: Mapping[str, str]) -> str:
    """systemd's ${NAME} and $NAME in ExecStart, from the unit's environment."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), word)


def read_unit(path: Path, instance: str, replacements: Mapping[str, str], base_env: Mapping[str, str]) -> Unit:
    """A unit file's [Service] as a command to run: %i is `instance`, placeholders replaced."""
    text = render(path.read_text(), replacements).replace("%i", instance).replace("%%", "%")
    env = dict(base_env)
    cwd, exec_start, section = PROJECT_ROOT, "", ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]" or not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key == "WorkingDirectory":
            cwd = Path(value)
        elif key == "EnvironmentFile":
            env.update(read_env_file(Path(value.lstrip("-"))))
        elif key == "Environment":
            for assignment in shlex.split(value):
                name, _, setting = assignment.partition("=")
                env[name] = setting
        elif key == "ExecStart":
            exec_start = value
    assert exec_start, f"{path.name} has no ExecStart"
    argv = [_expand(word, env) for word in shlex.split(exec_start)]
    return Unit(path.name.replace("@", f"@{instance}") if instance else path.name, argv, env, cwd)


def self_signed_certificate(folder: Path) -> None:
    """fullchain.pem and privkey.pem for 127.0.0.1, as the site's ssl_certificate lines name them."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "privkey.pem"),
         "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True)


def nginx_main_config(prefix: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site, for one foreground nginx."""
    mime = Path("/etc/nginx/mime.types")
    types = f"include {mime};" if mime.exists() else (
        "types { text/html html; text/css css; application/javascript js; image/svg+xml svg; "
        "image/png png; font/woff2 woff2; application/json json; }")
    return f"""daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def plain_server(site: str, port: int) -> str:
    """The site's HTTPS server block, again, on plain HTTP at 127.0.0.1:`port`: the load test
    measures the application behind nginx, not TLS handshakes (the topology test keeps TLS).
    The application is told the request came over HTTPS, as a TLS-terminating balancer would."""
    block = site[site.rindex("server {", 0, site.index("ssl_certificate")):]
    block = re.sub(r"^\s*(listen|ssl_)[^\n]*\n", "", block, flags=re.MULTILINE)
    block = block.replace("server {", f"server {{\n    listen 127.0.0.1:{port};", 1)
    return "\n# The load test's plain-HTTP copy (tests/deploy/topology.py)\n" + block.replace(
        "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Forwarded-Proto https;")


def render_site(root: Path, ports: list[int], http_port: int, https_port: int, tls: Path) -> str:
    """deploy/nginx/tadamon.conf for this run: its upstream and map list `ports`."""
    text = (DEPLOY / "nginx" / "tadamon.conf").read_text()
    # One upstream server line and one map entry per instance, from the example's first ones.
    example = EXAMPLE_PORTS[0]
    for pattern in (rf"^(\s*server 127\.0\.0\.1:){example}(.*)$", rf"^(\s*web-){example}( 127\.0\.0\.1:){example}(;)$"):
        line = re.search(pattern, text, re.MULTILINE)
        assert line, f"deploy/nginx/tadamon.conf lost its line for {example}"
        copies = "\n".join(line.group(0).replace(str(example), str(port)) for port in ports)
        text = text.replace(line.group(0), copies)
    for other in EXAMPLE_PORTS[1:]:
        text = re.sub(rf"^.*\b{other}\b.*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*listen \[::\]:.*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", text)
    text = re.sub(r"listen 443 ", f"listen 127.0.0.1:{https_port} ", text)
    return render(text, {CHECKOUT: str(root), TLS: str(tls)})


@dataclass
class Topology:
    """A running topology: where to reach it and what runs."""

    folder: Path
    database_url: str
    redis_url: str
    https_port: int
    http_port: int
    instances: list[str]
    ports: list[int]
    certificate: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    plain_port: int | None = None

    @property
    def plain_url(self) -> str:
        assert self.plain_port is not None, "started without plain_http"
        return f"http://127.0.0.1:{self.plain_port}"

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def log(self, name: str) -> str:
        path = self.folder / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pid_tree(self, name: str) -> list[int]:
        """A process and its children (gunicorn's arbiter and its workers)."""
        root = self.processes[name].pid
        found = [root]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == root:
                    found.append(int(entry.name))
        return found


def _libpq(url: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


@contextmanager
def postgres_database(server_url: str, prefix: str = "tadamon_topology") -> Iterator[str]:
    """A uniquely named database on the server of `server_url`, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", server_url.split("://", 1)[1], count=1)
    url = server_url.split("://", 1)[0] + "://" + url
    try:
        yield url
    finally:
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start(unit: Unit, logs: Path, extra_env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    handle = open(logs / f"{unit.name}.log", "ab")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(  # noqa: S603 - the repository's own units
            unit.argv, cwd=unit.cwd, env={**unit.env, **(extra_env or {})}, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: stopped as a whole
    finally:
        handle.close()


def stop(process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """SIGTERM to the process group, as systemd's stop does; SIGKILL after `seconds`. A group
    whose leader already died (a crash) may still hold its children: they are killed too."""
    if process.poll() is not None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopped while starting:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port} ({name})")


@contextmanager
def running(folder: Path, database_url: str, redis_url: str, *, instances: int = 2,
            settings: Mapping[str, str] | None = None, wsgi: str | None = None,
            worker: bool = True, scheduler: bool = True, plain_http: bool = False) -> Iterator[Topology]:
    """The topology on `database_url` (already migrated) and `redis_url`, stopped on exit.

    `settings` override the environment file's; `wsgi` replaces `wsgi:app` in the web unit
    (the load test's hello-world reference, served by the same gunicorn config and nginx site);
    `plain_http` adds the site's HTTPS server on plain HTTP at `plain_port` (see plain_server).
    """
    nginx = nginx_binary()
    if nginx is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light, or set TADAMON_NGINX)")
    folder.mkdir(parents=True, exist_ok=True)
    logs, state, tls = folder / "logs", folder / "state", folder / "tls"
    logs.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    self_signed_certificate(tls)
    ports = [free_port() for _ in range(instances)]
    topology = Topology(folder, database_url, redis_url, free_port(), free_port(),
                        [f"web-{port}" for port in ports], ports, tls / "fullchain.pem")
    # The environment file: the example's settings, with this run's secrets and services.
    example = read_env_file(DEPLOY / "tadamon.env.example")
    run_settings = {**example, "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": database_url,
                    "REDIS_URL": redis_url, "PUBLIC_BASE_URL": topology.base_url, "MAIL_SERVER": "",
                    "TADAMON_EXPORT_QUEUE": f"tadamon-exports-{secrets.token_hex(3)}",
                    "TADAMON_MAIL_QUEUE": f"tadamon-mail-{secrets.token_hex(3)}", **(settings or {})}
    env_file = folder / "tadamon.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in run_settings.items()))
    replacements = {VENV_BIN: f"{Path(sys.executable).parent}/", CHECKOUT: str(PROJECT_ROOT),
                    STATE: str(state), ENV_FILE: str(env_file), TLS: str(tls)}
    # The units run with the checkout's interpreter, as the venv of an editable install would.
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
                "PYTHONPATH": str(PROJECT_ROOT / "platform") + os.pathsep + str(PROJECT_ROOT)}
    systemd = DEPLOY / "systemd"
    try:
        for port, name in zip(ports, topology.instances, strict=True):
            unit = read_unit(systemd / "tadamon-web@.service", str(port), replacements, base_env)
            Path(unit.env["TADAMON_INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
            if wsgi:
                unit.argv = [wsgi if word == "wsgi:app" else word for word in unit.argv]
            topology.processes[name] = _start(unit, logs)
        for name, wanted in (("tadamon-worker.service", worker), ("tadamon-scheduler.service", scheduler)):
            if wanted:
                unit = read_unit(systemd / name, "", replacements, base_env)
                Path(unit.env["TADAMON_INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
                topology.processes[name.removesuffix(".service")] = _start(unit, logs)
        site = folder / "site.conf"
        text = render_site(PROJECT_ROOT, ports, topology.http_port, topology.https_port, tls)
        if plain_http:
            topology.plain_port = free_port()
            text += plain_server(text, topology.plain_port)
        site.write_text(text)
        config = folder / "nginx.conf"
        config.write_text(nginx_main_config(folder, site))
        handle = open(logs / "nginx.log", "ab")  # noqa: SIM115
        topology.processes["nginx"] = subprocess.Popen(  # noqa: S603
            [nginx, "-p", str(folder), "-e", str(folder / "nginx-error.log"), "-c", str(config)],
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        for port, name in zip(ports, topology.instances, strict=True):
            wait_for_port(port, topology.processes[name], name, logs / f"tadamon-web@{port}.service.log")
        wait_for_port(topology.https_port, topology.processes["nginx"], "nginx", folder / "nginx-error.log")
        if topology.plain_port is not None:
            wait_for_port(topology.plain_port, topology.processes["nginx"], "nginx", folder / "nginx-error.log")
        yield topology
    finally:
        # nginx first (no new requests), then the instances, the worker, the scheduler.
        for process in reversed(list(topology.processes.values())):
            stop(process)
