"""What the proposal pages show, computed outside the templates: the labels they name, and
the proposal page (its content and the actions offered to the person looking at it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.i18n import LocalText
from tadamon.core.markup import render_markdown
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.proposals import permissions, services, similarity
from tadamon.proposals.models import (
    AMENDMENT_STATE_LABELS,
    EVALUATION_LABELS,
    PROPOSAL_STATE_LABELS,
    STANCE_LABELS,
    TERRITORY_LABELS,
    TIMELINE_LABELS,
    Amendment,
    Attachment,
    Comment,
    CoSignature,
    Lineage,
    Proposal,
    ProposalVersion,
    RoomOrigin,
    Similarity,
    TimelineEvent,
)
from tadamon.workshops.models import PHASE_LABELS


def labels() -> dict[str, Any]:
    """The module's template labels: registered once as its blueprint's context processor."""
    return {"state_labels": PROPOSAL_STATE_LABELS, "evaluation_labels": EVALUATION_LABELS,
            "timeline_labels": TIMELINE_LABELS, "stance_labels": STANCE_LABELS,
            "territory_labels": TERRITORY_LABELS, "amendment_labels": AMENDMENT_STATE_LABELS,
            "regions": REGIONS_BY_CODE, "phase_labels": PHASE_LABELS, "render_markdown": render_markdown}


@dataclass(frozen=True)
class ProposalPage:
    """A proposal as its page shows it to one person: what is there, and what they may do."""

    proposal: Proposal
    authors: list[LocalText]  # names in the reader's language (marked when not translated)
    attachments: list[Attachment]
    cosignatures: list[CoSignature]
    comments: list[tuple[Comment, int]]
    amendments: list[Amendment]
    lineage: dict[str, list[Lineage]]
    origin: RoomOrigin | None  # made on paper in a workshop's room
    lineage_origins: dict[int, RoomOrigin]  # the room origins of the proposals it came from
    timeline: list[TimelineEvent]
    versions: list[ProposalVersion]
    similar: list[Similarity]
    has_cosigned: bool
    may_edit: bool
    may_withdraw: bool
    may_cosign: bool
    may_comment: bool
    may_amend: bool
    may_curate: bool
    may_moderate: bool
    may_report: bool
    # For the facilitators: the previous and next proposals still waiting for an evaluation.
    to_evaluate: tuple[Proposal | None, Proposal | None] = (None, None)

    @property
    def may_merge_or_split(self) -> bool:
        """Curation reshapes published proposals only."""
        return self.may_curate and self.proposal.is_published

    @property
    def split_into(self) -> list[Lineage]:
        return [step for step in self.lineage["into"] if step.kind == "split"]

    @property
    def split_from(self) -> list[Lineage]:
        return [step for step in self.lineage["from"] if step.kind == "split"]

    @property
    def merged_from(self) -> list[Lineage]:
        return [step for step in self.lineage["from"] if step.kind == "merge"]

    @property
    def has_lineage(self) -> bool:
        return bool(self.lineage["from"] or self.lineage["into"] or self.origin)

    @property
    def reply_targets(self) -> list[Comment]:
        """The comments one may answer: visible ones, down to the second level."""
        return [item for item, depth in self.comments if depth < 2 and not item.hidden_at]

    @property
    def shows_versions(self) -> bool:
        return len(self.versions) > 1

    def shows_comment(self, comment: Comment) -> bool:
        """A hidden comment's text is shown to the moderators only (others read the reason)."""
        return not comment.hidden_at or self.may_moderate

    @property
    def shows_text(self) -> bool:
        """A proposal hidden by the moderators keeps its text for them and its own organisation."""
        return not self.proposal.hidden_at or self.may_moderate or self.may_withdraw or self.may_edit

    def may_hide(self, comment: Comment) -> bool:
        return self.may_moderate and not comment.hidden_at


def proposal_page(actor: Actor, proposal: Proposal) -> ProposalPage:
    """The page's rows: the small ones through the proposal's relationships (joined to its row
    by `services.load_for_page` on the page itself), the growing ones one query each."""
    lineage = services.lineage_sides(proposal, proposal.lineage_steps)
    may_curate = permissions.can_curate(actor, proposal)
    cosignatures = services.cosignatures(proposal)
    return ProposalPage(
        proposal=proposal,
        authors=[proposal.organisation.local_name] + [c.organisation.local_name for c in proposal.coauthor_rows],
        attachments=list(proposal.attachment_rows), cosignatures=cosignatures,
        comments=services.comment_thread(proposal), amendments=services.amendments_of(proposal),
        lineage=lineage, origin=proposal.room_origin_row,
        lineage_origins={step.source_id: step.source.room_origin_row for step in lineage["from"]
                         if step.source.room_origin_row is not None},
        timeline=services.timeline(proposal),
        versions=services.versions(proposal), similar=similarity.similar_to(proposal),
        has_cosigned=services.has_cosigned(proposal, actor.organisation, cosignatures),
        may_edit=permissions.can_edit(actor, proposal),
        may_withdraw=permissions.can_withdraw(actor, proposal),
        may_cosign=permissions.can_cosign(actor, proposal),
        may_comment=permissions.can_comment(actor, proposal),
        may_amend=permissions.can_amend(actor, proposal),
        may_curate=may_curate,
        may_moderate=permissions.can_moderate(actor, proposal),
        may_report=permissions.can_report(actor, proposal),
        to_evaluate=services.evaluation_neighbours(proposal) if may_curate else (None, None),
    )
