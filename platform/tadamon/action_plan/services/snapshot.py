"""The plan as one document (`plan.schema.json`): what versions store, the public page shows
and every export renders. Two steps: `load_related` fetches everything the actions point to
in a fixed number of queries, whatever the number of actions; `serialise_action` is a pure
function of an action and what was loaded. The TypedDicts below are the schema's shapes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, TypedDict, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, bindparam, inspect, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from tadamon.action_plan.models import (
    Action,
    ActionSource,
    CommitmentRole,
    Decision,
    ProgressUpdate,
)
from tadamon.action_plan.services.actions import working_actions
from tadamon.action_plan.services.common import LANGUAGES, iso
from tadamon.core.db import utcnow
from tadamon.core.i18n import texts_of
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.proposals.models import CoAuthor, Lineage, Proposal
from tadamon.voting.models import VotingRound
from tadamon.workshops.models import Consultation, Theme, Workshop

SNAPSHOT_FORMAT = "tadamon.plan/1"
CURRENCY = "MAD"
T = TypeVar("T")

# One text per language ("ar", "fr", "en"); an empty string when not yet written.
Texts = dict[str, str]


class OrganisationEntry(TypedDict):
    id: str
    name: Texts
    acronym: str
    region: str


class ThemeEntry(TypedDict):
    id: str
    name: Texts


class TerritoryEntry(TypedDict):
    scope: str
    regions: list[str]
    provinces: list[str]


class MilestoneEntry(TypedDict):
    title: str
    due_on: str | None
    done: bool


class IndicatorEntry(TypedDict):
    id: str
    name: str
    unit: str
    baseline: float | None
    target: float | None
    current: float | None


class BudgetEntry(TypedDict):
    estimate: float | None
    currency: str
    funding_sources: str


class UpdateEntry(TypedDict):
    on: str | None
    organisation: OrganisationEntry | None
    text: str
    progress: int | None


class DecisionEntry(TypedDict):
    kind: str
    at: str | None
    detail: dict[str, Any]


class ConsultationEntry(TypedDict):
    id: str
    question: Texts
    url: str


class WorkshopEntry(TypedDict):
    id: str
    title: Texts
    url: str


class VoteEntry(TypedDict):
    method: str
    rank: int
    tied: bool
    winner: bool
    adopted: bool | None
    participants: int
    eligible: int
    figure: Texts
    definition_hash: str
    ledger_head: str | None
    results_url: str


# "from" is a keyword: the functional form of TypedDict.
LineageEntry = TypedDict("LineageEntry", {
    "kind": str, "from": str, "from_title": str, "from_organisation": OrganisationEntry | None, "reason": str,
    "at": str | None})


class SourceEntry(TypedDict):
    proposal: str
    title: str
    language: str
    url: str
    organisation: OrganisationEntry | None
    co_authors: list[OrganisationEntry | None]
    cosignatures: int
    consultation: ConsultationEntry
    workshop: WorkshopEntry | None
    vote: VoteEntry | None
    lineage: list[LineageEntry]


class ActionEntry(TypedDict):
    id: str
    number: int
    title: Texts
    description: Texts
    objectives: str
    theme: str | None
    territory: TerritoryEntry
    lead: OrganisationEntry | None
    partners: list[OrganisationEntry | None]
    starts_on: str | None
    ends_on: str | None
    milestones: list[MilestoneEntry]
    indicators: list[IndicatorEntry]
    budget: BudgetEntry
    status: str
    progress: int
    sources: list[SourceEntry]
    updates: list[UpdateEntry]
    decisions: list[DecisionEntry]


class PlanDocument(TypedDict):
    format: str
    version: int | None
    state: str
    generated_at: str | None
    published_at: str | None
    themes: list[ThemeEntry]
    actions: list[ActionEntry]


# --- loading ----------------------------------------------------------------------------------


@dataclass
class Related:
    """Everything the actions point to, by id: what `serialise_action` reads."""

    proposals: dict[int, Proposal] = field(default_factory=dict)
    consultations: dict[int, Consultation] = field(default_factory=dict)
    workshops: dict[int, Workshop] = field(default_factory=dict)
    coauthors: dict[int, list[Organisation]] = field(default_factory=dict)
    lineage: dict[int, list[Lineage]] = field(default_factory=dict)
    votes: dict[int, VoteEntry | None] = field(default_factory=dict)
    updates: dict[int, list[ProgressUpdate]] = field(default_factory=dict)
    decisions: dict[int, list[Decision]] = field(default_factory=dict)
    # Decisions on the sources taken before any action (only with `trails=True`), by proposal id.
    source_decisions: dict[int, list[Decision]] = field(default_factory=dict)
    themes: list[Theme] = field(default_factory=list)


def _by_id(model: type[T], column: Any, ids: set[int]) -> list[T]:
    return list(db.session.scalars(select(model).where(column.in_(ids)))) if ids else []


def _coauthors_of(proposals: dict[int, Proposal]) -> dict[int, list[Organisation]]:
    """The co-authors of the source proposals: loaded with the sources (`_sources_with_proposals`),
    else one query for all."""
    if all("coauthor_rows" not in inspect(p).unloaded for p in proposals.values()):
        return {pid: [row.organisation for row in p.coauthor_rows] for pid, p in proposals.items() if p.coauthor_rows}
    rows = _grouped(_by_id(CoAuthor, CoAuthor.proposal_id, set(proposals)), "proposal_id")
    return {pid: [row.organisation for row in found] for pid, found in rows.items()}


def _grouped(rows: Sequence[T], key: str) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


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


def _vote_entry(proposal: Proposal, rounds: dict[int, VotingRound], stored: dict[int, Any]) -> VoteEntry | None:
    """A source proposal's result, read from its vote's stored results (one row per vote, in
    every language, computed at the close): no results table is rebuilt here."""
    from tadamon.voting import services as voting

    vote = rounds.get(proposal.consultation_id)
    results = stored.get(vote.id) if vote is not None else None
    if vote is None or results is None:
        return None
    key = voting.candidate_key(proposal.id)
    figures: dict[str, str] = {}
    rank, tied = 0, False
    for code in LANGUAGES:
        view = results.view(code) or {}
        row = next((r for r in view.get("rows", []) if r["key"] == key), None)
        if row is not None:
            figures[code], rank, tied = row["figure"], row["rank"], row["tied"]
    tally = results.tally
    details = tally.get("details", {})
    adopted = details.get("adopted", {}).get(key)  # methods that adopt (yes/no) say so
    return {"method": tally["method"], "rank": rank, "tied": tied, "winner": key in tally["winners"],
            "adopted": adopted, "participants": tally["participants"], "eligible": vote.eligible_count,
            "figure": figures, "definition_hash": vote.definition_hash, "ledger_head": vote.published_head,
            "results_url": f"/consultations/{proposal.consultation_id}/results"}


_ACTION_ROWS = ("sources", "milestones", "indicators", "commitments", "theme")


def _sources_with_proposals() -> Any:
    """The sources with their proposals, consultations, workshops and co-authors joined: one
    query. Only the workshops' titles are shown, not their facilitators and regions (loaded on
    use)."""
    proposals = selectinload(Action.sources).joinedload(ActionSource.proposal)
    return proposals.options(
        joinedload(Proposal.consultation).joinedload(Consultation.workshop)
        .options(lazyload(Workshop.facilitators), lazyload(Workshop.region_rows)),
        joinedload(Proposal.coauthor_rows))


def load_action(action_id: int, organisation: Organisation | None = None) -> Action | None:
    """One action with its own rows, for its page: the milestones, indicators (a handful each)
    and theme joined to the action's row, the sources (with their proposals) and commitments
    one query each (what `load_related` then reuses). With the reader's organisation, its
    adherence to the current charter comes in the same query (the page's permissions ask it)."""
    from tadamon.membership.services import load_with_adherence

    return load_with_adherence(_action_statement, {"action_id": action_id}, organisation)


@cache
def _action_statement() -> Select[Any]:
    """`load_action`'s query, built once with bound parameters (building it and its
    cache key costs more than running it)."""
    from tadamon.membership.services import with_adherence

    action_id = bindparam("action_id", type_=Integer)
    return select(*with_adherence([Action])).where(Action.id == action_id).options(
        joinedload(Action.milestones), joinedload(Action.indicators), joinedload(Action.theme),
        _sources_with_proposals(), selectinload(Action.commitments))


def _load_action_rows(actions: Sequence[Action]) -> None:
    """The actions' own rows (sources with their proposals, milestones, indicators,
    commitments, theme): one query each, loaded into the identity map, instead of lazy loads
    per action. Nothing when the caller loaded them already (`load_action`)."""
    missing = [a.id for a in actions if inspect(a).unloaded.intersection(_ACTION_ROWS)]
    if missing:
        db.session.scalars(select(Action).where(Action.id.in_(missing)).options(
            _sources_with_proposals(), selectinload(Action.milestones), selectinload(Action.indicators),
            selectinload(Action.commitments), joinedload(Action.theme))).all()


def load_related(actions: Sequence[Action], *, trails: bool = False) -> Related:
    """Loads what `actions` point to in a fixed number of queries, whatever their number.
    `trails` also loads the decisions taken on their sources before any action (the action
    page's trail, see `trail_of`) in the same query as the actions' decisions."""
    from tadamon.voting.results import rounds_with_results

    _load_action_rows(actions)
    action_ids = {a.id for a in actions}
    # Loaded with the sources (`_sources_with_proposals`): no query of their own.
    proposals = {s.proposal_id: s.proposal for a in actions for s in a.sources}
    consultations = {p.consultation_id: p.consultation for p in proposals.values()}
    workshops = {c.workshop.id: c.workshop for c in consultations.values() if c.workshop is not None}
    rounds, stored = rounds_with_results(set(consultations))
    coauthors = _coauthors_of(proposals)
    updates = db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.action_id.in_(action_ids))
                                 .order_by(ProgressUpdate.happened_on.desc(), ProgressUpdate.id.desc())).all() \
        if action_ids else []
    taken: ColumnElement[bool] = Decision.action_id.in_(action_ids)
    if trails and proposals:
        taken = taken | (Decision.proposal_id.in_(set(proposals)) & Decision.action_id.is_(None))
    decisions = db.session.scalars(select(Decision).where(taken).order_by(Decision.at, Decision.id)).all() \
        if action_ids else []
    themes = sorted({a.theme for a in actions if a.theme is not None}, key=lambda theme: theme.id)
    return Related(
        proposals=proposals, consultations=consultations, workshops=workshops,
        coauthors=coauthors,
        lineage=_lineage_into(set(proposals)), votes={pid: _vote_entry(p, rounds, stored) for pid, p in proposals.items()},
        updates=_grouped(updates, "action_id"),
        decisions=_grouped([d for d in decisions if d.action_id is not None], "action_id"),
        source_decisions=_grouped([d for d in decisions if d.action_id is None], "proposal_id"),
        themes=list(themes))


def trail_of(action: Action, related: Related) -> list[Decision]:
    """`decisions_of(action)` from what `load_related(..., trails=True)` loaded: the action's
    decisions and those on its source proposals taken before it, oldest first."""
    sources = {source.proposal_id for source in action.sources}
    found = [*related.decisions.get(action.id, []),
             *(d for pid in sources for d in related.source_decisions.get(pid, []))]
    return sorted(found, key=lambda d: (d.at, d.id))


# --- serialising --------------------------------------------------------------------------------


def serialise_organisation(organisation: Organisation | None) -> OrganisationEntry | None:
    if organisation is None:
        return None
    return {"id": f"organisation-{organisation.id}",
            "name": {"ar": organisation.name_ar or organisation.name_fr,
                     "fr": organisation.name_fr or organisation.name_ar,
                     "en": organisation.name_en or organisation.name_fr or organisation.name_ar},
            "acronym": organisation.acronym or "", "region": organisation.region or ""}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _lineage_entry(step: Lineage) -> LineageEntry:
    return {"kind": step.kind, "from": f"proposal-{step.source_id}", "from_title": step.source.title,
            "from_organisation": serialise_organisation(step.source.organisation), "reason": step.reason,
            "at": iso(step.at)}


def serialise_source(proposal: Proposal, related: Related) -> SourceEntry:
    pid = proposal.id
    consultation = related.consultations.get(proposal.consultation_id)
    workshop = related.workshops.get(consultation.workshop_id) \
        if consultation is not None and consultation.workshop_id else None
    return {
        "proposal": f"proposal-{pid}", "title": proposal.title, "language": proposal.language,
        "url": f"/proposals/{pid}", "organisation": serialise_organisation(proposal.organisation),
        "co_authors": [serialise_organisation(o) for o in related.coauthors.get(pid, [])],
        "cosignatures": proposal.cosignature_count,
        "consultation": {"id": f"consultation-{proposal.consultation_id}",
                         "question": texts_of(consultation, "question") if consultation else {},
                         "url": f"/consultations/{proposal.consultation_id}"},
        "workshop": {"id": f"workshop-{workshop.id}", "title": texts_of(workshop, "title"),
                     "url": f"/workshops/{workshop.id}"} if workshop else None,
        "vote": related.votes.get(pid),
        "lineage": [_lineage_entry(step) for step in related.lineage.get(pid, [])],
    }


def serialise_action(action: Action, related: Related) -> ActionEntry:
    """One action of the plan document, from the action and what `load_related` loaded."""
    confirmed = [c for c in action.commitments if c.is_confirmed]
    lead = next((c.organisation for c in confirmed if c.role == CommitmentRole.LEAD), None)
    sources = [related.proposals[s.proposal_id] for s in action.sources if s.proposal_id in related.proposals]
    return {
        "id": f"action-{action.id}", "number": action.id,
        "title": texts_of(action, "title"), "description": texts_of(action, "description"),
        "objectives": action.objectives,
        "theme": f"theme-{action.theme_id}" if action.theme_id else None,
        "territory": {"scope": action.territory_scope, "regions": action.region_codes,
                      "provinces": action.province_names},
        "lead": serialise_organisation(lead),
        "partners": [serialise_organisation(c.organisation) for c in confirmed if c.role == CommitmentRole.PARTNER],
        "starts_on": iso(action.starts_on), "ends_on": iso(action.ends_on),
        "milestones": [{"title": m.title, "due_on": iso(m.due_on), "done": m.done} for m in action.milestones],
        "indicators": [{"id": f"indicator-{i.id}", "name": i.name, "unit": i.unit,
                        "baseline": _number(i.baseline), "target": _number(i.target),
                        "current": _number(i.current_value)} for i in action.indicators],
        "budget": {"estimate": _number(action.budget_estimate), "currency": CURRENCY,
                   "funding_sources": action.funding_sources},
        "status": action.status, "progress": action.progress,
        "sources": [serialise_source(proposal, related) for proposal in sources],
        "updates": [{"on": iso(u.happened_on), "organisation": serialise_organisation(u.organisation), "text": u.text,
                     "progress": u.progress} for u in related.updates.get(action.id, [])],
        "decisions": [{"kind": d.kind, "at": iso(d.at), "detail": json.loads(d.detail or "{}")}
                      for d in related.decisions.get(action.id, [])],
    }


def build_snapshot(actions: Sequence[Action] | None = None, *, version: int | None = None,
                   state: str = "draft", related: Related | None = None) -> PlanDocument:
    """The plan as one document. Language-independent: texts in ar/fr/en, labels left to the
    reader. A fixed number of queries, whatever the number of actions."""
    actions = working_actions() if actions is None else list(actions)
    related = load_related(actions) if related is None else related
    return {
        "format": SNAPSHOT_FORMAT, "version": version, "state": state,
        "generated_at": iso(utcnow()), "published_at": None,
        "themes": [{"id": f"theme-{t.id}", "name": texts_of(t, "name")} for t in related.themes],
        "actions": [serialise_action(a, related) for a in actions],
    }


def canonical(value: Any) -> str:
    """The one JSON text of a document: sorted keys, no spaces, UTF-8 kept (what hashes sign)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
