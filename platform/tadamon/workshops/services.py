"""Workshop and consultation use-cases.

Registration keeps the workshop's capacity under parallel requests: the workshop row is
locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions already take the write
lock at their start) while places are counted, and the database allows one registration
per organisation and workshop. Phase moves are compare-and-set updates, by hand or by
schedule (`advance_due_consultations`, called on requests and by `flask tick`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import RoleAssignment, User
from tadamon.core import audit, uploads
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.hooks import voting_methods
from tadamon.core.notifications import label, notify, register_kind, register_labels, texts
from tadamon.core.permissions import Role
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import (
    MembershipState,
    Organisation,
    OrganisationMember,
)
from tadamon.membership.queries import representatives_of
from tadamon.membership.regions import REGION_CODES
from tadamon.workshops.models import (
    HOLDING_PLACE,
    PHASE_LABELS,
    PHASE_ORDER,
    REGISTRATION_STATUS_LABELS,
    SCHEDULED_PHASES,
    WORKSHOP_STATUS_LABELS,
    WORKSHOP_STATUS_ORDER,
    Consultation,
    DocumentKind,
    Participation,
    Phase,
    PhaseMove,
    Registration,
    RegistrationStatus,
    RoomRecord,
    Theme,
    Workshop,
    WorkshopDocument,
    WorkshopFormat,
    WorkshopRegion,
    WorkshopStatus,
)

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

register_kind("workshops.status_changed", subject=_l("Workshop update: %(workshop)s"),
              text=_l("The workshop %(workshop)s is now: %(status)s."))
register_kind("workshops.registration_received", subject=_l("Registration received: %(workshop)s"),
              text=_l("%(organisation)s is registered for %(workshop)s: %(status)s."))
register_kind("workshops.registration_decided", subject=_l("Your registration to %(workshop)s"),
              text=_l("The registration of %(organisation)s to %(workshop)s is now: %(status)s."))
register_kind("workshops.moved_up", subject=_l("A place is free for you: %(workshop)s"),
              text=_l("A place freed up: %(organisation)s moves from the waiting list into %(workshop)s."))
register_kind("consultations.phase_changed", subject=_l("Consultation update: %(question)s"),
              text=_l("The consultation “%(question)s” is now in the phase: %(phase)s."))


class WorkshopError(DomainError):
    pass


register_labels("workshop_status", WORKSHOP_STATUS_LABELS)
register_labels("registration_status", REGISTRATION_STATUS_LABELS)
register_labels("phase", PHASE_LABELS)


# --- themes --------------------------------------------------------------------------------


def active_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.id)))


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.id)))


def save_theme(actor: User, theme: Theme | None, texts: dict[str, str], active: bool) -> Theme:
    if not any(texts.get(f"name_{code}") for code in ("ar", "fr", "en")):
        raise WorkshopError(_l("Give the theme a name in at least one language."), field="name_ar")
    if theme is None:
        theme = Theme()
        db.session.add(theme)
    for key, value in texts.items():
        setattr(theme, key, value.strip())
    theme.is_active = active
    db.session.flush()
    audit.record("theme.saved", "theme", theme.id, object_label=theme.name_fr or theme.name_ar,
                 after={**texts, "active": active}, actor=actor)
    return theme


# --- workshops -----------------------------------------------------------------------------


@dataclass
class WorkshopData:
    title_ar: str = ""
    title_fr: str = ""
    title_en: str = ""
    description_ar: str = ""
    description_fr: str = ""
    description_en: str = ""
    theme_id: int | None = None
    is_national: bool = True
    regions: list[str] = field(default_factory=list)
    format: str = WorkshopFormat.IN_PERSON
    venue: str = ""
    address: str = ""
    online_link: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None


def _check_workshop(data: WorkshopData) -> None:
    if not (data.title_ar or data.title_fr or data.title_en):
        raise WorkshopError(_l("Give the workshop a title in at least one language."), field="title_ar")
    if data.theme_id is None or db.session.get(Theme, data.theme_id) is None:
        raise WorkshopError(_l("Choose a theme."), field="theme_id")
    if data.starts_at is None or data.ends_at is None:
        raise WorkshopError(_l("Give the start and the end."), field="starts_at")
    if data.ends_at <= data.starts_at:
        raise WorkshopError(_l("The end must come after the start."), field="ends_at")
    if not data.capacity or data.capacity < 1:
        raise WorkshopError(_l("The capacity is at least one organisation."), field="capacity")
    fmt = WorkshopFormat(data.format)
    if fmt in (WorkshopFormat.ONLINE, WorkshopFormat.HYBRID) and not data.online_link:
        raise WorkshopError(_l("An online or hybrid workshop needs the link to join it."), field="online_link")
    if fmt in (WorkshopFormat.IN_PERSON, WorkshopFormat.HYBRID) and not (data.venue or data.address):
        raise WorkshopError(_l("A workshop in a room needs its venue or address."), field="venue")
    if not data.is_national:
        if not data.regions:
            raise WorkshopError(_l("Choose the regions of a regional workshop, or make it national."), field="regions")
        if any(code not in REGION_CODES for code in data.regions):
            raise WorkshopError(_l("Choose one of Morocco's twelve regions."), field="regions")


def _apply(workshop: Workshop, data: WorkshopData) -> None:
    for name in ("title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
                 "venue", "address", "online_link"):
        setattr(workshop, name, (getattr(data, name) or "").strip())
    workshop.theme_id = data.theme_id  # type: ignore[assignment]
    workshop.is_national = data.is_national
    workshop.format = data.format
    workshop.starts_at = data.starts_at  # type: ignore[assignment]
    workshop.ends_at = data.ends_at  # type: ignore[assignment]
    workshop.capacity = data.capacity  # type: ignore[assignment]
    wanted = [] if data.is_national else sorted(set(data.regions))
    workshop.region_rows = [row for row in workshop.region_rows if row.region in wanted] + [
        WorkshopRegion(region=code) for code in wanted if code not in workshop.region_codes
    ]


def create_workshop(actor: User, data: WorkshopData) -> Workshop:
    _check_workshop(data)
    workshop = Workshop(created_by_id=actor.id, status=WorkshopStatus.PLANNED)
    _apply(workshop, data)
    if actor.has_role(Role.FACILITATOR):
        workshop.facilitators.append(actor)
    db.session.add(workshop)
    db.session.flush()
    audit.record("workshop.created", "workshop", workshop.id, object_label=workshop.title_fr or workshop.title_ar,
                 after={"starts_at": data.starts_at, "capacity": data.capacity}, actor=actor)
    return workshop


def update_workshop(actor: User, workshop: Workshop, data: WorkshopData) -> None:
    _check_workshop(data)
    before_capacity = workshop.capacity
    _apply(workshop, data)
    db.session.flush()
    if workshop.capacity > before_capacity:
        _promote_waiting(workshop)
    audit.record("workshop.updated", "workshop", workshop.id, object_label=workshop.title_fr or workshop.title_ar,
                 before={"capacity": before_capacity}, after={"capacity": workshop.capacity}, actor=actor)


def facilitator_candidates() -> list[User]:
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.FACILITATOR.value, User.is_enabled.is_(True))
        .order_by(User.display_name)))


def set_facilitators(actor: User, workshop: Workshop, user_ids: list[int]) -> None:
    chosen = [user for user in facilitator_candidates() if user.id in set(user_ids)]
    before = sorted(user.email for user in workshop.facilitators)
    workshop.facilitators = chosen
    db.session.flush()
    audit.record("workshop.facilitators_changed", "workshop", workshop.id,
                 object_label=workshop.title_fr or workshop.title_ar,
                 before={"facilitators": before}, after={"facilitators": sorted(u.email for u in chosen)}, actor=actor)


def move_workshop_status(actor: User, workshop: Workshop, target: WorkshopStatus) -> None:
    """Moves a workshop one step forward: planned → registration open → in progress → closed."""
    current = workshop.workshop_status
    if WORKSHOP_STATUS_ORDER.index(target) != WORKSHOP_STATUS_ORDER.index(current) + 1:
        raise WorkshopError(_l("The workshop can only move to its next stage."))
    moved = db.session.execute(
        update(Workshop).where(Workshop.id == workshop.id, Workshop.status == current)
        .values(status=target).execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise WorkshopError(_l("Someone changed this workshop meanwhile. Reload the page."))
    db.session.refresh(workshop)
    audit.record("workshop.status_changed", "workshop", workshop.id, object_label=workshop.title_fr or workshop.title_ar,
                 before={"status": current.value}, after={"status": target.value}, actor=actor)
    notify(representatives_of(registered_organisation_ids(workshop)), "workshops.status_changed",
           link=external_url("workshops.workshop", workshop_id=workshop.id),
           workshop=texts(workshop, "title"), status=label("workshop_status", target))


def attach_document(actor: User, workshop: Workshop, upload: FileStorage, kind: str, title: str) -> WorkshopDocument:
    if kind not in {k.value for k in DocumentKind}:
        raise WorkshopError(_l("Choose what kind of document this is."), field="kind")
    data = uploads.read_limited(upload.stream, DOCUMENT_MAX_BYTES)
    if len(data) > DOCUMENT_MAX_BYTES:
        raise WorkshopError(_l("Documents are at most 10 MB."), field="document")
    file_type = uploads.sniff(data) if data else None
    if file_type not in uploads.DOCUMENT_KINDS:
        raise WorkshopError(_l("Send a PDF or an office document (Word, Excel, PowerPoint or OpenDocument)."), field="document")
    stored = uploads.store(data, folder="workshops", kind=file_type)
    document = WorkshopDocument(
        workshop_id=workshop.id, kind=kind, title=title.strip()[:200], stored_name=stored.stored_name,
        file_type=stored.kind, original_filename=(upload.filename or f"document.{file_type}")[-255:],
        size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("workshop.document_added", "workshop", workshop.id, object_label=document.original_filename,
                 after={"kind": kind, "size": stored.size_bytes}, actor=actor)
    return document


def remove_document(actor: User, document: WorkshopDocument) -> None:
    uploads.delete_after_commit(uploads.upload_folder("workshops") / document.stored_name)
    audit.record("workshop.document_removed", "workshop", document.workshop_id,
                 object_label=document.original_filename, before={"kind": document.kind}, actor=actor)
    db.session.delete(document)
    db.session.flush()


def document_path(document: WorkshopDocument) -> Any:
    return uploads.upload_folder("workshops") / document.stored_name


def workshops_query(*, when: str = "upcoming", theme_id: int | None = None, region: str = "",
                    fmt: str = "", now: datetime | None = None) -> Any:
    now = now or utcnow()
    query = select(Workshop)
    if when == "past":
        query = query.where(Workshop.ends_at < now).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    else:
        query = query.where(Workshop.ends_at >= now).order_by(Workshop.starts_at, Workshop.id)
    if theme_id:
        query = query.where(Workshop.theme_id == theme_id)
    if region:
        query = query.where(or_(Workshop.is_national.is_(True),
                                Workshop.region_rows.any(WorkshopRegion.region == region)))
    if fmt:
        query = query.where(Workshop.format == fmt)
    return query


def workshops_between(start: datetime, end: datetime) -> list[Workshop]:
    return list(db.session.scalars(
        select(Workshop).where(Workshop.starts_at < end, Workshop.ends_at >= start).order_by(Workshop.starts_at)))


# --- registrations -------------------------------------------------------------------------


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


def register(actor: User, workshop: Workshop, organisation: Organisation, attendees: str) -> Registration:
    """Registers the organisation: it holds a place if one is free, else joins the waiting list."""
    if workshop.workshop_status is not WorkshopStatus.REGISTRATION_OPEN:
        raise WorkshopError(_l("Registration for this workshop is not open."))
    if not workshop.is_national and organisation.region not in workshop.region_codes:
        raise WorkshopError(_l("This workshop is for organisations of other regions."))
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
           workshop=texts(workshop, "title"), organisation=organisation.display_name,
           status=label("registration_status", status))
    return registration


def _promote_waiting(workshop: Workshop) -> None:
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
               workshop=texts(workshop, "title"), organisation=registration.organisation.display_name)


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
        _promote_waiting(registration.workshop)


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
        _promote_waiting(registration.workshop)
    audit.record(f"registration.{target.value}", "workshop", registration.workshop_id,
                 object_label=registration.organisation.display_name,
                 before={"status": before}, after={"status": target.value}, actor=actor)
    notify(representatives_of([registration.organisation_id]), "workshops.registration_decided",
           link=external_url("workshops.workshop", workshop_id=registration.workshop_id),
           workshop=texts(registration.workshop, "title"),
           organisation=registration.organisation.display_name, status=label("registration_status", target))


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
                 object_label=workshop.title_fr or workshop.title_ar, after=changed, actor=actor)


def save_minutes(actor: User, workshop: Workshop, texts: dict[str, str]) -> None:
    for key, value in texts.items():
        setattr(workshop, key, value.strip())
    db.session.flush()
    audit.record("workshop.minutes_written", "workshop", workshop.id,
                 object_label=workshop.title_fr or workshop.title_ar,
                 after={key: len(value) for key, value in texts.items()}, actor=actor)


def record_in_room(actor: User, workshop: Workshop, *, organisation_id: int | None, kind: str, title: str,
                   body: str, language: str) -> RoomRecord:
    """Records what was produced in the room, on behalf of a registered organisation."""
    if kind not in ("paper_proposal", "discussion_notes"):
        raise WorkshopError(_l("Choose what you are recording."), field="kind")
    if not body.strip():
        raise WorkshopError(_l("Write what was produced in the room."), field="body")
    if organisation_id is not None and organisation_id not in registered_organisation_ids(workshop):
        raise WorkshopError(_l("Choose an organisation registered in this workshop."), field="organisation_id")
    record = RoomRecord(workshop_id=workshop.id, organisation_id=organisation_id, kind=kind, title=title.strip(),
                        body=body.strip(), language=language, recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record("workshop.recorded_in_room", "workshop", workshop.id,
                 object_label=workshop.title_fr or workshop.title_ar,
                 after={"kind": kind, "organisation_id": organisation_id}, actor=actor)
    return record


def room_records(workshop: Workshop) -> list[RoomRecord]:
    return list(db.session.scalars(select(RoomRecord).where(RoomRecord.workshop_id == workshop.id)
                                   .order_by(RoomRecord.recorded_at, RoomRecord.id)))


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
        cache[key] = db.session.scalar(
            select(func.count()).select_from(Registration)
            .join(OrganisationMember, OrganisationMember.organisation_id == Registration.organisation_id)
            .join(Organisation, Organisation.id == Registration.organisation_id)
            .where(Registration.workshop_id == workshop.id, OrganisationMember.user_id == user.id,
                   Registration.status.in_(HOLDING_PLACE),
                   Organisation.state == MembershipState.APPROVED.value)) > 0
    return bool(cache[key])


def registered_organisation_ids(workshop: Workshop) -> list[int]:
    return list(db.session.scalars(select(Registration.organisation_id).where(
        Registration.workshop_id == workshop.id, Registration.status.in_(HOLDING_PLACE))))


# --- consultations -------------------------------------------------------------------------


@dataclass
class ConsultationData:
    question_ar: str = ""
    question_fr: str = ""
    question_en: str = ""
    description_ar: str = ""
    description_fr: str = ""
    description_en: str = ""
    participation: str = Participation.ALL_MEMBERS
    proposals_open_at: datetime | None = None
    deliberation_at: datetime | None = None
    voting_at: datetime | None = None
    closed_at: datetime | None = None
    amendments_allowed: bool = True
    voting_method: str = "approval"
    max_approvals: int | None = None
    quorum: float | None = None
    threshold: float | None = None
    secret_ballots: bool = False


VOTE_DEFINING = ("participation", "voting_method", "max_approvals", "quorum", "threshold", "secret_ballots")


def _check_consultation(data: ConsultationData, workshop: Workshop | None) -> None:
    if not (data.question_ar or data.question_fr or data.question_en):
        raise WorkshopError(_l("Write the question in at least one language."), field="question_ar")
    if data.participation == Participation.REGISTERED and workshop is None:
        raise WorkshopError(_l("A national consultation is open to every member organisation."), field="participation")
    method = voting_methods().get(data.voting_method)
    if method is None:
        raise WorkshopError(_l("Choose a voting method."), field="voting_method")
    method.validate_settings({name: getattr(data, name) for name in method.settings})
    times = [(phase, getattr(data, f"{phase.value}_at")) for phase in SCHEDULED_PHASES]
    given = [(phase, moment) for phase, moment in times if moment is not None]
    for (_, earlier), (later_phase, later) in zip(given, given[1:], strict=False):
        if later <= earlier:
            raise WorkshopError(_l("Each phase must start after the previous one."), field=f"{later_phase.value}_at")


def _next_move_at(consultation: Consultation) -> datetime | None:
    index = PHASE_ORDER.index(consultation.current_phase)
    if index + 1 >= len(PHASE_ORDER):
        return None
    return consultation.scheduled_at(PHASE_ORDER[index + 1])


def save_consultation(actor: User, consultation: Consultation | None, workshop: Workshop | None,
                      data: ConsultationData) -> Consultation:
    _check_consultation(data, workshop)
    creating = consultation is None
    if consultation is None:
        consultation = Consultation(workshop_id=workshop.id if workshop else None, created_by_id=actor.id,
                                    phase=Phase.DRAFT)
        db.session.add(consultation)
    elif PHASE_ORDER.index(consultation.current_phase) >= PHASE_ORDER.index(Phase.VOTING):
        changed = [name for name in VOTE_DEFINING if getattr(consultation, name) != getattr(data, name)]
        if changed:
            raise WorkshopError(_l("Voting has opened: the settings that define the vote can no longer change."),
                                field=changed[0])
    for name, value in vars(data).items():
        setattr(consultation, name, value.strip() if isinstance(value, str) else value)
    consultation.next_move_at = _next_move_at(consultation)
    db.session.flush()
    audit.record("consultation.created" if creating else "consultation.updated", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 after={name: getattr(data, name) for name in VOTE_DEFINING}, actor=actor)
    return consultation


def next_phase(consultation: Consultation) -> Phase | None:
    index = PHASE_ORDER.index(consultation.current_phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def move_phase(actor: User | None, consultation: Consultation, target: Phase) -> None:
    """Moves to the next phase only (compare-and-set), logs it, and tells the participants."""
    current = consultation.current_phase
    if next_phase(consultation) is not target:
        raise WorkshopError(_l("A consultation moves through its phases in order, one at a time."))
    moved = db.session.execute(
        update(Consultation).where(Consultation.id == consultation.id, Consultation.phase == current)
        .values(phase=target).execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise WorkshopError(_l("Someone moved this consultation meanwhile. Reload the page."))
    db.session.refresh(consultation)
    consultation.next_move_at = _next_move_at(consultation)
    from tadamon.core.hooks import run_on_phase_change

    run_on_phase_change(actor, consultation, current, target)
    db.session.add(PhaseMove(consultation_id=consultation.id, from_phase=current, to_phase=target,
                             moved_by_id=actor.id if actor else None))
    db.session.flush()
    audit.record("consultation.phase_changed", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 before={"phase": current.value}, after={"phase": target.value,
                                                         "by": "schedule" if actor is None else "hand"},
                 actor=actor)
    notify(participantrepresentatives_of(consultation), "consultations.phase_changed",
           link=external_url("workshops.consultation", consultation_id=consultation.id),
           question=texts(consultation, "question"), phase=label("phase", target))


def participantrepresentatives_of(consultation: Consultation) -> list[User]:
    if consultation.participation == Participation.REGISTERED and consultation.workshop is not None:
        return representatives_of(registered_organisation_ids(consultation.workshop))
    return representatives_of(None)


def advance_due_consultations(now: datetime | None = None) -> int:
    """Moves every consultation whose scheduled time has come; returns how many moves."""
    now = now or utcnow()
    moves = 0
    due = db.session.scalars(select(Consultation).where(Consultation.next_move_at <= now)
                             .order_by(Consultation.next_move_at)).all()
    for consultation in due:
        while consultation.next_move_at is not None and consultation.next_move_at <= now:
            target = next_phase(consultation)
            if target is None:
                break
            try:
                # A savepoint per move: a refused move (moved by someone else meanwhile, or a
                # vote that cannot open) leaves the other consultations' moves in place.
                with db.session.begin_nested():
                    move_phase(None, consultation, target)
            except DomainError:
                db.session.refresh(consultation)
                break
            moves += 1
    return moves


def move_due_phases() -> int:
    """The periodic task: cheap when nothing is due (one indexed count)."""
    now = utcnow()
    due = db.session.scalar(select(func.count()).select_from(Consultation).where(Consultation.next_move_at <= now))
    return advance_due_consultations(now) if due else 0


def consultations_of_facilitator(user: User) -> list[Consultation]:
    from tadamon.workshops.models import workshop_facilitators

    query = select(Consultation).outerjoin(Workshop, Workshop.id == Consultation.workshop_id)
    if not (user.has_role(Role.STEERING) or user.has_role(Role.ADMIN)):
        query = query.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
            workshop_facilitators.c.user_id == user.id)
    return list(db.session.scalars(query.order_by(Consultation.id.desc())))


def workshops_of_facilitator(user: User) -> list[Workshop]:
    from tadamon.workshops.models import workshop_facilitators

    query = select(Workshop)
    if not (user.has_role(Role.STEERING) or user.has_role(Role.ADMIN)):
        query = query.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
            workshop_facilitators.c.user_id == user.id)
    return list(db.session.scalars(query.order_by(Workshop.starts_at.desc())))


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
