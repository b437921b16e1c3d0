"""The one permission layer: named rules that views and templates both ask.

Each feature module declares its rules in its own `permissions.py` with
`@rule("module.action")` on a `can_<action>(actor, obj=None) -> bool` predicate, where
`actor` is a `core.actor.Actor` (the person and the organisation they act for).
Views call `require(can_x(current_actor(), obj))`; templates call
`can("module.action", obj)`. An unknown action is a programming error and raises,
so a typo never silently grants or denies.

Every endpoint needs a logged-in user unless its view is marked `@public`
(see core.auth): deny by default at both levels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l

from tadamon.core.actor import Actor, actor_for, current_actor
from tadamon.core.enums import LabelledEnum
from tadamon.core.member_pages import note_answer

Predicate = Callable[..., bool]
P = TypeVar("P", bound=Predicate)

_RULES: dict[str, Predicate] = {}


class Role(LabelledEnum):
    """Platform roles. Organisation roles (representative, member) come with membership."""

    ADMIN = "admin", _l("Administrator")
    STEERING = "steering", _l("Steering group")
    FACILITATOR = "facilitator", _l("Facilitator")


# Roles whose holders must use a second factor (TOTP) before doing anything else.
ROLES_REQUIRING_TWO_FACTOR = frozenset({Role.ADMIN, Role.STEERING, Role.FACILITATOR})


def rule(action: str) -> Callable[[P], P]:
    """Registers `predicate` as the answer to `can(action, obj)`.

    Returns the predicate wrapped so that each answer, however it is asked (through `can` or
    called directly), is reported to core.member_pages: a page kept for members is served to
    another reader only when the rules it asked give that reader the same answers."""

    def register(predicate: P) -> P:
        existing = _RULES.get(action)
        if existing is not None and existing is not predicate:
            qualname = getattr(existing, "__qualname__", repr(existing))
            raise ValueError(f"permission {action!r} is already defined by {qualname}")
        _RULES[action] = predicate

        @functools.wraps(predicate)
        def answered(*args: Any, **kwargs: Any) -> Any:
            answer = predicate(*args, **kwargs)
            note_answer(action, args, kwargs, answer)
            return answer

        answered.__wrapped__ = predicate
        return answered  # type: ignore[return-value]

    return register


def predicate_of(action: str) -> Predicate:
    """The rule registered for `action`, unwrapped (its answer reported to no one)."""
    try:
        return _RULES[action]
    except KeyError:
        raise LookupError(f"unknown permission {action!r}") from None


def registered_actions() -> list[str]:
    return sorted(_RULES)


def can(action: str, obj: Any = None, user: Any = None) -> bool:
    """May `user` (a person or an Actor; default: the current actor) do `action` on `obj`?"""
    predicate = predicate_of(action)
    if user is None:
        actor = current_actor()
    elif isinstance(user, Actor):
        actor = user
    else:
        actor = actor_for(user)
    answer = bool(predicate(actor, obj))
    note_answer(action, (actor, obj), {}, answer)
    return answer


def require(allowed: bool) -> None:
    """Stops the request with 403 unless `allowed`."""
    if not allowed:
        abort(403)


def has_role(actor: Actor, *roles: Role) -> bool:
    """True when an authenticated actor's person holds any of `roles`."""
    return any(actor.has_role(role) for role in roles)


def is_authenticated(actor: Actor) -> bool:
    return actor.is_authenticated
