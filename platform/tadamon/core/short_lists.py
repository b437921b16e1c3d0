"""Several short lists of the same kind of row in one query: the blocks of a page (the home
page's "your drafts" and "amendments to answer") each want a few rows, picked and ordered their
own way. Asked one by one they cost a query each; combined with UNION ALL they cost one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, literal, select, union_all
from sqlalchemy.orm import QueryableAttribute, lazyload

from tadamon.extensions import db


@dataclass(frozen=True)
class ShortList:
    """One list: `query` selects the rows' ids labelled "id" and one column labelled "detail"
    (what the block shows beside each row: a count, a date, a status; the same type in every
    list of a call, NULL cast to it where a list has none), with its filters, joins and grouping
    but no order; `order_by` and `limit` choose its first rows."""

    query: Select[int, Any]
    order_by: Sequence[ColumnElement[Any] | QueryableAttribute[Any]]
    limit: int


def short_lists_statement(entity: Any, lists: Mapping[str, ShortList]) -> Select[Any]:
    """The one query reading every list's first rows: each list ordered and limited in a
    subquery of its own (SQLite refuses a LIMIT on a UNION's branch), ranked, combined with
    UNION ALL, and joined to `entity`. The rows' relationships are not loaded (`lazyload("*")`):
    blocks show the rows' own columns.

    Building it, and SQLAlchemy's cache key of a fresh one, costs more than running it (~0.7 ms
    against ~0.1 ms): a caller that reads the same lists on every request builds the statement
    once, with `bindparam`s for what changes (the organisation, the time), and passes the values
    to `read_short_lists`."""
    parts = []
    for name, wanted in lists.items():
        ranked = (wanted.query.add_columns(literal(name, String).label("list_name"),
                                           func.row_number().over(order_by=list(wanted.order_by)).label("list_rank"))
                  .order_by(*wanted.order_by).limit(wanted.limit).subquery())
        parts.append(select(ranked.c.id, ranked.c.detail, ranked.c.list_name, ranked.c.list_rank))
    combined = union_all(*parts).subquery()
    return (select(entity, combined.c.detail, combined.c.list_name).join(combined, combined.c.id == entity.id)
            .order_by(combined.c.list_name, combined.c.list_rank).options(lazyload("*")))


def read_short_lists(statement: Select[Any] | None, params: Mapping[str, Any] | None = None,
                     ) -> dict[str, list[tuple[Any, Any]]]:
    """Each list's first rows, in its order, as (row, detail) pairs by list name (a list with no
    rows is absent): one query for all the lists, whatever their number and the data's size.
    No statement (no list to read): no query."""
    found: dict[str, list[tuple[Any, Any]]] = {}
    if statement is None:
        return found
    for row, detail, name in db.session.execute(statement, dict(params or {})).all():
        found.setdefault(name, []).append((row, detail))
    return found


def short_lists(entity: Any, lists: Mapping[str, ShortList]) -> dict[str, list[tuple[Any, Any]]]:
    """`read_short_lists` of a statement built for this call (lists read once)."""
    return read_short_lists(short_lists_statement(entity, lists) if lists else None)
