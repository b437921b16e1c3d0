"""Retention: what the accounts module keeps no longer than it must, purged by the scheduler.

The periods are the ones the privacy page states: a session ends after `PERMANENT_SESSION_LIFETIME`
without use (14 days), a single-use token (e-mail confirmation, password reset) is deleted once it
has expired or been used (after a day, so that "this link was already used" can still be said),
and a form kept across an expired session goes after two days (core/stash.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_

from tadamon.accounts.models import AccountToken, UserSession
from tadamon.core.db import utcnow
from tadamon.core.hooks import time_to_check
from tadamon.core.persistence import rows_changed
from tadamon.core.stash import purge_old_stashes
from tadamon.extensions import db

USED_TOKENS_KEPT = timedelta(days=1)
# Purging is housekeeping: once an hour per process is plenty (`flask tick` always does it).
PURGE_EVERY = timedelta(hours=1)


def purge_expired_account_records() -> int:
    """Deletes sessions unused for longer than their lifetime and tokens expired or used; returns
    how many rows went (the periodic hook commits)."""
    now = utcnow()
    if not time_to_check("accounts.retention", PURGE_EVERY, now):
        return 0
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    sessions = rows_changed(delete(UserSession).where(UserSession.last_seen_at < now - lifetime)
                            .execution_options(synchronize_session=False))
    tokens = rows_changed(delete(AccountToken).where(or_(
        AccountToken.expires_at < now - USED_TOKENS_KEPT, AccountToken.used_at < now - USED_TOKENS_KEPT))
        .execution_options(synchronize_session=False))
    stashes = purge_old_stashes()
    db.session.flush()
    return sessions + tokens + stashes
