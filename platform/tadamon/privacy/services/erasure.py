"""Erasure: a person deletes their account; an organisation that leaves has its personal data
erased. Neither breaks the record.

The account's row stays, emptied: the organisation's proposals, co-signatures and ballots, the
hash-chained ledger and the audit log keep pointing at it (deleting it would cascade, or leave
the ledger's ballots without their voter's row), and it reads "Former member" everywhere
(`User.display_name`). What identifies or reaches the person goes: the name, the address
(replaced by a unique address under the reserved `.invalid` domain, so the unique constraint
holds and nothing can ever be delivered or logged in with it), the password and second-factor
secrets, sessions, API tokens, e-mail links, notifications, preferences, e-mails queued or kept
in the outbox, invitations to the address, the person's links to organisations and data files.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from tadamon.accounts.models import AccountToken, RoleAssignment, User, UserSession
from tadamon.accounts.passwords import burn_verification_time, verify_password
from tadamon.accounts.services import InvalidCredentials, check_totp
from tadamon.api.models import ApiToken
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.mail import OutboxMessage
from tadamon.core.notifications import EmailDigest, Notification, NotificationPreference
from tadamon.core.stash import StashedSubmission
from tadamon.core.uploads import delete_after_commit
from tadamon.extensions import db
from tadamon.membership.models import (
    Invitation,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.privacy.models import DataRequest, RequestKind, RequestState
from tadamon.privacy.services.requests import PrivacyError, delete_export_file

ERASED_DOMAIN = "erased.invalid"
# Organisations that no longer need a representative: they left, or were never admitted.
CLOSED_STATES = frozenset({MembershipState.LEFT, MembershipState.REJECTED})


def organisations_left_without_representative(user: User) -> list[Organisation]:
    """The organisations `user` is the only representative of (and that still need one)."""
    represented = db.session.scalars(select(OrganisationMember).where(
        OrganisationMember.user_id == user.id, OrganisationMember.role == OrganisationRole.REPRESENTATIVE))
    alone = []
    for membership in represented:
        organisation = membership.organisation
        if organisation.membership_state in CLOSED_STATES:
            continue
        others = db.session.scalar(select(func.count()).select_from(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation.id,
            OrganisationMember.role == OrganisationRole.REPRESENTATIVE,
            OrganisationMember.user_id != user.id)) or 0
        if not others:
            alone.append(organisation)
    return alone


def erase_account(user: User, *, password: str, code: str = "", stash_tokens: Iterable[str] = ()) -> DataRequest:
    """Erases `user`'s personal data and closes the account, after their password (and a
    second-factor code when it is on).

    Raises InvalidCredentials or InvalidCode for a wrong password or code, PrivacyError when
    the person is the last representative of an organisation that still needs one. Side
    effects: the account is closed (log-in impossible), the changes listed in the module's
    docstring, an audit entry, a done `account_deletion` request in the register."""
    if not verify_password(user.password_hash, password or ""):
        burn_verification_time()
        raise InvalidCredentials(_l("This password is not right."), field="password")
    if user.two_factor_enabled:
        check_totp(user, code or "")
    alone = organisations_left_without_representative(user)
    if alone:
        raise PrivacyError(_l(
            "You are the only representative of %(names)s. Name another representative first, or ask "
            "for the organisation's erasure if it leaves the network.",
            names=", ".join(o.display_name for o in alone)))
    erase_person(user, stash_tokens=stash_tokens)
    now = utcnow()
    item = DataRequest(kind=RequestKind.ACCOUNT_DELETION, state=RequestState.DONE, user_id=user.id,
                       language=user.preferred_language, created_at=now, due_at=now, processed_at=now)
    db.session.add(item)
    db.session.flush()
    # After the erasure: the entry's actor label is already "Former member".
    audit.record("privacy.account_erased", "user", user.id, after={"request_id": item.id}, actor=user)
    return item


def erase_person(user: User, *, stash_tokens: Iterable[str] = ()) -> None:
    """The erasure itself (no checks): see the module's docstring."""
    old_email = user.email
    user.erased_at = utcnow()
    user.stored_name = ""
    user.email = f"erased-{user.id}-{secrets.token_hex(8)}@{ERASED_DOMAIN}"
    # Not a hash any password matches: the account can never be logged in to again.
    user.password_hash = "!erased"  # noqa: S105
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.is_enabled = False
    user.email_verified_at = None
    user.timezone = "Africa/Casablanca"
    for model in (UserSession, AccountToken, ApiToken, Notification, NotificationPreference, EmailDigest,
                  OrganisationMember, RoleAssignment):
        db.session.execute(delete(model).where(model.user_id == user.id)
                           .execution_options(synchronize_session=False))
    db.session.expire(user, ["role_assignments"])
    db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.recipient) == old_email.lower())
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Invitation).where(func.lower(Invitation.email) == old_email.lower())
                       .values(email="", revoked_at=func.coalesce(Invitation.revoked_at, utcnow()))
                       .execution_options(synchronize_session=False))
    tokens = [token for token in stash_tokens if token]
    if tokens:
        db.session.execute(delete(StashedSubmission).where(StashedSubmission.token.in_(tokens))
                           .execution_options(synchronize_session=False))
    for item in db.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id,
                                                            DataRequest.token.is_not(None))):
        delete_export_file(item)
        if item.request_state in (RequestState.READY, RequestState.PENDING, RequestState.RUNNING,
                                  RequestState.FAILED):
            item.state = RequestState.EXPIRED
    _forget_memberships()
    db.session.flush()


def _forget_memberships() -> None:
    from tadamon.membership.services import forget_cached_memberships

    forget_cached_memberships()


def erase_organisation(admin: User, organisation: Organisation) -> None:
    """An organisation leaving the network: its personal data goes (contacts, address,
    registration number, statutes, people's links, invitations, API tokens), its decisions stay
    (proposals, co-signatures, ballots, its name on them). It is marked as having left. Audited."""
    from tadamon.membership.services import statutes_key

    if organisation.can_move_to(MembershipState.LEFT):
        organisation.state = MembershipState.LEFT
    organisation.contact_email = ""
    organisation.contact_phone = ""
    organisation.address = ""
    organisation.registration_number = ""
    organisation.social_links = ""
    if organisation.statutes is not None:
        delete_after_commit(statutes_key(organisation.statutes))
        db.session.delete(organisation.statutes)
    for model in (OrganisationMember, Invitation, ApiToken):
        db.session.execute(delete(model).where(model.organisation_id == organisation.id)
                           .execution_options(synchronize_session=False))
    db.session.expire(organisation, ["people", "statutes"])
    _forget_memberships()
    audit.record("privacy.organisation_erased", "organisation", organisation.id,
                 object_label=organisation.original_name, actor=admin)
    db.session.flush()
