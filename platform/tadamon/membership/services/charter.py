"""The charter: drafts, principles, publication, and organisations adhering to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Integer, bindparam, func, or_, select
from sqlalchemy.orm import QueryableAttribute

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import notify, texts
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    Charter,
    CharterAdherence,
    CharterPrinciple,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.membership.services.errors import MembershipError


def current_charter() -> Charter | None:
    return db.session.scalar(
        select(Charter).where(Charter.published_at.is_not(None)).order_by(Charter.version.desc()).limit(1)
    )


def draft_charter() -> Charter | None:
    return db.session.scalar(select(Charter).where(Charter.published_at.is_(None)).limit(1))


def published_charter(version: int) -> Charter | None:
    """Version `version` of the charter, if it is published."""
    return db.session.scalar(
        select(Charter).where(Charter.version == version, Charter.published_at.is_not(None))
    )


def published_charters() -> list[Charter]:
    return list(
        db.session.scalars(
            select(Charter).where(Charter.published_at.is_not(None)).order_by(Charter.version.desc())
        )
    )


def start_charter_draft(actor: User) -> Charter:
    """A new draft version, starting from the current text. Only one draft at a time."""
    existing = draft_charter()
    if existing is not None:
        return existing
    current = current_charter()
    last_version = db.session.scalar(select(func.max(Charter.version))) or 0
    draft = Charter(version=last_version + 1)  # unique: a parallel draft loses, see below
    if current is not None:
        for name in ("title", "preamble"):
            for code in ("ar", "fr", "en"):
                setattr(draft, f"{name}_{code}", getattr(current, f"{name}_{code}"))
        for principle in current.principles:
            draft.principles.append(
                CharterPrinciple(
                    position=principle.position,
                    **{f"{name}_{code}": getattr(principle, f"{name}_{code}")
                       for name in ("title", "explanation") for code in ("ar", "fr", "en")},
                )
            )
    if not add_unless_duplicate(draft):
        raise MembershipError(_l("Someone started a new version meanwhile. Reload the page."))
    return draft


def _require_draft(charter: Charter) -> None:
    if charter.is_published:
        raise MembershipError(_l("A published version of the charter never changes: start a new draft."))


def update_charter_text(charter: Charter, texts: dict[str, str]) -> None:
    _require_draft(charter)
    for key, value in texts.items():
        setattr(charter, key, value.strip())


def save_principle(charter: Charter, principle: CharterPrinciple | None, texts: dict[str, str]) -> CharterPrinciple:
    _require_draft(charter)
    if not (texts.get("title_ar") or texts.get("title_fr") or texts.get("title_en")):
        raise MembershipError(_l("Give the principle a title in at least one language."), field="title_ar")
    if principle is None:
        position = max((p.position for p in charter.principles), default=0) + 1
        principle = CharterPrinciple(position=position)
        charter.principles.append(principle)
    for key, value in texts.items():
        setattr(principle, key, value.strip())
    db.session.flush()
    return principle


def remove_principle(charter: Charter, principle: CharterPrinciple) -> None:
    _require_draft(charter)
    charter.principles.remove(principle)
    db.session.flush()
    for position, remaining in enumerate(sorted(charter.principles, key=lambda p: p.position), 1):
        remaining.position = position


def move_principle(charter: Charter, principle: CharterPrinciple, offset: int) -> None:
    _require_draft(charter)
    ordered = sorted(charter.principles, key=lambda p: p.position)
    index = ordered.index(principle)
    target = index + offset
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    # Park positions out of the way first: (charter, position) is unique.
    for step, item in enumerate(ordered, 1):
        item.position = -step
    db.session.flush()
    for step, item in enumerate(ordered, 1):
        item.position = step
    db.session.flush()


def publish_charter(actor: User, charter: Charter) -> None:
    """Publishes the draft; organisations must re-adhere to take part in new consultations."""
    _require_draft(charter)
    if not charter.principles:
        raise MembershipError(_l("Add at least one principle before publishing the charter."))
    if not (charter.title_ar or charter.title_fr or charter.title_en):
        raise MembershipError(_l("Give the charter a title before publishing it."))
    charter.published_at = utcnow()
    charter.published_by_id = actor.id
    if has_request_context():
        g.pop("tadamon_adheres", None)  # the rest of the request asks about the new charter
    audit.record("charter.published", "charter", charter.id, object_label=f"v{charter.version}",
                 after={"version": charter.version, "principles": len(charter.principles)}, actor=actor)
    pairs = db.session.execute(
        select(User, Organisation).join(OrganisationMember, OrganisationMember.user_id == User.id)
        .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
        .where(OrganisationMember.role == OrganisationRole.REPRESENTATIVE,
               Organisation.state == MembershipState.APPROVED)
    ).all()
    for representative, organisation in pairs:
        notify([representative], "membership.charter_published", link=external_url("membership.charter"),
               version=charter.version, organisation=texts(organisation, "name"))


def adheres_to_current_charter(organisation: Organisation) -> bool:
    """Read once per request and organisation, in one query (the current charter with the
    organisation's adherence to it): a page asks several permissions that each check it.
    A page may instead read it within its own query (`current_charter_adherence`)."""
    cache = _adherence_cache()
    if organisation.id not in cache:
        adhered = select(CharterAdherence.id).where(CharterAdherence.charter_id == Charter.id,
                                                    CharterAdherence.organisation_id == organisation.id).exists()
        row = db.session.execute(select(Charter.id, adhered).where(Charter.published_at.is_not(None))
                                 .order_by(Charter.version.desc()).limit(1)).first()
        # No charter published yet: nothing to adhere to.
        cache[organisation.id] = row is None or bool(row[1])
    return bool(cache[organisation.id])


def current_charter_adherence(organisation_id: int | ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
    """`adheres_to_current_charter` as a column a page adds to the query that loads its subject
    (true when no charter is published yet), so that a member's page does not spend a query of
    its own on it; the page then hands the answer to `remember_adherence`. `organisation_id` may
    be a bound parameter (a statement built once)."""
    published = Charter.published_at.is_not(None)
    current = (select(Charter.id).where(published).order_by(Charter.version.desc()).limit(1)
               .correlate(None).scalar_subquery())
    adhered = select(CharterAdherence.id).where(CharterAdherence.charter_id == current,
                                                CharterAdherence.organisation_id == organisation_id).exists()
    return or_(~select(Charter.id).where(published).exists(), adhered)


def with_adherence(columns: list[Any]) -> list[Any]:
    """`columns` of a statement built once (`load_with_adherence`), with the adherence of the
    organisation bound as `organisation_id`. One shape for every reader (the parameter is NULL
    for a reader without an organisation, and the column then ignored): each shape is compiled
    and cached in every worker, and a proposal's page's weighed 2.3 MB there (issue 18)."""
    return [*columns, current_charter_adherence(bindparam("organisation_id", type_=Integer))]


def load_with_adherence(statement: Callable[[], Any], params: dict[str, Any],
                        organisation: Organisation | None) -> Any:
    """A page's subject from `statement()` (built with `with_adherence`), and the reader's
    organisation's adherence read in the same query and remembered for this request's
    permission checks; None when there is no such subject."""
    params = {**params, "organisation_id": organisation.id if organisation is not None else None}
    row = db.session.execute(statement(), params).unique().first()
    if row is None:
        return None
    if organisation is not None:
        remember_adherence(organisation.id, row[1])
    return row[0]


def remember_adherence(organisation_id: int, adheres: bool) -> None:
    """What a page read with `current_charter_adherence`, for this request's permission checks."""
    _adherence_cache()[organisation_id] = bool(adheres)


def _adherence_cache() -> dict[int, bool]:
    return g.setdefault("tadamon_adheres", {}) if has_request_context() else {}


def _adhered_charter_ids(organisation_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(CharterAdherence.charter_id).where(CharterAdherence.organisation_id == organisation_id)
        )
    )


def adhere_to_current_charter(organisation: Organisation, user: User) -> None:
    charter = current_charter()
    if charter is None:
        return
    if charter.id in _adhered_charter_ids(organisation.id):
        return
    # Adhered in a parallel request: the same outcome, nothing to do.
    add_unless_duplicate(CharterAdherence(organisation_id=organisation.id, charter_id=charter.id,
                                          adhered_by_id=user.id))
    if has_request_context():
        g.pop("tadamon_adheres", None)  # the rest of the request sees the adherence


def adherences(organisation: Organisation) -> list[CharterAdherence]:
    return list(
        db.session.scalars(
            select(CharterAdherence).where(CharterAdherence.organisation_id == organisation.id)
            .order_by(CharterAdherence.adhered_at.desc())
        )
    )
