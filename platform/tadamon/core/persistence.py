"""Writes where the database decides: insert-or-nothing against a unique constraint, and
compare-and-set updates that say whether they won. Never a prior check."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
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

    The rows are sent as one JSON parameter, read back as rows of the table's own types
    (`json_populate_recordset`), joined with the caller's CTE `source`: one row, or none, and
    then nothing is written. One text rather than an array per column: the driver adapted each
    array in Python, about as long as the rest of a ballot's statement. `placeholder` is (the
    name of a bind parameter holding a placeholder, the placeholder, an SQL expression over
    `source`): in every text column where a row holds the placeholder, it is replaced by the
    expression's value, one known only inside the statement (a ballot's receipt, see
    voting.services); the other columns are written as they are (a shorter statement, which
    the driver parses once and keeps, and no replace() per column for the server). The model's
    column defaults are filled as SQLAlchemy's insert() fills them. Returns the CTE's text and
    its parameters."""
    columns = _columns_to_insert(table, frozenset(rows[0]))
    values = [{column: row[column] if default is None else default.arg if default.is_scalar else default.arg(None)
               for column, default, _is_text in columns} for row in rows]
    expressions = []
    for column, _default, is_text in columns:
        value = f"{name}_row.{column}"
        if placeholder is not None and is_text and any(placeholder[1] in (row[column] or "") for row in values):
            value = f"replace({value}, :{placeholder[0]}, {placeholder[2]})"
        expressions.append(value)
    names = ", ".join(column for column, _default, _is_text in columns)
    parameter = f"{name}_rows"
    # Names from the model and the caller's code; the values are one bind parameter.
    return (f"{name} AS (\n    INSERT INTO {table.name} ({names})\n    SELECT {', '.join(expressions)}\n"  # noqa: S608
            f"    FROM {source}, json_populate_recordset(NULL::{table.name}, CAST(:{parameter} AS json)) "
            f"AS {name}_row\n)"), {parameter: json.dumps(values, ensure_ascii=False, default=_json_value)}


def _json_value(value: Any) -> str:
    """A timestamp in JSON: ISO 8601 with its offset (the columns are timestamptz; a naive one is
    refused, as `core.db.UTCDateTime` refuses it)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not written by insert_within")


@functools.lru_cache(maxsize=32)
def _columns_to_insert(table: Table, given: frozenset[str]) -> list[tuple[str, Any, bool]]:
    """`insert_within`'s columns: (name, the model's default when the rows do not give the
    column, whether it holds text); the database's own columns left out (the key, nullable
    columns, server defaults)."""
    columns = []
    for column in table.columns:
        default = column.default if isinstance(column.default, ColumnDefault) else None
        if column.name in given or default is not None:
            columns.append((column.name, None if column.name in given else default, isinstance(column.type, String)))
    return columns
