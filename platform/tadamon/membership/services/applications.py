"""Applications and the steering group's decisions: compare-and-set state moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from tadamon.accounts.models import User
from tadamon.accounts.queries import holders_of
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.hooks import run_on_leave
from tadamon.core.notifications import notify, texts
from tadamon.core.permissions import Role
from tadamon.core.persistence import rows_changed
from tadamon.core.text import normalize_for_search
from tadamon.core.texts import DescriptionTexts, is_written
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    EDITABLE_STATES,
    LegalForm,
    MembershipEvent,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.membership.regions import REGION_CODES
from tadamon.membership.services.charter import adhere_to_current_charter, current_charter
from tadamon.membership.services.errors import IncompleteApplication, MembershipError
from tadamon.membership.services.fields import active_fields
from tadamon.membership.services.memberships import forget_cached_memberships, users_of


@dataclass
class ApplicationData(DescriptionTexts):
    """What the application form holds; every field optional while it is a draft."""

    name_ar: str = ""
    name_fr: str = ""
    name_en: str = ""
    acronym: str = ""
    legal_form: str = LegalForm.ASSOCIATION.value
    registration_number: str = ""
    year_founded: int | None = None
    region: str = ""
    province: str = ""
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
    organisation = Organisation(state=MembershipState.DRAFT, created_by_id=user.id)
    db.session.add(organisation)
    db.session.flush()
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=user.id,
                                      role=OrganisationRole.REPRESENTATIVE))
    db.session.add(MembershipEvent(organisation_id=organisation.id, from_state=None,
                                   to_state=MembershipState.DRAFT, actor_id=user.id))
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
        " ".join([organisation.name_ar, organisation.name_fr, organisation.name_en, organisation.acronym])
    )
    wanted = set(data.field_ids)
    organisation.fields = [f for f in active_fields() if f.id in wanted]
    db.session.flush()



def missing_for_submission(organisation: Organisation) -> list[Any]:
    """What the application still lacks before it can be submitted, as messages."""
    missing = []
    if not (organisation.name_ar or organisation.name_fr):
        missing.append(_l("the organisation's name, in Arabic or French"))
    if not organisation.region:
        missing.append(_l("the region"))
    if not organisation.province:
        missing.append(_l("the province or city"))
    if not is_written(organisation, "description"):
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
    values: dict[str, Any] = {"state": target}
    if message:
        values["decision_message"] = message
    now = utcnow()
    if target is MembershipState.SUBMITTED:
        values["submitted_at"] = now
    if target is MembershipState.APPROVED and organisation.approved_at is None:
        values["approved_at"] = now
    moved = rows_changed(
        update(Organisation)
        .where(Organisation.id == organisation.id, Organisation.state == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved != 1:
        raise MembershipError(_l("This application has already been decided or changed. Reload the page to see its state."))
    db.session.add(MembershipEvent(organisation_id=organisation.id, from_state=current,
                                   to_state=target, actor_id=actor.id, message=message))
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
           organisation=texts(organisation, "name"))


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
    message = _required_message(message, required=target is not MembershipState.APPROVED)
    before = _move(organisation, target, actor, message)
    _announce(actor, organisation, before, target.value, message=message)


def suspend_membership(actor: User, organisation: Organisation, reason: str) -> None:
    reason = _required_message(reason, required=True)
    before = _move(organisation, MembershipState.SUSPENDED, actor, reason)
    _announce(actor, organisation, before, "suspended", message=reason)


def reinstate_membership(actor: User, organisation: Organisation) -> None:
    if organisation.membership_state is not MembershipState.SUSPENDED:
        raise MembershipError(_l("This application has already been decided or changed. Reload the page to see its state."))
    before = _move(organisation, MembershipState.APPROVED, actor)
    _announce(actor, organisation, before, "reinstated")


def leave_network(user: User, organisation: Organisation) -> None:
    before = _move(organisation, MembershipState.LEFT, user)
    run_on_leave(organisation, user)
    _announce(user, organisation, before, "left", also_notify=holders_of(Role.STEERING))


def _required_message(message: str, *, required: bool) -> str:
    message = message.strip()
    if required and not message:
        raise MembershipError(_l("Explain the decision to the organisation: a message is required."), field="message")
    return message


def _announce(actor: User, organisation: Organisation, before: MembershipState, action: str, *,
              message: str | None = None, also_notify: list[User] | None = None) -> None:
    """Records a state move in the audit log and tells the organisation's people (and `also_notify`)."""
    said: dict[str, Any] = {} if message is None else {"message": message}
    audit.record(f"membership.{action}", "organisation", organisation.id,
                 object_label=organisation.original_name, before={"state": before.value},
                 after={"state": organisation.membership_state.value, **said}, actor=actor)
    notify(users_of(organisation) + (also_notify or []), f"membership.{action}",
           link=external_url("membership.application", organisation_id=organisation.id),
           organisation=texts(organisation, "name"), **said)


def set_founding_member(actor: User, organisation: Organisation, founding: bool) -> None:
    if organisation.is_founding_member == founding:
        return
    organisation.is_founding_member = founding
    audit.record("membership.founding_changed", "organisation", organisation.id,
                 object_label=organisation.original_name, before={"founding": not founding},
                 after={"founding": founding}, actor=actor)


def rename_organisation(actor: User, organisation: Organisation, names: dict[str, str]) -> None:
    """A member organisation's names in Arabic, French and English, kept after approval so that
    each reader sees it named in their language (at least one of Arabic or French stays)."""
    cleaned = {key: (names.get(key) or "").strip() for key in ("name_ar", "name_fr", "name_en")}
    if not (cleaned["name_ar"] or cleaned["name_fr"]):
        raise MembershipError(_l("Give the organisation's name in Arabic or in French."), field="name_ar")
    before = {key: getattr(organisation, key) for key in cleaned}
    for key, value in cleaned.items():
        setattr(organisation, key, value)
    organisation.search_name = normalize_for_search(
        " ".join([organisation.name_ar, organisation.name_fr, organisation.name_en, organisation.acronym]))
    audit.record("organisation.renamed", "organisation", organisation.id, object_label=organisation.original_name,
                 before=before, after=cleaned, actor=actor)
    db.session.flush()
