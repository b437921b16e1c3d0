"""Who is acting: a person, and the organisation they act for in this request.

One organisation, one vote: people act on behalf of an organisation. Which one is a value,
resolved once per request and passed explicitly to permission predicates (as their first
argument) and, through the views, to services. Core knows nothing of organisations: the
membership module registers how to find the one a person acts for
(`set_organisation_resolver`). A predicate asked about another person (`can(..., user=x)`)
gets an Actor for that person, never the current session's organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from flask_login import current_user

# (user, is_the_current_user) -> the organisation the user acts for, or None.
OrganisationResolver = Callable[[Any, bool], Any]
_resolver: list[OrganisationResolver] = []


def set_organisation_resolver(resolver: OrganisationResolver) -> None:
    _resolver[:] = [resolver]


@dataclass(frozen=True, eq=False)
class Actor:
    """A person (possibly anonymous) and the organisation they act for (or None)."""

    user: Any
    organisation: Any = None

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))

    @property
    def id(self) -> int | None:
        return getattr(self.user, "id", None) if self.is_authenticated else None

    def has_role(self, role: Any) -> bool:
        return self.is_authenticated and bool(self.user.has_role(role))


def actor_for(user: Any) -> Actor:
    """The Actor for `user`, memoised for the request (one organisation lookup per person)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(user)
    is_current = has_request_context() and _same_person(user, current_user)
    if not has_request_context():
        return Actor(user, _resolve(user, False))
    memo: dict[tuple[int, bool], Actor] = g.setdefault("tadamon_actors", {})
    key = (user.id, is_current)
    actor = memo.get(key)
    if actor is None:
        actor = memo[key] = Actor(user, _resolve(user, is_current))
    return actor


def current_actor() -> Actor:
    """The person of this request and the organisation they chose to act for."""
    return actor_for(current_user._get_current_object() if current_user else None)


def forget_current_actor() -> None:
    """After the person switches organisation or joins one, within the same request."""
    if has_request_context():
        g.pop("tadamon_actors", None)


def _resolve(user: Any, is_current: bool) -> Any:
    return _resolver[0](user, is_current) if _resolver else None


def _same_person(user: Any, other: Any) -> bool:
    return bool(other is not None and getattr(other, "is_authenticated", False)
                and getattr(other, "id", None) == getattr(user, "id", None))
