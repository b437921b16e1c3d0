"""Two-factor authentication (TOTP): setting it up, checking codes once, turning it off."""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from tadamon.accounts.models import (
    User,
)
from tadamon.accounts.services.common import (
    AccountError,
    InvalidCode,
)
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.permissions import ROLES_REQUIRING_TWO_FACTOR
from tadamon.core.persistence import rows_changed
from tadamon.extensions import db


def requires_two_factor(user: User) -> bool:
    return bool(user.roles & ROLES_REQUIRING_TWO_FACTOR)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Tadamon")


def _matching_counter(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time-step whose code matches, allowing one step of clock drift either side."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    moment = at or utcnow()
    now_counter = totp.timecode(moment)
    for drift in (0, -1, 1):
        counter = now_counter + drift
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def enable_totp(user: User, *, secret: str, code: str) -> None:
    counter = _matching_counter(secret, code)
    if counter is None:
        raise InvalidCode(_l("This code is not right. Check your phone's clock and try the newest code."))
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_counter = counter
    audit.record("user.two_factor_enabled", "user", user.id, object_label=user.email, actor=user)


def check_totp(user: User, code: str) -> None:
    """Accepts a current code once; raises InvalidCode otherwise (replays included)."""
    if not user.two_factor_enabled:
        raise InvalidCode(_l("Two-factor authentication is not set up for this account."))
    counter = _matching_counter(user.totp_secret or "", code)
    refused = InvalidCode(_l("This code is not right. Check your phone's clock and try the newest code."))
    if counter is None:
        raise refused
    # Compare-and-set: of two parallel log-ins with the same code, one wins.
    claimed = rows_changed(
        update(User).where(User.id == user.id)
        .where((User.totp_last_counter.is_(None)) | (User.totp_last_counter < counter))
        .values(totp_last_counter=counter).execution_options(synchronize_session=False))
    if claimed != 1:
        raise refused
    db.session.refresh(user)


def disable_totp(user: User, *, code: str) -> None:
    if requires_two_factor(user):
        raise AccountError(_l("Your role requires two-factor authentication: it cannot be turned off."))
    check_totp(user, code)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    audit.record("user.two_factor_disabled", "user", user.id, object_label=user.email, actor=user)
