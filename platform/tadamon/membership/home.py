"""The membership module's home-page blocks: the steering group's applications to decide, and
the invitations waiting for the person, in one query; the applications sent back for changes
come from the memberships the request loaded already."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Select, String, bindparam, select

from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.short_lists import ShortList, read_short_lists, short_lists_statement
from tadamon.core.times import format_date
from tadamon.membership.models import Invitation, MembershipState, Organisation
from tadamon.membership.permissions import can_review
from tadamon.membership.services import organisations_of

LIMIT = 5


@cache
def _statement(applications: bool) -> Select[Any]:
    """The organisations the person's blocks name, read in one query (`short_lists`), built once
    per kind of person: for the steering group, the applications to decide (`applications`; the
    detail is when each was submitted); the organisations of the invitations sent to the
    person's address (the detail is when each invitation expires)."""
    lists: dict[str, ShortList] = {}
    if applications:
        lists["applications"] = ShortList(
            select(Organisation.id.label("id"), Organisation.submitted_at.label("detail"))
            .where(Organisation.state == MembershipState.SUBMITTED),
            (Organisation.submitted_at, Organisation.id), LIMIT)
    lists["invitations"] = ShortList(
        select(Organisation.id.label("id"), Invitation.expires_at.label("detail"))
        .join(Invitation, Invitation.organisation_id == Organisation.id)
        .where(Invitation.email == bindparam("email", type_=String), Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > bindparam("now")),
        (Invitation.id,), LIMIT)
    return short_lists_statement(Organisation, lists)


def applications_to_decide(rows: list[tuple[Organisation, datetime | None]]) -> HomeSection | None:
    if not rows:
        return None
    items = [HomeItem(o.display_name, url_for("membership.review_application", organisation_id=o.id),
                      _("Submitted on %(date)s", date=format_date(submitted_at)) if submitted_at else "")
             for o, submitted_at in rows]
    return HomeSection("applications", _("Applications to decide"), items, attention=True, order=15,
                       more_url=url_for("membership.review_queue"), more_label=_("Every application"))


def invitations(rows: list[tuple[Organisation, datetime]]) -> HomeSection | None:
    """Invitations sent to the person's address: their link is in the e-mail only (its token is
    never stored), so the block says where to find it."""
    if not rows:
        return None
    items = [HomeItem(organisation.display_name, "",
                      _("Open the link in the e-mail we sent you before %(date)s.", date=format_date(expires_at)))
             for organisation, expires_at in rows]
    return HomeSection("invitations", _("Invitations to act for an organisation"), items, attention=True, order=5)


def changes_asked(actor: Actor) -> HomeSection | None:
    """The person's organisations whose application the steering group sent back for changes:
    read from the memberships the request loaded already (the layout's menu), no query."""
    if not actor.is_authenticated:
        return None
    rows = [o for o in organisations_of(actor.user) if o.state == MembershipState.CHANGES_REQUESTED][:LIMIT]
    if not rows:
        return None
    items = [HomeItem(o.display_name, url_for("membership.edit_application", organisation_id=o.id),
                      _("The steering group asks for changes before deciding.")) for o in rows]
    return HomeSection("changes-asked", _("Applications to complete"), items, attention=True, order=10)


def home_sections(actor: Actor) -> list[HomeSection]:
    """One query (the applications and the invitations together) for a logged-in person, and
    none for the rest."""
    found = read_short_lists(_statement(can_review(actor)), {"email": actor.user.email.lower(), "now": utcnow()}) \
        if actor.is_authenticated else {}
    sections = [applications_to_decide(found.get("applications", [])), invitations(found.get("invitations", [])),
                changes_asked(actor)]
    return [section for section in sections if section is not None]
