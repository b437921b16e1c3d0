"""Keeps what someone typed when their session expired, so nothing long is lost.

A POST from a visitor whose session ended is stored here (secrets removed), the
visitor logs in again, comes back to the same address, and the form is filled from
the stash (see core.forms.TadamonForm).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

from flask import session
from sqlalchemy import String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from tadamon.core.db import utcnow
from tadamon.extensions import Model, db

SESSION_KEY = "stashed_submission"
# Set when the stashed post did not say where it came from (see core.auth.login_gate).
UNCHECKED_KEY = "stashed_submission_unchecked"
KEEP_FOR = timedelta(days=2)
# Long texts fit (a proposal is at most 30,000 characters); uploads are not kept.
MAX_BYTES = 256 * 1024
# Fields never written to the database in clear.
SECRET_FIELDS = frozenset(
    {"csrf_token", "password", "new_password", "current_password", "confirm", "code"}
)


class StashedSubmission(Model):
    __tablename__ = "stashed_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def stash_submission(path: str, form: MultiDict[str, str], *, origin_checked: bool = True) -> None:
    fields = [(key, value) for key, value in form.items(multi=True) if key not in SECRET_FIELDS]
    if not fields:
        return
    token = secrets.token_urlsafe(24)
    db.session.add(StashedSubmission(token=token, path=path[:500], payload=json.dumps(fields)))
    # Old stashes are removed as new ones arrive: no cron needed to keep the table small.
    db.session.execute(
        delete(StashedSubmission).where(StashedSubmission.created_at < utcnow() - KEEP_FOR)
    )
    db.session.commit()
    session[SESSION_KEY] = token
    session[UNCHECKED_KEY] = not origin_checked


def stash_origin_unchecked() -> bool:
    """True when the stash this browser holds came from a post that did not say its origin."""
    return bool(session.get(UNCHECKED_KEY))


def take_stashed_submission(path: str) -> MultiDict[str, str] | None:
    """The stash for `path` if this browser left one; it is removed once taken."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    stashed = db.session.scalar(
        select(StashedSubmission).where(
            StashedSubmission.token == token, StashedSubmission.path == path
        )
    )
    if stashed is None:
        return None
    session.pop(SESSION_KEY, None)
    session.pop(UNCHECKED_KEY, None)
    db.session.delete(stashed)
    db.session.commit()
    return MultiDict(json.loads(stashed.payload))
