"""Who may do what with organisations, their applications, people and the charter.

Object-level: organisation A's people never see or edit organisation B's draft,
members or statutes. Steering and admin review everything.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.models import EDITABLE_STATES, MembershipState, Organisation


def _membership(actor: Actor, organisation: Organisation | None) -> Any:
    if organisation is None or not is_authenticated(actor):
        return None
    from tadamon.membership import services

    return services.membership_of(actor.user, organisation)


def is_steering(actor: Actor) -> bool:
    return has_role(actor, Role.STEERING, Role.ADMIN)


@rule("membership.apply")
def can_apply(actor: Actor, obj: Any = None) -> bool:
    return is_authenticated(actor)


@rule("membership.view_application")
def can_view_application(actor: Actor, organisation: Organisation) -> bool:
    return is_steering(actor) or _membership(actor, organisation) is not None


@rule("membership.edit_application")
def can_edit_application(actor: Actor, organisation: Organisation) -> bool:
    membership = _membership(actor, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in EDITABLE_STATES
    )


@rule("membership.view_statutes")
def can_view_statutes(actor: Actor, organisation: Organisation) -> bool:
    return can_view_application(actor, organisation)


@rule("membership.review")
def can_review(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("membership.manage_people")
def can_manage_people(actor: Actor, organisation: Organisation) -> bool:
    membership = _membership(actor, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state not in (MembershipState.REJECTED, MembershipState.LEFT)
    )


@rule("membership.view_people")
def can_view_people(actor: Actor, organisation: Organisation) -> bool:
    return can_view_application(actor, organisation)


@rule("membership.adhere")
def can_adhere(actor: Actor, organisation: Organisation) -> bool:
    membership = _membership(actor, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in (MembershipState.APPROVED, MembershipState.SUSPENDED)
    )


@rule("membership.leave")
def can_leave(actor: Actor, organisation: Organisation) -> bool:
    membership = _membership(actor, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in (MembershipState.APPROVED, MembershipState.SUSPENDED)
    )


@rule("membership.take_part")
def can_take_part(actor: Actor, organisation: Organisation | None) -> bool:
    """Acting in consultations: an approved member adhering to the current charter."""
    from tadamon.membership import services

    return (
        _membership(actor, organisation) is not None
        and organisation is not None
        and organisation.membership_state is MembershipState.APPROVED
        and services.adheres_to_current_charter(organisation)
    )


@rule("membership.manage_charter")
def can_manage_charter(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("membership.manage_fields")
def can_manage_fields(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)
