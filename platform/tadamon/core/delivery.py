"""Delivered light: compressed responses, static files cached for a year under a content hash.

- Every `url_for("static", filename=...)` gets `?v=<hash of the file's content>`, so a file's
  address changes when (and only when) its content does. Asked with its current hash, a static
  file is `public, max-age=31536000, immutable`, for everyone, logged in or not: a stylesheet
  holds nothing personal, and a phone on mobile data must not download it on every page.
  Asked without the hash, or with a stale one, it is revalidated (`no-cache` and its ETag).
- HTML, CSS, JS, SVG and JSON are compressed (brotli, else gzip) by Flask-Compress, unless a
  proxy in front compresses them (`PROXY_COMPRESSES`: nginx's gzip, in C, outside the workers).
  Pages from the page cache come compressed as stored either way (core/page_cache.py).
- A page whose language came from the browser's Accept-Language says so (`Vary`), so a
  shared cache never serves a French visitor the Arabic page (see core.i18n.select_locale).
"""

from __future__ import annotations

import hashlib
import os
import time
from functools import lru_cache
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/calendar",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]


@lru_cache(maxsize=256)
def _content_hash(path: str, modified_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()[:HASH_LENGTH]


def static_hash(filename: str) -> str | None:
    """The content hash of a static file, or None when there is no such file.

    Keyed by the file's modification time and size as well, so an edited file gets a new
    hash without a restart (the file is read again only when it changed)."""
    folder = current_app.static_folder
    if folder is None:
        return None
    path = os.path.join(folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _content_hash(path, stat.st_mtime_ns, stat.st_size)


def _version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values and "filename" in values:
        version = static_hash(values["filename"])
        if version:
            values["v"] = version


def static_cache_control(response: Response) -> Response:
    """Year-long caching for a static file asked by its current hash, revalidation otherwise."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    asked = request.args.get("v")
    fresh = asked is not None and asked == static_hash(filename)
    response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
    if fresh:
        # An immutable address needs no expiry date beside its max-age.
        response.headers.pop("Expires", None)
    return response


def vary_on_language_sources(response: Response) -> Response:
    """`Vary` names the request headers the page's language was chosen from."""
    for header in g.get("locale_sources", ()):
        response.vary.add(header)
    return response


SIGNED_AT = "_signed_at"  # when the session cookie was last signed and sent (seconds)
REFRESH_SESSION_COOKIE_AFTER = 3600


class StaticFilesOutsideTheSession(SecureCookieSessionInterface):
    """The default signed-cookie sessions, except that a static file's response neither sets the
    cookie nor says `Vary: Cookie`. Flask-Login reads the session after every request, and the
    session cookie is re-signed on each one: with `Vary: Cookie`, a browser would fetch the
    year-long cached stylesheet again after every page."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if _sessionless(app, request.path):
            # Authenticated by a bearer token, never by the cookie: the request starts with an
            # empty session whatever cookie a browser sent along (no CSRF through the API).
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint == "static" or _sessionless(app, request.path):
            return
        if self._refreshed(app, session) and (session.modified or self._refresh_due(session)):
            session[SIGNED_AT] = int(time.time())  # (modified:) sent with a new expiry
        super().save_session(app, session, response)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Flask re-signs and sends a permanent session's unchanged cookie with every response,
        to push its expiry on (`SESSION_REFRESH_EACH_REQUEST`): a fifth of the work of a
        logged-in page kept per audience (JSON, HMAC, the header). It is sent when it changed,
        and otherwise once `REFRESH_SESSION_COOKIE_AFTER` seconds have passed since it was last
        signed: the expiry still follows the person's activity, to the hour."""
        return session.modified

    @staticmethod
    def _refreshed(app: Flask, session: SessionMixin) -> bool:
        """A session whose cookie's expiry follows the person's activity (not an emptied one)."""
        return bool(session) and session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])

    @staticmethod
    def _refresh_due(session: SessionMixin) -> bool:
        signed_at = session.get(SIGNED_AT)
        return not isinstance(signed_at, int) or time.time() - signed_at >= REFRESH_SESSION_COOKIE_AFTER


def _sessionless(app: Flask, path: str) -> bool:
    """Paths a feature declared as outside the session (`SESSIONLESS_PATH_PREFIXES`)."""
    return path.startswith(tuple(app.config.get("SESSIONLESS_PATH_PREFIXES", ())))


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Brotli first (smaller text at a similar cost), gzip for clients without it. Level 4 for
    # brotli and 6 for gzip take well under a millisecond on a page or the stylesheet.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.session_interface = StaticFilesOutsideTheSession()
    app.url_defaults(_version_static_urls)
    if not app.config.get("PROXY_COMPRESSES"):
        # after_request functions run last-registered first: compression is registered first so
        # it runs last, on the final body and headers. Behind a proxy that compresses (it adds
        # `Vary: Accept-Encoding`) Flask-Compress is not even imported: with it came its zstd
        # and brotli modules, held by every web worker for nothing (issue 18).
        from flask_compress import Compress

        Compress(app)
    app.after_request(static_cache_control)
    app.after_request(vary_on_language_sources)
