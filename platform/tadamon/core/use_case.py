"""The use-case runner every view uses: one service call, one commit, or one rollback.

The flow of a state-changing view (Indico's request handler, as a function):
load the object → `require(can_…(current_actor(), obj))` → `run_use_case(form, operation,
success=…)`, which validates the form, calls the one service, commits once, flashes, and
returns a truthy `Outcome`; or rolls back, puts the domain error under its form field (or at
the top of the page) and returns a falsy one. A form carrying a `submission_key`
(`core.idempotency.SubmissionKey`) is claimed in the same transaction: sent twice, it acts once. A `teardown_request` handler
(`rollback_on_error`) rolls back whatever an unexpected exception left in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash
from flask_wtf import FlaskForm

from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import show_error
from tadamon.core.idempotency import ALREADY_SENT, claim_submission
from tadamon.extensions import db

T = TypeVar("T")
Message = str | Callable[[Any], str] | None


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a use-case gave: `done` (truthy) with its `value`, or refused with its `error`."""

    done: bool
    value: T | None = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.done


NOT_SUBMITTED: Outcome[Any] = Outcome(False)


def run_use_case(form: FlaskForm | None, operation: Callable[[], T], *,
                 success: Message = None, category: str = "success") -> Outcome[T]:
    """Validates `form` (when given), runs `operation`, commits once and flashes `success`.

    `success` is a message, or a function of the operation's result giving one. A form that
    was not submitted or is invalid runs nothing (its errors are on its fields). A DomainError
    rolls back and is shown under the field it names, else as a message.
    """
    if form is not None and not form.validate_on_submit():
        return NOT_SUBMITTED
    key = getattr(getattr(form, "submission_key", None), "data", None)
    try:
        if key and not claim_submission(key):
            raise DomainError(ALREADY_SENT)
        value = operation()
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return Outcome(False, error=error)
    db.session.commit()
    message = success(value) if callable(success) else success
    if message:
        flash(str(message), category)
    return Outcome(True, value)


def rollback_on_error(error: BaseException | None) -> None:
    """`teardown_request`: an exception never leaves half a change behind for the next use."""
    if error is not None:
        db.session.rollback()
