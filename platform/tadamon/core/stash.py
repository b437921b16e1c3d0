"""Keeps what someone typed when their session expired, so nothing long is lost.

A POST from a visitor whose session ended is answered with the log-in page, which carries
what was typed (secrets removed) in hidden fields; nothing is written then. Once the person has
logged in (a valid CSRF token and password), the log-in stores it here, sends them back to
the address they posted to, and the form there is filled from the stash (see
core.forms.TadamonForm). So an anonymous request never writes a row, and another site can never
plant a pre-filled form without the person's own log-in.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

from flask import request, session
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


def post_origin() -> str | None:
    """Where a POST says it comes from: "same" (one of our pages), "other" (another site, or an
    opaque origin) or None when the browser sent none of Sec-Fetch-Site, Origin and Referer
    (an old browser, or a privacy setting that strips them)."""
    from urllib.parse import urlsplit

    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return "same" if fetch_site == "same-origin" else "other"
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        return None
    return "same" if urlsplit(origin).netloc == request.host else "other"  # "null" is another site


def fields_to_keep(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """What a post from an expired session typed, secrets removed; nothing when it came from
    another site (it must not plant a pre-filled form) or is too big to carry."""
    if request.content_length is None or request.content_length > MAX_BYTES or post_origin() == "other":
        return []
    return [(key, value) for key, value in form.items(multi=True) if key not in SECRET_FIELDS]


def stash_submission(path: str, fields: list[tuple[str, str]], *, origin_checked: bool = True) -> None:
    """Keeps `fields` for the form at `path`, for this browser; called once the person has
    logged in again. The caller commits."""
    fields = [(key, value) for key, value in fields if key not in SECRET_FIELDS]
    if not fields:
        return
    token = secrets.token_urlsafe(24)
    db.session.add(StashedSubmission(token=token, path=path[:500], payload=json.dumps(fields)))
    # Old stashes are removed as new ones arrive: no cron needed to keep the table small.
    db.session.execute(
        delete(StashedSubmission).where(StashedSubmission.created_at < utcnow() - KEEP_FOR)
    )
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


def purge_old_stashes() -> int:
    """Deletes what was kept across an expired session and never taken back, after KEEP_FOR."""
    result = db.session.execute(delete(StashedSubmission).where(StashedSubmission.created_at < utcnow() - KEEP_FOR)
                                .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
