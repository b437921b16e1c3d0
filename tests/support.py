"""Helpers shared by the test suites (kept out of conftest so tests can import them)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import psycopg
from flask import Flask, g
from flask.globals import app_ctx
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection
from sqlalchemy.orm import scoped_session, sessionmaker

from tadamon import create_app
from tadamon.extensions import db, migrations

# Argon2 at production cost takes ~200 ms a hash here: tests use the cheapest setting.
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


class EnglishByDefaultClient(FlaskClient):
    """Tests read English unless they ask for a language: the product's default is Arabic."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # Limits stay on (so their hooks are installed) but generous; tests/accounts/
        # test_rate_limits.py tightens them through the config, read at request time.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN_ADDRESS": "10000 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "10000 per minute",
        "RATELIMIT_REGISTER": "10000 per minute",
        "RATELIMIT_EMAIL": "10000 per minute",
        "RATELIMIT_INVITATIONS": "10000 per minute",
        "MAIL_SERVER": "",
        "MAIL_OUTBOX": True,
        "SHOW_OUTBOX_PAGE": True,
        "SERVER_NAME": None,
        "PUBLIC_BASE_URL": "http://localhost",
        "EXPORT_FOLDER": tempfile.mkdtemp(prefix="tadamon-exports-"),
        # Uploads in a folder of the run, not the checkout's instance/; TEST_STORAGE_BACKEND=
        # database runs the suites with the files in the database.
        "STORAGE_ROOT": tempfile.mkdtemp(prefix="tadamon-storage-"),
        "STORAGE_BACKEND": os.environ.get("TEST_STORAGE_BACKEND", "local"),
        # Rendered in the request: a thread would not see the test's rolled-back data.
        "EXPORT_IN_BACKGROUND": False,
        # The production scheduler, run on every request so tests see phases move at once.
        "TICK_EVERY_SECONDS": 0,
        # Tests change rows behind the app's back (rolled-back fixtures): tests/core/
        # test_page_cache.py turns the anonymous page cache on where it is the subject.
        "PAGE_CACHE": False,
        **FAST_ARGON2,
    }
    config.update(overrides)
    app = create_app(config)
    migrations(app)  # tests run `upgrade()` and `downgrade()` inside the app
    app.test_client_class = EnglishByDefaultClient

    @app.teardown_request
    def _forget_request_globals(_error: BaseException | None) -> None:
        # Tests keep an application context open (for the rolled-back session), and Flask
        # reuses it for every request: clear what a real request would not inherit
        # (the logged-in user, the locale Flask-Babel cached, flags set by handlers).
        for name in list(g):
            g.pop(name, None)

    return app


def upgrade_database() -> None:
    from flask import current_app

    migrations(current_app)  # Flask-Migrate is set up on first use (tadamon.extensions)
    upgrade()


@contextmanager
def rolled_back_session() -> Iterator[Connection]:
    """Binds db.session to one connection whose outer transaction is rolled back at the end.

    `db.session` is replaced, for the duration, by a plain SQLAlchemy scoped session bound to
    that connection (SQLAlchemy's documented "joining a session into an external transaction"
    recipe): with `join_transaction_mode="create_savepoint"` the application's own commits and
    rollbacks only release or roll back savepoints inside the outer transaction, so views and
    services run unchanged and the database is left as it was. Everything in the app reaches
    the session through the `db.session` attribute, so nothing else needs to know.
    """
    connection = db.engine.connect()
    transaction = connection.begin()
    application_session = db.session
    application_session.remove()
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_application_context_id,
    )
    try:
        yield connection
    finally:
        db.session.remove()
        db.session = application_session
        if transaction.is_active:
            transaction.rollback()
        connection.close()


def _application_context_id() -> int:
    # One session per application context, as Flask-SQLAlchemy scopes its own.
    return id(app_ctx._get_current_object())


def _test_redis_url() -> str:
    """The tests' Redis database: 15 for the first pytest-xdist worker (or no worker), 13, 11 and 9
    for the next ones. One per worker, because a test's cleanup deletes the keys that appeared
    while it ran: sharing one database, it deleted those of a test running at the same time on
    the other worker (RQ's queues, seen once in CI in tests/core/test_metrics.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return f"redis://127.0.0.1:6379/{15 - 2 * (number % 4)}"


TEST_REDIS_URL = _test_redis_url()


@contextmanager
def redis_database(url: str) -> Iterator[str]:
    """Yields `url` once its Redis answers, then deletes the keys that appeared meanwhile
    (not FLUSHDB: another run may share the database). Skips, or fails in CI, without Redis."""
    import os

    import pytest
    import redis

    connection = redis.Redis.from_url(url)
    try:
        try:
            before = set(connection.scan_iter(count=1000))
        except redis.exceptions.ConnectionError:
            message = f"Redis does not answer at {url} (TEST_REDIS_URL)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        try:
            yield url
        finally:
            created = set(connection.scan_iter(count=1000)) - before
            if created:
                connection.delete(*created)
    finally:
        connection.close()


def _libpq(url: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


@contextmanager
def postgres_schema(url: str, schema: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL at `url`, dropped afterwards; yields a URL using it."""
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
    if not scoped.startswith("postgresql+psycopg://"):
        scoped = scoped.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield scoped
    finally:
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def committed_app(tmp_path: Any, **overrides: Any) -> Iterator[Flask]:
    """An app on its own fresh database whose commits are real: for parallel requests.

    PostgreSQL (TEST_DATABASE_URL) gets a throwaway schema; otherwise a SQLite file.
    """
    import os
    import secrets

    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        with postgres_schema(postgres, f"tadamon_parallel_{secrets.token_hex(4)}") as url:
            app = make_test_app(url, **overrides)
            with app.app_context():
                upgrade_database()
            try:
                yield app
            finally:
                with app.app_context():
                    db.engine.dispose()
        return
    app = make_test_app(f"sqlite:///{tmp_path / 'parallel.sqlite3'}", **overrides)
    with app.app_context():
        upgrade_database()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def log_in_from_page(client: FlaskClient, page: str, email: str, password: str) -> Any:
    """Logs in through a log-in page's form as a browser would: with its hidden fields (the text
    an expired session carries, see accounts.views.session_needed)."""
    import html

    hidden = re.findall(r'<input[^>]*name="(carried\w*)"[^>]*value="([^"]*)"', page or "")
    data = {name: html.unescape(value) for name, value in hidden}
    return client.post("/account/login", data={**data, "email": email, "password": password})


def email_everything_at_once(*users: Any) -> None:
    """These people chose an email at once for every category (the defaults send some of them
    in a daily digest): for tests about what an immediate email says."""
    from tadamon.core.notifications import Category, Frequency, set_preferences

    for user in users:
        set_preferences(user, dict.fromkeys(Category, Frequency.IMMEDIATE))
    db.session.commit()


_HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
# A path standing alone in the text part ("/plan", "(/proposals/3)"): no mail client opens it.
_TEXT_PATH = re.compile(r"(?:^|[\s(<\[])(/[A-Za-z][\w\-./%?=&#]*)", re.MULTILINE)


def relative_links(text_body: str, html_body: str) -> list[str]:
    """The links of an email that are not absolute addresses (http, https or mailto)."""
    bad = [link for link in _HREF.findall(html_body or "")
           if not link.startswith(("http://", "https://", "mailto:"))]
    return bad + _TEXT_PATH.findall(text_body or "")


CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')


def without_csrf_tokens(page: str) -> str:
    """A page with its CSRF tokens blanked: a token is signed with the second it was made, so two
    renderings of the same page differ there when they straddle a second."""
    return CSRF_VALUE.sub(r"\1\2", page)


def page_statements(client: Any, path: str, **request: Any) -> tuple[Any, list[str]]:
    """GET `path` with `client`: the response and the SQL statements the page ran (the test
    harness's own savepoints, and SQLite's BEGIN, are not the page's), the session emptied first
    so nothing comes from objects a test loaded."""
    from sqlalchemy import event

    from tadamon.extensions import db

    db.session.expire_all()
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO", "BEGIN")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path, **request)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return response, seen
