"""One submission, one effect: a form that creates something carries a random key from its
rendering to its submit (`SubmissionKey`), and the use-case runner claims that key in the same
transaction as the change. A double click, a resent request or two parallel copies of the same
form then change things once: the database's unique key decides, never a prior check. A change
that is refused (a DomainError) rolls its claim back with it, so the corrected form goes through.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField
from wtforms.validators import Length, Optional

from tadamon.core.db import utcnow
from tadamon.core.persistence import add_unless_duplicate
from tadamon.extensions import Model

ALREADY_SENT = _l("This form had already been sent: what it holds is saved once, nothing was added twice.")


class FormSubmission(Model):
    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(43), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def new_submission_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


class SubmissionKey:
    """Mixed into a form that creates content: its hidden `submission_key` makes a second
    submit of the same rendering a no-op (see `core.use_case.run_use_case`)."""

    submission_key = HiddenField(default=new_submission_key, validators=[Optional(), Length(max=43)])


def claim_submission(key: str) -> bool:
    """True the first time `key` is claimed; False when another submit holds it already."""
    return add_unless_duplicate(FormSubmission(submission_key=key))
