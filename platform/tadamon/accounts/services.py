"""Account use-cases: registration, verification, log-in, sessions, passwords, roles, TOTP.

Services take models and plain values, check the rules, change the models and flush;
the view commits. Each raises a DomainError subclass whose message the view shows.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from tadamon.accounts.models import (
    AccountToken,
    RoleAssignment,
    TokenPurpose,
    User,
    UserSession,
    token_digest,
)
from tadamon.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    burn_verification_time,
    hash_password,
    is_too_guessable,
    needs_rehash,
    verify_password,
)
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.mail import send_email
from tadamon.core.permissions import ROLES_REQUIRING_TWO_FACTOR, Role
from tadamon.core.urls import external_url
from tadamon.extensions import db

TOKEN_LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(days=3),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: timedelta(days=1),
}
# How often a session's "last seen" is written: not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


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


# --- registration and verification ---------------------------------------------------------


def register_user(
    *, email: str, display_name: str, password: str, language: str, consent: bool
) -> User:
    """Creates an unverified account and emails a verification link.

    Raises EmailTaken, WeakPassword, AccountError (no consent).
    """
    email = normalize_email(email)
    display_name = display_name.strip()
    if not consent:
        raise AccountError(_l("Please accept the privacy notice to create an account."), field="consent")
    check_password_strength(password, email=email, name=display_name)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(_l("An account already uses this email address. You can log in or reset your password."))
    now = utcnow()
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        preferred_language=language,
        privacy_consent_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    try:
        # The unique constraint has the last word when two registrations race.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise EmailTaken(
            _l("An account already uses this email address. You can log in or reset your password.")
        ) from None
    send_verification_email(user)
    return user


def _issue_token(user: User, purpose: TokenPurpose, *, new_email: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=token_digest(token),
            new_email=new_email,
            expires_at=utcnow() + TOKEN_LIFETIMES[purpose],
        )
    )
    return token


_external_url = external_url


def send_verification_email(user: User) -> None:
    token = _issue_token(user, TokenPurpose.VERIFY_EMAIL)
    send_email(
        user.email,
        "verify_email",
        language=user.preferred_language,
        subject=_l("Confirm your email address for Tadamon"),
        user=user,
        link=_external_url("accounts.verify_email", token=token),
        days=TOKEN_LIFETIMES[TokenPurpose.VERIFY_EMAIL].days,
    )


def resend_verification(email: str) -> None:
    """Sends a new link if an unverified account has this address; silent otherwise."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None and not user.email_verified:
        send_verification_email(user)


def _consume_token(token: str, purpose: TokenPurpose) -> AccountToken:
    """Marks the token used, atomically: of two parallel uses only one succeeds."""
    record = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_digest(token), AccountToken.purpose == purpose.value
        )
    )
    if record is None:
        raise InvalidToken(_l("This link is not valid. Check that you copied it whole, or ask for a new one."))
    if record.used_at is not None:
        raise InvalidToken(_l("This link has already been used. Ask for a new one if you need it."))
    if record.expires_at < utcnow():
        raise InvalidToken(_l("This link has expired. Ask for a new one."))
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidToken(_l("This link has already been used. Ask for a new one if you need it."))
    db.session.refresh(record)
    return record


def peek_token(token: str, purpose: TokenPurpose) -> AccountToken:
    """Checks a token without using it (to show the reset form only for a valid link)."""
    record = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_digest(token), AccountToken.purpose == purpose.value
        )
    )
    if record is None:
        raise InvalidToken(_l("This link is not valid. Check that you copied it whole, or ask for a new one."))
    if record.used_at is not None:
        raise InvalidToken(_l("This link has already been used. Ask for a new one if you need it."))
    if record.expires_at < utcnow():
        raise InvalidToken(_l("This link has expired. Ask for a new one."))
    return record


def verify_email(token: str) -> User:
    record = _consume_token(token, TokenPurpose.VERIFY_EMAIL)
    user = record.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


# --- log-in and sessions -------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The account these credentials open. Raises InvalidCredentials or EmailNotVerified.

    The message never says whether the address exists.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        burn_verification_time()
        raise InvalidCredentials(_l("The email address or the password is not right."))
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials(_l("The email address or the password is not right."))
    if not user.is_enabled:
        raise InvalidCredentials(_l("This account has been disabled. Contact the platform's administrators."))
    if not user.email_verified:
        raise EmailNotVerified(
            _l("Please confirm your email address first: follow the link we sent you. You can ask for a new link below.")
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, *, ip_address: str | None, user_agent: str) -> str:
    """Creates a server-side session and returns its secret id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(session_id),
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
    )
    return session_id


def find_session(user_id: int, session_id: str | None) -> UserSession | None:
    if not session_id:
        return None
    found = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_digest(session_id), UserSession.user_id == user_id
        )
    )
    if found is not None and utcnow() - found.last_seen_at > SESSION_TOUCH_INTERVAL:
        found.last_seen_at = utcnow()
    return found


def end_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == token_digest(session_id)))


def end_other_sessions(user: User, keep_session_id: str | None) -> int:
    """Logs `user` out everywhere but the current browser; returns how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session_id:
        statement = statement.where(UserSession.token_hash != token_digest(keep_session_id))
    return db.session.execute(statement).rowcount  # type: ignore[attr-defined]


def list_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.last_seen_at.desc())
        )
    )


# --- password reset and change ---------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Emails a reset link if the address has an account; says nothing either way."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_enabled:
        return
    token = _issue_token(user, TokenPurpose.RESET_PASSWORD)
    send_email(
        user.email,
        "reset_password",
        language=user.preferred_language,
        subject=_l("Reset your Tadamon password"),
        user=user,
        link=_external_url("accounts.reset_password", token=token),
        minutes=int(TOKEN_LIFETIMES[TokenPurpose.RESET_PASSWORD].total_seconds() // 60),
    )


def reset_password(token: str, new_password: str) -> User:
    """Sets a new password from an emailed token; every session of the account ends."""
    record = peek_token(token, TokenPurpose.RESET_PASSWORD)
    check_password_strength(new_password, email=record.user.email, name=record.user.display_name)
    record = _consume_token(token, TokenPurpose.RESET_PASSWORD)
    user = record.user
    _set_password(user, new_password)
    # Following the emailed link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    end_other_sessions(user, keep_session_id=None)
    return user


def _set_password(user: User, new_password: str) -> None:
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
    _set_password(user, new_password)
    end_other_sessions(user, keep_session_id)
    send_email(
        user.email,
        "password_changed",
        language=user.preferred_language,
        subject=_l("Your Tadamon password was changed"),
        user=user,
    )


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
    token = _issue_token(user, TokenPurpose.CHANGE_EMAIL, new_email=new_email)
    send_email(
        new_email,
        "confirm_email_change",
        language=user.preferred_language,
        subject=_l("Confirm your new email address for Tadamon"),
        user=user,
        link=_external_url("accounts.confirm_email_change", token=token),
    )


def confirm_email_change(token: str) -> User:
    record = _consume_token(token, TokenPurpose.CHANGE_EMAIL)
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
    send_email(
        old_email,
        "email_changed",
        language=user.preferred_language,
        subject=_l("Your Tadamon email address was changed"),
        user=user,
        new_email=new_email,
    )
    return user


# --- profile ---------------------------------------------------------------------------------


def update_profile(user: User, *, display_name: str, language: str, timezone: str) -> None:
    user.display_name = display_name.strip()
    user.preferred_language = language
    user.timezone = timezone


def set_preferred_language(user: User, language: str) -> None:
    user.preferred_language = language


# --- roles and administration ----------------------------------------------------------------


def set_roles(actor: User, user: User, roles: set[Role]) -> None:
    """Grants and removes platform roles; the change goes to the audit log."""
    before = sorted(user.roles)
    if actor.id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        remaining_admins = db.session.scalar(
            select(func.count()).select_from(RoleAssignment).where(
                RoleAssignment.role == Role.ADMIN.value, RoleAssignment.user_id != user.id
            )
        )
        if not remaining_admins:
            raise AccountError(_l("You are the last administrator: give the role to someone else first."))
    for assignment in list(user.role_assignments):
        if Role(assignment.role) not in roles:
            user.role_assignments.remove(assignment)
    for role in sorted(roles - user.roles):
        user.role_assignments.append(RoleAssignment(role=role.value, granted_by_id=actor.id))
    db.session.flush()
    after = sorted(user.roles)
    if before != after:
        audit.record(
            "user.roles_changed",
            "user",
            user.id,
            object_label=user.email,
            before={"roles": before},
            after={"roles": after},
            actor=actor,
        )


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    if actor.id == user.id and not enabled:
        raise AccountError(_l("You cannot disable your own account."))
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    if not enabled:
        end_other_sessions(user, keep_session_id=None)
    audit.record(
        "user.enabled" if enabled else "user.disabled",
        "user",
        user.id,
        object_label=user.email,
        before={"enabled": not enabled},
        after={"enabled": enabled},
        actor=actor,
    )


def create_admin(*, email: str, display_name: str, password: str, language: str = "ar") -> User:
    """Creates (or promotes) a verified administrator: the CLI's create-admin."""
    email = normalize_email(email)
    check_password_strength(password, email=email, name=display_name)
    user = db.session.scalar(select(User).where(User.email == email))
    now = utcnow()
    if user is None:
        user = User(
            email=email,
            display_name=display_name,
            password_hash=hash_password(password),
            preferred_language=language,
            privacy_consent_at=now,
            password_changed_at=now,
            email_verified_at=now,
        )
        db.session.add(user)
        db.session.flush()
    if not user.has_role(Role.ADMIN):
        user.role_assignments.append(RoleAssignment(role=Role.ADMIN.value))
        db.session.flush()
        audit.record(
            "user.roles_changed", "user", user.id, object_label=user.email,
            after={"roles": sorted(user.roles)},
        )
    return user


# --- two-factor authentication (TOTP) ------------------------------------------------------


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
    claimed = db.session.execute(
        update(User).where(User.id == user.id)
        .where((User.totp_last_counter.is_(None)) | (User.totp_last_counter < counter))
        .values(totp_last_counter=counter).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
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
