"""Personal access tokens: a member's key for the API, acting for one organisation."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadamon.accounts.models import User
from tadamon.core.db import utcnow
from tadamon.extensions import Model
from tadamon.membership.models import Organisation

# What a token may be allowed to do; each write operation of the API names the one it needs.
SCOPES = {
    "proposals": _l("Write draft proposals"),
    "comments": _l("Comment on proposals"),
    "cosign": _l("Co-sign proposals"),
    "registrations": _l("Register for workshops"),
    "progress": _l("Post progress on the action plan"),
    "votes": _l("Vote"),
}


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # Space-separated names from SCOPES.
    scopes: Mapped[str] = mapped_column(String(200), default="")
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Its first characters, to tell tokens apart on the account page.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
