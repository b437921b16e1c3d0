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
