"""The home page's plan block: the version, the live published actions' count and average
progress, and the most advanced ones, read in one query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from tadamon import demo
from tadamon.action_plan.models import Action, PlanVersion, VersionState
from tadamon.action_plan.services import plan_summary
from tadamon.extensions import db

pytestmark = pytest.mark.xdist_group("demo")


def test_the_summary_counts_every_published_action_and_lists_the_leading_ones(app):
    demo.build(scale=1)
    db.session.commit()
    published = (Action.first_published_version.is_not(None), Action.removed_at.is_(None))
    live = db.session.scalars(select(Action).where(*published)).all()
    assert len(live) > 1, "the demo publishes more actions than the block lists"
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        summary = plan_summary(1)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert summary is not None
    version = db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED)
                                .order_by(PlanVersion.number.desc()).limit(1))
    assert summary.version_number == version.number
    assert summary.count == len(live)  # all of them, not the one listed
    assert summary.average_progress == pytest.approx(sum(a.progress for a in live) / len(live))
    leading = sorted(live, key=lambda a: (-a.progress, a.id))[:1]
    assert [(row.id, row.progress, row.title_fr) for row in summary.leading] == \
        [(a.id, a.progress, a.title_fr) for a in leading]


def test_no_summary_before_a_version_is_published(app):
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 0
    assert plan_summary(3) is None
