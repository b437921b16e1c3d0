"""Who may do what with organisations, their applications, people and the charter.

Object-level: organisation A's people never see or edit organisation B's draft,
members or statutes. Steering and admin review everything.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.models import (
    EDITABLE_STATES,
    MembershipState,
    Organisation,
    OrganisationMember,
)

ACTIVE_STATES = (MembershipState.APPROVED, MembershipState.SUSPENDED)


def _membership(actor: Actor, organisation: Organisation | None) -> OrganisationMember | None:
    if organisation is None or not is_authenticated(actor):
        return None
    from tadamon.membership.services import membership_of

    return membership_of(actor.user, organisation)


def _represents(actor: Actor, organisation: Organisation) -> bool:
    membership = _membership(actor, organisation)
    return membership is not None and membership.is_representative


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
    return _represents(actor, organisation) and organisation.membership_state in EDITABLE_STATES


@rule("membership.view_statutes")
def can_view_statutes(actor: Actor, organisation: Organisation) -> bool:
    return can_view_application(actor, organisation)


@rule("membership.review")
def can_review(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("membership.decide")
def can_decide(actor: Actor, organisation: Organisation) -> bool:
    """The steering group decides a submitted application."""
    return is_steering(actor) and organisation.membership_state is MembershipState.SUBMITTED


@rule("membership.suspend")
def can_suspend(actor: Actor, organisation: Organisation) -> bool:
    return is_steering(actor) and organisation.membership_state is MembershipState.APPROVED


@rule("membership.reinstate")
def can_reinstate(actor: Actor, organisation: Organisation) -> bool:
    return is_steering(actor) and organisation.membership_state is MembershipState.SUSPENDED


@rule("membership.manage_people")
def can_manage_people(actor: Actor, organisation: Organisation) -> bool:
    return (_represents(actor, organisation)
            and organisation.membership_state not in (MembershipState.REJECTED, MembershipState.LEFT))


@rule("membership.rename")
def can_rename(actor: Actor, organisation: Organisation) -> bool:
    """Its representatives name their organisation in each language (after approval too)."""
    return can_manage_people(actor, organisation)


def _manages_someone_else(actor: Actor, person: OrganisationMember) -> bool:
    return person.user_id != actor.id and can_manage_people(actor, person.organisation)


@rule("membership.hand_over")
def can_hand_over(actor: Actor, person: OrganisationMember) -> bool:
    """A representative hands their role to another of the organisation's people (a membership row)."""
    return _manages_someone_else(actor, person)


@rule("membership.remove_person")
def can_remove_person(actor: Actor, person: OrganisationMember) -> bool:
    """A representative removes another of the organisation's people (never themselves)."""
    return _manages_someone_else(actor, person)


@rule("membership.view_people")
def can_view_people(actor: Actor, organisation: Organisation) -> bool:
    return can_view_application(actor, organisation)


@rule("membership.adhere")
def can_adhere(actor: Actor, organisation: Organisation) -> bool:
    return _represents(actor, organisation) and organisation.membership_state in ACTIVE_STATES


@rule("membership.leave")
def can_leave(actor: Actor, organisation: Organisation) -> bool:
    return _represents(actor, organisation) and organisation.membership_state in ACTIVE_STATES


@rule("membership.take_part")
def can_take_part(actor: Actor, organisation: Organisation | None) -> bool:
    """Acting in consultations: an approved member adhering to the current charter."""
    from tadamon.membership.services import adheres_to_current_charter

    return (
        _membership(actor, organisation) is not None
        and organisation is not None
        and organisation.membership_state is MembershipState.APPROVED
        and adheres_to_current_charter(organisation)
    )


@rule("membership.manage_charter")
def can_manage_charter(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)


@rule("membership.manage_fields")
def can_manage_fields(actor: Actor, obj: Any = None) -> bool:
    return is_steering(actor)
