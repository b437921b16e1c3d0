"""Single-use, expiring tokens sent by email: issued, checked, used once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tadamon.accounts.models import (
    AccountToken,
    TokenPurpose,
    User,
    token_digest,
)
from tadamon.accounts.services.common import (
    InvalidToken,
)
from tadamon.core.db import utcnow
from tadamon.core.persistence import rows_changed
from tadamon.extensions import db

TOKEN_LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(days=3),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: timedelta(days=1),
}


def issue_token(user: User, purpose: TokenPurpose, *, new_email: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_digest(token),
            new_email=new_email,
            expires_at=utcnow() + TOKEN_LIFETIMES[purpose],
        )
    )
    return token



def consume_token(token: str, purpose: TokenPurpose) -> AccountToken:
    """Marks the token used, atomically: of two parallel uses only one succeeds."""
    record = peek_token(token, purpose)
    claimed = rows_changed(
        update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed != 1:
        raise InvalidToken(_l("This link has already been used. Ask for a new one if you need it."))
    db.session.refresh(record)
    return record


def peek_token(token: str, purpose: TokenPurpose) -> AccountToken:
    """Checks a token without using it (to show the reset form only for a valid link)."""
    record = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_digest(token), AccountToken.purpose == purpose
        )
    )
    if record is None:
        raise InvalidToken(_l("This link is not valid. Check that you copied it whole, or ask for a new one."))
    if record.used_at is not None:
        raise InvalidToken(_l("This link has already been used. Ask for a new one if you need it."))
    if record.expires_at < utcnow():
        raise InvalidToken(_l("This link has expired. Ask for a new one."))
    return record
