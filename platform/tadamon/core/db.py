"""The declarative base, its constraint naming convention, and column types shared by models."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Enum, MetaData, event, exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

# Named constraints let migrations drop and alter them on every database alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, UTC-aware: every stored timestamp is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type and hands back naive values; PostgreSQL's
    `timestamptz` keeps the zone. This type makes both behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def string_enum(enum: type[PyEnum], length: int) -> Enum:
    """A state column typed as `enum` in Python and stored as the plain VARCHAR(`length`) of
    its values: no native enum and no constraint of its own, so the schema stays the same
    (the table's named CheckConstraint keeps the database honest)."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                values_callable=enum_values)


def enum_values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with `escape="\\"`) matching `text` anywhere, its `%` and `_` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_words(column: Any, folded_words: str) -> list[ColumnElement[bool]]:
    """One condition per word: `column` contains each of the (already folded) words."""
    return [column.like(contains_pattern(word), escape="\\") for word in folded_words.split()]


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# Engine-wide listeners (every engine the process creates: the app's, tests', scripts').


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers and a writer work together, wait on locks."""
    # Looked up, not imported: a process on PostgreSQL never loads the SQLite driver (~1 MB of
    # every web worker, issue 18), and a connection can only be SQLite's once its driver is loaded.
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the driver, issue BEGIN: savepoints then work as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# A pooled PostgreSQL connection is pinged before use only when it sat unused this long: a
# connection the server closed meanwhile (a restart, an idle timeout) is then replaced before a
# request meets it. SQLAlchemy's `pool_pre_ping` pinged at every checkout, one more round trip
# for every request (a fifth of a logged-in page's, issue 18); a busy pool's connections are
# never idle that long. A server restart while connections are in use costs the requests that
# meet a dead connection an error, after which the pool is replaced whole (SQLAlchemy's
# disconnect handling).
IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "tadamon_checked_in"


@event.listens_for(Pool, "checkin")
def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_CHECKED_IN] = time.monotonic()
        if record.info.pop(BEGUN, None) == READING and dbapi_connection is not None:
            dbapi_connection.autocommit = False  # back to transactions for whoever checks it out next


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's documented pessimistic check, for idle connections only: a dead one raises
    DisconnectionError, on which the pool discards it and checks out another."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(dbapi_connection, psycopg.Connection):
        return
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is not None and time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except psycopg.Error as error:
        raise exc.DisconnectionError() from error
    finally:
        if dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
            dbapi_connection.rollback()  # the ping's own transaction, not the request's


# Set (by `writing()`) around work that writes during a read-only request: the periodic tick.
_writing: ContextVar[bool] = ContextVar("tadamon_writing", default=False)

# Requests of these methods only read (forms and state changes are POSTs): their transactions
# begin deferred on SQLite.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside write, even during a GET (see `_sqlite_begin`)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _in_read_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method in READ_METHODS


def reads_only() -> bool:
    """True while serving a read request (GET, HEAD, OPTIONS) outside `writing()`."""
    return not _writing.get() and _in_read_request()


BEGUN = "tadamon_begun"


READING = "reading"  # a PostgreSQL read request's statements, each on its own (see `_begin`)


@event.listens_for(Engine, "begin")
def _begin(connection: Any) -> None:
    if connection.dialect.name == "sqlite":
        _sqlite_begin(connection)
    elif connection.dialect.name == "postgresql":
        _postgresql_begin(connection)


def _postgresql_begin(connection: Any) -> None:
    """A read request's statements run outside a transaction block (the driver's autocommit):
    at PostgreSQL's READ COMMITTED, each statement of a transaction takes its own snapshot
    anyway, so a read sees the same data, and the request spares the BEGIN and ROLLBACK round
    trips (two of a logged-in page's five, issue 18). The first statement that is not a plain
    read (a write, a SAVEPOINT, SELECT … FOR UPDATE) turns transactions back on before it is
    sent (`_transaction_for_writes`): from there the request writes in one transaction, committed
    or rolled back as before."""
    dbapi_connection = connection.connection.dbapi_connection
    if reads_only() and not dbapi_connection.autocommit and _idle(dbapi_connection):
        dbapi_connection.autocommit = True
        connection.info[BEGUN] = READING
    else:
        connection.info[BEGUN] = "transaction"


def _idle(dbapi_connection: Any) -> bool:
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


# Statements a read request may send outside a transaction block: plain reads.
_PLAIN_READ = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _transaction_for_writes(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if connection.info.get(BEGUN) != READING:
        return
    if _PLAIN_READ.match(statement) and not _LOCKING.search(statement) and "set_config(" not in statement:
        return
    # The driver opens a transaction (BEGIN) before this statement; the reads before it are done.
    connection.connection.dbapi_connection.autocommit = False
    connection.info[BEGUN] = "write in a read request"


def _sqlite_begin(connection: Any) -> None:
    # A write transaction begins IMMEDIATE: it takes the write lock at the start, so it waits
    # (busy_timeout) for another writer instead of failing. A deferred transaction that later
    # writes gets SQLITE_BUSY at once when another writer is active (or committed since it
    # read), which would turn parallel requests into errors.
    # A read request's transaction begins deferred: it takes no lock, so readers never wait
    # for each other nor block a writer (WAL gives each reader its snapshot). Read requests
    # write only inside `writing()` (the periodic tick), which begins IMMEDIATE again.
    deferred = reads_only()
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
    connection.info[BEGUN] = "deferred" if deferred else "write in a read request" if _in_read_request() \
        else "immediate"


def begun_as() -> str | None:
    """How the session's current transaction began: on SQLite "deferred", "immediate" or "write
    in a read request" (see `_sqlite_begin`); on PostgreSQL "reading" until a read request's
    first write, then "write in a read request", else "transaction" (`_postgresql_begin`)."""
    from tadamon.extensions import db

    if not db.session().in_transaction():
        return None
    return db.session.connection().info.get(BEGUN)
