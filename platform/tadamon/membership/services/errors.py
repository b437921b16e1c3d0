"""The refusals of membership use-cases: a DomainError with a message for the person."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.core.errors_domain import DomainError


class MembershipError(DomainError):
    pass


class IncompleteApplication(MembershipError):
    """The application lacks something; `missing` lists what, as messages."""

    def __init__(self, missing: list[Any]) -> None:
        super().__init__(_l("Before submitting, please complete the application:"))
        self.missing = missing
