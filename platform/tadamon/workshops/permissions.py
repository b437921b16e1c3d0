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


def steering_only(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


def steering_or_facilitator(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor) or has_role(actor, Role.FACILITATOR)


# The rules that ask only for a role.
can_manage_themes = rule("workshops.manage_themes")(steering_only)
can_assign_facilitators = rule("workshops.assign_facilitators")(steering_only)
can_create_national_consultation = rule("consultations.create_national")(steering_only)
can_view_calendar = rule("workshops.view_calendar")(steering_or_facilitator)
can_create_workshop = rule("workshops.create")(steering_or_facilitator)
can_see_dashboard = rule("workshops.dashboard")(steering_or_facilitator)


@rule("workshops.manage")
def can_manage_workshop(actor: Actor, workshop: Any) -> bool:
    return is_steering(actor) or _is_facilitator_of(actor, workshop)


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


@rule("consultations.manage")
def can_manage_consultation(actor: Actor, consultation: Any) -> bool:
    if consultation is None:
        return False
    if consultation.workshop is None:
        return is_steering(actor)
    return can_manage_workshop(actor, consultation.workshop)


@rule("workshops.reconsider_registration")
def can_reconsider_registration(actor: Actor, registration: Any) -> bool:
    """Whoever decides a workshop's registrations may undo a decline (the service checks it
    was declined and the workshop is not over)."""
    return registration is not None and can_manage_workshop(actor, registration.workshop)


@rule("workshops.attendance_sheet")
def can_print_attendance_sheet(actor: Actor, workshop: Any) -> bool:
    """The sheet names the people who will attend: the workshop's facilitators and the steering
    group only."""
    return can_manage_workshop(actor, workshop)
