"""The people who act for an organisation: invitations, roles, removal, hand-over."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from tadamon.accounts.models import User, token_digest
from tadamon.core import audit
from tadamon.core.bidi import isolate
from tadamon.core.db import utcnow
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.mail import send_email
from tadamon.core.persistence import add_unless_duplicate, rows_changed
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    Invitation,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.membership.services.errors import MembershipError
from tadamon.membership.services.memberships import forget_cached_memberships, membership_of

INVITATION_LIFETIME = timedelta(days=7)


def people_of(organisation: Organisation) -> list[OrganisationMember]:
    return list(
        db.session.scalars(
            select(OrganisationMember).where(OrganisationMember.organisation_id == organisation.id)
            .order_by(OrganisationMember.role.desc(), OrganisationMember.joined_at)
        )
    )


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation).where(
                Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow(),
            ).order_by(Invitation.created_at.desc())
        )
    )


def invite(organisation: Organisation, inviter: User, *, email: str, role: str, language: str) -> Invitation:
    """Emails a single-use invitation, valid seven days, even to someone without an account."""
    email = email.strip().lower()
    chosen = _role(role)
    already = db.session.scalar(
        select(OrganisationMember.id).join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation.id, User.email == email)
    )
    if already is not None:
        raise MembershipError(_l("This person already acts for the organisation."), field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation_id=organisation.id, email=email, role=chosen, token_hash=token_digest(token),
        invited_by_id=inviter.id, expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    send_email(
        email, "invitation", language=language,
        subject=_l("%(name)s invites you to act for %(organisation)s on Tadamon",
                   name=isolate(inviter.display_name),
                   organisation=isolate(pick_text(texts_of(organisation, "name"), language).text)),
        inviter=inviter, organisation=organisation,
        link=external_url("membership.accept_invitation", token=token),
        days=INVITATION_LIFETIME.days,
    )
    return invitation


def find_invitation(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token)))
    if invitation is None or invitation.revoked_at is not None:
        raise MembershipError(_l("This invitation is not valid. Ask the organisation's representative for a new one."))
    if invitation.accepted_at is not None:
        raise MembershipError(_l("This invitation has already been used."))
    if invitation.expires_at < utcnow():
        raise MembershipError(_l("This invitation has expired. Ask the organisation's representative for a new one."))
    return invitation


def accept_invitation(token: str, user: User) -> Organisation:
    """Joins the organisation; of parallel acceptances exactly one succeeds."""
    invitation = find_invitation(token)
    claimed = rows_changed(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        raise MembershipError(_l("This invitation has already been used."))
    organisation = invitation.organisation
    if membership_of(user, organisation) is not None:
        raise MembershipError(_l("You already act for this organisation."))
    if not add_unless_duplicate(OrganisationMember(organisation_id=organisation.id, user_id=user.id,
                                                   role=invitation.role)):
        raise MembershipError(_l("You already act for this organisation."))
    audit.record("membership.person_joined", "organisation", organisation.id,
                 object_label=organisation.original_name,
                 after={"user": user.email, "role": invitation.role}, actor=user)
    forget_cached_memberships()
    return organisation


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    invitation.revoked_at = utcnow()


def _representatives_count(organisation: Organisation) -> int:
    # Lock the organisation: two representatives demoting each other at once must not
    # both see "there is another one".
    db.session.execute(select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())
    return db.session.scalar(
        select(func.count()).select_from(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation.id,
            OrganisationMember.role == OrganisationRole.REPRESENTATIVE,
        )
    ) or 0


def _role(value: str) -> OrganisationRole:
    try:
        return OrganisationRole(value)
    except ValueError:
        raise MembershipError(_l("Choose a role."), field="role") from None


def change_role(actor: User, membership: OrganisationMember, role: str) -> None:
    chosen = _role(role)
    if membership.role == chosen:
        return
    if membership.is_representative and _representatives_count(membership.organisation) <= 1:
        raise MembershipError(_l("An organisation always has at least one representative: name another one first."))
    before = membership.role
    membership.role = chosen
    db.session.flush()
    audit.record("membership.person_role_changed", "organisation", membership.organisation_id,
                 object_label=membership.organisation.original_name,
                 before={"user": membership.user.email, "role": before},
                 after={"user": membership.user.email, "role": role}, actor=actor)


def remove_person(actor: User, membership: OrganisationMember) -> None:
    if membership.is_representative and _representatives_count(membership.organisation) <= 1:
        raise MembershipError(_l("An organisation always has at least one representative: name another one first."))
    audit.record("membership.person_removed", "organisation", membership.organisation_id,
                 object_label=membership.organisation.original_name,
                 before={"user": membership.user.email, "role": membership.role}, actor=actor)
    db.session.delete(membership)
    db.session.flush()
    forget_cached_memberships()


def hand_over_representation(actor_membership: OrganisationMember, target: OrganisationMember) -> None:
    """The representative hands their role to a colleague and becomes a member."""
    if target.organisation_id != actor_membership.organisation_id:
        raise MembershipError(_l("Choose someone from the same organisation."))
    if target.id == actor_membership.id:
        return
    target.role = OrganisationRole.REPRESENTATIVE
    db.session.flush()
    actor_membership.role = OrganisationRole.MEMBER
    db.session.flush()
    audit.record("membership.representation_handed_over", "organisation", target.organisation_id,
                 object_label=target.organisation.original_name,
                 before={"representative": actor_membership.user.email},
                 after={"representative": target.user.email}, actor=actor_membership.user)


def hand_over_to(user: User, target: OrganisationMember) -> None:
    """`user`, a representative of `target`'s organisation, hands their role to `target`.

    Raises MembershipError when `user` does not represent that organisation.
    """
    mine = membership_of(user, target.organisation)
    if mine is None or not mine.is_representative:
        raise MembershipError(_l("Choose someone from the same organisation."))
    hand_over_representation(mine, target)
