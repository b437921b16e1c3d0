"""Test harness: one app per worker on SQLite or PostgreSQL, a rolled-back database per test,
factories and log-in helpers for every role.

Set TEST_DATABASE_URL to run on PostgreSQL; each xdist worker then gets its own schema.
The schema is built by the migrations (`upgrade head`), so every run also tests them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select

from tadamon.accounts.models import RoleAssignment, User, UserSession, token_digest
from tadamon.accounts.passwords import hash_password
from tadamon.core.db import utcnow
from tadamon.core.mail import OutboxMessage
from tadamon.core.permissions import ROLES_REQUIRING_TWO_FACTOR, Role
from tadamon.extensions import db
from tests import support

PASSWORD = "correct horse battery staple"  # noqa: S105


def pytest_configure(config: pytest.Config) -> None:
    Path("test-artifacts").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    postgres = os.environ.get("TEST_DATABASE_URL")
    if not postgres:
        path = tmp_path_factory.mktemp("db") / f"tadamon-{worker_id}.sqlite3"
        yield f"sqlite:///{path}"
        return
    schema = f"tadamon_test_{worker_id}_{secrets.token_hex(3)}"
    with support.postgres_schema(postgres, schema) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = support.make_test_app(database_url)
    with app.app_context():
        support.upgrade_database()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _database(request: pytest.FixtureRequest) -> Iterator[Connection | None]:
    """Every test runs inside a transaction that is rolled back at its end."""
    if "app" not in request.fixturenames:
        yield None
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        with support.rolled_back_session() as connection:
            yield connection


@pytest.fixture(autouse=True)
def _emails_link_absolutely(request: pytest.FixtureRequest, _database: Connection | None) -> Iterator[None]:
    """Every email any test (and the demo, built by tests) produces links with absolute
    addresses on PUBLIC_BASE_URL: a relative link is dead in every mail client."""
    yield
    if _database is None:
        return
    from sqlalchemy.exc import SQLAlchemyError

    try:
        messages = list(db.session.scalars(select(OutboxMessage)))
    except SQLAlchemyError:  # the test left its transaction broken: it fails on its own
        return
    problems = [(message.subject, link) for message in messages
                for link in support.relative_links(message.text_body, message.html_body)]
    assert not problems, f"emails with relative links: {problems[:5]}"


@pytest.fixture
def connection(app: Flask, _database: Connection | None) -> Connection:
    """The connection holding this test's rolled-back transaction (for savepoints of its own)."""
    assert _database is not None
    return _database


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database for tests that need one: TEST_REDIS_URL, by default database 15 of
    the local server (never the 0 an application uses); what the test wrote is deleted.

    No Redis answering skips the test on a workstation, and fails it in CI (CI=true)."""
    with support.redis_database(os.environ.get("TEST_REDIS_URL", support.TEST_REDIS_URL)) as url:
        yield url


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_sequence = count(1)


@pytest.fixture
def create_user(app: Flask) -> Any:
    """Factory: `create_user(roles=[Role.ADMIN], language="fr", ...)` → a verified account."""

    def factory(
        *,
        email: str | None = None,
        name: str = "Amina Test",
        roles: tuple[Role, ...] | list[Role] = (),
        language: str = "en",
        verified: bool = True,
        password: str = PASSWORD,
        two_factor: bool | None = None,
        enabled: bool = True,
    ) -> User:
        number = next(_sequence)
        now = utcnow()
        user = User(
            email=email or f"person{number}@example.org",
            display_name=name,
            password_hash=hash_password(password),
            preferred_language=language,
            email_verified_at=now if verified else None,
            privacy_consent_at=now,
            password_changed_at=now,
            is_enabled=enabled,
        )
        if two_factor is None:
            two_factor = bool(set(roles) & ROLES_REQUIRING_TWO_FACTOR)
        if two_factor:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled_at = now
        for role in roles:
            user.role_assignments.append(RoleAssignment(role=Role(role).value))
        db.session.add(user)
        # Committed (a savepoint released inside the test's transaction), so a view's
        # rollback after a refused action cannot take the test's own data with it.
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(app: Flask) -> Any:
    """Logs `user` in on `client` the way the log-in view does, without typing a password."""

    def log_in(client: FlaskClient, user: User) -> str:
        session_id = secrets.token_urlsafe(16)
        db.session.add(UserSession(user_id=user.id, token_hash=token_digest(session_id)))
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["sid"] = session_id
        return session_id

    return log_in


@pytest.fixture
def outbox(app: Flask) -> Any:
    """The messages sent so far in this test, oldest first; `outbox(to=...)` filters."""

    def read(to: str | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.recipient == to)
        return list(db.session.scalars(query))

    return read
