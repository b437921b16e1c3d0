"""Who may read the open data: anyone, without an account. What is public is decided by the
datasets themselves (`services.find`), through the pages' own predicates."""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import rule


@rule("opendata.view")
def can_view_open_data(actor: Actor, obj: Any = None) -> bool:
    return True
