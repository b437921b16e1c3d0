"""Writes where the database decides: insert-or-nothing against a unique constraint, and
compare-and-set updates that say whether they won. Never a prior check."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnDefault, CursorResult, Executable, String, Table
from sqlalchemy.exc import IntegrityError

from tadamon.extensions import db


def add_unless_duplicate(row: Any) -> bool:
    """Inserts `row` in a savepoint; False (and the row forgotten) if a unique key already
    holds it, for example when a parallel request inserted the same thing first."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def rows_changed(statement: Executable) -> int:
    """Runs a compare-and-set UPDATE and tells how many rows it changed (0: someone was first)."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def insert_within(name: str, table: Table, rows: Sequence[dict[str, Any]], *, source: str,
                  placeholder: tuple[str, str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """`rows` for `table` as a data-modifying CTE named `name`, for a PostgreSQL statement of
    the caller's: written by that statement, without a round trip of their own.

    The rows are sent as one array per column (`unnest`), joined with the caller's CTE
    `source`: one row, or none, and then nothing is written. `placeholder` is (the name of a
    bind parameter holding a placeholder, the placeholder, an SQL expression over `source`):
    in every text column where a row holds the placeholder, it is replaced by the expression's
    value, one known only inside the statement (a ballot's receipt, see voting.services); the
    other columns are written as they are (a shorter statement, which the driver parses once
    and keeps, and no replace() per column for the server). The model's column defaults are
    filled as SQLAlchemy's insert() fills them. Returns the CTE's text and its parameters."""
    names: list[str] = []
    expressions: list[str] = []
    arrays: list[str] = []
    parameters: dict[str, Any] = {}
    for column, array_type, default, is_text in _columns_to_insert(table, frozenset(rows[0])):
        if default is None:
            values = [row[column] for row in rows]
        else:
            values = [default.arg if default.is_scalar else default.arg(None) for _ in rows]
        parameter = f"{name}_{len(names)}"
        parameters[parameter] = values
        arrays.append(f"CAST(:{parameter} AS {array_type})")
        names.append(column)
        value = f"{name}_row.{column}"
        if placeholder is not None and is_text and any(placeholder[1] in (text or "") for text in values):
            value = f"replace({value}, :{placeholder[0]}, {placeholder[2]})"
        expressions.append(value)
    columns = ", ".join(names)
    # Names from the model and the caller's code; every value is a bind parameter.
    return (f"{name} AS (\n    INSERT INTO {table.name} ({columns})\n    SELECT {', '.join(expressions)}\n"  # noqa: S608
            f"    FROM {source}, unnest({', '.join(arrays)}) AS {name}_row({columns})\n)"), parameters


@functools.lru_cache(maxsize=32)
def _columns_to_insert(table: Table, given: frozenset[str]) -> list[tuple[str, str, Any, bool]]:
    """`insert_within`'s columns: (name, PostgreSQL array type, the model's default when the rows
    do not give the column, whether it holds text); the database's own columns left out (the
    key, nullable columns, server defaults)."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    columns = []
    for column in table.columns:
        default = column.default if isinstance(column.default, ColumnDefault) else None
        if column.name in given or default is not None:
            columns.append((column.name, f"{column.type.compile(dialect=dialect)}[]",
                            None if column.name in given else default, isinstance(column.type, String)))
    return columns
