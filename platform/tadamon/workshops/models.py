"""Themes, workshops (with their regions, facilitators, documents and registrations) and the
consultations that run inside them through their phases."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tadamon.accounts.models import User
from tadamon.core.db import string_enum, utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.core.texts import DescriptionColumns, TitleColumns
from tadamon.core.times import MOROCCO, wall_of
from tadamon.extensions import Model, db
from tadamon.membership.models import Organisation


class Theme(DescriptionColumns, Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    name_fr: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


class WorkshopFormat(LabelledEnum):
    IN_PERSON = "in_person", _l("In person")
    ONLINE = "online", _l("Online")
    HYBRID = "hybrid", _l("Hybrid")


FORMAT_LABELS = WorkshopFormat.labels()


class WorkshopStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    REGISTRATION_OPEN = "registration_open", _l("Registration open")
    IN_PROGRESS = "in_progress", _l("In progress")
    CLOSED = "closed", _l("Closed")


WORKSHOP_STATUS_LABELS = WorkshopStatus.labels()
WORKSHOP_STATUS_ORDER = list(WorkshopStatus)

workshop_facilitators = Table(
    "workshop_facilitators",
    db.metadata,
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)



def wall_time_column() -> Mapped[datetime | None]:
    """The wall-clock time an event was set for, in its zone (naive): 09:00 stays 09:00 when the
    zone's rules change, and the instant beside it is recomputed (`refresh_event_times`)."""
    return mapped_column(DateTime(timezone=False))


_FORMATS = ", ".join(f"'{value.value}'" for value in WorkshopFormat)
_STATUSES = ", ".join(f"'{value.value}'" for value in WorkshopStatus)


class Workshop(TitleColumns, DescriptionColumns, Model):
    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint(f"format IN ({_FORMATS})", name="known_format"),
        CheckConstraint(f"status IN ({_STATUSES})", name="known_status"),
        CheckConstraint("capacity > 0", name="positive_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="RESTRICT"), index=True)
    is_national: Mapped[bool] = mapped_column(default=True)
    format: Mapped[WorkshopFormat] = mapped_column(string_enum(WorkshopFormat, 20), default=WorkshopFormat.IN_PERSON)
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    # Shown only to the registered organisations' people and the facilitators.
    online_link: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    # The zone the workshop's times are typed and shown in, and those times on its clock.
    time_zone: Mapped[str] = mapped_column(String(64), default=MOROCCO)
    starts_local: Mapped[datetime | None] = wall_time_column()
    ends_local: Mapped[datetime | None] = wall_time_column()
    # For calendars (iCalendar SEQUENCE and LAST-MODIFIED): a rescheduled or moved workshop
    # must replace the event people already imported.
    schedule_revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column()
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[WorkshopStatus] = mapped_column(string_enum(WorkshopStatus, 20), default=WorkshopStatus.PLANNED,
                                                  index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Minutes written in the platform (uploaded minutes are documents of kind "minutes").
    minutes_ar: Mapped[str] = mapped_column(Text, default="")
    minutes_fr: Mapped[str] = mapped_column(Text, default="")
    minutes_en: Mapped[str] = mapped_column(Text, default="")

    theme: Mapped[Theme] = relationship(lazy="joined")
    facilitators: Mapped[list[User]] = relationship(secondary=workshop_facilitators, lazy="selectin")
    documents: Mapped[list[WorkshopDocument]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="WorkshopDocument.id"
    )
    consultations: Mapped[list[Consultation]] = relationship(
        back_populates="workshop", order_by="Consultation.id"
    )
    region_rows: Mapped[list[WorkshopRegion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WorkshopRegion.region"
    )

    @validates("starts_at", "ends_at")
    def _keep_wall_time(self, key: str, value: datetime) -> datetime:
        if value is not None:
            setattr(self, key.removesuffix("_at") + "_local", wall_of(value, self.time_zone or MOROCCO))
        return value

    @property
    def region_codes(self) -> list[str]:
        return [row.region for row in self.region_rows]

    @property
    def workshop_status(self) -> WorkshopStatus:
        return WorkshopStatus(self.status)

    @property
    def workshop_format(self) -> WorkshopFormat:
        return WorkshopFormat(self.format)

    @property
    def registration_is_open(self) -> bool:
        return self.workshop_status is WorkshopStatus.REGISTRATION_OPEN

    @property
    def next_status(self) -> WorkshopStatus | None:
        """The stage a workshop moves to next (None once closed)."""
        index = WORKSHOP_STATUS_ORDER.index(self.workshop_status)
        return WORKSHOP_STATUS_ORDER[index + 1] if index + 1 < len(WORKSHOP_STATUS_ORDER) else None


class WorkshopRegion(Model):
    """A region a regional workshop is for."""

    __tablename__ = "workshop_regions"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(3), primary_key=True)


class DocumentKind(LabelledEnum):
    AGENDA = "agenda", _l("Agenda")
    REFERENCE = "reference", _l("Reference document")
    MINUTES = "minutes", _l("Minutes and report")


DOCUMENT_KIND_LABELS = DocumentKind.labels()


class WorkshopDocument(Model):
    __tablename__ = "workshop_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('agenda', 'reference', 'minutes')", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind, 20))
    title: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))
    original_filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="documents")


class RoomRecord(Model):
    """What was produced in the room, recorded by a facilitator on behalf of an organisation:
    a proposal written on paper, the notes of a discussion. Provenance is kept and shown."""

    __tablename__ = "room_records"
    __table_args__ = (CheckConstraint("kind IN ('paper_proposal', 'discussion_notes')", name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="ar")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    recorded_by: Mapped[User | None] = relationship(lazy="joined")


ROOM_RECORD_LABELS = {
    "paper_proposal": _l("Proposal written on paper"),
    "discussion_notes": _l("Notes of a discussion"),
}


class RegistrationStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for the facilitator")  # holds a place, waits for the facilitator
    ACCEPTED = "accepted", _l("Accepted")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    DECLINED = "declined", _l("Declined")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


REGISTRATION_STATUS_LABELS = RegistrationStatus.labels()
# Registrations that hold one of the workshop's places.
HOLDING_PLACE = (RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED)
_REGISTRATION_STATUSES = ", ".join(f"'{value.value}'" for value in RegistrationStatus)


class Registration(Model):
    """An organisation's registration to a workshop: one per organisation and workshop."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("workshop_id", "organisation_id"),
        CheckConstraint(f"status IN ({_REGISTRATION_STATUSES})", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RegistrationStatus] = mapped_column(string_enum(RegistrationStatus, 20), index=True)
    attendees: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Waiting-list order: the registration time, then the id.
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended: Mapped[bool | None] = mapped_column()
    attendees_present: Mapped[int | None] = mapped_column(Integer)

    workshop: Mapped[Workshop] = relationship()
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def registration_status(self) -> RegistrationStatus:
        return RegistrationStatus(self.status)

    @property
    def is_current(self) -> bool:
        """Holding a place or waiting for one (not withdrawn, not declined)."""
        return self.registration_status not in (RegistrationStatus.WITHDRAWN, RegistrationStatus.DECLINED)

    @property
    def is_decidable(self) -> bool:
        """The facilitator may still accept or decline it."""
        return self.registration_status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED,
                                            RegistrationStatus.ACCEPTED)


class Phase(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    PROPOSALS_OPEN = "proposals_open", _l("Proposals open")
    DELIBERATION = "deliberation", _l("Deliberation")
    VOTING = "voting", _l("Voting")
    CLOSED = "closed", _l("Closed")
    RESULTS_PUBLISHED = "results_published", _l("Results published")


PHASE_ORDER = list(Phase)
PHASE_LABELS = Phase.labels()
PHASE_ACTIVITIES = {
    Phase.DRAFT: _l("The facilitators are preparing the consultation."),
    Phase.PROPOSALS_OPEN: _l("Participating organisations can submit proposals."),
    Phase.DELIBERATION: _l("Participating organisations discuss, co-sign and amend the proposals."),
    Phase.VOTING: _l("Each participating organisation casts one ballot."),
    Phase.CLOSED: _l("Voting is closed; the facilitators prepare the results."),
    Phase.RESULTS_PUBLISHED: _l("The results are published."),
}
# The scheduled phases: a time may be set for the move into each of them.
SCHEDULED_PHASES = (Phase.PROPOSALS_OPEN, Phase.DELIBERATION, Phase.VOTING, Phase.CLOSED)


class Participation(LabelledEnum):
    ALL_MEMBERS = "all_members", _l("Every member organisation")
    REGISTERED = "registered", _l("The organisations registered in the workshop")


PARTICIPATION_LABELS = Participation.labels()
_PHASES = ", ".join(f"'{value.value}'" for value in Phase)


class Consultation(DescriptionColumns, Model):
    """A question put to the organisations, inside a workshop or national (no workshop)."""

    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(f"phase IN ({_PHASES})", name="known_phase"),
        CheckConstraint("participation IN ('all_members', 'registered')", name="known_participation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="RESTRICT"), index=True)
    question_ar: Mapped[str] = mapped_column(String(300), default="")
    question_fr: Mapped[str] = mapped_column(String(300), default="")
    question_en: Mapped[str] = mapped_column(String(300), default="")
    participation: Mapped[Participation] = mapped_column(string_enum(Participation, 20),
                                                         default=Participation.ALL_MEMBERS)
    phase: Mapped[Phase] = mapped_column(string_enum(Phase, 20), default=Phase.DRAFT, index=True)
    proposals_open_at: Mapped[datetime | None] = mapped_column()
    deliberation_at: Mapped[datetime | None] = mapped_column()
    voting_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # The zone the phases' times are typed in, and those times on its clock (see Workshop).
    time_zone: Mapped[str] = mapped_column(String(64), default=MOROCCO)
    proposals_open_local: Mapped[datetime | None] = wall_time_column()
    deliberation_local: Mapped[datetime | None] = wall_time_column()
    voting_local: Mapped[datetime | None] = wall_time_column()
    closed_local: Mapped[datetime | None] = wall_time_column()
    # When the next scheduled move is due: one indexed column makes the per-request check cheap.
    next_move_at: Mapped[datetime | None] = mapped_column(index=True)
    # Other organisations may propose amendments during the deliberation.
    amendments_allowed: Mapped[bool] = mapped_column(default=True)
    voting_method: Mapped[str] = mapped_column(String(30), default="approval")
    max_approvals: Mapped[int | None] = mapped_column(Integer)
    quorum: Mapped[float | None] = mapped_column()
    threshold: Mapped[float | None] = mapped_column()
    # Secret: only totals and who took part are shown, never how an organisation voted.
    secret_ballots: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop | None] = relationship(back_populates="consultations")
    moves: Mapped[list[PhaseMove]] = relationship(
        back_populates="consultation", order_by="PhaseMove.id", cascade="all, delete-orphan"
    )

    @validates("proposals_open_at", "deliberation_at", "voting_at", "closed_at")
    def _keep_wall_time(self, key: str, value: datetime | None) -> datetime | None:
        local_key = key.removesuffix("_at") + "_local"
        setattr(self, local_key, None if value is None else wall_of(value, self.time_zone or MOROCCO))
        return value

    @property
    def current_phase(self) -> Phase:
        return Phase(self.phase)

    @property
    def is_draft(self) -> bool:
        """Still being prepared: shown to its facilitators only."""
        return self.current_phase is Phase.DRAFT

    @property
    def voting_has_opened(self) -> bool:
        """From the vote on, the settings that define the vote are fixed."""
        return PHASE_ORDER.index(self.current_phase) >= PHASE_ORDER.index(Phase.VOTING)

    def scheduled_at(self, phase: Phase) -> datetime | None:
        return getattr(self, f"{phase.value}_at", None) if phase in SCHEDULED_PHASES else None


class PhaseMove(Model):
    """One move of a consultation from a phase to the next, by hand or by schedule."""

    __tablename__ = "phase_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    from_phase: Mapped[Phase] = mapped_column(string_enum(Phase, 20))
    to_phase: Mapped[Phase] = mapped_column(string_enum(Phase, 20))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when the schedule moved it.
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(back_populates="moves")
    moved_by: Mapped[User | None] = relationship(lazy="joined")
