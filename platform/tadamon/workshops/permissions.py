"""Who may run workshops and consultations, and who may register for them.

Object-level: a facilitator manages only the workshops they are assigned to; the
steering group and administrators manage all of them.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.permissions import can_take_part, is_steering


def _is_facilitator_of(user: Any, workshop: Any) -> bool:
    return (
        workshop is not None
        and has_role(user, Role.FACILITATOR)
        and any(person.id == user.id for person in workshop.facilitators)
    )


@rule("workshops.manage_themes")
def can_manage_themes(user: Any, obj: Any = None) -> bool:
    return is_steering(user)


@rule("workshops.view_calendar")
def can_view_calendar(user: Any, obj: Any = None) -> bool:
    return is_steering(user) or has_role(user, Role.FACILITATOR)


@rule("workshops.create")
def can_create_workshop(user: Any, obj: Any = None) -> bool:
    return is_steering(user) or has_role(user, Role.FACILITATOR)


@rule("workshops.manage")
def can_manage_workshop(user: Any, workshop: Any) -> bool:
    return is_steering(user) or _is_facilitator_of(user, workshop)


@rule("workshops.assign_facilitators")
def can_assign_facilitators(user: Any, obj: Any = None) -> bool:
    return is_steering(user)


@rule("workshops.dashboard")
def can_see_dashboard(user: Any, obj: Any = None) -> bool:
    return is_steering(user) or has_role(user, Role.FACILITATOR)


@rule("workshops.register")
def can_register(user: Any, target: Any) -> bool:
    """`target` is (workshop, organisation): a representative of a member taking part."""
    workshop, organisation = target
    if not is_authenticated(user) or organisation is None or workshop is None:
        return False
    from tadamon.membership import services as membership

    membership_row = membership.membership_of(user, organisation)
    return (
        membership_row is not None
        and membership_row.is_representative
        and can_take_part(user, organisation)
    )


@rule("workshops.view_online_link")
def can_view_online_link(user: Any, workshop: Any) -> bool:
    if not is_authenticated(user):
        return False
    if can_manage_workshop(user, workshop):
        return True
    from tadamon.workshops import services

    return services.has_place(user, workshop)


@rule("consultations.create_national")
def can_create_national_consultation(user: Any, obj: Any = None) -> bool:
    return is_steering(user)


@rule("consultations.manage")
def can_manage_consultation(user: Any, consultation: Any) -> bool:
    if consultation is None:
        return False
    if consultation.workshop is None:
        return is_steering(user)
    return can_manage_workshop(user, consultation.workshop)
