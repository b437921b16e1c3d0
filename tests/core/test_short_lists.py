"""Several short lists of one kind of row in one query: each list keeps its own filter, order,
limit and detail column."""

from __future__ import annotations

from sqlalchemy import Integer, cast, event, func, null, select

from tadamon.core.short_lists import ShortList, short_lists
from tadamon.extensions import db
from tadamon.membership.models import MembershipState, Organisation


def test_each_list_keeps_its_order_limit_and_detail_in_one_query(app):
    names = ["Zeta", "Alpha", "Beta", "Atlas", "Gamma", "Azur"]
    rows = [Organisation(name_fr=name, region="CAS", state=MembershipState.APPROVED) for name in names]
    db.session.add_all(rows)
    db.session.flush()
    ours = [row.id for row in rows]
    mine = Organisation.id.in_(ours)
    lists = {
        # The organisations whose name starts with A, last name first, two of them.
        "a-names": ShortList(select(Organisation.id.label("id"), cast(null(), Integer).label("detail"))
                             .where(mine, Organisation.name_fr.like("A%")),
                             (Organisation.name_fr.desc(),), 2),
        # The first three by id, with the length of their name.
        "first": ShortList(select(Organisation.id.label("id"), func.length(Organisation.name_fr).label("detail"))
                           .where(mine), (Organisation.id,), 3),
        "none": ShortList(select(Organisation.id.label("id"), cast(null(), Integer).label("detail"))
                          .where(mine, Organisation.name_fr == "Nobody"), (Organisation.id,), 5),
    }
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = short_lists(Organisation, lists)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [(o.name_fr, detail) for o, detail in found["a-names"]] == [("Azur", None), ("Atlas", None)]
    assert [(o.name_fr, detail) for o, detail in found["first"]] == [("Zeta", 4), ("Alpha", 5), ("Beta", 4)]
    assert "none" not in found  # a list with no rows is absent
    assert len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 1
