"""Membership: the charter and its versions, organisations and their applications, the people
who act for them, invitations, and the history of every decision."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
    desc,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from tadamon.accounts.models import User
from tadamon.core.db import string_enum, utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.core.i18n import LocalText, pick_text, texts_of
from tadamon.core.texts import DescriptionColumns, TitleColumns
from tadamon.extensions import Model, db


class LegalForm(LabelledEnum):
    ASSOCIATION = "association", _l("Association")
    FOUNDATION = "foundation", _l("Foundation")
    COOPERATIVE = "cooperative", _l("Cooperative")
    NETWORK = "network", _l("Network or federation")
    SOCIAL_ENTERPRISE = "social_enterprise", _l("Social or solidarity enterprise")
    PUBLIC_INSTITUTION = "public_institution", _l("Public institution")
    OTHER = "other", _l("Other")


LEGAL_FORM_LABELS = LegalForm.labels()


class MembershipState(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    CHANGES_REQUESTED = "changes_requested", _l("Changes requested")
    APPROVED = "approved", _l("Member")
    REJECTED = "rejected", _l("Rejected")
    SUSPENDED = "suspended", _l("Suspended")
    LEFT = "left", _l("Left the network")


STATE_LABELS = MembershipState.labels()

# The legal moves of an application and a membership; services refuse any other.
TRANSITIONS: dict[MembershipState, frozenset[MembershipState]] = {
    MembershipState.DRAFT: frozenset({MembershipState.SUBMITTED}),
    MembershipState.SUBMITTED: frozenset(
        {MembershipState.APPROVED, MembershipState.REJECTED, MembershipState.CHANGES_REQUESTED}
    ),
    MembershipState.CHANGES_REQUESTED: frozenset({MembershipState.SUBMITTED}),
    MembershipState.APPROVED: frozenset({MembershipState.SUSPENDED, MembershipState.LEFT}),
    MembershipState.SUSPENDED: frozenset({MembershipState.APPROVED, MembershipState.LEFT}),
    MembershipState.REJECTED: frozenset(),
    MembershipState.LEFT: frozenset(),
}
EDITABLE_STATES = frozenset({MembershipState.DRAFT, MembershipState.CHANGES_REQUESTED})
# States the steering group's last message explains (the changes asked, the reasons).
STATES_WITH_A_MESSAGE = frozenset(
    {MembershipState.CHANGES_REQUESTED, MembershipState.REJECTED, MembershipState.SUSPENDED}
)


class OrganisationRole(LabelledEnum):
    REPRESENTATIVE = "representative", _l("Representative")
    MEMBER = "member", _l("Member")


ORGANISATION_ROLE_LABELS = OrganisationRole.labels()

_STATE_VALUES = ", ".join(f"'{state.value}'" for state in MembershipState)
_LEGAL_FORM_VALUES = ", ".join(f"'{form.value}'" for form in LegalForm)


class Charter(TitleColumns, Model):
    """One version of the network's charter. Published versions never change."""

    __tablename__ = "charters"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    preamble_ar: Mapped[str] = mapped_column(Text, default="")
    preamble_fr: Mapped[str] = mapped_column(Text, default="")
    preamble_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    principles: Mapped[list[CharterPrinciple]] = relationship(
        back_populates="charter", order_by="CharterPrinciple.position",
        cascade="all, delete-orphan", lazy="selectin",
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class CharterPrinciple(TitleColumns, Model):
    __tablename__ = "charter_principles"
    __table_args__ = (UniqueConstraint("charter_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charter_id: Mapped[int] = mapped_column(ForeignKey("charters.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    explanation_ar: Mapped[str] = mapped_column(Text, default="")
    explanation_fr: Mapped[str] = mapped_column(Text, default="")
    explanation_en: Mapped[str] = mapped_column(Text, default="")

    charter: Mapped[Charter] = relationship(back_populates="principles")


class FieldOfAction(Model):
    """A field organisations work in (education, health, ...): a list the steering group keeps."""

    __tablename__ = "fields_of_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(120), default="")
    name_fr: Mapped[str] = mapped_column(String(120), default="")
    name_en: Mapped[str] = mapped_column(String(120), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


organisation_fields = Table(
    "organisation_fields",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields_of_action.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(DescriptionColumns, Model):
    """A member (or applicant) organisation: the network's voter, not its people."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="known_state"),
        CheckConstraint(f"legal_form IN ({_LEGAL_FORM_VALUES})", name="known_legal_form"),
        # The directory's order (membership.services.directory_query): its page of 20 read in
        # order from the index, not sorted out of every approved organisation (4.7 ms → 0.1 ms
        # on PostgreSQL at 2,000 organisations; the time no longer grows with the network).
        Index("ix_organisations_directory_order", "state", desc(column("is_founding_member")), "search_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    name_fr: Mapped[str] = mapped_column(String(200), default="")
    # Optional: an organisation may give its English name too; readers see the name in their
    # language when it has one (`local_name`), else the original with a "not yet translated" note.
    name_en: Mapped[str] = mapped_column(String(200), default="")
    acronym: Mapped[str] = mapped_column(String(30), default="")
    # Names folded for Arabic- and accent-aware search (core.text.normalize_for_search).
    search_name: Mapped[str] = mapped_column(String(500), default="", index=True)
    legal_form: Mapped[str] = mapped_column(String(30), default=LegalForm.ASSOCIATION.value)
    registration_number: Mapped[str] = mapped_column(String(60), default="")
    year_founded: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(3), default="", index=True)
    province: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    social_links: Mapped[str] = mapped_column(Text, default="")
    members_count: Mapped[int | None] = mapped_column(Integer)
    volunteers_count: Mapped[int | None] = mapped_column(Integer)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[MembershipState] = mapped_column(string_enum(MembershipState, 20),
                                                   default=MembershipState.DRAFT, index=True)
    is_founding_member: Mapped[bool] = mapped_column(default=False)
    # Ballots are cast by a representative, or by any of its people when the organisation says so.
    members_may_vote: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    approved_at: Mapped[datetime | None] = mapped_column()
    # The message of the last decision: the reason for a rejection, a suspension, the changes asked.
    decision_message: Mapped[str] = mapped_column(Text, default="")

    # Loaded when read (the profile and the application show them): an organisation named on a
    # page (an author, a co-signatory, the acting organisation) does not cost a query for them.
    fields: Mapped[list[FieldOfAction]] = relationship(
        secondary=organisation_fields, lazy="select", order_by=FieldOfAction.id
    )
    people: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    statutes: Mapped[StatutesDocument | None] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", uselist=False
    )
    events: Mapped[list[MembershipEvent]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan",
        order_by="MembershipEvent.id",  # insertion order: timestamps can tie
    )

    @property
    def membership_state(self) -> MembershipState:
        # A member even before the row is read back (a value assigned as a plain string).
        return MembershipState(self.state)

    @property
    def local_name(self) -> LocalText:
        """The name in the reader's language, through the platform's one fallback (pick_text);
        pages show it with `|bdi`, which adds its `lang` and the "not yet translated" note."""
        return pick_text(texts_of(self, "name"))

    @property
    def display_name(self) -> str:
        """The name as plain text in the reader's language (outside a request: Arabic)."""
        return self.local_name.text

    @property
    def original_name(self) -> str:
        """The name as the organisation registered it: for records that outlive the reader's
        language (the audit log, timelines)."""
        return self.name_ar or self.name_fr or self.name_en

    @property
    def is_public(self) -> bool:
        """An approved member: its profile is in the public directory."""
        return self.membership_state is MembershipState.APPROVED

    @property
    def message_to_show(self) -> str:
        """The steering group's last message, while it still explains the state (else "")."""
        return self.decision_message if self.membership_state in STATES_WITH_A_MESSAGE else ""

    def can_move_to(self, target: MembershipState) -> bool:
        return target in TRANSITIONS[self.membership_state]


class StatutesDocument(Model):
    """The statutes PDF, stored outside the static folder and served only to the allowed."""

    __tablename__ = "statutes_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship(back_populates="statutes")


class OrganisationMember(Model):
    """A person who acts for an organisation, as its representative or as a member."""

    __tablename__ = "organisation_members"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        CheckConstraint("role IN ('representative', 'member')", name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[OrganisationRole] = mapped_column(string_enum(OrganisationRole, 20))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="people")
    user: Mapped[User] = relationship(lazy="joined")
    # The organisation's adherence to the current charter, when the query that loaded the
    # membership asked for it (`with_expression`): the logged-in person's query does.
    charter_adherence: Mapped[bool | None] = query_expression()

    @property
    def is_representative(self) -> bool:
        return self.role == OrganisationRole.REPRESENTATIVE


# A person's memberships, seen from the person: read-only (memberships are written as
# OrganisationMember rows), and loaded only when a query asks (the logged-in person's query
# does, so that who is reading, their roles and the organisations they act for come in one
# statement). Added here: accounts knows nothing of organisations.
User.memberships = relationship(
    OrganisationMember, primaryjoin=User.id == OrganisationMember.user_id, viewonly=True, lazy="select",
    order_by=OrganisationMember.organisation_id)


class Invitation(Model):
    """A single-use invitation to act for an organisation, valid seven days."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('representative', 'member')", name="known_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[OrganisationRole] = mapped_column(string_enum(OrganisationRole, 20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship()


class CharterAdherence(Model):
    """An organisation's explicit adherence to one version of the charter."""

    __tablename__ = "charter_adherences"
    __table_args__ = (UniqueConstraint("organisation_id", "charter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    charter_id: Mapped[int] = mapped_column(ForeignKey("charters.id", ondelete="RESTRICT"), index=True)
    adhered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    adhered_at: Mapped[datetime] = mapped_column(default=utcnow)

    charter: Mapped[Charter] = relationship()


class MembershipEvent(Model):
    """One step in an application's or membership's history, shown on the application."""

    __tablename__ = "membership_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[MembershipState | None] = mapped_column(string_enum(MembershipState, 20))
    to_state: Mapped[MembershipState] = mapped_column(string_enum(MembershipState, 20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
