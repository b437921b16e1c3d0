"""Insert-or-nothing against a unique constraint: the database decides, never a prior check."""

from __future__ import annotations

from typing import Any

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
