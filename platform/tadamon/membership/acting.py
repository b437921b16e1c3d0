"""The organisation a person acts for: chosen in the session, else their first.

Registered with `core.actor` when the module is set up, so the Actor of a request carries it.
For a person other than the current one (a predicate asked about someone else), the answer is
that person's first organisation: another person's session choice is never read.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, session

from tadamon.core.actor import forget_current_actor
from tadamon.membership.models import Organisation

ACTING_FOR_KEY = "acting_for"


def resolve_organisation(user: Any, is_current: bool) -> Organisation | None:
    from tadamon.membership.services import organisations_of

    organisations = organisations_of(user)
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
    forget_current_actor()
