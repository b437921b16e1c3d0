"""Registrations: places held under parallel requests (the workshop row is locked while places
are counted; one registration per organisation and workshop), the waiting list, attendance."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import label, moment, notify, texts, topic
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    MembershipState,
    Organisation,
    OrganisationMember,
)
from tadamon.membership.queries import representatives_of
from tadamon.workshops.models import (
    HOLDING_PLACE,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
)
from tadamon.workshops.services.common import WorkshopError, title_of


def _lock_workshop(workshop: Workshop) -> None:
    """Serialises registrations of one workshop (PostgreSQL row lock; SQLite's write lock)."""
    db.session.execute(select(Workshop.id).where(Workshop.id == workshop.id).with_for_update())


def places_taken(workshop: Workshop) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.workshop_id == workshop.id, Registration.status.in_(HOLDING_PLACE))) or 0


def registration_of(workshop: Workshop, organisation: Organisation | None) -> Registration | None:
    if organisation is None:
        return None
    return db.session.scalar(select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.organisation_id == organisation.id))


def outside_regions(workshop: Workshop, organisation: Organisation) -> Any:
    """Why a region-only workshop refuses `organisation`, naming the workshop's regions and the
    organisation's own (the sentence the workshop page shows before any form); None when the
    workshop is national or the organisation is in one of its regions."""
    if workshop.is_national or organisation.region in workshop.region_codes:
        return None
    from tadamon.core.bidi import isolate, join
    from tadamon.membership.regions import REGIONS_BY_CODE

    regions = [REGIONS_BY_CODE[code].name() for code in workshop.region_codes if code in REGIONS_BY_CODE]
    own = REGIONS_BY_CODE.get(organisation.region or "")
    return _l("This workshop is open only to organisations of %(regions)s; %(organisation)s is in %(region)s.",
              regions=join(regions), organisation=isolate(organisation.display_name),
              region=isolate(own.name() if own else "—"))


def register(actor: User, workshop: Workshop, organisation: Organisation, attendees: str) -> Registration:
    """Registers the organisation: it holds a place if one is free, else joins the waiting list."""
    if workshop.workshop_status is not WorkshopStatus.REGISTRATION_OPEN:
        raise WorkshopError(_l("Registration for this workshop is not open."))
    refused = outside_regions(workshop, organisation)
    if refused is not None:
        raise WorkshopError(refused)
    _lock_workshop(workshop)
    existing = registration_of(workshop, organisation)
    if existing is not None and existing.status not in (RegistrationStatus.WITHDRAWN,):
        raise WorkshopError(_l("Your organisation is already registered for this workshop."))
    status = (RegistrationStatus.PENDING if places_taken(workshop) < workshop.capacity
              else RegistrationStatus.WAITLISTED)
    now = utcnow()
    if existing is not None:
        registration = existing
        registration.status = status
        registration.attendees = attendees.strip()
        registration.status_changed_at = now
        registration.registered_by_id = actor.id
    else:
        registration = Registration(workshop_id=workshop.id, organisation_id=organisation.id,
                                    registered_by_id=actor.id, status=status,
                                    attendees=attendees.strip(), status_changed_at=now)
        db.session.add(registration)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise WorkshopError(_l("Your organisation is already registered for this workshop.")) from None
    notify([actor, *workshop.facilitators], "workshops.registration_received",
           link=external_url("workshops.workshop", workshop_id=workshop.id),
           about=topic("workshop", workshop.id, texts(workshop, "title")),
           workshop=texts(workshop, "title"), organisation=texts(organisation, "name"),
           status=label("registration_status", status))
    return registration


def promote_waiting(workshop: Workshop) -> None:
    """Moves the longest-waiting registrations into free places, and tells them."""
    if workshop.workshop_status is not WorkshopStatus.REGISTRATION_OPEN:
        return  # once registration closes, the waiting list stays as it is
    free = workshop.capacity - places_taken(workshop)
    if free <= 0:
        return
    waiting = db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.status_changed_at, Registration.id).limit(free)).all()
    for registration in waiting:
        registration.status = RegistrationStatus.PENDING
        registration.status_changed_at = utcnow()
        db.session.flush()
        notify(representatives_of([registration.organisation_id]), "workshops.moved_up",
               link=external_url("workshops.workshop", workshop_id=workshop.id),
               about=topic("workshop", workshop.id, texts(workshop, "title")),
               workshop=texts(workshop, "title"), organisation=texts(registration.organisation, "name"))


def withdraw(actor: User, registration: Registration) -> None:
    if registration.status in (RegistrationStatus.WITHDRAWN, RegistrationStatus.DECLINED):
        return
    if registration.workshop.workshop_status is WorkshopStatus.CLOSED:
        raise WorkshopError(_l("This workshop is over: its registrations are kept as they were."))
    _lock_workshop(registration.workshop)
    held = registration.status in HOLDING_PLACE
    registration.status = RegistrationStatus.WITHDRAWN
    registration.status_changed_at = utcnow()
    db.session.flush()
    if held:
        promote_waiting(registration.workshop)


def decide_registration(actor: User, registration: Registration, accept: bool) -> None:
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED,
                                   RegistrationStatus.ACCEPTED):
        raise WorkshopError(_l("This registration was withdrawn or already declined."))
    _lock_workshop(registration.workshop)
    before = registration.status
    if accept:
        if registration.status == RegistrationStatus.WAITLISTED and \
                places_taken(registration.workshop) >= registration.workshop.capacity:
            raise WorkshopError(_l("The workshop is full: free a place or raise the capacity first."))
        target = RegistrationStatus.ACCEPTED
    else:
        target = RegistrationStatus.DECLINED
    registration.status = target
    registration.status_changed_at = utcnow()
    db.session.flush()
    if before in HOLDING_PLACE and target is RegistrationStatus.DECLINED:
        promote_waiting(registration.workshop)
    audit.record(f"registration.{target.value}", "workshop", registration.workshop_id,
                 object_label=registration.organisation.original_name,
                 before={"status": before}, after={"status": target.value}, actor=actor)
    if target is RegistrationStatus.ACCEPTED:
        # The accepted organisation needs the date above all: it is in the message.
        notify(representatives_of([registration.organisation_id]), "workshops.registration_accepted",
               link=external_url("workshops.workshop", workshop_id=registration.workshop_id),
               about=topic("workshop", registration.workshop_id, texts(registration.workshop, "title")),
               workshop=texts(registration.workshop, "title"), organisation=registration.organisation.display_name,
               when=moment(registration.workshop.starts_at, registration.workshop.time_zone))
        return
    notify(representatives_of([registration.organisation_id]), "workshops.registration_decided",
           link=external_url("workshops.workshop", workshop_id=registration.workshop_id),
           about=topic("workshop", registration.workshop_id, texts(registration.workshop, "title")),
           workshop=texts(registration.workshop, "title"),
           organisation=texts(registration.organisation, "name"), status=label("registration_status", target))


@dataclass
class Decisions:
    """What a decision on several registrations gave: the ones decided, and the ones refused
    with the reason (each is decided on its own: one refusal does not undo the others)."""

    decided: list[Registration] = field(default_factory=list)
    refused: list[tuple[Registration, str]] = field(default_factory=list)


def decide_registrations(actor: User, registrations: list[Registration], accept: bool) -> Decisions:
    """Accepts or declines each registration through `decide_registration` (its own audit
    entry and notification), each in a savepoint. Raises when none could be decided."""
    outcome = Decisions()
    for registration in registrations:
        try:
            with db.session.begin_nested():
                decide_registration(actor, registration, accept)
        except WorkshopError as error:
            db.session.refresh(registration)
            outcome.refused.append((registration, str(error.message)))
        else:
            outcome.decided.append(registration)
    if not outcome.decided:
        if not outcome.refused:
            raise WorkshopError(_l("Tick at least one registration."))
        raise WorkshopError(outcome.refused[0][1])
    return outcome


def reconsider_registration(actor: User, registration: Registration, accept: bool) -> Registration:
    """Undoes a decline: back to pending (or accepted, when `accept`) if a place is free, else
    onto the waiting list, where it moves up like any other. Audited; the organisation is told."""
    if registration.registration_status is not RegistrationStatus.DECLINED:
        raise WorkshopError(_l("Only a declined registration can be reconsidered."))
    if registration.workshop.workshop_status is WorkshopStatus.CLOSED:
        raise WorkshopError(_l("This workshop is over: its registrations are kept as they were."))
    _lock_workshop(registration.workshop)
    if places_taken(registration.workshop) >= registration.workshop.capacity:
        target = RegistrationStatus.WAITLISTED
    else:
        target = RegistrationStatus.ACCEPTED if accept else RegistrationStatus.PENDING
    registration.status = target
    registration.status_changed_at = utcnow()
    db.session.flush()
    audit.record("registration.reconsidered", "workshop", registration.workshop_id,
                 object_label=registration.organisation.original_name,
                 before={"status": RegistrationStatus.DECLINED.value}, after={"status": target.value}, actor=actor)
    notify(representatives_of([registration.organisation_id]), "workshops.registration_reconsidered",
           link=external_url("workshops.workshop", workshop_id=registration.workshop_id),
           about=topic("workshop", registration.workshop_id, texts(registration.workshop, "title")),
           workshop=texts(registration.workshop, "title"),
           organisation=texts(registration.organisation, "name"), status=label("registration_status", target))
    return registration


def attending(workshop: Workshop) -> list[Registration]:
    """The registrations holding a place (accepted, then pending), by organisation name: the
    attendance sheet's rows."""
    rows = [r for r in registrations_of(workshop) if r.registration_status in HOLDING_PLACE]
    return sorted(rows, key=lambda r: (r.registration_status is not RegistrationStatus.ACCEPTED,
                                       r.organisation.display_name.casefold()))


def record_sheet_export(actor: User, workshop: Workshop, file_format: str) -> None:
    """The attendance sheet carries people's names out of the platform: logged, like the plan's
    exports."""
    audit.record("workshop.attendance_sheet_exported", "workshop", workshop.id, object_label=title_of(workshop),
                 after={"format": file_format}, actor=actor)


def registrations_of(workshop: Workshop) -> list[Registration]:
    return list(db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id)
        .order_by(Registration.status_changed_at, Registration.id)))


def record_attendance(actor: User, workshop: Workshop, marks: dict[int, tuple[bool, int | None]]) -> None:
    changed = {}
    for registration in registrations_of(workshop):
        if registration.id in marks and registration.status == RegistrationStatus.ACCEPTED:
            attended, present = marks[registration.id]
            registration.attended = attended
            registration.attendees_present = present if attended else 0
            changed[registration.organisation.display_name] = attended
    db.session.flush()
    audit.record("workshop.attendance_recorded", "workshop", workshop.id,
                 object_label=title_of(workshop), after=changed, actor=actor)


def registered_organisations(workshop: Workshop) -> list[Organisation]:
    ids = registered_organisation_ids(workshop)
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)))


def has_place(user: User, workshop: Workshop) -> bool:
    """Does `user` act for an organisation holding a place in `workshop`?"""
    cache = g.setdefault("tadamon_places", {}) if has_request_context() else {}
    key = (user.id, workshop.id)
    if key not in cache:
        cache[key] = (db.session.scalar(
            select(func.count()).select_from(Registration)
            .join(OrganisationMember, OrganisationMember.organisation_id == Registration.organisation_id)
            .join(Organisation, Organisation.id == Registration.organisation_id)
            .where(Registration.workshop_id == workshop.id, OrganisationMember.user_id == user.id,
                   Registration.status.in_(HOLDING_PLACE),
                   Organisation.state == MembershipState.APPROVED)) or 0) > 0
    return bool(cache[key])


def registered_organisation_ids(workshop: Workshop | int) -> list[int]:
    """The organisations holding a place in `workshop` (or the workshop of that id)."""
    workshop_id = workshop if isinstance(workshop, int) else workshop.id
    return list(db.session.scalars(select(Registration.organisation_id).where(
        Registration.workshop_id == workshop_id, Registration.status.in_(HOLDING_PLACE))))


def registration_counts(workshop_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per workshop, how many registrations in each status: one query for a whole list."""
    if not workshop_ids:
        return {}
    rows = db.session.execute(
        select(Registration.workshop_id, Registration.status, func.count())
        .where(Registration.workshop_id.in_(workshop_ids))
        .group_by(Registration.workshop_id, Registration.status)).all()
    counts: dict[int, dict[str, int]] = {}
    for workshop_id, status, number in rows:
        counts.setdefault(workshop_id, {})[status] = number
    return counts


def workshops_of_organisation(organisation: Organisation) -> list[tuple[Workshop, Registration]]:
    """The workshops an organisation took part in (accepted), most recent first."""
    rows = db.session.execute(
        select(Workshop, Registration).join(Registration, Registration.workshop_id == Workshop.id)
        .where(Registration.organisation_id == organisation.id,
               Registration.status == RegistrationStatus.ACCEPTED)
        .order_by(Workshop.starts_at.desc())).all()
    return [(workshop, registration) for workshop, registration in rows]


def profile_section(organisation: Organisation) -> tuple[str, dict[str, Any]] | None:
    return "workshops/_profile_section.html", {"taken_part": workshops_of_organisation(organisation)}


def give_back_places(organisation: Organisation, actor: User) -> None:
    """An organisation that leaves withdraws from the workshops still taking registrations."""
    open_registrations = db.session.scalars(
        select(Registration).join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.organisation_id == organisation.id,
               Registration.status.in_((*HOLDING_PLACE, RegistrationStatus.WAITLISTED)),
               Workshop.status == WorkshopStatus.REGISTRATION_OPEN)).all()
    for registration in open_registrations:
        withdraw(actor, registration)
