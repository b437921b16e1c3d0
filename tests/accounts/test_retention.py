"""Retention: sessions, single-use tokens and kept forms are purged by the scheduler after the
periods the privacy page states."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tadamon.accounts.models import AccountToken, TokenPurpose, UserSession
from tadamon.accounts.services.retention import purge_expired_account_records
from tadamon.core.db import utcnow
from tadamon.core.hooks import forget_last_tick
from tadamon.core.stash import StashedSubmission
from tadamon.extensions import db


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_expired_sessions_tokens_and_kept_forms_are_purged_and_recent_ones_stay(app, create_user):
    person = create_user()
    now = utcnow()
    old = now - app.config["PERMANENT_SESSION_LIFETIME"] - timedelta(minutes=1)
    db.session.add_all([
        UserSession(user_id=person.id, token_hash="a" * 64, created_at=old, last_seen_at=old),
        UserSession(user_id=person.id, token_hash="b" * 64, created_at=old, last_seen_at=now),
        AccountToken(user_id=person.id, purpose=TokenPurpose.RESET_PASSWORD, token_hash="c" * 64,
                     expires_at=now - timedelta(days=2)),
        AccountToken(user_id=person.id, purpose=TokenPurpose.RESET_PASSWORD, token_hash="d" * 64,
                     expires_at=now + timedelta(hours=1)),
        StashedSubmission(token="old", path="/account/", payload="[]", created_at=now - timedelta(days=3)),
        StashedSubmission(token="new", path="/account/", payload="[]", created_at=now),
    ])
    db.session.commit()
    forget_last_tick()
    assert purge_expired_account_records() == 3
    db.session.commit()
    assert _count(UserSession) == 1 and _count(AccountToken) == 1 and _count(StashedSubmission) == 1
    assert purge_expired_account_records() == 0  # at most once an hour per process


def test_the_privacy_page_states_the_periods(client, create_user, login):
    person = create_user(language="en")
    login(client, person)
    page = client.get("/privacy").get_data(as_text=True)
    assert "A session ends after 14 days without use" in page
    assert "deleted two hours after they are made" in page
