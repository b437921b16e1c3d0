"""Deny-by-default log-in gate: every endpoint needs a user unless marked `@public`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_login import AnonymousUserMixin, current_user

from tadamon.core import stash
from tadamon.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ATTRIBUTE = "tadamon_public"


def public(view: F) -> F:
    """Marks a view as reachable without logging in."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: the 404/405 handlers answer
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, PUBLIC_ATTRIBUTE, False))


class AnonymousUser(AnonymousUserMixin):
    """The visitor who has not logged in: holds no role, prefers no language."""

    preferred_language = None
    timezone = None
    display_name = ""

    def has_role(self, role: Any) -> bool:
        return False


def _post_origin() -> str | None:
    """Where a POST says it comes from: "same" (one of our pages), "other" (another site, or an
    opaque origin) or None when the browser sent none of Sec-Fetch-Site, Origin and Referer
    (an old browser, or a privacy setting that strips them)."""
    from urllib.parse import urlsplit

    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return "same" if fetch_site == "same-origin" else "other"
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        return None
    return "same" if urlsplit(origin).netloc == request.host else "other"  # "null" is another site


def login_gate() -> Any:
    if is_public_endpoint(request.endpoint) or current_user.is_authenticated:
        return None
    origin = _post_origin()
    if request.method == "POST" and origin != "other" and request.content_length and \
            request.content_length <= stash.MAX_BYTES and request.form:
        # Someone whose session expired while writing: keep what they typed, so the form
        # comes back filled after they log in again (nothing is saved until they submit it).
        # A post that says it comes from another site is not kept: it must not plant a
        # pre-filled form. A post that says nothing of its origin is kept, and the restored
        # form asks the person to read it through, since we could not check where it came from.
        stash.stash_submission(request.path, request.form, origin_checked=origin == "same")
    return login_manager.unauthorized()


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "accounts.login"
    # Our server-side sessions (accounts.sessions) already bind a cookie to a revocable row;
    # "strong" would also log out people whose mobile address changes mid-session.
    login_manager.session_protection = "basic"
    app.before_request(login_gate)
