"""Security headers on every response, and `no-store` for anything a logged-in user sees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    hsts = strict_transport_security(current_app.config)
    if hsts:
        # Sent whatever the scheme of the hop in front of us: browsers ignore it over plain
        # HTTP (RFC 6797 §8.1), and behind a TLS proxy the app may only ever see HTTP.
        headers.setdefault("Strict-Transport-Security", hsts)
    if request.endpoint == "static":
        # Public files, cached by their content hash (core.delivery): never `no-store`, and
        # the session is not read, so they do not vary on the cookie either.
        return response
    person = g.get("_login_user")  # Flask-Login's user of this request, when one was asked for
    if "_user_id" in session or (person is not None and not person.is_anonymous):
        # A shared phone or cybercafé must not show a member's pages from the cache. Asked of
        # the session (a browser) or of the user already loaded (an API token), never of
        # `is_authenticated`: after a commit that would load the person again for a header.
        headers["Cache-Control"] = "no-store"
    return response


def strict_transport_security(config: Mapping[str, Any]) -> str | None:
    """The HSTS header value the settings ask for, or None (HSTS_MAX_AGE of 0)."""
    if config["HSTS_MAX_AGE"] <= 0:
        return None
    parts = [f"max-age={config['HSTS_MAX_AGE']}"]
    # The preload list only takes sites that cover their subdomains too.
    if config["HSTS_INCLUDE_SUBDOMAINS"] or config["HSTS_PRELOAD"]:
        parts.append("includeSubDomains")
    if config["HSTS_PRELOAD"]:
        parts.append("preload")
    return "; ".join(parts)


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
