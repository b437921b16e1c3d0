"""Who may run workshops and consultations, and who may register for them.

Object-level: a facilitator manages only the workshops they are assigned to; the
steering group and administrators manage all of them.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.permissions import can_take_part, is_steering


def _is_facilitator_of(actor: Actor, workshop: Any) -> bool:
    return (
        workshop is not None
        and has_role(actor, Role.FACILITATOR)
        and any(person.id == actor.id for person in workshop.facilitators)
    )


@rule("workshops.manage_themes")
def can_manage_themes(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("workshops.view_calendar")
def can_view_calendar(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor) or has_role(actor, Role.FACILITATOR)


@rule("workshops.create")
def can_create_workshop(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor) or has_role(actor, Role.FACILITATOR)


@rule("workshops.manage")
def can_manage_workshop(actor: Actor, workshop: Any) -> bool:
    return is_steering(actor) or _is_facilitator_of(actor, workshop)


@rule("workshops.assign_facilitators")
def can_assign_facilitators(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("workshops.dashboard")
def can_see_dashboard(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor) or has_role(actor, Role.FACILITATOR)


@rule("workshops.register")
def can_register(actor: Actor, target: Any) -> bool:
    """`target` is (workshop, organisation): a representative of a member taking part."""
    workshop, organisation = target
    if not is_authenticated(actor) or organisation is None or workshop is None:
        return False
    from tadamon.membership import services as membership

    membership_row = membership.membership_of(actor.user, organisation)
    return (
        membership_row is not None
        and membership_row.is_representative
        and can_take_part(actor, organisation)
    )


@rule("workshops.withdraw")
def can_withdraw_registration(actor: Actor, registration: Any) -> bool:
    """A representative of the registered organisation withdraws it."""
    if not is_authenticated(actor) or registration is None:
        return False
    from tadamon.membership import services as membership

    membership_row = membership.membership_of(actor.user, registration.organisation)
    return membership_row is not None and membership_row.is_representative


@rule("workshops.view_online_link")
def can_view_online_link(actor: Actor, workshop: Any) -> bool:
    if not is_authenticated(actor):
        return False
    if can_manage_workshop(actor, workshop):
        return True
    from tadamon.workshops import services

    return services.has_place(actor.user, workshop)


@rule("consultations.create_national")
def can_create_national_consultation(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("consultations.manage")
def can_manage_consultation(actor: Actor, consultation: Any) -> bool:
    if consultation is None:
        return False
    if consultation.workshop is None:
        return is_steering(actor)
    return can_manage_workshop(actor, consultation.workshop)
