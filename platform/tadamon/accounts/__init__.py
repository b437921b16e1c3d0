"""Accounts: people, their sessions, passwords, second factor and platform roles."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadamon.core.modules import Module, seed_from
from tadamon.extensions import login_manager

# Endpoints a person whose role requires a second factor may still reach before setting it up.
TWO_FACTOR_SETUP_ALLOWED = frozenset(
    {"accounts.two_factor_setup", "accounts.logout", "core.set_language", "static"}
)


def load_user(user_id: str) -> Any:
    from tadamon.accounts import services
    from tadamon.accounts.views import SESSION_ID_KEY

    if not user_id.isdigit():
        return None
    # The cookie alone is not enough: its server-side session must still exist, so log-out,
    # a password change or an administrator ends it everywhere. The person, that session and
    # their platform roles come in one query (every logged-in page pays it).
    found = services.find_user_session(int(user_id), session.get(SESSION_ID_KEY))
    if found is None or not found.is_enabled:
        return None
    return found


def enforce_two_factor() -> Any:
    from tadamon.accounts import services

    # Static files first, before the session is read: they are public and cached by everyone
    # (core.delivery), so they must neither vary on the cookie nor set it.
    if request.endpoint and (request.endpoint == "static" or request.endpoint.endswith(".static")):
        return None
    if not current_user.is_authenticated or request.endpoint in TWO_FACTOR_SETUP_ALLOWED:
        return None
    if services.requires_two_factor(current_user) and not current_user.two_factor_enabled:
        flash(_("Your role requires two-factor authentication. Please set it up to continue."), "warning")
        return redirect(url_for("accounts.two_factor_setup"))
    return None


def _setup(app: Flask) -> None:
    from tadamon.accounts.services.sessions import touch_session
    from tadamon.accounts.views import session_needed

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(session_needed)
    app.before_request(enforce_two_factor)
    app.teardown_request(touch_session)


def module() -> Module:
    from tadamon.accounts import permissions
    from tadamon.accounts.services import set_preferred_language
    from tadamon.accounts.services.retention import purge_expired_account_records
    from tadamon.accounts.views import bp

    return Module(name="accounts", blueprint=bp, permissions=permissions, seed=seed_from("tadamon.accounts.demo"), setup=_setup,
                  periodic=[purge_expired_account_records],
                  on_language_chosen=[set_preferred_language])
