"""A pooled PostgreSQL connection that sat idle is pinged before use (core.db): one the server
closed meanwhile is replaced before a request meets it; a busy connection is not pinged."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from tadamon.core import db as core_db

POSTGRES = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture
def engine():
    if not POSTGRES.startswith("postgresql"):
        pytest.skip("the ping is PostgreSQL's (set TEST_DATABASE_URL)")
    made = create_engine(POSTGRES, pool_size=1, max_overflow=0)
    yield made
    made.dispose()


def _backend(engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def test_an_idle_connection_closed_by_the_server_is_replaced(engine, monkeypatch):
    first = _backend(engine)
    with create_engine(POSTGRES).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        other.commit()
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 0.0)  # the connection counts as idle
    assert _backend(engine) != first  # no error: the dead connection was replaced at checkout


def test_a_busy_connection_is_not_pinged_and_an_idle_one_is(engine, monkeypatch):
    import psycopg

    sent: list[str] = []
    original = psycopg.Cursor.execute

    def recording(cursor, query, *args, **kwargs):
        sent.append(str(query))
        return original(cursor, query, *args, **kwargs)

    _backend(engine)
    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    for _ in range(3):
        _backend(engine)
    assert "SELECT 1" not in sent  # used a moment ago: no ping
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 0.0)
    _backend(engine)
    assert sent.count("SELECT 1") == 1
