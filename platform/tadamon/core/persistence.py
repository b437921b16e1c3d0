"""Writes where the database decides: insert-or-nothing against a unique constraint, and
compare-and-set updates that say whether they won. Never a prior check."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
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
