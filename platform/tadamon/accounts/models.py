"""People's accounts, their platform roles, server-side sessions and emailed tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from tadamon.core.db import string_enum, utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import Model


def token_digest(token: str) -> str:
    """Tokens and session ids are stored hashed: a database leak does not log anyone in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Translators: shown instead of the name of a person who deleted their account.
ERASED_NAME = _l("Former member")


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and trimmed: the unique constraint then means "one account per address".
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The name as typed; pages read `display_name`, which says "Former member" (in the
    # reader's language, at display) once the account is erased.
    stored_name: Mapped[str] = mapped_column("display_name", String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    preferred_language: Mapped[str] = mapped_column(String(8), default="ar")
    timezone: Mapped[str] = mapped_column(String(64), default="Africa/Casablanca")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column()
    privacy_consent_at: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime | None] = mapped_column()
    # Administrators can disable an account; its sessions end and it cannot log in.
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column()
    # The last TOTP time-step accepted: a code is never accepted twice.
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)
    # Set when the person deleted their account (privacy.services.erasure): the row stays, so
    # the organisation's proposals, ballots and the audit log keep pointing somewhere.
    erased_at: Mapped[datetime | None] = mapped_column()

    # Loaded when read: the logged-in person's come joined with their session (see
    # accounts.load_user); a person named on a page (an author, a facilitator) costs no query for them.
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="select",
        foreign_keys="RoleAssignment.user_id",
    )

    @hybrid_property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return str(ERASED_NAME)
        return self.stored_name

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.stored_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str]:
        return cls.stored_name  # type: ignore[return-value]

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account is logged out
        return self.is_enabled

    @property
    def roles(self) -> set[Role]:
        return {Role(assignment.role) for assignment in self.role_assignments}

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleAssignment(Model):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN ('admin', 'steering', 'facilitator')", name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, 20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="role_assignments", foreign_keys=[user_id])


class UserSession(Model):
    """One logged-in browser. The cookie carries its id; deleting the row logs it out."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a secret
    CHANGE_EMAIL = "change_email"


class AccountToken(Model):
    """A single-use, expiring token sent by email."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('verify_email', 'reset_password', 'change_email')", name="known_purpose"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(string_enum(TokenPurpose, 20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # For an email change: the new address, confirmed by following the link sent to it.
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
