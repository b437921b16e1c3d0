"""Actions of the working plan: made from proposals (one, or several merged), edited, given
more sources, removed with a public reason."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tadamon.accounts.models import User
from tadamon.action_plan.models import (
    Action,
    ActionSource,
    ActionStatus,
    Commitment,
    Indicator,
    Milestone,
    SetAside,
    TerritoryScope,
)
from tadamon.action_plan.services.candidates import candidate_proposals
from tadamon.action_plan.services.common import (
    LANGUAGES,
    PlanError,
    action_label,
    iso,
    record_decision,
)
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.i18n import texts_of
from tadamon.core.persistence import rows_changed
from tadamon.core.texts import DescriptionTexts, TitleTexts, is_written, text_fields
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.proposals.models import Proposal

# An action's own fields, as ActionData and the edit form name them (regions aside: a list
# in the form, a space-separated string in the row).
ACTION_FIELDS = (*text_fields("title"), *text_fields("description"), "objectives", "theme_id",
                 "territory_scope", "provinces", "starts_on", "ends_on", "budget_estimate", "funding_sources",
                 "status", "progress")
# Those of them that are free text (empty, never None).
TEXT_FIELDS = (*text_fields("title"), *text_fields("description"), "objectives", "provinces", "funding_sources")


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
class ActionData(TitleTexts, DescriptionTexts):
    """What an action says, as typed (validated by `create_action` and `update_action`)."""

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

    @classmethod
    def of(cls, action: Action) -> ActionData:
        """What `action` says now: the edit form's first content."""
        return cls(**{name: getattr(action, name) for name in ACTION_FIELDS}, regions=action.region_codes,
                   milestones=[MilestoneData(m.title, m.due_on, m.done) for m in action.milestones],
                   indicators=[IndicatorData(i.name, i.unit, i.baseline, i.target, i.current_value, i.id)
                               for i in action.indicators])


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
    if not is_written(data, "title"):
        raise PlanError(_l("Give the action a title in at least one language."), field="title_ar")
    if data.territory_scope != TerritoryScope.NATIONAL and not data.regions:
        raise PlanError(_l("Choose at least one region, or make the action national."), field="regions")
    from tadamon.membership.regions import REGIONS_BY_CODE

    if data.territory_scope not in {scope.value for scope in TerritoryScope}:
        raise PlanError(_l("Choose the action's territory."), field="territory_scope")
    if any(code not in REGIONS_BY_CODE for code in data.regions):
        raise PlanError(_l("Choose regions from the list."), field="regions")
    if data.territory_scope == TerritoryScope.PROVINCES and not data.provinces.strip():
        raise PlanError(_l("Name at least one province or city."), field="provinces")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise PlanError(_l("The end date comes before the start date."), field="ends_on")
    if not 0 <= data.progress <= 100:
        raise PlanError(_l("Progress is a percentage, from 0 to 100."), field="progress")


def _apply(action: Action, data: ActionData) -> None:
    for name in ACTION_FIELDS:
        setattr(action, name, getattr(data, name))
    action.territory_scope = TerritoryScope(data.territory_scope)
    action.status = ActionStatus(data.status)
    national = action.territory_scope == TerritoryScope.NATIONAL
    action.regions = "" if national else " ".join(sorted(set(data.regions)))
    if action.territory_scope != TerritoryScope.PROVINCES:
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


def _audited_fields(action: Action) -> dict[str, Any]:
    return {"title": texts_of(action, "title"), "status": action.status, "progress": action.progress,
            "theme_id": action.theme_id, "regions": action.regions, "starts_on": iso(action.starts_on),
            "ends_on": iso(action.ends_on)}


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
    record_decision("created", actor, action=action, proposals=[p.id for p in proposals],
                    titles=[p.title for p in proposals])
    audit.record("plan.action_created", "plan_action", action.id, object_label=action_label(action),
                 after={"proposals": [p.id for p in proposals], **_audited_fields(action)}, actor=actor)
    return action


def update_action(actor: User, action: Action, data: ActionData) -> Action:
    """Edits an action of the working plan (published versions keep their own copy).
    Raises PlanError when it was removed or the data breaks a rule; a status change goes on
    the decision trail."""
    if action.removed_at is not None:
        raise PlanError(_l("This action was removed from the plan."))
    _check(data)
    before = _audited_fields(action)
    old_status = action.status
    _apply(action, data)
    db.session.flush()
    if old_status != action.status:
        record_decision("status_changed", actor, action=action, status=action.status, previous=old_status)
    audit.record("plan.action_updated", "plan_action", action.id, object_label=action_label(action),
                 before=before, after=_audited_fields(action), actor=actor)
    return action


def add_sources(actor: User, action: Action, proposals: Sequence[Proposal]) -> None:
    """Merges more proposals into an existing action. Raises PlanError when none is new."""
    proposals = candidate_proposals([p.id for p in proposals])
    have = {source.proposal_id for source in action.sources}
    added = [p for p in proposals if p.id not in have]
    if not added:
        raise PlanError(_l("These proposals are already sources of this action."))
    for proposal in added:
        action.sources.append(ActionSource(proposal_id=proposal.id))
    db.session.flush()
    record_decision("merged", actor, action=action, proposals=[p.id for p in added], titles=[p.title for p in added])
    audit.record("plan.action_merged", "plan_action", action.id, object_label=action_label(action),
                 after={"proposals": [p.id for p in added]}, actor=actor)


def remove_action(actor: User, action: Action, reason: str) -> None:
    """Takes an action out of the working plan with a public reason (compare-and-set: once)."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(_l("Say why the action leaves the plan: the reason is public."), field="reason")
    changed = rows_changed(update(Action).where(Action.id == action.id, Action.removed_at.is_(None))
                           .values(removed_at=utcnow()).execution_options(synchronize_session="fetch"))
    if changed != 1:
        raise PlanError(_l("This action was removed from the plan."))
    record_decision("removed", actor, action=action, reason=reason)
    audit.record("plan.action_removed", "plan_action", action.id, object_label=action_label(action),
                 after={"reason": reason}, actor=actor)


def working_actions() -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.removed_at.is_(None)).order_by(Action.id)))


def live_action(action_id: int) -> Action | None:
    """An action of the working plan (not removed), or None."""
    action = db.session.get(Action, action_id)
    return action if action is not None and action.removed_at is None else None


def open_to(organisation: Organisation, limit: int = 50) -> list[Action]:
    """Actions of the working plan that `organisation` could still offer to carry: live, not
    done or dropped, and not already offered by it. One query, whatever the plan's size."""
    offered = select(Commitment.action_id).where(Commitment.organisation_id == organisation.id)
    return list(db.session.scalars(
        select(Action).where(Action.removed_at.is_(None),
                             Action.status.not_in([ActionStatus.DONE, ActionStatus.DROPPED]),
                             Action.id.not_in(offered))
        .order_by(Action.id).limit(limit)))
