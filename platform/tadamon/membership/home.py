"""The membership module's home-page blocks: the steering group's applications to decide, and
the invitations waiting for the person. One query each; the applications sent back for changes
come from the memberships the request loaded already."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.times import format_date
from tadamon.extensions import db
from tadamon.membership.models import Invitation, MembershipState, Organisation
from tadamon.membership.permissions import can_review
from tadamon.membership.services import organisations_of

LIMIT = 5


def applications_to_decide(actor: Actor) -> HomeSection | None:
    if not can_review(actor):
        return None
    rows = db.session.scalars(select(Organisation).where(Organisation.state == MembershipState.SUBMITTED)
                              .order_by(Organisation.submitted_at, Organisation.id).options(lazyload("*"))
                              .limit(LIMIT)).all()
    if not rows:
        return None
    items = [HomeItem(o.display_name, url_for("membership.review_application", organisation_id=o.id),
                      _("Submitted on %(date)s", date=format_date(o.submitted_at)) if o.submitted_at else "")
             for o in rows]
    return HomeSection("applications", _("Applications to decide"), items, attention=True, order=15,
                       more_url=url_for("membership.review_queue"), more_label=_("Every application"))


def invitations(actor: Actor) -> HomeSection | None:
    """Invitations sent to the person's address: their link is in the e-mail only (its token is
    never stored), so the block says where to find it."""
    if not actor.is_authenticated:
        return None
    rows = db.session.scalars(select(Invitation).where(
        Invitation.email == actor.user.email.lower(), Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())
        .options(joinedload(Invitation.organisation)).order_by(Invitation.id).limit(LIMIT)).all()
    if not rows:
        return None
    items = [HomeItem(invitation.organisation.display_name, "",
                      _("Open the link in the e-mail we sent you before %(date)s.",
                        date=format_date(invitation.expires_at))) for invitation in rows]
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
    sections = [applications_to_decide(actor), invitations(actor), changes_asked(actor)]
    return [section for section in sections if section is not None]
