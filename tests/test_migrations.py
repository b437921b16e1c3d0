"""Migrations build exactly the models' schema, and each one goes up and down with data in it.

`test_each_migration_keeps_the_rows_up_and_down` runs once per Alembic revision (SecureDrop's
`test_alembic.py` idea): at the revision's parent, one representative row goes into every
table that exists then; the revision is applied and the rows must all still be there with
the values they were written with; a row then goes into every table the revision created,
the revision is reverted, and the first rows must again be there, unchanged.

The rows are written with raw SQL from the schema as the database reports it at that point
(never from today's models): a value of the column's type, the first value its CHECK
constraint allows, and for a foreign key the row just written in the table it points to.
A migration that drops a table or a column on purpose names it in `LOST_ON_UPGRADE`.

One database walks the revisions in order (a fresh one per revision would cost 1-4 s each);
a revision run on its own first moves that database to its parent.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, MetaData, Table, inspect, text
from sqlalchemy import types as sqltypes

from tadamon.extensions import db
from tests import support

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

# revision id -> {"table"} or {"table.column"} that revision's upgrade drops on purpose.
LOST_ON_UPGRADE: dict[str, set[str]] = {}


def _revisions() -> list[Script]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))


REVISIONS = _revisions()


def _fresh_app(tmp_path: Path) -> Iterator[Flask]:
    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        with support.postgres_schema(postgres, f"tadamon_migrations_{secrets.token_hex(4)}") as url:
            app = support.make_test_app(url)
            yield app
            with app.app_context():
                db.engine.dispose()
    else:
        app = support.make_test_app(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    yield from _fresh_app(tmp_path)


def _differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_models_equal_upgrade_head(fresh_app):
    with fresh_app.app_context():
        upgrade()
        assert _differences() == []


def test_the_revisions_form_one_line_from_base_to_head():
    assert REVISIONS[0].down_revision is None
    for parent, child in zip(REVISIONS, REVISIONS[1:], strict=False):
        assert child.down_revision == parent.revision
    assert REVISIONS[-1].is_head


# --- one revision at a time, with rows ------------------------------------------------------


class Walk:
    """One database moved from revision to revision; remembers where it stands."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.at: str | None = None  # None: base, an empty database

    def move_to(self, revision: str | None) -> None:
        if revision == self.at:
            return
        order = [None] + [script.revision for script in REVISIONS]
        if order.index(revision) > order.index(self.at):
            upgrade(revision=revision)
        else:
            downgrade(revision=revision or "base")
        self.at = revision


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    for app in _fresh_app(tmp_path_factory.mktemp("migrations-walk")):
        with app.app_context():
            yield Walk(app)


_tags = count(1)
_BASE_TIME = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _tables(connection: Connection) -> dict[str, Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return {name: table for name, table in metadata.tables.items() if name != "alembic_version"}


def _allowed_values(connection: Connection, table: str, columns: set[str]) -> dict[str, Any]:
    """The first value each CHECK constraint lists for its column (`kind IN ('a', 'b')`, or
    PostgreSQL's `(kind)::text = ANY (ARRAY['a'::character varying, ...])`); 1 for a column
    a CHECK compares with numbers."""
    allowed: dict[str, Any] = {}
    for check in inspect(connection).get_check_constraints(table):
        sql = check["sqltext"]
        quoted = re.findall(r"'([^']*)'", sql)
        names = [word for word in re.findall(r"[A-Za-z_]\w*", re.sub(r"'[^']*'", "", sql)) if word in columns]
        if quoted and names:
            allowed.setdefault(names[0], quoted[0])
        elif names:  # a range (`depth >= 0 AND depth <= 2`, `capacity > 0`): 1 is inside
            for name in names:
                allowed.setdefault(name, 1)
    return allowed


def _value(
    table: Table, column: Any, tag: int, allowed: dict[str, Any], written: dict[str, dict[str, Any]],
    sqlite: bool,
) -> Any:
    for key in column.foreign_keys:
        target = key.column.table.name
        if target in written and target != table.name:
            return written[target][key.column.name]
        return None if column.nullable else pytest.fail(f"{table.name}.{column.name}: no row to point at")
    kind = column.type
    if column.name in allowed and (allowed[column.name] != 1 or isinstance(kind, sqltypes.Integer)):
        return allowed[column.name]
    if isinstance(kind, sqltypes.Boolean):
        return True
    if isinstance(kind, sqltypes.Integer):
        return 1000 + tag  # distinct per row, for unique constraints

    if isinstance(kind, sqltypes.DateTime):
        moment = _BASE_TIME + timedelta(days=1 if column.name.startswith("end") else 0, minutes=tag)
        # SQLite keeps the text it is given: the format SQLAlchemy writes; PostgreSQL parses.
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment.isoformat(" ")
    if isinstance(kind, sqltypes.Date):
        return (_BASE_TIME.date() + timedelta(days=tag)).isoformat()
    if isinstance(kind, sqltypes.Numeric | sqltypes.Float):
        return 1.5
    if isinstance(kind, sqltypes.String):  # Text included
        length = getattr(kind, "length", None) or 200
        return f"{tag}-{column.name}"[:length]
    if isinstance(kind, sqltypes.LargeBinary | sqltypes.BLOB):  # BYTEA on PostgreSQL is a LargeBinary
        return f"{tag}-{column.name}\x00".encode()
    return pytest.fail(f"{table.name}.{column.name}: no sample value for {kind!r}")


def insert_rows(connection: Connection, only: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """One row in every table (or in `only`), parents first; returns what was written."""
    tag = next(_tags)
    quote = connection.dialect.identifier_preparer.quote
    written: dict[str, dict[str, Any]] = {}
    tables = _tables(connection)
    sqlite = connection.dialect.name == "sqlite"
    for table in _parents_first(tables):
        columns = {column.name for column in table.columns}
        allowed = _allowed_values(connection, table.name, columns)
        row = {c.name: _value(table, c, tag, allowed, written, sqlite) for c in table.columns}
        written[table.name] = row
        if only is not None and table.name not in only:
            # Not written, but a parent for the tables that are: point at an existing row.
            existing = connection.execute(text(f"SELECT * FROM {quote(table.name)} LIMIT 1")).mappings().first()
            if existing is None:
                del written[table.name]
            else:
                written[table.name] = dict(existing)
            continue
        names = ", ".join(quote(name) for name in row)
        placeholders = ", ".join(f":p{index}" for index in range(len(row)))
        connection.execute(
            text(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({placeholders})"),
            {f"p{index}": value for index, value in enumerate(row.values())},
        )
    return {name: row for name, row in written.items() if only is None or name in only}


def _parents_first(tables: dict[str, Table]) -> list[Table]:
    """Tables ordered so that every required foreign key points at a table already written;
    a nullable one pointing further on (or at its own table) is left empty."""
    ordered: list[Table] = []
    remaining = dict(tables)

    def ready(table: Table, *, strict: bool) -> bool:
        done = {written.name for written in ordered} | {table.name}
        return all(
            key.column.table.name in done or (not strict and key.parent.nullable)
            for key in table.foreign_keys
        )

    while remaining:
        candidates = sorted(remaining.values(), key=lambda t: t.name)
        chosen = [t for t in candidates if ready(t, strict=True)] or [
            t for t in candidates if ready(t, strict=False)
        ]
        assert chosen, f"required foreign keys form a cycle: {sorted(remaining)}"
        ordered.append(chosen[0])
        del remaining[chosen[0].name]
    return ordered


def assert_rows_kept(connection: Connection, rows: dict[str, dict[str, Any]], lost: set[str] = frozenset()) -> None:
    quote = connection.dialect.identifier_preparer.quote
    tables = _tables(connection)
    for name, row in rows.items():
        if name in lost:
            continue
        assert name in tables, f"table {name} disappeared with its rows"
        present = {column.name for column in tables[name].columns}
        kept = {column: value for column, value in row.items() if f"{name}.{column}" not in lost}
        missing = set(kept) - present
        assert not missing, f"{name} lost the columns {sorted(missing)}"
        conditions = " AND ".join(
            f"{quote(column)} IS NULL" if value is None else f"{quote(column)} = :p{index}"
            for index, (column, value) in enumerate(kept.items())
        )
        parameters = {f"p{index}": value for index, value in enumerate(kept.values())}
        found = connection.execute(text(f"SELECT count(*) FROM {quote(name)} WHERE {conditions}"), parameters)
        assert found.scalar() == 1, f"the row written in {name} is gone or changed: {row}"


@pytest.mark.xdist_group("migrations")
@pytest.mark.parametrize("script", REVISIONS, ids=[script.revision for script in REVISIONS])
def test_each_migration_keeps_the_rows_up_and_down(walk, script):
    walk.move_to(script.down_revision)
    with db.engine.begin() as connection:
        before = set(_tables(connection))
        rows = insert_rows(connection)
    lost = LOST_ON_UPGRADE.get(script.revision, set())

    walk.move_to(script.revision)
    with db.engine.begin() as connection:
        assert_rows_kept(connection, rows, lost)
        created = set(_tables(connection)) - before
        new_rows = insert_rows(connection, only=created) if created else {}
        assert set(new_rows) == created
        assert_rows_kept(connection, new_rows)

    walk.move_to(script.down_revision)
    with db.engine.begin() as connection:
        assert set(_tables(connection)) == before, "the downgrade does not restore the parent's tables"
        assert_rows_kept(connection, {name: row for name, row in rows.items() if name not in lost})


def test_the_last_downgrade_leaves_an_empty_database_and_head_rebuilds(walk):
    walk.move_to(REVISIONS[-1].revision)
    walk.move_to(None)
    assert inspect(db.engine).get_table_names() in ([], ["alembic_version"])
    walk.move_to(REVISIONS[-1].revision)
    assert _differences() == []


def test_audit_log_refuses_update_and_delete_in_the_database(fresh_app):
    with fresh_app.app_context():
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO audit_entries (occurred_at, actor_label, action, object_type, "
                "object_label) VALUES (CURRENT_TIMESTAMP, 'a', 'x.y', 'user', '')"
            )
        )
        db.session.commit()
        for statement in ("UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.execute(text("SELECT action FROM audit_entries")).scalar() == "x.y"
