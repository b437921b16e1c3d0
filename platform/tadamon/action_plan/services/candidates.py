"""Candidates: the proposals of closed votes, ranked, with their support across the network
and what the steering group did with them (actions made, set-asides)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.action_plan.models import Action, ActionSource, SetAside
from tadamon.action_plan.services.common import PlanError, record_decision
from tadamon.core import audit
from tadamon.core.persistence import add_unless_duplicate
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.proposals.models import CoSignature, Proposal
from tadamon.voting.models import VotingRound
from tadamon.workshops.models import Consultation, Phase


@dataclass
class Candidate:
    proposal: Proposal
    rank: int
    tied: bool
    leading: bool
    figure: str
    cosignatures: int
    regions: int
    legal_forms: int
    actions: list[Action] = field(default_factory=list)
    set_aside: SetAside | None = None


@dataclass
class ConsultationCandidates:
    consultation: Consultation
    vote: VotingRound
    winners_sentence: str
    candidates: list[Candidate]


def closed_rounds() -> list[VotingRound]:
    """The votes whose results exist: closed consultations, newest first."""
    return list(db.session.scalars(
        select(VotingRound).join(Consultation, Consultation.id == VotingRound.consultation_id)
        .where(VotingRound.results.is_not(None),
               Consultation.phase.in_([Phase.CLOSED.value, Phase.RESULTS_PUBLISHED.value]))
        .order_by(VotingRound.closed_at.desc(), VotingRound.id.desc())))


def _support_spread(proposal_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Distinct regions and legal forms among each proposal's author and co-signers: how
    widely across the network it is carried. Two queries, whatever the number of proposals."""
    pairs: dict[int, set[tuple[str, str]]] = defaultdict(set)
    if not proposal_ids:
        return {}
    authors = select(Proposal.id, Organisation.region, Organisation.legal_form).join(
        Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.id.in_(proposal_ids))
    signers = select(CoSignature.proposal_id, Organisation.region, Organisation.legal_form).join(
        Organisation, Organisation.id == CoSignature.organisation_id).where(CoSignature.proposal_id.in_(proposal_ids))
    for query in (authors, signers):
        for proposal_id, region, legal_form in db.session.execute(query):
            pairs[proposal_id].add((region or "", legal_form or ""))
    return {pid: (len({r for r, _f in found if r}), len({f for _r, f in found if f})) for pid, found in pairs.items()}


@dataclass
class _BoardRows:
    """What the board shows beside each candidate, loaded once for all of them."""

    proposals: dict[int, Proposal]
    spread: dict[int, tuple[int, int]]
    actions: dict[int, list[Action]]
    set_asides: dict[int, SetAside]


def _board_rows(ids: list[int]) -> _BoardRows:
    if not ids:
        return _BoardRows({}, {}, {}, {})
    actions: dict[int, list[Action]] = defaultdict(list)
    for proposal_id, action in db.session.execute(
            select(ActionSource.proposal_id, Action).join(Action, Action.id == ActionSource.action_id)
            .where(ActionSource.proposal_id.in_(ids), Action.removed_at.is_(None)).order_by(Action.id)):
        actions[proposal_id].append(action)
    return _BoardRows(
        proposals={p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))},
        spread=_support_spread(ids), actions=actions,
        set_asides={s.proposal_id: s for s in db.session.scalars(select(SetAside).where(SetAside.proposal_id.in_(ids)))})


def _consultation_candidates(vote: VotingRound, rows: _BoardRows) -> ConsultationCandidates | None:
    from tadamon.voting import presentation
    from tadamon.voting import services as voting

    results = voting.results_of(vote)
    if results is None:
        return None
    by_key = {key: rows.proposals[voting.proposal_id_of(key)] for key in voting.candidate_keys(vote)
              if voting.proposal_id_of(key) in rows.proposals}
    view = presentation.results_view(results, by_key)
    leading = set(results["winners"])
    candidates = []
    for row in view.rows:
        proposal = by_key.get(row.key)
        if proposal is None:
            continue
        regions, legal_forms = rows.spread.get(proposal.id, (0, 0))
        candidates.append(Candidate(proposal=proposal, rank=row.rank, tied=row.tied, leading=row.key in leading,
                                    figure=row.figure, cosignatures=proposal.cosignature_count,
                                    regions=regions, legal_forms=legal_forms,
                                    actions=rows.actions.get(proposal.id, []),
                                    set_aside=rows.set_asides.get(proposal.id)))
    candidates.sort(key=lambda c: (not c.leading, c.rank))
    return ConsultationCandidates(consultation=vote.consultation, vote=vote,
                                  winners_sentence=view.winners_sentence, candidates=candidates)


def candidate_board() -> list[ConsultationCandidates]:
    """Every closed consultation's candidates, the leading ones first, with their support and
    what the steering group did with them. A fixed number of queries."""
    from tadamon.voting import services as voting

    rounds = closed_rounds()
    ids = sorted({voting.proposal_id_of(c["id"]) for vote in rounds for c in voting.definition_of(vote)["candidates"]})
    rows = _board_rows(ids)
    board = [_consultation_candidates(vote, rows) for vote in rounds]
    return [group for group in board if group is not None]


def candidate_proposals(proposal_ids: Iterable[int]) -> list[Proposal]:
    """The proposals, in the order given, each checked to be a candidate of a closed vote."""
    from tadamon.voting import services as voting

    wanted = list(dict.fromkeys(int(i) for i in proposal_ids))
    if not wanted:
        raise PlanError(_l("Choose at least one proposal from the results."))
    keys = {voting.candidate_key(i) for i in wanted}
    found: set[str] = set()
    for vote in closed_rounds():
        found |= keys & set(voting.candidate_keys(vote))
    if found != keys:
        raise PlanError(_l("Only proposals put to a vote that has closed can become actions."))
    proposals = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(wanted)))}
    return [proposals[i] for i in wanted]


def set_aside(actor: User, proposal: Proposal, reason: str) -> SetAside:
    """Sets a candidate aside with a public reason. Raises PlanError if it already is."""
    candidate_proposals([proposal.id])
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(_l("Say why this proposal is set aside: the reason is public."), field="reason")
    row = SetAside(proposal_id=proposal.id, reason=reason, by_id=actor.id)
    if not add_unless_duplicate(row):
        raise PlanError(_l("This proposal is already set aside."))
    record_decision("set_aside", actor, proposal_id=proposal.id, reason=reason, proposal=proposal.title)
    audit.record("plan.candidate_set_aside", "proposal", proposal.id, object_label=proposal.title,
                 after={"reason": reason}, actor=actor)
    return row


def restore_candidate(actor: User, proposal: Proposal) -> None:
    """Brings a set-aside proposal back among the candidates. Raises PlanError if it is not set aside."""
    row = db.session.scalar(select(SetAside).where(SetAside.proposal_id == proposal.id))
    if row is None:
        raise PlanError(_l("This proposal is not set aside."))
    db.session.delete(row)
    record_decision("restored", actor, proposal_id=proposal.id, proposal=proposal.title)
    audit.record("plan.candidate_restored", "proposal", proposal.id, object_label=proposal.title,
                 before={"reason": row.reason}, actor=actor)
