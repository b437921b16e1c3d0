"""Who may ask for data, follow and download a request, and answer requests.

A request's file is its requester's alone: not the organisation's other people, not the
administrators (they see the register, never the data). An organisation's data is asked for
by the one who can act for it, its representative.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, is_authenticated, rule
from tadamon.membership.models import Organisation


def _represents(actor: Actor, organisation: Organisation | None) -> bool:
    if organisation is None or not is_authenticated(actor):
        return False
    from tadamon.membership.services import membership_of

    membership = membership_of(actor.user, organisation)
    return membership is not None and membership.is_representative


@rule("privacy.request_own_data")
def can_request_own_data(actor: Actor, obj: Any = None) -> bool:
    return is_authenticated(actor)


@rule("privacy.delete_own_account")
def can_delete_own_account(actor: Actor, obj: Any = None) -> bool:
    return is_authenticated(actor)


@rule("privacy.follow_request")
def can_follow_request(actor: Actor, request: Any) -> bool:
    """The requester only (a refusal here is a 404: the request's existence is not told)."""
    return is_authenticated(actor) and request is not None and request.user_id == actor.id


@rule("privacy.request_organisation_data")
def can_request_organisation_data(actor: Actor, organisation: Organisation | None) -> bool:
    return _represents(actor, organisation)


@rule("privacy.process_requests")
def can_process_requests(actor: Actor, obj: Any = None) -> bool:
    return has_role(actor, Role.ADMIN)
