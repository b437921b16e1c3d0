"""SQLite: a read request's transaction begins deferred (no lock), so a long read never blocks a
write; write transactions begin IMMEDIATE, so concurrent writers wait their turn instead of
failing with "database is locked"."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tadamon.core.db import writing
from tadamon.extensions import db
from tests import support

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's locking")


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        with app.app_context():
            with db.engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE lock_probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        yield app


def _begin_statements(app, method, *, inside_writing=False):
    """The BEGIN a transaction opened in a request of `method` issues."""
    seen = []
    with app.test_request_context("/", method=method), db.engine.connect() as connection:
        from sqlalchemy import event

        listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            if inside_writing:
                with writing():
                    connection.execute(text("SELECT 1"))
            else:
                connection.execute(text("SELECT 1"))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return [s for s in seen if s.startswith("BEGIN")]


def test_reads_begin_deferred_and_writes_immediate(live_app):
    with live_app.app_context():
        assert _begin_statements(live_app, "GET") == ["BEGIN"]
        assert _begin_statements(live_app, "HEAD") == ["BEGIN"]
        assert _begin_statements(live_app, "POST") == ["BEGIN IMMEDIATE"]
        # The periodic work a GET runs writes: it begins IMMEDIATE.
        assert _begin_statements(live_app, "GET", inside_writing=True) == ["BEGIN IMMEDIATE"]


def test_a_long_read_does_not_block_a_write(live_app):
    reading, written = threading.Event(), threading.Event()
    took: list[float] = []

    def long_read():
        with live_app.app_context(), live_app.test_request_context("/", method="GET"):
            db.session.execute(text("SELECT count(*) FROM lock_probe")).scalar()
            reading.set()
            written.wait(15)  # the read transaction stays open until the write is done
            db.session.rollback()

    def write():
        reading.wait(5)
        started = time.perf_counter()
        with live_app.app_context(), live_app.test_request_context("/", method="POST"):
            db.session.execute(text("INSERT INTO lock_probe (n) VALUES (1)"))
            db.session.commit()
        took.append(time.perf_counter() - started)
        written.set()

    reader = threading.Thread(target=long_read)
    reader.start()
    write()
    reader.join()
    # Behind an IMMEDIATE read it would wait for the reader (here: forever, then the busy timeout).
    assert took and took[0] < 2


def test_concurrent_writers_serialise_without_errors(live_app):
    count = 8
    barrier = threading.Barrier(count)

    def read_then_write(index):
        with live_app.app_context(), live_app.test_request_context("/", method="POST"):
            barrier.wait()
            total = db.session.execute(text("SELECT count(*) FROM lock_probe")).scalar()
            time.sleep(0.02)  # the others are reading and writing meanwhile
            db.session.execute(text("INSERT INTO lock_probe (n) VALUES (:n)"), {"n": total})
            db.session.commit()
        return index

    with ThreadPoolExecutor(max_workers=count) as pool:
        assert sorted(pool.map(read_then_write, range(count))) == list(range(count))
    with live_app.app_context():
        seen = [row[0] for row in db.session.execute(text("SELECT n FROM lock_probe ORDER BY id"))]
    # Serialised: each writer saw every row committed before it began.
    assert seen == list(range(count))


def test_get_pages_with_the_periodic_work_run_beside_writers(live_app):
    """Real requests: GETs (whose tick writes) in parallel with writes, and no error."""
    count = 6

    def get_page(index):
        return live_app.test_client().get("/workshops").status_code

    def write(index):
        with live_app.app_context(), live_app.test_request_context("/", method="POST"):
            db.session.execute(text("INSERT INTO lock_probe (n) VALUES (:n)"), {"n": index})
            db.session.commit()
        return 200

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(get_page if i % 2 else write, i) for i in range(2 * count)]
        assert [f.result() for f in futures] == [200] * (2 * count)
