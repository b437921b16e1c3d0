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


def short_lists(entity: Any, lists: Mapping[str, ShortList]) -> dict[str, list[tuple[Any, Any]]]:
    """Each list's first rows, in its order, as (row of `entity`, detail) pairs: one query for
    all the lists, whatever their number and the data's size. The rows' relationships are not
    loaded (`lazyload("*")`): blocks show the rows' own columns."""
    found: dict[str, list[tuple[Any, Any]]] = {name: [] for name in lists}
    if not lists:
        return found
    parts = []
    for name, wanted in lists.items():
        ranked = (wanted.query.add_columns(literal(name, String).label("list_name"),
                                           func.row_number().over(order_by=list(wanted.order_by)).label("list_rank"))
                  .order_by(*wanted.order_by).limit(wanted.limit).subquery())
        # Each list's LIMIT inside a subquery of its own: SQLite refuses one on a UNION's branch.
        parts.append(select(ranked.c.id, ranked.c.detail, ranked.c.list_name, ranked.c.list_rank))
    combined = union_all(*parts).subquery()
    rows = db.session.execute(
        select(entity, combined.c.detail, combined.c.list_name).join(combined, combined.c.id == entity.id)
        .order_by(combined.c.list_name, combined.c.list_rank).options(lazyload("*"))).all()
    for row, detail, name in rows:
        found[name].append((row, detail))
    return found
