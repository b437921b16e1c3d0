"""Curation by the facilitators: evaluation, merges and splits that keep every author, supporter
and comment, and the lineage and timeline they leave."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.proposals import similarity
from tadamon.proposals.models import (
    CoAuthor,
    Comment,
    CoSignature,
    Evaluation,
    Lineage,
    Proposal,
    ProposalState,
    ProposalVersion,
    TimelineEvent,
)
from tadamon.proposals.services import events
from tadamon.proposals.services.common import (
    BODY_MIN,
    TITLE_MIN,
    ProposalError,
    add_timeline_event,
)
from tadamon.proposals.services.room import carry_origin
from tadamon.proposals.services.support import cosignatures, recount


def evaluate(actor: User, proposal: Proposal, evaluation: str, answer: str) -> None:
    chosen = next((item for item in Evaluation if item == evaluation), None)
    if chosen is None:
        raise ProposalError(_l("Choose an evaluation."), field="evaluation")
    if chosen is not Evaluation.ACCEPTED and not answer.strip():
        raise ProposalError(_l("Give the organisation a public answer."), field="answer")
    before = proposal.evaluation
    proposal.evaluation = chosen
    proposal.evaluation_answer = answer.strip()
    db.session.flush()
    audit.record("proposal.evaluated", "proposal", proposal.id, object_label=proposal.title,
                 before={"evaluation": before}, after={"evaluation": evaluation, "answer": answer}, actor=actor)
    add_timeline_event(proposal, f"evaluated_{evaluation}", actor, answer.strip())
    if before != chosen:  # a second click on the same evaluation tells nobody again
        events.evaluated(actor, proposal)


def merge(actor: User, target: Proposal, sources: list[Proposal], reason: str) -> None:
    """Merges `sources` into `target`: authors become co-authors, co-signatures (one per
    organisation) and comments move over, the sources redirect, and the lineage is kept."""
    if not reason.strip():
        raise ProposalError(_l("Explain why these proposals are merged."), field="reason")
    sources = [s for s in sources if s.id != target.id]
    if not sources:
        raise ProposalError(_l("Choose at least one other proposal to merge."), field="sources")
    for source in [target, *sources]:
        if source.state != ProposalState.PUBLISHED or source.consultation_id != target.consultation_id:
            raise ProposalError(_l("Only published proposals of the same consultation can be merged."))
    source_organisations: dict[int, list[int]] = {}
    for source in sources:
        organisations = {source.organisation_id} | set(db.session.scalars(
            select(CoAuthor.organisation_id).where(CoAuthor.proposal_id == source.id)))
        source_organisations[source.id] = sorted(organisations)
        for organisation_id in organisations - {target.organisation_id}:
            add_unless_duplicate(CoAuthor(proposal_id=target.id, organisation_id=organisation_id, reason="merge"))
        for signature in cosignatures(source):
            if signature.organisation_id == target.organisation_id:
                continue
            # An organisation that had co-signed both keeps one co-signature.
            add_unless_duplicate(CoSignature(proposal_id=target.id, organisation_id=signature.organisation_id,
                                             person_id=signature.person_id, created_at=signature.created_at))
        db.session.execute(update(Comment).where(Comment.proposal_id == source.id)
                           .values(proposal_id=target.id).execution_options(synchronize_session=False))
        source.state = ProposalState.MERGED
        source.merged_into_id = target.id
        db.session.add(Lineage(kind="merge", source_id=source.id, target_id=target.id, reason=reason.strip(),
                               by_id=actor.id))
        add_timeline_event(source, "merged_into", actor, reason.strip())
        add_timeline_event(target, "merged_from", actor, reason.strip())
        similarity.refresh(source)
    target.version += 1
    db.session.add(ProposalVersion(proposal_id=target.id, number=target.version, title=target.title,
                                   body=target.body, created_by_id=actor.id, reason="merge"))
    db.session.flush()
    db.session.expire_all()
    recount(target)
    audit.record("proposal.merged", "proposal", target.id, object_label=target.title,
                 after={"sources": [s.id for s in sources], "reason": reason.strip()}, actor=actor)
    events.merged(actor, target, sources, source_organisations, reason.strip())


def lineage_of(proposal: Proposal) -> dict[str, list[Lineage]]:
    """The merges and splits the proposal came from and went into: one query for both."""
    steps = db.session.scalars(select(Lineage).where((Lineage.target_id == proposal.id)
                                                     | (Lineage.source_id == proposal.id)).order_by(Lineage.at)).all()
    return lineage_sides(proposal, steps)


def lineage_sides(proposal: Proposal, steps: Sequence[Lineage]) -> dict[str, list[Lineage]]:
    """`steps` touching the proposal, split into those it came from and those it went into."""
    return {"from": [step for step in steps if step.target_id == proposal.id],
            "into": [step for step in steps if step.source_id == proposal.id]}


def coauthors(proposal: Proposal) -> list[CoAuthor]:
    return list(db.session.scalars(select(CoAuthor).where(CoAuthor.proposal_id == proposal.id)))


def timeline(proposal: Proposal) -> list[TimelineEvent]:
    return list(db.session.scalars(select(TimelineEvent).where(TimelineEvent.proposal_id == proposal.id)
                                   .order_by(TimelineEvent.at, TimelineEvent.id)))


def split(actor: User, proposal: Proposal, parts: list[tuple[str, str]], reason: str) -> list[Proposal]:
    """Splits a proposal into several: each part keeps the organisation, its co-authors and
    co-signatures; the original stays readable, marked split, with the lineage shown."""
    if not reason.strip():
        raise ProposalError(_l("Explain why this proposal is split."), field="reason")
    if proposal.state != ProposalState.PUBLISHED:
        raise ProposalError(_l("Only published proposals can be split."))
    for index, (title, body) in enumerate(parts):
        if len(title.strip()) < TITLE_MIN:
            raise ProposalError(_l("Give the proposal a title of at least 5 characters."), field=f"title_{index + 1}")
        if len(body.strip()) < BODY_MIN:
            raise ProposalError(_l("Describe the proposal in at least 20 characters."), field=f"body_{index + 1}")
    created = []
    for title, body in parts:
        part = Proposal(
            consultation_id=proposal.consultation_id, organisation_id=proposal.organisation_id,
            author_id=proposal.author_id, recorded_by_id=proposal.recorded_by_id, state=ProposalState.PUBLISHED,
            title=title.strip(), body=body.strip(), language=proposal.language, theme_id=proposal.theme_id,
            territory_scope=proposal.territory_scope, territory_region=proposal.territory_region,
            territory_province=proposal.territory_province, beneficiaries=proposal.beneficiaries,
            expected_impact=proposal.expected_impact, resources_needed=proposal.resources_needed,
            partners_sought=proposal.partners_sought, published_at=utcnow(), version=1,
            search_text=normalize_for_search(f"{title} {body}"))
        db.session.add(part)
        db.session.flush()
        db.session.add(ProposalVersion(proposal_id=part.id, number=1, title=part.title, body=part.body,
                                       created_by_id=actor.id, reason="split"))
        carry_origin(proposal, part)
        for coauthor in coauthors(proposal):
            add_unless_duplicate(CoAuthor(proposal_id=part.id, organisation_id=coauthor.organisation_id,
                                          reason=coauthor.reason))
        for signature in cosignatures(proposal):
            add_unless_duplicate(CoSignature(proposal_id=part.id, organisation_id=signature.organisation_id,
                                             person_id=signature.person_id, created_at=signature.created_at))
        db.session.add(Lineage(kind="split", source_id=proposal.id, target_id=part.id, reason=reason.strip(),
                               by_id=actor.id))
        add_timeline_event(part, "split_from", actor, reason.strip())
        recount(part)
        similarity.refresh(part)
        created.append(part)
    proposal.state = ProposalState.SPLIT
    add_timeline_event(proposal, "split_into", actor, reason.strip())
    similarity.refresh(proposal)
    db.session.flush()
    audit.record("proposal.split", "proposal", proposal.id, object_label=proposal.title,
                 after={"parts": [p.id for p in created], "reason": reason.strip()}, actor=actor)
    events.split(actor, proposal, len(created), reason.strip())
    return created
