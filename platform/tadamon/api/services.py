"""Personal access tokens: created, revoked and checked here; every change is audited.

A token is 32 random bytes shown once to its owner; only its SHA-256 is stored (like session
ids, `accounts.models.token_digest`). It acts for one organisation the owner belongs to, with
the scopes the owner chose, and never for more than the owner could do in the browser: the API
asks the same permission predicates with an `Actor(owner, organisation)`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tadamon.accounts.models import User, token_digest
from tadamon.core import audit
from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.services import organisations_of

from .models import SCOPES, ApiToken

TOKEN_PREFIX = "tdm_"  # noqa: S105 (a marker, not a secret: secret scanners recognise it)


class TokenError(DomainError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(owner: User, organisation: Organisation | None, name: str, scopes: Iterable[str]) -> NewToken:
    """A new token for `owner` acting for `organisation`. Raises TokenError; audited."""
    name = name.strip()
    chosen = sorted(set(scopes))
    if not name:
        raise TokenError(_l("Name the token."), field="name")
    if organisation is None or organisation.id not in {o.id for o in organisations_of(owner)}:
        raise TokenError(_l("A token acts for an organisation you belong to."))
    if not chosen or any(scope not in SCOPES for scope in chosen):
        raise TokenError(_l("Choose what the token may do."), field="scopes")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, organisation_id=organisation.id, name=name[:100],
                     scopes=" ".join(chosen), token_hash=token_digest(secret), prefix=secret[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("api.token_created", "api_token", token.id, object_label=token.name,
                 after={"scopes": chosen, "organisation_id": organisation.id}, actor=owner)
    return NewToken(token, secret)


def revoke_token(owner: User, token: ApiToken) -> None:
    """Revokes `token` (compare-and-set: revoked once). Audited."""
    done = db.session.execute(update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(token)
    if getattr(done, "rowcount", 0):
        audit.record("api.token_revoked", "api_token", token.id, object_label=token.name, actor=owner)


def tokens_of(owner: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def authenticate(secret: str) -> tuple[ApiToken, Actor] | None:
    """The live token `secret` names and the Actor it acts as, or None.

    None when the token is unknown or revoked, its owner's account is disabled, or the owner no
    longer belongs to the token's organisation.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None or not token.is_active or not token.user.is_active:
        return None
    organisation = next((o for o in organisations_of(token.user) if o.id == token.organisation_id), None)
    if organisation is None:
        return None
    return token, Actor(token.user, organisation)


def audit_write(token: ApiToken, action: str, object_type: str, object_id: object, label: str = "") -> None:
    """Every API write is in the audit log, naming the token it came through."""
    audit.record(action, object_type, object_id, object_label=label,
                 after={"via": "api", "token_id": token.id, "token_name": token.name}, actor=token.user)
