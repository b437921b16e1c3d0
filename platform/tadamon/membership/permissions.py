"""Who may do what with organisations, their applications, people and the charter.

Object-level: organisation A's people never see or edit organisation B's draft,
members or statutes. Steering and admin review everything.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.models import EDITABLE_STATES, MembershipState, Organisation


def _membership(user: Any, organisation: Organisation | None) -> Any:
    if organisation is None or not is_authenticated(user):
        return None
    from tadamon.membership import services

    return services.membership_of(user, organisation)


def is_steering(user: Any) -> bool:
    return has_role(user, Role.STEERING, Role.ADMIN)


@rule("membership.apply")
def can_apply(user: Any, obj: Any = None) -> bool:
    return is_authenticated(user)


@rule("membership.view_application")
def can_view_application(user: Any, organisation: Organisation) -> bool:
    return is_steering(user) or _membership(user, organisation) is not None


@rule("membership.edit_application")
def can_edit_application(user: Any, organisation: Organisation) -> bool:
    membership = _membership(user, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in EDITABLE_STATES
    )


@rule("membership.view_statutes")
def can_view_statutes(user: Any, organisation: Organisation) -> bool:
    return can_view_application(user, organisation)


@rule("membership.review")
def can_review(user: Any, obj: Any = None) -> bool:
    return is_steering(user)


@rule("membership.manage_people")
def can_manage_people(user: Any, organisation: Organisation) -> bool:
    membership = _membership(user, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state not in (MembershipState.REJECTED, MembershipState.LEFT)
    )


@rule("membership.view_people")
def can_view_people(user: Any, organisation: Organisation) -> bool:
    return can_view_application(user, organisation)


@rule("membership.adhere")
def can_adhere(user: Any, organisation: Organisation) -> bool:
    membership = _membership(user, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in (MembershipState.APPROVED, MembershipState.SUSPENDED)
    )


@rule("membership.leave")
def can_leave(user: Any, organisation: Organisation) -> bool:
    membership = _membership(user, organisation)
    return (
        membership is not None
        and membership.is_representative
        and organisation.membership_state in (MembershipState.APPROVED, MembershipState.SUSPENDED)
    )


@rule("membership.take_part")
def can_take_part(user: Any, organisation: Organisation | None) -> bool:
    """Acting in consultations: an approved member adhering to the current charter."""
    from tadamon.membership import services

    return (
        _membership(user, organisation) is not None
        and organisation is not None
        and organisation.membership_state is MembershipState.APPROVED
        and services.adheres_to_current_charter(organisation)
    )


@rule("membership.manage_charter")
def can_manage_charter(user: Any, obj: Any = None) -> bool:
    return is_steering(user)


@rule("membership.manage_fields")
def can_manage_fields(user: Any, obj: Any = None) -> bool:
    return is_steering(user)
