"""The long-running scheduler (`flask scheduler`): the periodic work every TICK_EVERY_SECONDS.

It runs the very loop `flask tick` and the request-time tick run (`core.hooks.run_periodic`),
inside a lock held in the database every instance shares: two schedulers (a second machine, a
unit started twice) never run a tick at the same time; the one that finds the lock taken skips
that tick. On PostgreSQL the lock is a session advisory lock, released by the server if the
process dies; on a SQLite file, an exclusive `flock` on a file beside it.

Why a process rather than a systemd timer running `flask tick`: a timer starts a fresh Python
(the whole application imported, ~1 s of CPU) every minute at best, while this ticks every 30 s
for the cost of a sleep, and the throttles that spare work between ticks (`time_to_check`: the
reminders look every few minutes) live in one process instead of being reset at each start.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from tadamon.extensions import db

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key: any constant the application uses for nothing else.
TICK_LOCK_KEY = 0x7ADA_0071


@contextmanager
def tick_lock() -> Iterator[bool]:
    """Holds the cluster-wide tick lock for the block; yields False (and holds nothing) when
    another process has it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        # Its own connection, outside the tasks' session: they commit and roll back at will,
        # and a session-level advisory lock outlives their transactions.
        with engine.connect() as connection:
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": TICK_LOCK_KEY}))
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": TICK_LOCK_KEY})
                    connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True  # a database only this process sees
        return
    with open(Path(database).with_name(Path(database).name + ".tick-lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tick_once() -> dict[str, int] | None:
    """One tick under the lock: what each task did, or None when another scheduler held it."""
    from tadamon.core.hooks import run_periodic

    with tick_lock() as taken:
        if not taken:
            return None
        return run_periodic()


def run(app: Flask, stop: threading.Event, report: Callable[[str], None] = log.info) -> None:
    """Ticks every TICK_EVERY_SECONDS until `stop` is set (SIGTERM, see cli.scheduler_command).

    A failing tick is reported and the loop goes on: the next tick retries what failed (each
    task is safe to run again), and one bad row must not stop phases moving for everyone.
    """
    every = max(1, int(app.config["TICK_EVERY_SECONDS"]))
    while not stop.is_set():
        with app.app_context():
            try:
                done = tick_once()
            except Exception:
                log.exception("the periodic work failed; retrying at the next tick")
                db.session.rollback()
            else:
                if done is None:
                    report("tick skipped: another scheduler holds the lock")
                else:
                    report("tick: " + ", ".join(f"{task.rsplit('.', 1)[-1]}={count}" for task, count in done.items()))
            finally:
                db.session.remove()
        stop.wait(every)
