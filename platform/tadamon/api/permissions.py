"""Who may hold API tokens: a person acting for an organisation (the token acts for it)."""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import is_authenticated, rule


@rule("api.manage_tokens")
def can_manage_tokens(actor: Actor, obj: Any = None) -> bool:
    return is_authenticated(actor) and actor.organisation is not None


@rule("api.revoke_token")
def can_revoke_token(actor: Actor, token: Any) -> bool:
    """Only the token's owner revokes it."""
    return is_authenticated(actor) and token is not None and token.user_id == actor.user.id
