"""Changing a password (by reset link or knowing the current one) and an email address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tadamon.accounts.models import (
    TokenPurpose,
    User,
)
from tadamon.accounts.passwords import (
    hash_password,
    verify_password,
)
from tadamon.accounts.services.common import (
    AccountError,
    EmailTaken,
    WeakPassword,
    check_password_strength,
    email_holder,
    normalize_email,
)
from tadamon.accounts.services.sessions import end_other_sessions
from tadamon.accounts.services.tokens import TOKEN_LIFETIMES, consume_token, issue_token, peek_token
from tadamon.core.db import utcnow
from tadamon.core.urls import external_url
from tadamon.extensions import db


def request_password_reset(email: str) -> None:
    """Emails a reset link if the address has an account; says nothing either way."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_enabled:
        return
    token = issue_token(user, TokenPurpose.RESET_PASSWORD)
    email_holder(user, "reset_password", _l("Reset your Tadamon password"),
                 link=external_url("accounts.reset_password", token=token),
                 minutes=int(TOKEN_LIFETIMES[TokenPurpose.RESET_PASSWORD].total_seconds() // 60))


def reset_password(token: str, new_password: str) -> User:
    """Sets a new password from an emailed token; every session of the account ends."""
    record = peek_token(token, TokenPurpose.RESET_PASSWORD)
    check_password_strength(new_password, email=record.user.email, name=record.user.display_name)
    record = consume_token(token, TokenPurpose.RESET_PASSWORD)
    user = record.user
    set_password(user, new_password)
    # Following the emailed link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    end_other_sessions(user, keep_session_id=None)
    return user


def set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()


def change_password(
    user: User, *, current_password: str, new_password: str, keep_session_id: str | None
) -> None:
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_l("Your current password is not right."), field="current_password")
    try:
        check_password_strength(new_password, email=user.email, name=user.display_name)
    except WeakPassword as weak:
        weak.field = "new_password"
        raise
    set_password(user, new_password)
    end_other_sessions(user, keep_session_id)
    email_holder(user, "password_changed", _l("Your Tadamon password was changed"))


# --- email change ----------------------------------------------------------------------------


def request_email_change(user: User, *, new_email: str, password: str) -> None:
    """Sends a confirmation link to the new address; the change happens when it is followed."""
    if not verify_password(user.password_hash, password):
        raise AccountError(_l("Your current password is not right."), field="password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise AccountError(_l("This is already your email address."), field="new_email")
    if db.session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise EmailTaken(_l("Another account already uses this email address."), field="new_email")
    token = issue_token(user, TokenPurpose.CHANGE_EMAIL, new_email=new_email)
    email_holder(user, "confirm_email_change", _l("Confirm your new email address for Tadamon"),
                 to=new_email, link=external_url("accounts.confirm_email_change", token=token))


def confirm_email_change(token: str) -> User:
    record = consume_token(token, TokenPurpose.CHANGE_EMAIL)
    user = record.user
    new_email = record.new_email or ""
    taken = db.session.scalar(select(User.id).where(User.email == new_email, User.id != user.id))
    if taken is not None:
        raise EmailTaken(_l("Another account already uses this email address."))
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise EmailTaken(_l("Another account already uses this email address.")) from None
    email_holder(user, "email_changed", _l("Your Tadamon email address was changed"),
                 to=old_email, new_email=new_email)
    return user
