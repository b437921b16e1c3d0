"""What every proposal use-case shares: its domain error, the text limits, the timeline."""

from __future__ import annotations

from tadamon.accounts.models import User
from tadamon.core.errors_domain import DomainError
from tadamon.extensions import db
from tadamon.proposals.models import (
    Proposal,
    TimelineEvent,
)

TITLE_MIN, TITLE_MAX, BODY_MIN = 5, 200, 20


class ProposalError(DomainError):
    pass


def add_timeline_event(proposal: Proposal, kind: str, actor: User | None, detail: str = "") -> None:
    db.session.add(TimelineEvent(proposal_id=proposal.id, kind=kind, detail=detail,
                                 actor_id=actor.id if actor else None))
