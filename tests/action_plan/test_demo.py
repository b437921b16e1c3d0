"""The demo's plan: version 1 published from the demo votes, a working draft that has moved on,
and winning proposals left on the board for a visitor to turn into an action."""

from __future__ import annotations

from sqlalchemy import select

from tadamon import demo
from tadamon.action_plan import services
from tadamon.action_plan.models import Commitment, ProgressUpdate, SetAside
from tadamon.extensions import db


def test_the_demo_has_a_published_version_and_a_draft_that_moved_on(app):
    demo.build(scale=1)
    db.session.flush()
    versions = services.versions()
    assert [(v.number, v.state) for v in versions] == [(1, "published")]
    published = services.snapshot_of(versions[0])
    changes = services.diff(published, services.build_snapshot())
    assert changes.added and changes.changed and not changes.removed
    assert all(set(a["title"].values()) != {""} for a in published["actions"])
    assert db.session.scalars(select(ProgressUpdate)).first() is not None
    assert db.session.scalars(select(Commitment).where(Commitment.state == "volunteered")).first() is not None
    assert db.session.scalars(select(SetAside)).first() is not None
    untouched = [group for group in services.candidate_board()
                 if sum(1 for c in group.candidates if not c.actions and not c.set_aside) >= 2]
    assert untouched, "a consultation's winners are left for the visitor's own action"
