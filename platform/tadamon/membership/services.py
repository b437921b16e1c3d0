"""Membership use-cases: the charter, applications and decisions, people and invitations.

Services check the rules, change the models and flush; the view commits. State changes
are compare-and-set updates, so two steering members deciding at once leave one outcome.
Each raises MembershipError (a DomainError) with a message for the person.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User, token_digest
from tadamon.accounts.queries import holders_of
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.mail import send_email
from tadamon.core.notifications import notify, register_kind
from tadamon.core.permissions import Role
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.text import normalize_for_search
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    EDITABLE_STATES,
    Charter,
    CharterAdherence,
    CharterPrinciple,
    FieldOfAction,
    Invitation,
    LegalForm,
    MembershipEvent,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
    StatutesDocument,
)
from tadamon.membership.regions import REGION_CODES

STATUTES_MAX_BYTES = 5 * 1024 * 1024
INVITATION_LIFETIME = timedelta(days=7)

register_kind(
    "membership.submitted",
    subject=_l("New membership application: %(organisation)s"),
    text=_l("%(organisation)s has submitted its application to join the network. It waits for the steering group's review."),
)
register_kind(
    "membership.approved",
    subject=_l("%(organisation)s is now a member of the network"),
    text=_l("The steering group approved the application of %(organisation)s. Welcome to the network!"),
)
register_kind(
    "membership.rejected",
    subject=_l("Application of %(organisation)s declined"),
    text=_l("The steering group declined the application of %(organisation)s. Reason: %(message)s"),
)
register_kind(
    "membership.changes_requested",
    subject=_l("Changes requested on the application of %(organisation)s"),
    text=_l("The steering group asks for changes to the application of %(organisation)s: %(message)s"),
)
register_kind(
    "membership.suspended",
    subject=_l("Membership of %(organisation)s suspended"),
    text=_l("The steering group suspended the membership of %(organisation)s. Reason: %(message)s"),
)
register_kind(
    "membership.reinstated",
    subject=_l("Membership of %(organisation)s restored"),
    text=_l("The steering group restored the membership of %(organisation)s."),
)
register_kind(
    "membership.left",
    subject=_l("%(organisation)s left the network"),
    text=_l("%(organisation)s has left the network."),
)
register_kind(
    "membership.charter_published",
    subject=_l("A new version of the charter is published"),
    text=_l("Version %(version)s of the network's charter is published. %(organisation)s must adhere to it to take part in new consultations."),
)


class MembershipError(DomainError):
    pass


class IncompleteApplication(MembershipError):
    """The application lacks something; `missing` lists what, as messages."""

    def __init__(self, missing: list[Any]) -> None:
        super().__init__(_l("Before submitting, please complete the application:"))
        self.missing = missing


# --- people and memberships ----------------------------------------------------------------


def _memberships_by_organisation(user: User) -> dict[int, OrganisationMember]:
    """All of `user`'s memberships, loaded once per request (permission checks reuse them)."""
    cache: dict[int, dict[int, OrganisationMember]] | None = (
        g.setdefault("tadamon_memberships", {}) if has_request_context() else None
    )
    if cache is not None and user.id in cache:
        return cache[user.id]
    rows = db.session.scalars(
        select(OrganisationMember).where(OrganisationMember.user_id == user.id)
    ).all()
    found = {row.organisation_id: row for row in rows}
    if cache is not None:
        cache[user.id] = found
    return found


def forget_cached_memberships() -> None:
    if has_request_context():
        g.pop("tadamon_memberships", None)


def membership_of(user: User, organisation: Organisation) -> OrganisationMember | None:
    return _memberships_by_organisation(user).get(organisation.id)


def organisations_of(user: User) -> list[Organisation]:
    memberships = _memberships_by_organisation(user)
    if not memberships:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(memberships)).order_by(Organisation.id)
        )
    )


def _people_to_notify(organisation: Organisation) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id == organisation.id)
        )
    )


# --- the charter ---------------------------------------------------------------------------


def current_charter() -> Charter | None:
    return db.session.scalar(
        select(Charter).where(Charter.published_at.is_not(None)).order_by(Charter.version.desc()).limit(1)
    )


def draft_charter() -> Charter | None:
    return db.session.scalar(select(Charter).where(Charter.published_at.is_(None)).limit(1))


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
    from tadamon.core.persistence import add_unless_duplicate

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
    audit.record("charter.published", "charter", charter.id, object_label=f"v{charter.version}",
                 after={"version": charter.version, "principles": len(charter.principles)}, actor=actor)
    pairs = db.session.execute(
        select(User, Organisation).join(OrganisationMember, OrganisationMember.user_id == User.id)
        .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
        .where(OrganisationMember.role == OrganisationRole.REPRESENTATIVE.value,
               Organisation.state == MembershipState.APPROVED.value)
    ).all()
    for representative, organisation in pairs:
        notify([representative], "membership.charter_published", link=external_url("membership.charter"),
               version=charter.version, organisation=organisation.display_name)


def adheres_to_current_charter(organisation: Organisation) -> bool:
    current_id = _current_charter_id()
    if current_id is None:
        return True  # no charter published yet: nothing to adhere to
    adhered = _adhered_charter_ids(organisation.id)
    return current_id in adhered


def _current_charter_id() -> int | None:
    cache = g.setdefault("tadamon_current_charter", {}) if has_request_context() else {}
    if "id" not in cache:
        cache["id"] = db.session.scalar(
            select(Charter.id).where(Charter.published_at.is_not(None))
            .order_by(Charter.version.desc()).limit(1)
        )
    return cache["id"]


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


def adherences(organisation: Organisation) -> list[CharterAdherence]:
    return list(
        db.session.scalars(
            select(CharterAdherence).where(CharterAdherence.organisation_id == organisation.id)
            .order_by(CharterAdherence.adhered_at.desc())
        )
    )


# --- fields of action ----------------------------------------------------------------------


def active_fields() -> list[FieldOfAction]:
    return list(db.session.scalars(select(FieldOfAction).where(FieldOfAction.is_active.is_(True))
                                   .order_by(FieldOfAction.id)))


def all_fields() -> list[FieldOfAction]:
    return list(db.session.scalars(select(FieldOfAction).order_by(FieldOfAction.id)))


def save_field(actor: User, field_of_action: FieldOfAction | None, names: dict[str, str], active: bool) -> FieldOfAction:
    if not any(value.strip() for value in names.values()):
        raise MembershipError(_l("Give the field a name in at least one language."), field="name_ar")
    if field_of_action is None:
        field_of_action = FieldOfAction()
        db.session.add(field_of_action)
    for key, value in names.items():
        setattr(field_of_action, key, value.strip())
    field_of_action.is_active = active
    db.session.flush()
    audit.record("field_of_action.saved", "field_of_action", field_of_action.id,
                 object_label=field_of_action.name_fr or field_of_action.name_ar,
                 after={**names, "active": active}, actor=actor)
    return field_of_action


# --- applications --------------------------------------------------------------------------


@dataclass
class ApplicationData:
    """What the application form holds; every field optional while it is a draft."""

    name_ar: str = ""
    name_fr: str = ""
    acronym: str = ""
    legal_form: str = LegalForm.ASSOCIATION.value
    registration_number: str = ""
    year_founded: int | None = None
    region: str = ""
    province: str = ""
    description_ar: str = ""
    description_fr: str = ""
    description_en: str = ""
    website: str = ""
    social_links: str = ""
    members_count: int | None = None
    volunteers_count: int | None = None
    staff_count: int | None = None
    contact_email: str = ""
    contact_phone: str = ""
    address: str = ""
    field_ids: list[int] = field(default_factory=list)


def start_application(user: User) -> Organisation:
    """A new draft application; the applicant becomes the organisation's representative."""
    organisation = Organisation(state=MembershipState.DRAFT.value, created_by_id=user.id)
    db.session.add(organisation)
    db.session.flush()
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=user.id,
                                      role=OrganisationRole.REPRESENTATIVE.value))
    db.session.add(MembershipEvent(organisation_id=organisation.id, from_state=None,
                                   to_state=MembershipState.DRAFT.value, actor_id=user.id))
    db.session.flush()
    forget_cached_memberships()
    return organisation


def update_application(organisation: Organisation, data: ApplicationData) -> None:
    if organisation.membership_state not in EDITABLE_STATES:
        raise MembershipError(_l("This application can no longer be changed."))
    if data.region and data.region not in REGION_CODES:
        raise MembershipError(_l("Choose one of Morocco's twelve regions."), field="region")
    for name, value in vars(data).items():
        if name == "field_ids":
            continue
        setattr(organisation, name, value.strip() if isinstance(value, str) else value)
    organisation.search_name = normalize_for_search(
        " ".join([organisation.name_ar, organisation.name_fr, organisation.acronym])
    )
    wanted = set(data.field_ids)
    organisation.fields = [f for f in active_fields() if f.id in wanted]
    db.session.flush()


def _statutes_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads" / "statutes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def looks_like_pdf(head: bytes, tail: bytes) -> bool:
    """A PDF by its content: the %PDF- header, and an end-of-file marker near the end."""
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


def attach_statutes(organisation: Organisation, upload: FileStorage, user: User) -> StatutesDocument:
    """Stores the statutes PDF (5 MB at most, checked by content) outside the static folder."""
    if organisation.membership_state not in EDITABLE_STATES:
        raise MembershipError(_l("This application can no longer be changed."))
    data = upload.stream.read(STATUTES_MAX_BYTES + 1)
    if len(data) > STATUTES_MAX_BYTES:
        raise MembershipError(_l("The statutes must be a PDF of at most 5 MB."), field="statutes")
    if not data or not looks_like_pdf(data[:1024], data[-2048:]):
        raise MembershipError(_l("This file is not a PDF. Please send the statutes as a PDF document."), field="statutes")
    stored_name = f"{secrets.token_hex(16)}.pdf"
    (_statutes_folder() / stored_name).write_bytes(data)
    previous = organisation.statutes
    if previous is not None:
        from tadamon.core.uploads import delete_after_commit

        delete_after_commit(_statutes_folder() / previous.stored_name)
        db.session.delete(previous)
        db.session.flush()
    document = StatutesDocument(
        organisation_id=organisation.id, stored_name=stored_name,
        original_filename=(upload.filename or "statutes.pdf")[-255:],
        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    db.session.refresh(organisation)
    return document


def statutes_path(document: StatutesDocument) -> Path:
    return _statutes_folder() / document.stored_name


def missing_for_submission(organisation: Organisation) -> list[Any]:
    """What the application still lacks before it can be submitted, as messages."""
    missing = []
    if not (organisation.name_ar or organisation.name_fr):
        missing.append(_l("the organisation's name, in Arabic or French"))
    if not organisation.region:
        missing.append(_l("the region"))
    if not organisation.province:
        missing.append(_l("the province or city"))
    if not (organisation.description_ar or organisation.description_fr or organisation.description_en):
        missing.append(_l("a description"))
    if not organisation.contact_email:
        missing.append(_l("a contact email address"))
    if organisation.statutes is None:
        missing.append(_l("the statutes (PDF)"))
    return missing


def _move(organisation: Organisation, target: MembershipState, actor: User, message: str = "") -> MembershipState:
    """Compare-and-set: moves the state only if nobody moved it meanwhile."""
    current = organisation.membership_state
    if not organisation.can_move_to(target):
        raise MembershipError(_l("This application has already been decided or changed. Reload the page to see its state."))
    values: dict[str, Any] = {"state": target.value}
    if message:
        values["decision_message"] = message
    now = utcnow()
    if target is MembershipState.SUBMITTED:
        values["submitted_at"] = now
    if target is MembershipState.APPROVED and organisation.approved_at is None:
        values["approved_at"] = now
    moved = db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation.id, Organisation.state == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise MembershipError(_l("This application has already been decided or changed. Reload the page to see its state."))
    db.session.add(MembershipEvent(organisation_id=organisation.id, from_state=current.value,
                                   to_state=target.value, actor_id=actor.id, message=message))
    db.session.flush()
    db.session.refresh(organisation)
    return current


def submit_application(organisation: Organisation, user: User, *, adheres: bool) -> None:
    """Submits (or resubmits) the application with an explicit adherence to the charter."""
    missing = missing_for_submission(organisation)
    if missing:
        raise IncompleteApplication(missing)
    if not adheres and current_charter() is not None:
        raise MembershipError(_l("To join, the organisation must adhere to the network's charter."), field="adhere")
    adhere_to_current_charter(organisation, user)
    _move(organisation, MembershipState.SUBMITTED, user)
    notify(holders_of(Role.STEERING), "membership.submitted",
           link=external_url("membership.review_application", organisation_id=organisation.id),
           organisation=organisation.display_name)


DECISIONS = {
    "approve": MembershipState.APPROVED,
    "reject": MembershipState.REJECTED,
    "request_changes": MembershipState.CHANGES_REQUESTED,
}


def decide_application(actor: User, organisation: Organisation, decision: str, message: str) -> None:
    """Approve, reject (a reason is required) or ask for changes (a message is required)."""
    target = DECISIONS.get(decision)
    if target is None:
        raise MembershipError(_l("Choose a decision."), field="decision")
    message = message.strip()
    if target is not MembershipState.APPROVED and not message:
        raise MembershipError(_l("Explain the decision to the organisation: a message is required."), field="message")
    before = _move(organisation, target, actor, message)
    audit.record(f"membership.{target.value}", "organisation", organisation.id,
                 object_label=organisation.display_name, before={"state": before.value},
                 after={"state": target.value, "message": message}, actor=actor)
    notify(_people_to_notify(organisation), f"membership.{target.value}",
           link=external_url("membership.application", organisation_id=organisation.id),
           organisation=organisation.display_name, message=message)


def suspend_membership(actor: User, organisation: Organisation, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise MembershipError(_l("Explain the decision to the organisation: a message is required."), field="message")
    before = _move(organisation, MembershipState.SUSPENDED, actor, reason)
    audit.record("membership.suspended", "organisation", organisation.id,
                 object_label=organisation.display_name, before={"state": before.value},
                 after={"state": "suspended", "message": reason}, actor=actor)
    notify(_people_to_notify(organisation), "membership.suspended",
           link=external_url("membership.application", organisation_id=organisation.id),
           organisation=organisation.display_name, message=reason)


def reinstate_membership(actor: User, organisation: Organisation) -> None:
    if organisation.membership_state is not MembershipState.SUSPENDED:
        raise MembershipError(_l("This application has already been decided or changed. Reload the page to see its state."))
    before = _move(organisation, MembershipState.APPROVED, actor)
    audit.record("membership.reinstated", "organisation", organisation.id,
                 object_label=organisation.display_name, before={"state": before.value},
                 after={"state": "approved"}, actor=actor)
    notify(_people_to_notify(organisation), "membership.reinstated",
           link=external_url("membership.application", organisation_id=organisation.id),
           organisation=organisation.display_name)


def leave_network(user: User, organisation: Organisation) -> None:
    before = _move(organisation, MembershipState.LEFT, user)
    from tadamon.core.hooks import run_on_leave

    run_on_leave(organisation, user)
    audit.record("membership.left", "organisation", organisation.id,
                 object_label=organisation.display_name, before={"state": before.value},
                 after={"state": "left"}, actor=user)
    notify(_people_to_notify(organisation) + holders_of(Role.STEERING), "membership.left",
           link=external_url("membership.application", organisation_id=organisation.id),
           organisation=organisation.display_name)


def set_founding_member(actor: User, organisation: Organisation, founding: bool) -> None:
    if organisation.is_founding_member == founding:
        return
    organisation.is_founding_member = founding
    audit.record("membership.founding_changed", "organisation", organisation.id,
                 object_label=organisation.display_name, before={"founding": not founding},
                 after={"founding": founding}, actor=actor)


# --- people and invitations ----------------------------------------------------------------


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
    if role not in {r.value for r in OrganisationRole}:
        raise MembershipError(_l("Choose a role."), field="role")
    already = db.session.scalar(
        select(OrganisationMember.id).join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation.id, User.email == email)
    )
    if already is not None:
        raise MembershipError(_l("This person already acts for the organisation."), field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation_id=organisation.id, email=email, role=role, token_hash=token_digest(token),
        invited_by_id=inviter.id, expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    send_email(
        email, "invitation", language=language,
        subject=_l("%(name)s invites you to act for %(organisation)s on Tadamon",
                   name=inviter.display_name, organisation=organisation.display_name),
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
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise MembershipError(_l("This invitation has already been used."))
    organisation = invitation.organisation
    if membership_of(user, organisation) is not None:
        raise MembershipError(_l("You already act for this organisation."))
    if not add_unless_duplicate(OrganisationMember(organisation_id=organisation.id, user_id=user.id,
                                                   role=invitation.role)):
        raise MembershipError(_l("You already act for this organisation."))
    audit.record("membership.person_joined", "organisation", organisation.id,
                 object_label=organisation.display_name,
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
            OrganisationMember.role == OrganisationRole.REPRESENTATIVE.value,
        )
    ) or 0


def change_role(actor: User, membership: OrganisationMember, role: str) -> None:
    if role not in {r.value for r in OrganisationRole}:
        raise MembershipError(_l("Choose a role."), field="role")
    if membership.role == role:
        return
    if membership.is_representative and _representatives_count(membership.organisation) <= 1:
        raise MembershipError(_l("An organisation always has at least one representative: name another one first."))
    before = membership.role
    membership.role = role
    db.session.flush()
    audit.record("membership.person_role_changed", "organisation", membership.organisation_id,
                 object_label=membership.organisation.display_name,
                 before={"user": membership.user.email, "role": before},
                 after={"user": membership.user.email, "role": role}, actor=actor)


def remove_person(actor: User, membership: OrganisationMember) -> None:
    if membership.is_representative and _representatives_count(membership.organisation) <= 1:
        raise MembershipError(_l("An organisation always has at least one representative: name another one first."))
    audit.record("membership.person_removed", "organisation", membership.organisation_id,
                 object_label=membership.organisation.display_name,
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
    target.role = OrganisationRole.REPRESENTATIVE.value
    db.session.flush()
    actor_membership.role = OrganisationRole.MEMBER.value
    db.session.flush()
    audit.record("membership.representation_handed_over", "organisation", target.organisation_id,
                 object_label=target.organisation.display_name,
                 before={"representative": actor_membership.user.email},
                 after={"representative": target.user.email}, actor=actor_membership.user)


# --- directory -----------------------------------------------------------------------------


def directory_query(*, search: str = "", region: str = "", field_id: int | None = None,
                    legal_form: str = "") -> Any:
    query = select(Organisation).where(Organisation.state == MembershipState.APPROVED.value)
    folded = normalize_for_search(search)
    if folded:
        for word in folded.split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Organisation.search_name.like(f"%{escaped}%", escape="\\"))
    if region:
        query = query.where(Organisation.region == region)
    if legal_form:
        query = query.where(Organisation.legal_form == legal_form)
    if field_id:
        query = query.where(Organisation.fields.any(FieldOfAction.id == field_id))
    return query.order_by(Organisation.is_founding_member.desc(), Organisation.search_name, Organisation.id)


def members_per_region() -> dict[str, int]:
    rows = db.session.execute(
        select(Organisation.region, func.count()).where(Organisation.state == MembershipState.APPROVED.value)
        .group_by(Organisation.region)
    ).all()
    return {region: count for region, count in rows}


def review_queue_query(*, state: str = "", region: str = "", legal_form: str = "",
                       since: Any = None, until: Any = None) -> Any:
    query = select(Organisation).where(Organisation.state != MembershipState.DRAFT.value)
    if state:
        query = query.where(Organisation.state == state)
    if region:
        query = query.where(Organisation.region == region)
    if legal_form:
        query = query.where(Organisation.legal_form == legal_form)
    if since:
        query = query.where(Organisation.submitted_at >= since)
    if until:
        query = query.where(Organisation.submitted_at < until)
    return query.order_by(Organisation.submitted_at.desc().nulls_last(), Organisation.id.desc())
