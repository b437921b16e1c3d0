"""The lists of proposals (search, filters, sorts) and the dashboard counters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tadamon.core.db import contains_words
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.proposals.models import (
    Proposal,
    ProposalState,
)
from tadamon.workshops.models import Consultation

SORTS = ("recent", "cosigned", "discussed", "random")


def list_query(consultation: Consultation, *, search: str = "", theme_id: int | None = None, region: str = "",
               organisation_id: int | None = None, evaluation: str = "", sort: str = "recent", seed: int = 1) -> Any:
    query = select(Proposal).where(Proposal.consultation_id == consultation.id,
                                   Proposal.state == ProposalState.PUBLISHED)
    query = query.where(*contains_words(Proposal.search_text, normalize_for_search(search)))
    if theme_id:
        query = query.where(Proposal.theme_id == theme_id)
    if region:
        query = query.where(Proposal.territory_region == region)
    if organisation_id:
        query = query.where(Proposal.organisation_id == organisation_id)
    if evaluation:
        query = query.where(Proposal.evaluation == evaluation)
    if sort == "cosigned":
        return query.order_by(Proposal.cosignature_count.desc(), Proposal.id.desc())
    if sort == "discussed":
        return query.order_by(Proposal.comment_count.desc(), Proposal.id.desc())
    if sort == "random":
        # A stable shuffle per visitor: (id × seed) mod a prime, so no proposal is always first.
        return query.order_by((Proposal.id * seed) % 2147483629, Proposal.id)
    return query.order_by(Proposal.published_at.desc(), Proposal.id.desc())


def _awaiting_evaluation(consultation_id: int, other_than: int) -> Any:
    """The consultation's published proposals with no evaluation yet, but `other_than`."""
    return select(Proposal).where(Proposal.consultation_id == consultation_id, Proposal.id != other_than,
                                  Proposal.state == ProposalState.PUBLISHED, Proposal.evaluation.is_(None))


def evaluation_neighbours(proposal: Proposal) -> tuple[Proposal | None, Proposal | None]:
    """The previous and the next proposal of the same consultation still waiting for an
    evaluation, in the order they were written (ids), around `proposal`."""
    waiting = _awaiting_evaluation(proposal.consultation_id, proposal.id)
    previous = db.session.scalar(waiting.where(Proposal.id < proposal.id).order_by(Proposal.id.desc()).limit(1))
    following = db.session.scalar(waiting.where(Proposal.id > proposal.id).order_by(Proposal.id).limit(1))
    return previous, following


def next_to_evaluate(proposal: Proposal) -> Proposal | None:
    """After evaluating `proposal`: the next one waiting, else the first waiting before it (the
    facilitator goes round once), else None when every proposal is evaluated."""
    previous, following = evaluation_neighbours(proposal)
    if following is not None:
        return following
    return db.session.scalar(_awaiting_evaluation(proposal.consultation_id, proposal.id)
                             .order_by(Proposal.id).limit(1)) if previous is not None else None


def drafts_of(organisation_id: int, consultation_id: int | None = None) -> list[Proposal]:
    """An organisation's drafts (of one consultation, when given), the last edited first."""
    query = select(Proposal).where(Proposal.organisation_id == organisation_id, Proposal.state == ProposalState.DRAFT)
    if consultation_id is not None:
        query = query.where(Proposal.consultation_id == consultation_id)
    return list(db.session.scalars(query.order_by(Proposal.updated_at.desc(), Proposal.id.desc())))


def dashboard_counts(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Published proposals and their visible comments per consultation, in one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        select(Proposal.consultation_id, func.count(), func.coalesce(func.sum(Proposal.comment_count), 0))
        .where(Proposal.consultation_id.in_(consultation_ids), Proposal.state == ProposalState.PUBLISHED)
        .group_by(Proposal.consultation_id)).all()
    return {cid: {"proposals": int(count), "comments": int(comments)} for cid, count, comments in rows}
