"""The organisation a person acts for: chosen in the session, else their first.

Registered with `core.actor` when the module is set up, so the Actor of a request carries it.
For a person other than the current one (a predicate asked about someone else), the answer is
that person's first organisation: another person's session choice is never read.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, session

from tadamon.core.actor import forget_current_actor
from tadamon.membership.models import Organisation

ACTING_FOR_KEY = "acting_for"


def organisations_for(user: Any) -> list[Organisation]:
    """The organisations `user` acts for, looked up once per request (the actor and the page
    header's switcher both ask)."""
    from tadamon.membership.services import organisations_of

    if not has_request_context():
        return organisations_of(user)
    memo: dict[int, list[Organisation]] = g.setdefault("tadamon_organisations_of", {})
    if user.id not in memo:
        memo[user.id] = organisations_of(user)
    return memo[user.id]


def resolve_organisation(user: Any, is_current: bool) -> Organisation | None:
    organisations = organisations_for(user)
    if not organisations:
        return None
    chosen = session.get(ACTING_FOR_KEY) if is_current and has_request_context() else None
    for organisation in organisations:
        if organisation.id == chosen:
            return organisation
    return organisations[0]


def act_for(organisation: Organisation) -> None:
    """From now on (this request included), the current person acts for `organisation`."""
    session[ACTING_FOR_KEY] = organisation.id
    g.pop("tadamon_organisations_of", None)
    forget_current_actor()
