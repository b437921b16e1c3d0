"""Deny-by-default log-in gate: every endpoint needs a user unless marked `@public`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_login import AnonymousUserMixin, current_user

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


def login_gate() -> Any:
    if is_public_endpoint(request.endpoint) or current_user.is_authenticated:
        return None
    # The log-in module's handler answers; for a POST from an expired session it carries what
    # was typed to the log-in page (core.stash), writing nothing.
    return login_manager.unauthorized()


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "accounts.login"
    # Our server-side sessions (accounts.sessions) already bind a cookie to a revocable row;
    # "strong" would also log out people whose mobile address changes mid-session.
    login_manager.session_protection = "basic"
    app.before_request(login_gate)
