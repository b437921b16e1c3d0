"""Who may manage their own account."""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import is_authenticated, rule


@rule("accounts.manage_own_account")
def can_manage_own_account(actor: Actor, obj: Any = None) -> bool:
    return is_authenticated(actor)
