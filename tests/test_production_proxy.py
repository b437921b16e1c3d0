"""Acceptance, as deployed: Debian's nginx in front of two gunicorn workers started from the
repository's files (gunicorn.conf.py, wsgi.py, deploy/nginx-test.conf), limits in Redis.

100 failed log-ins from 100 client addresses against one account, then its owner logs in with
the right password at once: accepted. One attacker address is slowed after the configured
five failures, counted once across both workers.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from string import Template
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tadamon import create_app
from tadamon.accounts.models import User
from tadamon.accounts.services import new_account
from tadamon.config import PROJECT_ROOT
from tadamon.extensions import db
from tests.support import upgrade_database

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "p" * 48
PASSWORD = "a long owner passphrase 2026"  # noqa: S105
OWNER = "owner@example.org"

pytestmark = [
    pytest.mark.skipif(not Path(NGINX).exists() and not os.environ.get("CI"),
                       reason="nginx is not installed (apt-get install nginx-light)"),
    # It runs on a SQLite file of its own: once per `make test` is enough.
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="run by the SQLite pass"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped while starting"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answers on port {port}")


@pytest.fixture
def deployment(tmp_path: Path, redis_url: str) -> Iterator[int]:
    """nginx's port, with two gunicorn workers behind it sharing limits in `redis_url`."""
    database = f"sqlite:///{tmp_path / 'tadamon.sqlite3'}"
    env = {**os.environ, "TADAMON_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database,
           "REDIS_URL": redis_url, "TRUSTED_PROXIES": "1", "SESSION_COOKIE_SECURE": "0",
           "TADAMON_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT / "platform")}
    setup = create_app({"SQLALCHEMY_DATABASE_URI": database, "ENV": "testing", "TESTING": True})
    with setup.app_context():
        upgrade_database()
        db.session.add(new_account(email=OWNER, display_name="Owner", password=PASSWORD, language="en",
                                   verified=True))
        db.session.commit()
        assert db.session.scalar(select(User.id).where(User.email == OWNER))
        db.engine.dispose()
    app_port, proxy_port = free_port(), free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(Template((PROJECT_ROOT / "deploy" / "nginx-test.conf").read_text()).substitute(
        prefix=tmp_path, upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{proxy_port}"))
    gunicorn = subprocess.Popen(  # noqa: S603 - our own interpreter and files
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "wsgi:app"],
        cwd=PROJECT_ROOT, env={**env, "TADAMON_BIND": f"127.0.0.1:{app_port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config)],  # noqa: S603
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(app_port, gunicorn)
        wait_for(proxy_port, nginx)
        yield proxy_port
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            process.wait(timeout=30)


class Browser:
    """One client at one address of the loopback network (127.0.0.0/8 all reach nginx)."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address, self.cookies = port, address, ""

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                source_address=(self.address, 0))
        headers = {"Accept-Language": "en", "Cookie": self.cookies}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=urlencode(body) if body else None, headers=headers)
        response = connection.getresponse()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.cookies = cookie.split(";", 1)[0]
        answer = response.status, response.read().decode()
        connection.close()
        return answer

    def log_in(self, password: str) -> int:
        _, page = self.request("GET", "/account/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        status, _ = self.request("POST", "/account/login",
                                 {"csrf_token": token.group(1), "email": OWNER, "password": password})
        return status


def test_many_failed_log_ins_behind_nginx_leave_the_owner_able_to_log_in(deployment):
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: Browser(deployment, f"127.0.{n // 200 + 1}.{n % 200 + 2}")
                                 .log_in("wrong password"), range(100)))
    assert statuses == [200] * 100
    assert Browser(deployment, "127.0.9.9").log_in(PASSWORD) == 302

    attacker = Browser(deployment, "127.0.8.8")
    # Five failures a minute per account at one address, counted in Redis by both workers.
    assert [attacker.log_in("wrong password") for _ in range(6)] == [200] * 5 + [429]
    assert attacker.log_in(PASSWORD) == 429
    assert Browser(deployment, "127.0.9.10").log_in(PASSWORD) == 302
