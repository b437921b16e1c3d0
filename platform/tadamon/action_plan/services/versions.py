"""The plan's versions: the working plan frozen for review, then published (immutable), or
sent back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, func, select, true, update

from tadamon.accounts.models import User
from tadamon.action_plan.models import Action, Decision, PlanVersion, VersionState
from tadamon.action_plan.services.actions import working_actions
from tadamon.action_plan.services.common import PlanError, iso
from tadamon.action_plan.services.snapshot import PlanDocument, build_snapshot, canonical
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import notify, register_kind
from tadamon.core.persistence import add_unless_duplicate, rows_changed
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_of

register_kind("plan.published", subject=_l("Version %(number)s of the action plan is published"),
              text=_l("Version %(number)s of the shared action plan is published: %(count)s actions."))


def versions() -> list[PlanVersion]:
    return list(db.session.scalars(select(PlanVersion).order_by(PlanVersion.number.desc())))


def version_in_review() -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.REVIEW))


def current_version() -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED)
                             .order_by(PlanVersion.number.desc()).limit(1))


@dataclass(frozen=True)
class PlanSummary:
    """The published plan at a glance (the home page's block)."""

    version_number: int
    published_at: datetime | None
    count: int  # live published actions
    average_progress: float  # their average progress, in percent
    leading: list[Row[Any]]  # the most advanced: id, title_ar, title_fr, title_en, progress


def plan_summary(leading: int) -> PlanSummary | None:
    """The current published version, its live actions' number and average progress, and the
    `leading` most advanced of them, in one query: the version outer-joined to the actions
    ranked with window aggregates (counted over all of them, before the limit). None before a
    version is published."""
    published = (Action.first_published_version.is_not(None), Action.removed_at.is_(None))
    ranked = (select(Action.id, Action.title_ar, Action.title_fr, Action.title_en, Action.progress,
                     func.count().over().label("total"), func.avg(Action.progress).over().label("average"))
              .where(*published).order_by(Action.progress.desc(), Action.id).limit(leading).subquery())
    version = (select(PlanVersion.number, PlanVersion.published_at).where(PlanVersion.state == VersionState.PUBLISHED)
               .order_by(PlanVersion.number.desc()).limit(1).subquery())
    rows = db.session.execute(select(version, ranked).select_from(version).outerjoin(ranked, true())
                              .order_by(ranked.c.progress.desc(), ranked.c.id)).all()
    if not rows:
        return None
    first = rows[0]
    actions = [row for row in rows if row.id is not None]
    return PlanSummary(version_number=first.number, published_at=first.published_at,
                       count=int(first.total or 0), average_progress=float(first.average or 0),
                       leading=actions)


def version_numbered(number: int) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.number == number))


def snapshot_of(version: PlanVersion) -> PlanDocument:
    """The document version N stores (what its page and every export of it show)."""
    document: PlanDocument = json.loads(version.snapshot)
    return document


def previous_published(version: PlanVersion) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED,
                                                       PlanVersion.number < version.number)
                             .order_by(PlanVersion.number.desc()).limit(1))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def submit_for_review(actor: User, note: str = "") -> PlanVersion:
    """Freezes the working plan as version N, for the steering group to review and publish.
    One version in review at a time; the number is unique in the database. Raises PlanError
    when a version is already in review or the plan is empty."""
    if version_in_review() is not None:
        raise PlanError(_l("A version is already in review: publish it or send it back first."))
    actions = working_actions()
    if not actions:
        raise PlanError(_l("The plan has no action yet."))
    number = (db.session.scalar(select(func.max(PlanVersion.number))) or 0) + 1
    text = canonical(build_snapshot(actions, version=number, state=VersionState.REVIEW.value))
    version = PlanVersion(number=number, snapshot=text, snapshot_hash=_fingerprint(text),
                          note=(note or "").strip(), created_by_id=actor.id)
    if not add_unless_duplicate(version):
        raise PlanError(_l("Another version was just prepared: reload the page."))
    audit.record("plan.version_submitted", "plan_version", number, object_label=f"v{number}",
                 after={"actions": len(actions), "hash": version.snapshot_hash}, actor=actor)
    return version


def _record_publication(actor: User, version: PlanVersion, ids: list[int], now: datetime) -> None:
    """Each of the version's actions (still existing) gets the decision on its trail, and
    remembers the first version that published it."""
    existing = set(db.session.scalars(select(Action.id).where(Action.id.in_(ids)))) if ids else set()
    for action_id in ids:
        if action_id in existing:
            db.session.add(Decision(action_id=action_id, kind="published", by_id=actor.id, at=now,
                                    detail=json.dumps({"version": version.number})))
    db.session.execute(update(Action).where(Action.id.in_(ids), Action.first_published_version.is_(None))
                       .values(first_published_version=version.number).execution_options(synchronize_session=False))


def publish_version(actor: User, version: PlanVersion) -> None:
    """Publishes a version in review: compare-and-set, then immutable. Its snapshot gets its
    publication date; each of its actions records the decision on its trail; every member
    organisation's representatives are told (the plan is the whole network's)."""
    if version.state != VersionState.REVIEW:
        raise PlanError(_l("Only a version in review can be published."))
    now = utcnow()
    snapshot = snapshot_of(version)
    snapshot["state"], snapshot["published_at"] = VersionState.PUBLISHED.value, iso(now)
    text = canonical(snapshot)
    changed = rows_changed(
        update(PlanVersion).where(PlanVersion.id == version.id, PlanVersion.state == VersionState.REVIEW)
        .values(state=VersionState.PUBLISHED, published_at=now, published_by_id=actor.id, snapshot=text,
                snapshot_hash=_fingerprint(text))
        .execution_options(synchronize_session=False))
    if changed != 1:
        raise PlanError(_l("Only a version in review can be published."))
    db.session.expire(version)
    ids = [int(a["id"].split("-")[1]) for a in snapshot["actions"]]
    _record_publication(actor, version, ids, now)
    audit.record("plan.version_published", "plan_version", version.number, object_label=f"v{version.number}",
                 after={"actions": len(ids)}, actor=actor)
    notify(representatives_of(None), "plan.published", link=external_url("action_plan.plan"), number=version.number, count=len(ids))


def publication_audience() -> int:
    """How many people `publish_version` tells: every member organisation's representatives."""
    return len(representatives_of(None))


def discard_review(actor: User, version: PlanVersion) -> None:
    """Sends the version in review back: it is deleted, the working plan is unchanged."""
    if version.state != VersionState.REVIEW:
        raise PlanError(_l("Only a version in review can be sent back."))
    number = version.number
    db.session.delete(version)
    db.session.flush()
    audit.record("plan.version_discarded", "plan_version", number, object_label=f"v{number}", actor=actor)
