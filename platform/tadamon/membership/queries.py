"""Read-only questions about organisations and their people that other modules ask."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import (
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)


def representatives_of(organisation_ids: list[int] | None) -> list[User]:
    """The enabled representatives of these organisations (of every approved member when None)."""
    query = (select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
             .where(OrganisationMember.role == OrganisationRole.REPRESENTATIVE, User.is_enabled.is_(True)))
    if organisation_ids is None:
        query = query.join(Organisation, Organisation.id == OrganisationMember.organisation_id).where(
            Organisation.state == MembershipState.APPROVED)
    else:
        if not organisation_ids:
            return []
        query = query.where(OrganisationMember.organisation_id.in_(organisation_ids))
    return list(db.session.scalars(query.order_by(User.id)))


def representatives_by_organisation(organisation_ids: list[int]) -> dict[int, list[User]]:
    """The enabled representatives of each of these organisations: one query."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(OrganisationMember.organisation_id, User).join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id.in_(organisation_ids),
               OrganisationMember.role == OrganisationRole.REPRESENTATIVE, User.is_enabled.is_(True))
        .order_by(OrganisationMember.organisation_id, User.id)).all()
    found: dict[int, list[User]] = {}
    for organisation_id, user in rows:
        found.setdefault(organisation_id, []).append(user)
    return found


def people_of(organisation_ids: list[int]) -> list[User]:
    """Everyone enabled who acts for these organisations (what concerns an organisation's own
    proposal reaches whoever may act on it, not only its representatives)."""
    if not organisation_ids:
        return []
    return list(db.session.scalars(
        select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
        .where(OrganisationMember.organisation_id.in_(organisation_ids), User.is_enabled.is_(True))
        .order_by(User.id)))


def voters_for(organisation_ids: list[int]) -> dict[int, list[User]]:
    """Who may cast each organisation's ballot: its representatives, and its members too when
    it lets them vote (`members_may_vote`); enabled accounts only. One query."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(OrganisationMember.organisation_id, User)
        .join(User, User.id == OrganisationMember.user_id)
        .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
        .where(OrganisationMember.organisation_id.in_(organisation_ids), User.is_enabled.is_(True),
               (OrganisationMember.role == OrganisationRole.REPRESENTATIVE) | Organisation.members_may_vote.is_(True))
        .order_by(OrganisationMember.organisation_id, User.id)).all()
    found: dict[int, list[User]] = {}
    for organisation_id, user in rows:
        found.setdefault(organisation_id, []).append(user)
    return found
