"""The base of every domain error: a message the view shows in the user's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain said no. `message` is a (lazy) translated string.

    `field` names the form field the message belongs beside, when there is one.
    """

    field: str | None = None

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if field is not None:
            self.field = field
