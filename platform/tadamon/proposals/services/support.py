"""Co-signing: one per organisation and proposal by a database constraint, inserted without a
prior check so parallel requests cannot both succeed; denormalised counters kept here."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from tadamon.accounts.models import User
from tadamon.core.persistence import add_unless_duplicate
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.proposals.models import (
    Comment,
    CoSignature,
    Proposal,
)
from tadamon.proposals.services import events


def cosign(proposal: Proposal, organisation: Organisation, person: User) -> bool:
    """Adds the organisation's co-signature and tells the proposal's organisation; False when it
    had already co-signed (then nobody is told again)."""
    if not add_unless_duplicate(CoSignature(proposal_id=proposal.id, organisation_id=organisation.id,
                                            person_id=person.id)):
        return False
    recount(proposal)
    events.cosigned(person, proposal, organisation.display_name)
    return True


def withdraw_cosignature(proposal: Proposal, organisation: Organisation) -> None:
    db.session.execute(delete(CoSignature).where(
        CoSignature.proposal_id == proposal.id, CoSignature.organisation_id == organisation.id))
    recount(proposal)


def recount(proposal: Proposal) -> None:
    """Counters from the rows themselves (never +1 in Python): parallel requests stay exact."""
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(
        cosignature_count=select(func.count()).select_from(CoSignature)
        .where(CoSignature.proposal_id == proposal.id).scalar_subquery(),
        comment_count=select(func.count()).select_from(Comment)
        .where(Comment.proposal_id == proposal.id, Comment.hidden_at.is_(None)).scalar_subquery(),
    ).execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(proposal)


def cosignatures(proposal: Proposal) -> list[CoSignature]:
    return list(db.session.scalars(select(CoSignature).where(CoSignature.proposal_id == proposal.id)
                                   .order_by(CoSignature.created_at)))


def has_cosigned(proposal: Proposal, organisation: Organisation | None,
                 among: list[CoSignature] | None = None) -> bool:
    """`among`: the proposal's co-signatures when the caller has them (the proposal page)."""
    if organisation is None:
        return False
    if among is not None:
        return any(c.organisation_id == organisation.id for c in among)
    return (db.session.scalar(select(func.count()).select_from(CoSignature).where(
        CoSignature.proposal_id == proposal.id, CoSignature.organisation_id == organisation.id)) or 0) > 0
