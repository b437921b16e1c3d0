"""Registration and email verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tadamon.accounts.models import (
    TokenPurpose,
    User,
)
from tadamon.accounts.passwords import hash_password
from tadamon.accounts.services.common import (
    AccountError,
    check_password_strength,
    email_holder,
    new_account,
    normalize_email,
)
from tadamon.accounts.services.tokens import TOKEN_LIFETIMES, consume_token, issue_token
from tadamon.core.db import utcnow
from tadamon.core.urls import external_url
from tadamon.extensions import db


def register_user(
    *, email: str, display_name: str, password: str, language: str, consent: bool
) -> str:
    """Creates an unverified account and emails a verification link; returns the address.

    An address that already has an account gets the same answer, and its owner an email
    saying someone tried to register with it: the page never tells whether an address is
    known (OWASP authentication cheat sheet, "account enumeration").
    Raises WeakPassword, AccountError (no consent).
    """
    email = normalize_email(email)
    display_name = display_name.strip()
    if not consent:
        raise AccountError(_l("Please accept the privacy notice to create an account."), field="consent")
    check_password_strength(password, email=email, name=display_name)
    holder = db.session.scalar(select(User).where(User.email == email))
    if holder is None:
        user = new_account(email=email, display_name=display_name, password=password, language=language)
        try:
            # The unique constraint has the last word when two registrations race; added
            # inside the savepoint, the losing account leaves the session with it.
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
        except IntegrityError:
            holder = db.session.scalar(select(User).where(User.email == email))
        else:
            send_verification_email(user)
            return email
    # As slow as creating an account (argon2 is most of it), so timing tells nothing either.
    hash_password(password)
    if holder is not None:
        tell_holder_of_registration_attempt(holder)
    return email


def tell_holder_of_registration_attempt(holder: User) -> None:
    email_holder(holder, "account_exists", _l("Someone tried to create a Tadamon account with your address"),
                 link=external_url("accounts.login"),
                 reset_link=external_url("accounts.forgot_password"))


def send_verification_email(user: User) -> None:
    token = issue_token(user, TokenPurpose.VERIFY_EMAIL)
    email_holder(user, "verify_email", _l("Confirm your email address for Tadamon"),
                 link=external_url("accounts.verify_email", token=token),
                 days=TOKEN_LIFETIMES[TokenPurpose.VERIFY_EMAIL].days)


def resend_verification(email: str) -> None:
    """Sends a new link if an unverified account has this address; silent otherwise."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None and not user.email_verified:
        send_verification_email(user)


def verify_email(token: str) -> User:
    record = consume_token(token, TokenPurpose.VERIFY_EMAIL)
    user = record.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user
