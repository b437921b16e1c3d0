"""The shared action plan: actions built from voted proposals, the organisations that carry
them, their progress, the steering group's decisions, and the plan's immutable versions.

The working plan is the live rows below. A version is a snapshot of it (canonical JSON) taken
for review and then published: published versions never change (an ORM guard refuses it),
and the public plan page and every export read a snapshot, never the live rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadamon.core.db import string_enum, utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.core.texts import DescriptionColumns
from tadamon.extensions import Model, db
from tadamon.membership.models import Organisation

if TYPE_CHECKING:
    from tadamon.proposals.models import Proposal
    from tadamon.workshops.models import Theme


class ActionStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    IN_PROGRESS = "in_progress", _l("In progress")
    DONE = "done", _l("Done")
    SUSPENDED = "suspended", _l("Suspended")
    DROPPED = "dropped", _l("Dropped")


STATUS_LABELS = ActionStatus.labels()


class TerritoryScope(LabelledEnum):
    NATIONAL = "national", _l("National")
    REGIONS = "regions", _l("One or more regions")
    PROVINCES = "provinces", _l("One or more provinces")


SCOPE_LABELS = TerritoryScope.labels()


class CommitmentRole(LabelledEnum):
    LEAD = "lead", _l("Lead")
    PARTNER = "partner", _l("Partner")


ROLE_LABELS = CommitmentRole.labels()


class CommitmentState(LabelledEnum):
    VOLUNTEERED = "volunteered", _l("Awaiting the steering group")
    CONFIRMED = "confirmed", _l("Confirmed")
    DECLINED = "declined", _l("Declined")


COMMITMENT_STATE_LABELS = CommitmentState.labels()


class VersionState(StrEnum):
    REVIEW = "review"
    PUBLISHED = "published"


class Action(DescriptionColumns, Model):
    """An action of the working plan. Texts in three languages, at least one filled."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ar: Mapped[str] = mapped_column(String(300), default="")
    title_fr: Mapped[str] = mapped_column(String(300), default="")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    territory_scope: Mapped[TerritoryScope] = mapped_column(string_enum(TerritoryScope, 10),
                                                           default=TerritoryScope.NATIONAL)
    # Region codes, space-separated (the twelve codes of membership.regions).
    regions: Mapped[str] = mapped_column(String(60), default="")
    provinces: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    budget_estimate: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    funding_sources: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ActionStatus] = mapped_column(string_enum(ActionStatus, 12), default=ActionStatus.PLANNED,
                                                 index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # The first published version holding the action: from then on its page is public.
    first_published_version: Mapped[int | None] = mapped_column(Integer)
    # A removed action leaves the working plan but keeps its page and trail.
    removed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    sources: Mapped[list[ActionSource]] = relationship(back_populates="action", order_by="ActionSource.id",
                                                       cascade="all, delete-orphan")
    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.position", cascade="all, delete-orphan")
    indicators: Mapped[list[Indicator]] = relationship(order_by="Indicator.position", cascade="all, delete-orphan")
    commitments: Mapped[list[Commitment]] = relationship(back_populates="action", order_by="Commitment.id",
                                                         cascade="all, delete-orphan")
    # Read-only: to join the theme to the action's row (its page, the plan); written by theme_id.
    theme: Mapped[Theme | None] = relationship(viewonly=True)

    @property
    def region_codes(self) -> list[str]:
        return self.regions.split()

    @property
    def province_names(self) -> list[str]:
        return [name.strip() for name in self.provinces.split(",") if name.strip()]


class ActionSource(Model):
    """A proposal an action was made from: the link that traceability starts from."""

    __tablename__ = "plan_action_sources"
    __table_args__ = (UniqueConstraint("action_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), index=True)

    action: Mapped[Action] = relationship(back_populates="sources")
    # Read-only: to load the sources with their proposals in one query; written by proposal_id.
    proposal: Mapped[Proposal] = relationship(viewonly=True)


class SetAside(Model):
    """A candidate the steering group decided not to turn into an action, and why."""

    __tablename__ = "plan_set_asides"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Milestone(Model):
    __tablename__ = "plan_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Indicator(Model):
    __tablename__ = "plan_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    target: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    current_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))


class Commitment(Model):
    """An organisation's "we commit to carry this", as lead or partner, and the steering
    group's answer. One per organisation and action; one confirmed lead per action: the
    confirmed lead's `lead_marker` is TRUE and every other row's NULL, so a plain unique
    constraint on (action, lead_marker) holds it on SQLite and PostgreSQL alike."""

    __tablename__ = "plan_commitments"
    __table_args__ = (UniqueConstraint("action_id", "organisation_id"),
                      UniqueConstraint("action_id", "lead_marker"))

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[CommitmentRole] = mapped_column(string_enum(CommitmentRole, 10))
    state: Mapped[CommitmentState] = mapped_column(string_enum(CommitmentState, 12),
                                                   default=CommitmentState.VOLUNTEERED, index=True)
    lead_marker: Mapped[bool | None] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text, default="")
    volunteered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(Text, default="")

    action: Mapped[Action] = relationship(back_populates="commitments")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def is_confirmed(self) -> bool:
        return self.state == CommitmentState.CONFIRMED

    @property
    def is_pending(self) -> bool:
        """Waiting for the steering group's answer."""
        return self.state == CommitmentState.VOLUNTEERED


class ProgressUpdate(Model):
    """A dated progress report by one of the action's own organisations."""

    __tablename__ = "plan_progress_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    happened_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    progress: Mapped[int | None] = mapped_column(Integer)
    # {"<indicator id>": "<value>"}: the indicator values reported with this update.
    indicator_values: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Decision(Model):
    """The public decision trail: what the steering group decided, on which action or
    candidate, when, and why. Append-only in practice (no service edits or deletes it)."""

    __tablename__ = "plan_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # Plain values the page words in the reader's language (names, reasons, numbers).
    detail: Mapped[str] = mapped_column(Text, default="{}")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PlanVersion(Model):
    """Version N of the plan: a snapshot taken for review, then published. Published
    versions are immutable."""

    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    state: Mapped[VersionState] = mapped_column(string_enum(VersionState, 10), default=VersionState.REVIEW)
    snapshot: Mapped[str] = mapped_column(Text)
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_published(self) -> bool:
        return self.state == VersionState.PUBLISHED


class PublishedVersionIsImmutable(RuntimeError):
    pass


@event.listens_for(PlanVersion, "before_update")
def _refuse_changes_to_published(_mapper: object, _connection: object, version: PlanVersion) -> None:
    history = db.inspect(version).attrs.state.history
    was_published = (history.deleted and history.deleted[0] == VersionState.PUBLISHED) or (
        not history.has_changes() and version.state == VersionState.PUBLISHED)
    if was_published:
        raise PublishedVersionIsImmutable(f"plan version {version.number} is published")


@event.listens_for(PlanVersion, "before_delete")
def _refuse_deleting_published(_mapper: object, _connection: object, version: PlanVersion) -> None:
    if version.state == VersionState.PUBLISHED:
        raise PublishedVersionIsImmutable(f"plan version {version.number} is published")


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PlanExport(Model):
    """A requested export: its file lives outside the static folder and is served by token,
    to who may still see it, until it expires."""

    __tablename__ = "plan_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    # None: the working draft (steering group only).
    version_number: Mapped[int | None] = mapped_column(Integer)
    file_format: Mapped[str] = mapped_column(String(5))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[ExportState] = mapped_column(string_enum(ExportState, 10), default=ExportState.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    stored_path: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()

    @property
    def is_done(self) -> bool:
        return self.state == ExportState.DONE

    @property
    def has_failed(self) -> bool:
        return self.state == ExportState.FAILED
