"""Commitments and progress: organisations offer to lead or partner an action, the steering
group answers (one confirmed lead), and the action's own organisations report progress."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tadamon.accounts.models import User
from tadamon.accounts.queries import holders_of
from tadamon.action_plan.models import (
    COMMITMENT_STATE_LABELS,
    ROLE_LABELS,
    Action,
    ActionStatus,
    Commitment,
    CommitmentRole,
    CommitmentState,
    Decision,
    ProgressUpdate,
)
from tadamon.action_plan.services.common import (
    PlanError,
    action_label,
    record_decision,
)
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import label, notify, register_kind, register_labels, texts
from tadamon.core.permissions import Role
from tadamon.core.persistence import add_unless_duplicate, rows_changed
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.queries import representatives_of

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

# An action in one of these states takes no more volunteers.
CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


def takes_volunteers(action: Action) -> bool:
    """Live, and neither done nor dropped."""
    return action.removed_at is None and action.status not in CLOSED_STATUSES


def commitment_of(action: Action, organisation: Organisation | None) -> Commitment | None:
    if organisation is None:
        return None
    return next((c for c in action.commitments if c.organisation_id == organisation.id), None)


def is_carried_by(action: Action, organisation: Organisation | None) -> bool:
    commitment = commitment_of(action, organisation)
    return commitment is not None and commitment.is_confirmed


def pending_commitments(action: Action | None = None) -> list[Commitment]:
    """Offers waiting for the steering group's answer (of one action, or of the whole plan), oldest first."""
    if action is not None:
        return [c for c in action.commitments if c.is_pending]
    return list(db.session.scalars(select(Commitment).where(Commitment.state == CommitmentState.VOLUNTEERED)
                                   .order_by(Commitment.created_at)))


def volunteer(person: User, organisation: Organisation, action: Action, role: str, message: str) -> Commitment:
    """`organisation` offers to lead or partner `action`. One offer per organisation (a
    database constraint); the steering group is told."""
    if not takes_volunteers(action):
        raise PlanError(_l("This action no longer takes volunteers."))
    if role not in {r.value for r in CommitmentRole}:
        raise PlanError(_l("Choose to lead or to partner the action."), field="role")
    commitment = Commitment(action_id=action.id, organisation_id=organisation.id, role=CommitmentRole(role),
                            message=(message or "").strip(), volunteered_by_id=person.id)
    if not add_unless_duplicate(commitment):
        raise PlanError(_l("Your organisation has already offered to carry this action."))
    db.session.refresh(action, ["commitments"])
    audit.record("plan.volunteered", "plan_action", action.id, object_label=action_label(action),
                 after={"organisation": organisation.id, "role": role}, actor=person)
    notify(holders_of(Role.STEERING), "plan.volunteered", link=external_url("action_plan.action", action_id=action.id),
           organisation=texts(organisation, "name"), action=texts(action, "title"), role=label("plan.role", role))
    return commitment


def has_confirmed_lead(action: Action) -> bool:
    return any(c.is_confirmed and c.role == CommitmentRole.LEAD for c in action.commitments)


def call_for_lead(actor: User, action: Action) -> int:
    """Asks every member organisation's representatives whether one of them will lead the
    action; returns how many people were told. Refused once the action has its lead."""
    if not takes_volunteers(action):
        raise PlanError(_l("This action no longer takes volunteers."))
    if has_confirmed_lead(action):
        raise PlanError(_l("This action already has a confirmed lead organisation."))
    people = representatives_of(None)
    record_decision("lead_requested", actor, action=action)
    audit.record("plan.lead_requested", "plan_action", action.id, object_label=action_label(action),
                 after={"told": len(people)}, actor=actor)
    notify(people, "plan.lead_wanted", link=external_url("action_plan.action", action_id=action.id), action=texts(action, "title"))
    return len(people)


def _answer(commitment: Commitment, values: dict[str, Any]) -> None:
    """Compare-and-set from "volunteered"; a second confirmed lead is refused by the database."""
    try:
        with db.session.begin_nested():
            changed = rows_changed(
                update(Commitment).where(Commitment.id == commitment.id,
                                         Commitment.state == CommitmentState.VOLUNTEERED)
                .values(**values).execution_options(synchronize_session=False))
    except IntegrityError:
        raise PlanError(_l("This action already has a confirmed lead: decline this offer, or offer a "
                           "partner's place.")) from None
    if changed != 1:
        raise PlanError(_l("This offer was already answered."))


def decide_commitment(actor: User, commitment: Commitment, confirm: bool, answer: str = "") -> None:
    """The steering group confirms or declines an offer. Raises PlanError when it was already
    answered, or when confirming a second lead. The organisation's representatives are told."""
    target = CommitmentState.CONFIRMED if confirm else CommitmentState.DECLINED
    values: dict[str, Any] = {"state": target, "decided_at": utcnow(), "decided_by_id": actor.id,
                              "answer": (answer or "").strip()}
    if confirm and commitment.role == CommitmentRole.LEAD:
        values["lead_marker"] = True
    _answer(commitment, values)
    db.session.refresh(commitment)
    action = commitment.action
    record_decision("commitment_" + target.value, actor, action=action,
                    organisation=commitment.organisation.original_name,
                    organisation_id=commitment.organisation_id, role=commitment.role, answer=values["answer"])
    audit.record(f"plan.commitment_{target.value}", "plan_action", action.id, object_label=action_label(action),
                 after={"organisation": commitment.organisation_id, "role": commitment.role}, actor=actor)
    notify(representatives_of([commitment.organisation_id]), "plan.commitment_decided",
           link=external_url("action_plan.action", action_id=action.id), organisation=texts(commitment.organisation, "name"),
           action=texts(action, "title"), decision=label("plan.commitment_state", target),
           answer=values["answer"])


@dataclass
class UpdateData:
    happened_on: date
    text: str
    progress: int | None = None
    indicator_values: dict[int, Decimal] = field(default_factory=dict)


def _check_update(action: Action, organisation: Organisation, data: UpdateData) -> None:
    if not is_carried_by(action, organisation):
        raise PlanError(_l("Only the organisations that carry this action report its progress."))
    if not data.text.strip():
        raise PlanError(_l("Say what was done."), field="text")
    if data.progress is not None and not 0 <= data.progress <= 100:
        raise PlanError(_l("Progress is a percentage, from 0 to 100."), field="progress")
    if data.happened_on > datetime.now(UTC).date():
        raise PlanError(_l("A progress update reports what has happened: its date cannot be in the future."),
                        field="happened_on")


def post_update(person: User, organisation: Organisation, action: Action, data: UpdateData) -> ProgressUpdate:
    """A dated progress report by one of the action's confirmed organisations; it moves the
    action's progress and its indicators' current values. Raises PlanError on a rule broken."""
    _check_update(action, organisation, data)
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
            if action.status == ActionStatus.PLANNED and data.progress > 0:
                action.status = ActionStatus.IN_PROGRESS
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
    """The action's decision trail, with the decisions on its source proposals as candidates."""
    proposal_ids = [source.proposal_id for source in action.sources]
    query = select(Decision).where((Decision.action_id == action.id) | (
        Decision.proposal_id.in_(proposal_ids) & Decision.action_id.is_(None)))
    return list(db.session.scalars(query.order_by(Decision.at, Decision.id)))
