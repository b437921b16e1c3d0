"""Who may compose the plan, see its actions and versions, carry an action and export.

Object-level: only an action's own confirmed organisations post its progress; an action's
page is public once a published version holds it, and before that the steering group and the
member organisations (who volunteer to carry it) see it.
"""

from __future__ import annotations

from typing import Any

from tadamon.action_plan.models import Action, Commitment, PlanVersion
from tadamon.core.actor import Actor
from tadamon.core.permissions import is_authenticated, rule
from tadamon.membership.permissions import can_take_part, is_steering


@rule("plan.compose")
def can_compose(actor: Actor, obj: Any = None) -> bool:
    """The board, actions, set-asides, answers to volunteers and versions."""
    return is_steering(actor)


@rule("plan.view_action")
def can_view_action(actor: Actor, action: Action) -> bool:
    """Published actions: anyone. Actions of the working plan: the steering group and the
    member organisations, who co-construct the plan by volunteering before it is published."""
    if action.first_published_version is not None or is_steering(actor):
        return True
    organisation = actor.organisation
    return organisation is not None and can_take_part(actor, organisation)


@rule("plan.volunteer")
def can_volunteer(actor: Actor, action: Action) -> bool:
    from tadamon.action_plan.services import takes_volunteers

    organisation = actor.organisation
    if organisation is None or not can_take_part(actor, organisation) or not takes_volunteers(action):
        return False
    return can_view_action(actor, action) and all(c.organisation_id != organisation.id for c in action.commitments)


@rule("plan.read_offer")
def can_read_offer(actor: Actor, commitment: Commitment) -> bool:
    """An offer's message: the steering group, who answers it, and the organisation that made it."""
    organisation = actor.organisation
    return is_steering(actor) or (organisation is not None and organisation.id == commitment.organisation_id)


@rule("plan.post_update")
def can_post_update(actor: Actor, action: Action) -> bool:
    from tadamon.action_plan.services import is_carried_by

    organisation = actor.organisation
    return (organisation is not None and action.removed_at is None and can_take_part(actor, organisation)
            and is_carried_by(action, organisation))


@rule("plan.view_version")
def can_view_version(actor: Actor, version: PlanVersion) -> bool:
    return version.is_published or is_steering(actor)


@rule("plan.export")
def can_export(actor: Actor, version: PlanVersion | None) -> bool:
    """Published versions: anyone. The working draft and versions in review: the steering group."""
    if version is not None and version.is_published:
        return True
    return is_authenticated(actor) and is_steering(actor)
