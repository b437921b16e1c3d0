"""PostgreSQL: a read request's statements run outside a transaction block (no BEGIN, no
ROLLBACK: two round trips of every page), and its first write turns transactions back on, so
what a read request writes is still one transaction (core.db)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from tadamon.core.db import begun_as, writing
from tadamon.extensions import db
from tests import support

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL's transactions")


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        with app.app_context():
            with db.engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE read_probe (id SERIAL PRIMARY KEY, n INTEGER NOT NULL)")
        yield app


@pytest.fixture
def commands(monkeypatch):
    """The transaction commands the driver sends (BEGIN, COMMIT, ROLLBACK)."""
    import psycopg

    sent: list[bytes] = []
    original = psycopg.Connection._exec_command

    def recording(connection, command, *args, **kwargs):
        sent.append(bytes(command) if not isinstance(command, bytes) else command)
        return original(connection, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", recording)
    return sent


def _count(app) -> int:
    with app.app_context():
        return int(db.session.scalar(text("SELECT count(*) FROM read_probe")))


def test_a_read_request_sends_no_begin_nor_rollback(live_app, commands):
    with live_app.test_request_context("/", method="GET"):
        assert db.session.scalar(text("SELECT 1")) == 1
        assert db.session.scalar(text("SELECT count(*) FROM read_probe")) == 0
        assert begun_as() == "reading"
        db.session.remove()
    assert [c for c in commands if c.startswith((b"BEGIN", b"ROLLBACK"))] == []
    with live_app.test_request_context("/", method="POST"):
        db.session.scalar(text("SELECT 1"))
        assert begun_as() == "transaction"
        db.session.remove()
    assert [c for c in commands if c.startswith((b"BEGIN", b"ROLLBACK"))] == [b"BEGIN", b"ROLLBACK"]


def test_what_a_read_request_writes_is_one_transaction(live_app):
    with live_app.test_request_context("/", method="GET"):
        db.session.scalar(text("SELECT count(*) FROM read_probe"))
        db.session.execute(text("INSERT INTO read_probe (n) VALUES (1)"))
        assert begun_as() == "write in a read request"
        db.session.execute(text("INSERT INTO read_probe (n) VALUES (2)"))
        db.session.rollback()  # both undone: they were in one transaction
        db.session.remove()
    assert _count(live_app) == 0
    with live_app.test_request_context("/", method="GET"), writing():
        db.session.scalar(text("SELECT 1"))
        with db.session.begin_nested():  # a SAVEPOINT needs a transaction block: it gets one
            db.session.execute(text("INSERT INTO read_probe (n) VALUES (3)"))
        db.session.commit()
        db.session.remove()
    assert _count(live_app) == 1


def test_a_locking_read_gets_its_transaction(live_app, commands):
    with live_app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT id FROM read_probe FOR UPDATE")).all()
        assert begun_as() == "write in a read request"
        db.session.remove()
    assert b"BEGIN" in commands


def test_the_connection_goes_back_to_the_pool_with_transactions_on(live_app, commands):
    with live_app.test_request_context("/", method="GET"):
        db.session.scalar(text("SELECT 1"))
        db.session.remove()
    with live_app.app_context():  # a command, a job: not a request
        db.session.execute(text("INSERT INTO read_probe (n) VALUES (4)"))
        db.session.rollback()
        db.session.remove()
    assert _count(live_app) == 0 and b"BEGIN" in commands
