"""Redirect targets that stay on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target


def came_from(default: str) -> str:
    """Where the person came from, for a form's "Cancel": the page of this site that linked
    here, as the browser said (the Referrer-Policy is same-origin), when it is another page
    that can be opened; else `default` (a direct visit, or the form shown again after an error)."""
    from flask import current_app, request
    from werkzeug.exceptions import HTTPException

    referrer = request.referrer
    if not referrer:
        return default
    parts = urlsplit(referrer)
    if (parts.netloc and parts.netloc != request.host) or parts.path == request.path:
        return default
    try:  # a page the browser showed after a POST (a form with errors) cannot be opened again
        current_app.url_map.bind(request.host).match(parts.path, method="GET")
    except HTTPException:
        return default
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), default)


def external_url(endpoint: str, **values: object) -> str:
    """An absolute address for emails, built on PUBLIC_BASE_URL (not the request's host)."""
    from flask import current_app

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    # Bound to no request: services send emails from commands and jobs as well.
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


MAX_ID = 2_147_483_647


def int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole-number query argument within [low, high]; anything else gives `default`."""
    from flask import request

    value = request.args.get(name, type=int)
    if value is None or not low <= value <= high:
        return default
    return value


def page_arg() -> int:
    return int_arg("page", 1, high=100_000) or 1
