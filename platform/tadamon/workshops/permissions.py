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
    """`target` is (workshop, organisation): a representative of a member taking part, in one
    of the workshop's regions (or any, for a national one)."""
    workshop, organisation = target
    if workshop is None:
        return False
    return registration_refusal(actor, workshop, organisation) is None


def registration_refusal(actor: Actor, workshop: Any, organisation: Any) -> Any:
    """Why `actor` cannot register `organisation` for `workshop` now, in words (what the workshop
    page says in place of the button); None when they can. The same answer as `can_register`,
    so the page never offers a form the service would refuse once filled."""
    from flask_babel import lazy_gettext as _l

    from tadamon.core.bidi import isolate

    if not is_authenticated(actor):
        return _l("Log in to register your organisation")
    if not workshop.registration_is_open:
        return _l("Registration is not open.")
    if organisation is None:
        return _l("Choose the organisation you act for to register it.")
    from tadamon.membership import services as membership
    from tadamon.workshops import services

    membership_row = membership.membership_of(actor.user, organisation)
    if membership_row is None or not membership_row.is_representative:
        return _l("Only a representative of %(organisation)s may register it.",
                  organisation=isolate(organisation.display_name))
    if not can_take_part(actor, organisation):
        return _l("Registration is open to the representatives of member organisations that adhere to the "
                  "current charter.")
    return services.outside_regions(workshop, organisation)


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
    if is_steering(actor):
        return True
    # Roles first: only a facilitator's answer needs the workshop and its facilitators loaded.
    return (consultation.workshop_id is not None and has_role(actor, Role.FACILITATOR)
            and _is_facilitator_of(actor, consultation.workshop))


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
