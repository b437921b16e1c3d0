"""Use-cases of the action plan: candidates from the results, actions made from proposals,
commitments, progress updates, set-asides, and the plan's versions (snapshot, review,
publish, diff). Services flush, never commit; each privileged step goes to the audit log
and, when the public should see it, to the action's decision trail.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tadamon.accounts.models import User
from tadamon.accounts.queries import holders_of
from tadamon.action_plan.models import (
    COMMITMENT_STATE_LABELS,
    ROLE_LABELS,
    Action,
    ActionSource,
    ActionStatus,
    Commitment,
    CommitmentRole,
    CommitmentState,
    Decision,
    Indicator,
    Milestone,
    PlanVersion,
    ProgressUpdate,
    SetAside,
    TerritoryScope,
    VersionState,
)
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.notifications import notify, register_kind, register_labels, texts
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.queries import representatives_of
from tadamon.proposals.models import CoAuthor, CoSignature, Lineage, Proposal
from tadamon.voting.models import VotingRound
from tadamon.workshops.models import Consultation, Phase, Theme, Workshop

SNAPSHOT_FORMAT = "tadamon.plan/1"
LANGUAGES = ("ar", "fr", "en")
CURRENCY = "MAD"


class PlanError(DomainError):
    pass


register_labels("plan.role", ROLE_LABELS)
register_labels("plan.commitment_state", COMMITMENT_STATE_LABELS)
register_kind("plan.commitment_decided", subject=_l("Your commitment to an action: %(decision)s"),
              text=_l("The steering group answered %(organisation)s's offer to carry “%(action)s”: "
                      "%(decision)s. %(answer)s"))
register_kind("plan.volunteered", subject=_l("An organisation volunteers for an action"),
              text=_l("%(organisation)s offers to carry “%(action)s” as %(role)s. The steering group "
                      "confirms or declines it on the action's page."))
register_kind("plan.lead_wanted", subject=_l("An action of the plan looks for a lead organisation"),
              text=_l("The steering group looks for an organisation to lead “%(action)s”. If yours can carry "
                      "it, say so on the action's page."))
register_kind("plan.published", subject=_l("Version %(number)s of the action plan is published"),
              text=_l("Version %(number)s of the shared action plan is published: %(count)s actions."))


# --- small helpers ----------------------------------------------------------------------------


def _ml(obj: Any, field_name: str) -> dict[str, str]:
    return {code: (getattr(obj, f"{field_name}_{code}", "") or "") for code in LANGUAGES}


def _organisation(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {"id": f"organisation-{organisation.id}",
            "name": {"ar": organisation.name_ar or organisation.name_fr,
                     "fr": organisation.name_fr or organisation.name_ar,
                     "en": organisation.name_fr or organisation.name_ar},
            "acronym": organisation.acronym or "", "region": organisation.region or ""}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _decide(kind: str, actor: User | None, *, action: Action | None = None, proposal_id: int | None = None,
            **detail: Any) -> None:
    db.session.add(Decision(action_id=action.id if action is not None else None, proposal_id=proposal_id, kind=kind,
                            detail=json.dumps(detail, ensure_ascii=False, default=str),
                            by_id=getattr(actor, "id", None)))


def action_label(action: Action) -> str:
    return action.title_fr or action.title_ar or action.title_en


# --- candidates -------------------------------------------------------------------------------


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


def candidate_board() -> list[ConsultationCandidates]:
    """Every closed consultation's candidates, the leading ones first, with their support and
    what the steering group did with them. A fixed number of queries."""
    from tadamon.voting import presentation
    from tadamon.voting import services as voting

    rounds = closed_rounds()
    definitions = {vote.id: voting.definition_of(vote) for vote in rounds}
    ids = sorted({voting.proposal_id_of(c["id"]) for d in definitions.values() for c in d["candidates"]})
    proposals = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    spread = _support_spread(ids)
    actions_by_proposal: dict[int, list[Action]] = defaultdict(list)
    if ids:
        for proposal_id, action in db.session.execute(
                select(ActionSource.proposal_id, Action).join(Action, Action.id == ActionSource.action_id)
                .where(ActionSource.proposal_id.in_(ids), Action.removed_at.is_(None)).order_by(Action.id)):
            actions_by_proposal[proposal_id].append(action)
    set_asides = {s.proposal_id: s for s in db.session.scalars(select(SetAside).where(SetAside.proposal_id.in_(ids)))} \
        if ids else {}
    board = []
    for vote in rounds:
        results = voting.results_of(vote)
        if results is None:
            continue
        by_key = {key: proposals[voting.proposal_id_of(key)] for key in voting.candidate_keys(vote)
                  if voting.proposal_id_of(key) in proposals}
        view = presentation.results_view(results, by_key)
        leading = set(results["winners"])
        candidates = []
        for row in view.rows:
            proposal = by_key.get(row.key)
            if proposal is None:
                continue
            regions, legal_forms = spread.get(proposal.id, (0, 0))
            candidates.append(Candidate(proposal=proposal, rank=row.rank, tied=row.tied, leading=row.key in leading,
                                        figure=row.figure, cosignatures=proposal.cosignature_count,
                                        regions=regions, legal_forms=legal_forms,
                                        actions=actions_by_proposal.get(proposal.id, []),
                                        set_aside=set_asides.get(proposal.id)))
        candidates.sort(key=lambda c: (not c.leading, c.rank))
        board.append(ConsultationCandidates(consultation=vote.consultation, vote=vote,
                                            winners_sentence=view.winners_sentence, candidates=candidates))
    return board


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
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise PlanError(_l("This proposal is already set aside.")) from None
    _decide("set_aside", actor, proposal_id=proposal.id, reason=reason, proposal=proposal.title)
    audit.record("plan.candidate_set_aside", "proposal", proposal.id, object_label=proposal.title,
                 after={"reason": reason}, actor=actor)
    return row


def restore_candidate(actor: User, proposal: Proposal) -> None:
    row = db.session.scalar(select(SetAside).where(SetAside.proposal_id == proposal.id))
    if row is None:
        raise PlanError(_l("This proposal is not set aside."))
    db.session.delete(row)
    _decide("restored", actor, proposal_id=proposal.id, proposal=proposal.title)
    audit.record("plan.candidate_restored", "proposal", proposal.id, object_label=proposal.title,
                 before={"reason": row.reason}, actor=actor)


# --- actions ----------------------------------------------------------------------------------


@dataclass
class MilestoneData:
    title: str
    due_on: date | None = None
    done: bool = False


@dataclass
class IndicatorData:
    name: str
    unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    current_value: Decimal | None = None
    indicator_id: int | None = None


@dataclass
class ActionData:
    title_ar: str = ""
    title_fr: str = ""
    title_en: str = ""
    description_ar: str = ""
    description_fr: str = ""
    description_en: str = ""
    objectives: str = ""
    theme_id: int | None = None
    territory_scope: str = TerritoryScope.NATIONAL.value
    regions: list[str] = field(default_factory=list)
    provinces: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    budget_estimate: Decimal | None = None
    funding_sources: str = ""
    status: str = ActionStatus.PLANNED.value
    progress: int = 0
    milestones: list[MilestoneData] = field(default_factory=list)
    indicators: list[IndicatorData] = field(default_factory=list)


def draft_from_proposals(proposals: Sequence[Proposal]) -> ActionData:
    """An action's first text, taken from the proposals (nothing is typed twice): the first
    proposal's title in its language; the bodies one after the other, each under its title
    when several are merged; the expected impacts as objectives; the territories joined."""
    first = proposals[0]
    data = ActionData(theme_id=first.theme_id)
    language = first.language if first.language in LANGUAGES else "fr"
    setattr(data, f"title_{language}", first.title[:300])
    bodies: dict[str, list[str]] = defaultdict(list)
    for proposal in proposals:
        code = proposal.language if proposal.language in LANGUAGES else "fr"
        bodies[code].append(f"{proposal.title}\n\n{proposal.body}" if len(proposals) > 1 else proposal.body)
    for code, parts in bodies.items():
        setattr(data, f"description_{code}", "\n\n".join(parts))
    data.objectives = "\n".join(p.expected_impact for p in proposals if p.expected_impact)
    scopes = {p.territory_scope for p in proposals}
    if "national" in scopes or not scopes:
        data.territory_scope = TerritoryScope.NATIONAL.value
    else:
        data.regions = sorted({p.territory_region for p in proposals if p.territory_region})
        provinces = [p.territory_province for p in proposals if p.territory_province]
        data.territory_scope = (TerritoryScope.PROVINCES if provinces else TerritoryScope.REGIONS).value
        data.provinces = ", ".join(dict.fromkeys(provinces))
    data.funding_sources = "\n".join(p.resources_needed for p in proposals if p.resources_needed)
    return data


def _check(data: ActionData) -> None:
    if not (data.title_ar or data.title_fr or data.title_en):
        raise PlanError(_l("Give the action a title in at least one language."), field="title_ar")
    if data.territory_scope != TerritoryScope.NATIONAL.value and not data.regions:
        raise PlanError(_l("Choose at least one region, or make the action national."), field="regions")
    from tadamon.membership.regions import REGIONS_BY_CODE

    if data.territory_scope not in {scope.value for scope in TerritoryScope}:
        raise PlanError(_l("Choose the action's territory."), field="territory_scope")
    if any(code not in REGIONS_BY_CODE for code in data.regions):
        raise PlanError(_l("Choose regions from the list."), field="regions")
    if data.territory_scope == TerritoryScope.PROVINCES.value and not data.provinces.strip():
        raise PlanError(_l("Name at least one province or city."), field="provinces")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise PlanError(_l("The end date comes before the start date."), field="ends_on")
    if not 0 <= data.progress <= 100:
        raise PlanError(_l("Progress is a percentage, from 0 to 100."), field="progress")


def _apply(action: Action, data: ActionData) -> None:
    for name in ("title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
                 "objectives", "theme_id", "territory_scope", "provinces", "starts_on", "ends_on",
                 "budget_estimate", "funding_sources", "status", "progress"):
        setattr(action, name, getattr(data, name))
    national = data.territory_scope == TerritoryScope.NATIONAL.value
    action.regions = "" if national else " ".join(sorted(set(data.regions)))
    if data.territory_scope != TerritoryScope.PROVINCES.value:
        action.provinces = ""
    action.updated_at = utcnow()
    action.milestones = [Milestone(position=i, title=m.title, due_on=m.due_on, done=m.done)
                         for i, m in enumerate(data.milestones) if m.title]
    # Indicators keep their ids (progress updates refer to them): update in place by id.
    existing = {indicator.id: indicator for indicator in action.indicators}
    kept = []
    for position, item in enumerate(d for d in data.indicators if d.name):
        indicator = existing.get(item.indicator_id) if item.indicator_id else None
        if indicator is None:
            indicator = Indicator()
        indicator.position, indicator.name, indicator.unit = position, item.name, item.unit
        indicator.baseline, indicator.target, indicator.current_value = item.baseline, item.target, item.current_value
        kept.append(indicator)
    action.indicators = kept


def _snapshot_fields(action: Action) -> dict[str, Any]:
    return {"title": _ml(action, "title"), "status": action.status, "progress": action.progress,
            "theme_id": action.theme_id, "regions": action.regions, "starts_on": _iso(action.starts_on),
            "ends_on": _iso(action.ends_on)}


def create_action(actor: User, proposals: Sequence[Proposal], data: ActionData) -> Action:
    """Turns one proposal, or several merged, into an action of the working plan.

    Raises PlanError when a proposal is not a closed vote's candidate, is set aside, or the
    data breaks a rule. Side effects: the decision trail and the audit log.
    """
    proposals = candidate_proposals([p.id for p in proposals])
    aside = db.session.scalars(select(SetAside.proposal_id).where(
        SetAside.proposal_id.in_([p.id for p in proposals]))).all()
    if aside:
        raise PlanError(_l("A chosen proposal is set aside: bring it back to the candidates first."))
    _check(data)
    action = Action(created_by_id=actor.id)
    _apply(action, data)
    action.sources = [ActionSource(proposal_id=p.id) for p in proposals]
    db.session.add(action)
    db.session.flush()
    _decide("created", actor, action=action, proposals=[p.id for p in proposals],
            titles=[p.title for p in proposals])
    audit.record("plan.action_created", "plan_action", action.id, object_label=action_label(action),
                 after={"proposals": [p.id for p in proposals], **_snapshot_fields(action)}, actor=actor)
    return action


def update_action(actor: User, action: Action, data: ActionData) -> Action:
    """Edits an action of the working plan (published versions keep their own copy)."""
    if action.removed_at is not None:
        raise PlanError(_l("This action was removed from the plan."))
    _check(data)
    before = _snapshot_fields(action)
    old_status = action.status
    _apply(action, data)
    db.session.flush()
    if old_status != action.status:
        _decide("status_changed", actor, action=action, status=action.status, previous=old_status)
    audit.record("plan.action_updated", "plan_action", action.id, object_label=action_label(action),
                 before=before, after=_snapshot_fields(action), actor=actor)
    return action


def add_sources(actor: User, action: Action, proposals: Sequence[Proposal]) -> None:
    """Merges more proposals into an existing action."""
    proposals = candidate_proposals([p.id for p in proposals])
    have = {source.proposal_id for source in action.sources}
    added = [p for p in proposals if p.id not in have]
    if not added:
        raise PlanError(_l("These proposals are already sources of this action."))
    for proposal in added:
        action.sources.append(ActionSource(proposal_id=proposal.id))
    db.session.flush()
    _decide("merged", actor, action=action, proposals=[p.id for p in added], titles=[p.title for p in added])
    audit.record("plan.action_merged", "plan_action", action.id, object_label=action_label(action),
                 after={"proposals": [p.id for p in added]}, actor=actor)


def remove_action(actor: User, action: Action, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(_l("Say why the action leaves the plan: the reason is public."), field="reason")
    changed = db.session.execute(update(Action).where(Action.id == action.id, Action.removed_at.is_(None))
                                 .values(removed_at=utcnow()).execution_options(synchronize_session="fetch"))
    if changed.rowcount != 1:
        raise PlanError(_l("This action was removed from the plan."))
    _decide("removed", actor, action=action, reason=reason)
    audit.record("plan.action_removed", "plan_action", action.id, object_label=action_label(action),
                 after={"reason": reason}, actor=actor)


def working_actions() -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.removed_at.is_(None)).order_by(Action.id)))


def open_to(organisation: Organisation, limit: int = 50) -> list[Action]:
    """Actions of the working plan that `organisation` could still offer to carry: live, not
    done or dropped, and not already offered by it. One query, whatever the plan's size."""
    offered = select(Commitment.action_id).where(Commitment.organisation_id == organisation.id)
    return list(db.session.scalars(
        select(Action).where(Action.removed_at.is_(None),
                             Action.status.not_in([ActionStatus.DONE.value, ActionStatus.DROPPED.value]),
                             Action.id.not_in(offered))
        .order_by(Action.id).limit(limit)))


# --- commitments and progress ---------------------------------------------------------------


def commitment_of(action: Action, organisation: Organisation | None) -> Commitment | None:
    if organisation is None:
        return None
    return next((c for c in action.commitments if c.organisation_id == organisation.id), None)


def is_carried_by(action: Action, organisation: Organisation | None) -> bool:
    commitment = commitment_of(action, organisation)
    return commitment is not None and commitment.is_confirmed


def volunteer(person: User, organisation: Organisation, action: Action, role: str, message: str) -> Commitment:
    """`organisation` offers to lead or partner `action`. One offer per organisation (a
    database constraint); the steering group is told."""
    if action.removed_at is not None or action.status in (ActionStatus.DONE.value, ActionStatus.DROPPED.value):
        raise PlanError(_l("This action no longer takes volunteers."))
    if role not in {r.value for r in CommitmentRole}:
        raise PlanError(_l("Choose to lead or to partner the action."), field="role")
    commitment = Commitment(action_id=action.id, organisation_id=organisation.id, role=role,
                            message=(message or "").strip(), volunteered_by_id=person.id)
    try:
        with db.session.begin_nested():
            db.session.add(commitment)
    except IntegrityError:
        raise PlanError(_l("Your organisation has already offered to carry this action.")) from None
    db.session.refresh(action, ["commitments"])
    audit.record("plan.volunteered", "plan_action", action.id, object_label=action_label(action),
                 after={"organisation": organisation.id, "role": role}, actor=person)
    notify(holders_of(Role.STEERING), "plan.volunteered", link=f"/plan/actions/{action.id}",
           organisation=organisation.display_name, action=texts(action, "title"),
           role={"label": "plan.role", "value": role})
    return commitment


def has_confirmed_lead(action: Action) -> bool:
    return any(c.is_confirmed and c.role == CommitmentRole.LEAD.value for c in action.commitments)


def call_for_lead(actor: User, action: Action) -> int:
    """Asks every member organisation's representatives whether one of them will lead the
    action; returns how many people were told. Refused once the action has its lead."""
    if action.removed_at is not None or action.status in (ActionStatus.DONE.value, ActionStatus.DROPPED.value):
        raise PlanError(_l("This action no longer takes volunteers."))
    if has_confirmed_lead(action):
        raise PlanError(_l("This action already has a confirmed lead organisation."))

    people = representatives_of(None)
    _decide("lead_requested", actor, action=action)
    audit.record("plan.lead_requested", "plan_action", action.id, object_label=action_label(action),
                 after={"told": len(people)}, actor=actor)
    notify(people, "plan.lead_wanted", link=f"/plan/actions/{action.id}", action=texts(action, "title"))
    return len(people)


def decide_commitment(actor: User, commitment: Commitment, confirm: bool, answer: str = "") -> None:
    """The steering group confirms or declines an offer; compare-and-set from "volunteered".
    A second confirmed lead is refused by the database."""
    target = CommitmentState.CONFIRMED if confirm else CommitmentState.DECLINED
    values: dict[str, Any] = {"state": target.value, "decided_at": utcnow(), "decided_by_id": actor.id,
                              "answer": (answer or "").strip()}
    if confirm and commitment.role == CommitmentRole.LEAD.value:
        values["lead_marker"] = True
    try:
        with db.session.begin_nested():
            changed = db.session.execute(
                update(Commitment).where(Commitment.id == commitment.id,
                                         Commitment.state == CommitmentState.VOLUNTEERED.value)
                .values(**values).execution_options(synchronize_session=False))
    except IntegrityError:
        raise PlanError(_l("This action already has a confirmed lead: decline this offer, or offer a "
                           "partner's place.")) from None
    if changed.rowcount != 1:
        raise PlanError(_l("This offer was already answered."))
    db.session.refresh(commitment)
    action = commitment.action
    _decide("commitment_" + target.value, actor, action=action, organisation=commitment.organisation.display_name,
            organisation_id=commitment.organisation_id, role=commitment.role, answer=values["answer"])
    audit.record(f"plan.commitment_{target.value}", "plan_action", action.id, object_label=action_label(action),
                 after={"organisation": commitment.organisation_id, "role": commitment.role}, actor=actor)
    notify(representatives_of([commitment.organisation_id]), "plan.commitment_decided",
           link=f"/plan/actions/{action.id}", organisation=commitment.organisation.display_name,
           action=texts(action, "title"), decision={"label": "plan.commitment_state", "value": target.value},
           answer=values["answer"])


@dataclass
class UpdateData:
    happened_on: date
    text: str
    progress: int | None = None
    indicator_values: dict[int, Decimal] = field(default_factory=dict)


def post_update(person: User, organisation: Organisation, action: Action, data: UpdateData) -> ProgressUpdate:
    """A dated progress report by one of the action's confirmed organisations; it moves the
    action's progress and its indicators' current values."""
    if not is_carried_by(action, organisation):
        raise PlanError(_l("Only the organisations that carry this action report its progress."))
    if not data.text.strip():
        raise PlanError(_l("Say what was done."), field="text")
    if data.progress is not None and not 0 <= data.progress <= 100:
        raise PlanError(_l("Progress is a percentage, from 0 to 100."), field="progress")
    if data.happened_on > datetime.now(UTC).date():
        raise PlanError(_l("A progress update reports what has happened: its date cannot be in the future."),
                        field="happened_on")
    known = {indicator.id: indicator for indicator in action.indicators}
    values = {str(k): str(v) for k, v in data.indicator_values.items() if k in known}
    row = ProgressUpdate(action_id=action.id, organisation_id=organisation.id, author_id=person.id,
                         happened_on=data.happened_on, text=data.text.strip(), progress=data.progress,
                         indicator_values=json.dumps(values))
    db.session.add(row)
    latest = db.session.scalar(select(func.max(ProgressUpdate.happened_on)).where(ProgressUpdate.action_id == action.id))
    if latest is None or data.happened_on >= latest:
        # An update about an earlier date is kept on the timeline but does not roll back figures.
        if data.progress is not None:
            action.progress = data.progress
            if action.status == ActionStatus.PLANNED.value and data.progress > 0:
                action.status = ActionStatus.IN_PROGRESS.value
        for key, value in data.indicator_values.items():
            if key in known:
                known[key].current_value = value
    action.updated_at = utcnow()
    db.session.flush()
    audit.record("plan.progress_posted", "plan_action", action.id, object_label=action_label(action),
                 after={"organisation": organisation.id, "progress": data.progress, "indicators": values},
                 actor=person)
    return row


def updates_of(action: Action) -> list[ProgressUpdate]:
    return list(db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.action_id == action.id)
                                   .order_by(ProgressUpdate.happened_on.desc(), ProgressUpdate.id.desc())))


def decisions_of(action: Action) -> list[Decision]:
    proposal_ids = [source.proposal_id for source in action.sources]
    query = select(Decision).where((Decision.action_id == action.id) | (
        Decision.proposal_id.in_(proposal_ids) & Decision.action_id.is_(None)))
    return list(db.session.scalars(query.order_by(Decision.at, Decision.id)))


# --- traceability -------------------------------------------------------------------------------


def _lineage_into(proposal_ids: set[int]) -> dict[int, list[Lineage]]:
    """Every merge or split that led to these proposals, walking back to the originals. One
    query per generation of merges (a handful), not per proposal."""
    found: dict[int, list[Lineage]] = defaultdict(list)
    frontier, seen = set(proposal_ids), set(proposal_ids)
    while frontier:
        steps = db.session.scalars(select(Lineage).where(Lineage.target_id.in_(frontier)).order_by(Lineage.at)).all()
        frontier = set()
        for step in steps:
            found[step.target_id].append(step)
            if step.source_id not in seen:
                seen.add(step.source_id)
                frontier.add(step.source_id)
    return found


def _vote_entry(proposal: Proposal, rounds: dict[int, VotingRound]) -> dict[str, Any] | None:
    from tadamon.voting import presentation
    from tadamon.voting import services as voting

    vote = rounds.get(proposal.consultation_id)
    results = voting.results_of(vote) if vote is not None else None
    if vote is None or results is None:
        return None
    key = voting.candidate_key(proposal.id)
    proposals = {key: proposal}
    figures: dict[str, str] = {}
    rank, tied = 0, False
    for code in LANGUAGES:
        with force_locale(code):
            row = next((r for r in presentation.results_view(results, proposals).rows if r.key == key), None)
        if row is not None:
            figures[code], rank, tied = row.figure, row.rank, row.tied
    details = results.get("details", {})
    adopted = details.get("adopted", {}).get(key)  # methods that adopt (yes/no) say so
    return {"method": results["method"], "rank": rank, "tied": tied, "winner": key in results["winners"],
            "adopted": adopted, "participants": results["participants"], "eligible": vote.eligible_count,
            "figure": figures, "definition_hash": vote.definition_hash, "ledger_head": vote.published_head,
            "results_url": f"/consultations/{proposal.consultation_id}/results"}


def build_snapshot(actions: Sequence[Action] | None = None, *, version: int | None = None,
                   state: str = "draft") -> dict[str, Any]:
    """The plan as one document: what versions store, the public page shows and every
    export renders. Language-independent: texts in ar/fr/en, labels left to the reader.
    Loads everything in a fixed number of queries, whatever the number of actions."""
    actions = working_actions() if actions is None else list(actions)
    action_ids = [a.id for a in actions]
    if action_ids:
        # The actions' own rows (sources, milestones, indicators, commitments): one query each,
        # loaded into the identity map, instead of four lazy loads per action.
        db.session.scalars(select(Action).where(Action.id.in_(action_ids)).options(
            selectinload(Action.sources), selectinload(Action.milestones), selectinload(Action.indicators),
            selectinload(Action.commitments))).all()
    sources_by_action: dict[int, list[int]] = defaultdict(list)
    for action in actions:
        sources_by_action[action.id] = [s.proposal_id for s in action.sources]
    proposal_ids = {pid for ids in sources_by_action.values() for pid in ids}
    proposals = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))} \
        if proposal_ids else {}
    consultation_ids = {p.consultation_id for p in proposals.values()}
    consultations = {c.id: c for c in db.session.scalars(select(Consultation).where(
        Consultation.id.in_(consultation_ids)))} if consultation_ids else {}
    workshop_ids = {c.workshop_id for c in consultations.values() if c.workshop_id}
    workshops = {w.id: w for w in db.session.scalars(select(Workshop).where(Workshop.id.in_(workshop_ids)))} \
        if workshop_ids else {}
    rounds = {r.consultation_id: r for r in db.session.scalars(select(VotingRound).where(
        VotingRound.consultation_id.in_(consultation_ids)))} if consultation_ids else {}
    coauthors: dict[int, list[Organisation]] = defaultdict(list)
    if proposal_ids:
        for row in db.session.scalars(select(CoAuthor).where(CoAuthor.proposal_id.in_(proposal_ids))):
            coauthors[row.proposal_id].append(row.organisation)
    lineage = _lineage_into(proposal_ids)
    updates: dict[int, list[ProgressUpdate]] = defaultdict(list)
    decisions: dict[int, list[Decision]] = defaultdict(list)
    if action_ids:
        for row in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.action_id.in_(action_ids))
                                      .order_by(ProgressUpdate.happened_on.desc(), ProgressUpdate.id.desc())):
            updates[row.action_id].append(row)
        for row in db.session.scalars(select(Decision).where(Decision.action_id.in_(action_ids))
                                      .order_by(Decision.at, Decision.id)):
            decisions[row.action_id].append(row)
    theme_ids = {a.theme_id for a in actions if a.theme_id}
    themes = list(db.session.scalars(select(Theme).where(Theme.id.in_(theme_ids)).order_by(Theme.id))) \
        if theme_ids else []
    votes = {pid: _vote_entry(p, rounds) for pid, p in proposals.items()}

    def source(pid: int) -> dict[str, Any]:
        proposal = proposals[pid]
        consultation = consultations.get(proposal.consultation_id)
        workshop = workshops.get(consultation.workshop_id) if consultation and consultation.workshop_id else None
        return {
            "proposal": f"proposal-{pid}", "title": proposal.title, "language": proposal.language,
            "url": f"/proposals/{pid}", "organisation": _organisation(proposal.organisation),
            "co_authors": [_organisation(o) for o in coauthors.get(pid, [])],
            "cosignatures": proposal.cosignature_count,
            "consultation": {"id": f"consultation-{proposal.consultation_id}",
                             "question": _ml(consultation, "question") if consultation else {},
                             "url": f"/consultations/{proposal.consultation_id}"},
            "workshop": {"id": f"workshop-{workshop.id}", "title": _ml(workshop, "title"),
                         "url": f"/workshops/{workshop.id}"} if workshop else None,
            "vote": votes.get(pid),
            "lineage": [{"kind": step.kind, "from": f"proposal-{step.source_id}", "from_title": step.source.title,
                         "from_organisation": _organisation(step.source.organisation), "reason": step.reason,
                         "at": _iso(step.at)} for step in lineage.get(pid, [])],
        }

    def entry(action: Action) -> dict[str, Any]:
        confirmed = [c for c in action.commitments if c.is_confirmed]
        lead = next((c.organisation for c in confirmed if c.role == CommitmentRole.LEAD.value), None)
        return {
            "id": f"action-{action.id}", "number": action.id,
            "title": _ml(action, "title"), "description": _ml(action, "description"),
            "objectives": action.objectives,
            "theme": f"theme-{action.theme_id}" if action.theme_id else None,
            "territory": {"scope": action.territory_scope, "regions": action.region_codes,
                          "provinces": action.province_names},
            "lead": _organisation(lead),
            "partners": [_organisation(c.organisation) for c in confirmed if c.role == CommitmentRole.PARTNER.value],
            "starts_on": _iso(action.starts_on), "ends_on": _iso(action.ends_on),
            "milestones": [{"title": m.title, "due_on": _iso(m.due_on), "done": m.done} for m in action.milestones],
            "indicators": [{"id": f"indicator-{i.id}", "name": i.name, "unit": i.unit,
                            "baseline": _number(i.baseline), "target": _number(i.target),
                            "current": _number(i.current_value)} for i in action.indicators],
            "budget": {"estimate": _number(action.budget_estimate), "currency": CURRENCY,
                       "funding_sources": action.funding_sources},
            "status": action.status, "progress": action.progress,
            "sources": [source(pid) for pid in sources_by_action[action.id] if pid in proposals],
            "updates": [{"on": _iso(u.happened_on), "organisation": _organisation(u.organisation), "text": u.text,
                         "progress": u.progress} for u in updates.get(action.id, [])],
            "decisions": [{"kind": d.kind, "at": _iso(d.at), "detail": json.loads(d.detail or "{}")}
                          for d in decisions.get(action.id, [])],
        }

    return {
        "format": SNAPSHOT_FORMAT, "version": version, "state": state,
        "generated_at": _iso(utcnow()), "published_at": None,
        "themes": [{"id": f"theme-{t.id}", "name": _ml(t, "name")} for t in themes],
        "actions": [entry(a) for a in actions],
    }


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- versions ---------------------------------------------------------------------------------


def versions() -> list[PlanVersion]:
    return list(db.session.scalars(select(PlanVersion).order_by(PlanVersion.number.desc())))


def current_version() -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED.value)
                             .order_by(PlanVersion.number.desc()).limit(1))


def version_numbered(number: int) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.number == number))


def snapshot_of(version: PlanVersion) -> dict[str, Any]:
    return json.loads(version.snapshot)


def previous_published(version: PlanVersion) -> PlanVersion | None:
    return db.session.scalar(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED.value,
                                                       PlanVersion.number < version.number)
                             .order_by(PlanVersion.number.desc()).limit(1))


def submit_for_review(actor: User, note: str = "") -> PlanVersion:
    """Freezes the working plan as version N, for the steering group to review and publish.
    One version in review at a time; the number is unique in the database."""
    if db.session.scalar(select(PlanVersion.id).where(PlanVersion.state == VersionState.REVIEW.value)):
        raise PlanError(_l("A version is already in review: publish it or send it back first."))
    actions = working_actions()
    if not actions:
        raise PlanError(_l("The plan has no action yet."))
    number = (db.session.scalar(select(func.max(PlanVersion.number))) or 0) + 1
    snapshot = build_snapshot(actions, version=number, state=VersionState.REVIEW.value)
    text = canonical(snapshot)
    version = PlanVersion(number=number, snapshot=text, snapshot_hash=hashlib.sha256(text.encode()).hexdigest(),
                          note=(note or "").strip(), created_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:
        raise PlanError(_l("Another version was just prepared: reload the page.")) from None
    audit.record("plan.version_submitted", "plan_version", number, object_label=f"v{number}",
                 after={"actions": len(actions), "hash": version.snapshot_hash}, actor=actor)
    return version


def publish_version(actor: User, version: PlanVersion) -> None:
    """Publishes a version in review: compare-and-set, then immutable. Its snapshot gets its
    publication date; each of its actions records the decision on its trail."""
    if version.state != VersionState.REVIEW.value:
        raise PlanError(_l("Only a version in review can be published."))
    now = utcnow()
    snapshot = snapshot_of(version)
    snapshot["state"], snapshot["published_at"] = VersionState.PUBLISHED.value, _iso(now)
    text = canonical(snapshot)
    changed = db.session.execute(
        update(PlanVersion).where(PlanVersion.id == version.id, PlanVersion.state == VersionState.REVIEW.value)
        .values(state=VersionState.PUBLISHED.value, published_at=now, published_by_id=actor.id, snapshot=text,
                snapshot_hash=hashlib.sha256(text.encode()).hexdigest())
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise PlanError(_l("Only a version in review can be published."))
    db.session.expire(version)
    ids = [int(a["id"].split("-")[1]) for a in snapshot["actions"]]
    existing = set(db.session.scalars(select(Action.id).where(Action.id.in_(ids)))) if ids else set()
    for action_id in ids:
        if action_id in existing:
            db.session.add(Decision(action_id=action_id, kind="published", by_id=actor.id, at=now,
                                    detail=json.dumps({"version": version.number})))
    db.session.execute(update(Action).where(Action.id.in_(ids), Action.first_published_version.is_(None))
                       .values(first_published_version=version.number).execution_options(synchronize_session=False))
    audit.record("plan.version_published", "plan_version", version.number, object_label=f"v{version.number}",
                 after={"actions": len(ids)}, actor=actor)
    # Every member organisation's representatives: the plan is the whole network's.

    notify(representatives_of(None), "plan.published", link="/plan", number=version.number, count=len(ids))


def discard_review(actor: User, version: PlanVersion) -> None:
    if version.state != VersionState.REVIEW.value:
        raise PlanError(_l("Only a version in review can be sent back."))
    number = version.number
    db.session.delete(version)
    db.session.flush()
    audit.record("plan.version_discarded", "plan_version", number, object_label=f"v{number}", actor=actor)


# --- diff -------------------------------------------------------------------------------------

DIFFED_FIELDS = ("title", "description", "objectives", "theme", "territory", "lead", "partners", "starts_on",
                 "ends_on", "milestones", "indicators", "budget", "status", "progress", "sources")


@dataclass
class ActionChange:
    action: dict[str, Any]
    fields: list[str]
    before: dict[str, Any] | None = None


@dataclass
class PlanDiff:
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ActionChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> PlanDiff:
    """Actions added, removed and changed (with the names of the fields that changed),
    matched by their stable ids."""
    before = {a["id"]: a for a in (old or {}).get("actions", [])}
    after = {a["id"]: a for a in new.get("actions", [])}
    changed = []
    for key, action in after.items():
        if key in before:
            fields = [name for name in DIFFED_FIELDS if canonical(before[key].get(name)) != canonical(action.get(name))]
            if fields:
                changed.append(ActionChange(action=action, fields=fields, before=before[key]))
    return PlanDiff(added=[a for k, a in after.items() if k not in before],
                    removed=[a for k, a in before.items() if k not in after], changed=changed)
