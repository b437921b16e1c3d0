"""Proposals and their deliberation: versions, co-signatures, comments, reports, amendments,
and the lineage of merges and splits that curation leaves behind."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadamon.accounts.models import User
from tadamon.core.db import string_enum, utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.core.i18n import LocalText, pick_text, texts_of
from tadamon.extensions import Model
from tadamon.membership.models import Organisation
from tadamon.workshops.models import Consultation, Workshop


class ProposalState(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    MERGED = "merged", _l("Merged")  # merged into another proposal: its address redirects there
    SPLIT = "split", _l("Split")  # split into others, which carry it on


PROPOSAL_STATE_LABELS = ProposalState.labels()


class Evaluation(LabelledEnum):
    ACCEPTED = "accepted", _l("Accepted for the vote")
    NOT_RETAINED = "not_retained", _l("Not retained")
    CHANGES_REQUESTED = "changes_requested", _l("Asked to change")


EVALUATION_LABELS = Evaluation.labels()


class Stance(LabelledEnum):
    FOR = "for", _l("For")
    AGAINST = "against", _l("Against")
    NEUTRAL = "neutral", _l("Neutral")


STANCE_LABELS = Stance.labels()

# What each step of a proposal's public timeline is called.
TIMELINE_LABELS = {
    "published": _l("Published"),
    "edited": _l("New version published"),
    "withdrawn": _l("Withdrawn by its organisation"),
    "comment_hidden": _l("A comment was hidden by the moderators"),
    "proposal_hidden": _l("Hidden by the moderators"),
    "evaluated_accepted": _l("Accepted for the vote"),
    "evaluated_not_retained": _l("Not retained"),
    "evaluated_changes_requested": _l("Asked to change"),
    "merged_into": _l("Merged into another proposal"),
    "merged_from": _l("Another proposal was merged into this one"),
    "split_into": _l("Split into other proposals"),
    "split_from": _l("Created by splitting another proposal"),
    "amendment_proposed": _l("Amendment proposed"),
    "amendment_accepted": _l("Amendment accepted"),
    "amendment_rejected": _l("Amendment rejected"),
    "recorded_in_room": _l("Made on paper in the room, recorded by the facilitation"),
}

TERRITORY_LABELS = {"national": _l("National"), "region": _l("A region"), "province": _l("A province")}

_STATES = ", ".join(f"'{s.value}'" for s in ProposalState)
_EVALUATIONS = ", ".join(f"'{e.value}'" for e in Evaluation)


class Proposal(Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="known_state"),
        CheckConstraint(f"evaluation IS NULL OR evaluation IN ({_EVALUATIONS})", name="known_evaluation"),
        CheckConstraint("territory_scope IN ('national', 'region', 'province')", name="known_territory"),
        UniqueConstraint("organisation_id", "draft_key", name="one_draft_per_writing_page"),
        # A consultation's proposals, newest first (the list's default order): its page read in
        # order from the index (PostgreSQL had scanned every proposal's publication date,
        # 18 ms → 0.3 ms at 10,000 proposals; the time no longer grows with the network).
        Index("ix_proposals_consultation_recent", "consultation_id", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # The person who wrote it on the organisation's behalf; the record keeps both.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when a facilitator recorded it in the room (written on paper at the workshop).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[ProposalState] = mapped_column(string_enum(ProposalState, 20), default=ProposalState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="ar")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    territory_scope: Mapped[str] = mapped_column(String(10), default="national")
    territory_region: Mapped[str] = mapped_column(String(3), default="")
    territory_province: Mapped[str] = mapped_column(String(120), default="")
    beneficiaries: Mapped[str] = mapped_column(Text, default="")
    expected_impact: Mapped[str] = mapped_column(Text, default="")
    resources_needed: Mapped[str] = mapped_column(Text, default="")
    partners_sought: Mapped[str] = mapped_column(Text, default="")
    # Title and body folded for Arabic- and accent-aware search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)
    evaluation: Mapped[Evaluation | None] = mapped_column(string_enum(Evaluation, 20))
    evaluation_answer: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)
    # Denormalised counters, kept by the services, so lists sort without counting rows.
    cosignature_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Hidden by the moderators after a report: the page shows their reason in place of the text.
    hidden_at: Mapped[datetime | None] = mapped_column()
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A random key given to the writing page of a new proposal: the form's submit and the
    # autosave script may both arrive first, and must land in the same draft.
    draft_key: Mapped[str | None] = mapped_column(String(43))

    organisation: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[organisation_id])
    consultation: Mapped[Consultation] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    # The proposal page's few small rows, read with the proposal itself (`load_for_page`); other
    # code asks the services (`coauthors`, `attachments_of`, `room_origin`, `lineage_of`).
    coauthor_rows: Mapped[list[CoAuthor]] = relationship(viewonly=True, order_by="CoAuthor.id")
    attachment_rows: Mapped[list[Attachment]] = relationship(viewonly=True, order_by="Attachment.id")
    room_origin_row: Mapped[RoomOrigin | None] = relationship(viewonly=True)
    # The merges and splits it came from (as target) and went into (as source).
    lineage_steps: Mapped[list[Lineage]] = relationship(
        viewonly=True, order_by="Lineage.at",
        primaryjoin="or_(Proposal.id == foreign(Lineage.source_id), Proposal.id == foreign(Lineage.target_id))")

    @property
    def proposal_state(self) -> ProposalState:
        return ProposalState(self.state)

    @property
    def is_draft(self) -> bool:
        return self.state == ProposalState.DRAFT

    @property
    def is_published(self) -> bool:
        return self.state == ProposalState.PUBLISHED


class ProposalVersion(Model):
    """Every published version, kept and viewable."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Why this version exists: "edit", "amendment", "merge", "split".
    reason: Mapped[str] = mapped_column(String(20), default="edit")


class CoAuthor(Model):
    """An organisation credited as co-author (through a merge or an accepted amendment)."""

    __tablename__ = "proposal_coauthors"
    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20), default="merge")

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CoSignature(Model):
    """'We support this and would help carry it': one per organisation and proposal."""

    __tablename__ = "cosignatures"
    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Comment(Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("stance IN ('for', 'against', 'neutral')", name="known_stance"),
        CheckConstraint("depth >= 0 AND depth <= 2", name="two_levels_of_replies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stance: Mapped[Stance] = mapped_column(string_enum(Stance, 10), default=Stance.NEUTRAL)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    hidden_at: Mapped[datetime | None] = mapped_column()
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Authors and co-signers are told of new comments in groups, not one email each.
    notified_at: Mapped[datetime | None] = mapped_column(index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")


class Report(Model):
    """Someone flagged a proposal or a comment for the moderators, who hide the content or keep
    it, with a reason told to the reporter and the author."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("target_type IN ('proposal', 'comment')", name="known_target"),
        CheckConstraint("decision IS NULL OR decision IN ('hide', 'keep')", name="known_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    decision: Mapped[str | None] = mapped_column(String(10))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(lazy="joined")
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id], lazy="joined")


class Lineage(Model):
    """A curation step: `source` was merged into, or split into, `target`."""

    __tablename__ = "proposal_lineage"
    __table_args__ = (CheckConstraint("kind IN ('merge', 'split')", name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Proposal] = relationship(foreign_keys=[source_id], lazy="joined")
    target: Mapped[Proposal] = relationship(foreign_keys=[target_id], lazy="joined")
    by: Mapped[User | None] = relationship(lazy="joined")


class TimelineEvent(Model):
    """The proposal's public timeline: published, edited, evaluated, merged, hidden..."""

    __tablename__ = "proposal_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class RoomOrigin(Model):
    """Where a proposal made on paper in a workshop's room comes from: the workshop, the
    facilitator who typed it in, the day it was made there and, when it was first noted on the
    room page, that note. A split's parts keep their original's origin."""

    __tablename__ = "proposal_room_origins"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="RESTRICT"), index=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    made_on: Mapped[date] = mapped_column()
    # A note becomes one proposal: the database refuses a second (a split's parts do not
    # repeat the note; their original keeps it).
    room_record_id: Mapped[int | None] = mapped_column(ForeignKey("room_records.id", ondelete="SET NULL"),
                                                       unique=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship(lazy="joined")
    facilitator: Mapped[User | None] = relationship(lazy="joined")

    @property
    def workshop_title(self) -> LocalText:
        """The workshop's title in the reader's language (pages show it with `|bdi`)."""
        return pick_text(texts_of(self.workshop, "title"))

    @property
    def facilitator_name(self) -> str:
        return self.facilitator.display_name if self.facilitator is not None else "—"


class Similarity(Model):
    """Precomputed nearest proposals (TF-IDF on character n-grams), refreshed on save."""

    __tablename__ = "proposal_similarities"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    similar_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)

    similar: Mapped[Proposal] = relationship(foreign_keys=[similar_id], lazy="joined")


class AmendmentState(LabelledEnum):
    PENDING = "pending", _l("Waiting for the proposal's organisation")
    ACCEPTED = "accepted", _l("Accepted")
    REJECTED = "rejected", _l("Rejected")


AMENDMENT_STATE_LABELS = AmendmentState.labels()


class Amendment(Model):
    """Another organisation's proposed change to a proposal, with its justification.

    Only the proposal's own organisation decides; an accepted amendment becomes the
    proposal's new version and its organisation a co-author.
    """

    __tablename__ = "amendments"
    __table_args__ = (CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name="known_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    state: Mapped[AmendmentState] = mapped_column(string_enum(AmendmentState, 10), default=AmendmentState.PENDING,
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    proposal: Mapped[Proposal] = relationship()


class Attachment(Model):
    """A PDF or an image attached to a proposal, checked by content, stored outside static."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    file_type: Mapped[str] = mapped_column(String(10))
    original_filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
