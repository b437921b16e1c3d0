"""Log-in throttling that slows attackers without locking out the people they attack.

Only failures count (a log-in that succeeds redirects). Three counters, in Flask-Limiter
(shared through Redis when configured, a moving window each):

- per account *at one address* (RATELIMIT_LOGIN_ACCOUNT): a lock that grows with the
  failures (a minute, ten, an hour, a day). It slows whoever guesses one account from one
  place, and never the owner typing the right password somewhere else: a counter on the
  account alone would let anyone lock its owner out (OWASP authentication cheat sheet,
  "account lockout"; ASVS 5.0 V6.3).
- per address, across accounts (RATELIMIT_LOGIN_ADDRESS): one machine trying many accounts.
- wrong second-factor codes per account, whatever the address
  (RATELIMIT_TWO_FACTOR_ACCOUNT): six digits must stay out of reach of a botnet. Only
  someone who already passed the password step reaches it, and the count starts afresh
  with a new password, so an owner whose password leaked resets it and is in again.

A limit reached refuses before the password or code is even checked (429), so a throttled
client learns nothing from its guesses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from tadamon.accounts.models import User
from tadamon.accounts.services import normalize_email
from tadamon.extensions import limiter, remote_address

View = Callable[..., Any]


def failed(response: Response) -> bool:
    """A failed attempt is any answer but the redirect of a success."""
    return response.status_code != 302


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def typed_account() -> str:
    return normalize_email(request.form.get("email", ""))[:254]


def _account_at_address() -> str:
    return f"login:{typed_account()}|{remote_address()}"


def throttle_password_step(view: View) -> View:
    """The log-in form's limits: per account at one address, and per address."""
    view = limiter.limit(_setting("RATELIMIT_LOGIN_ADDRESS"), methods=["POST"], deduct_when=failed)(view)
    return limiter.limit(_setting("RATELIMIT_LOGIN_ACCOUNT"), methods=["POST"], deduct_when=failed,
                         key_func=_account_at_address)(view)


def throttle_code_step(pending_user: Callable[[], User | None]) -> Callable[[View], View]:
    """The second-factor form's limits: the password step's two, and one per account."""

    def pending_at_address() -> str:
        user = pending_user()
        return f"two-factor:{user.id if user else ''}|{remote_address()}"

    def pending_account() -> str:
        user = pending_user()
        if user is None:
            return "two-factor:none"
        # Keyed by the password in force (a digest of its hash, which every new password
        # changes, even within the same second): a reset after a leak starts a new count.
        password = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
        return f"two-factor:{user.id}:{password}"

    def decorate(view: View) -> View:
        view = limiter.limit(_setting("RATELIMIT_LOGIN_ADDRESS"), methods=["POST"], deduct_when=failed)(view)
        view = limiter.limit(_setting("RATELIMIT_LOGIN_ACCOUNT"), methods=["POST"], deduct_when=failed,
                             key_func=pending_at_address)(view)
        return limiter.limit(_setting("RATELIMIT_TWO_FACTOR_ACCOUNT"), methods=["POST"], deduct_when=failed,
                             key_func=pending_account)(view)

    return decorate
