"""What every account use-case shares: its refusals, address normalisation, the password policy."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.accounts.models import User
from tadamon.accounts.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, is_too_guessable
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.mail import send_email


class AccountError(DomainError):
    pass


class EmailTaken(AccountError):
    field = "email"


class WeakPassword(AccountError):
    field = "password"


class InvalidCredentials(AccountError):
    pass


class EmailNotVerified(AccountError):
    pass


class InvalidToken(AccountError):
    pass


class InvalidCode(AccountError):
    field = "code"


def normalize_email(email: str) -> str:
    return email.strip().lower()


# --- passwords -----------------------------------------------------------------------------


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Raises WeakPassword unless `password` is long enough and not guessable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_l("Use at least 8 characters."), field="password")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_l("Use at most 256 characters."), field="password")
    personal = [email, email.split("@")[0], name, *name.split()]
    if is_too_guessable(password, personal):
        raise WeakPassword(
            _l(
                "This password is too common or too easy to guess. "
                "A few unrelated words make a strong password that is easy to remember."
            ),
            field="password",
        )


def new_account(*, email: str, display_name: str, password: str, language: str, verified: bool = False) -> User:
    """A new account (not yet added to the session), consenting and with its password set now."""
    now = utcnow()
    return User(email=email, display_name=display_name, password_hash=hash_password(password),
                preferred_language=language, privacy_consent_at=now, password_changed_at=now,
                email_verified_at=now if verified else None)


def email_holder(user: User, template: str, subject: Any, *, to: str | None = None, **context: Any) -> None:
    """Emails the account's holder, in their language, at the account's address or at `to`."""
    send_email(to or user.email, template, language=user.preferred_language, subject=subject, user=user, **context)
