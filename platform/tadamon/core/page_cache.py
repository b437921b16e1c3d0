"""Anonymous readers' public pages, rendered once and served from a cache until what they show
changes.

What is cached: a 200 HTML answer to an anonymous GET of a public page (`CACHED_ENDPOINTS`),
keyed by the content version, the language and the full path. Never a page for a logged-in
person (their session names a user), nor one rendered while a flash message waited (it would
show it to everyone). The page's one per-visitor part, the CSRF token of its forms (the language
switch), is cut out before storing and put back for each reader ("hole punching"), so the
stored copy carries no one's token.

Invalidation: every committed transaction that changed a row the pages show bumps one content
version (SQLAlchemy session events; sessions, notifications, mail and other bookkeeping tables
do not count). Writes are rare next to reads, so one version for the whole site keeps the rule
simple and never serves a stale page after a change, whichever page the change shows on.

Where: Redis (REDIS_URL) holds the pages and the version, shared by every worker and instance.
Without Redis each process keeps its own small cache and version: a change made through another
worker is seen within PAGE_CACHE_LOCAL_SECONDS (10 s by default), the bound on staleness there.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session

CACHED_ENDPOINTS = frozenset({
    "core.home", "membership.directory", "membership.profile", "workshops.index", "workshops.workshop",
    "proposals.index", "proposals.show", "voting.results", "voting.receipts", "action_plan.plan",
    "action_plan.action", "action_plan.version_diff",
})
# Tables whose changes no public page shows: a write to them alone keeps the cached pages.
BOOKKEEPING_TABLES = frozenset({
    "user_sessions", "notifications", "outbox_messages", "email_digests", "notification_preferences",
    "sent_reminders", "stashed_submissions", "form_submissions", "account_tokens", "audit_entries",
    "api_tokens", "vote_results",
})
TOKEN_HOLE = "\x00tadamon-csrf\x00"  # noqa: S105 - a placeholder, not a secret
CHANGED = "tadamon_content_changed"


class LocalStore:
    """One process's pages (least recently used first out) and content version."""

    def __init__(self, size: int = 512) -> None:
        self.pages: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
        self.version = 0
        self.lock = threading.Lock()
        self.size = size

    def get(self, key: str, ttl: int) -> tuple[bytes, str] | None:
        with self.lock:
            found = self.pages.get(key)
            if found is None or time.monotonic() - found[0] > ttl:
                return None
            self.pages.move_to_end(key)
            return found[1], found[2]

    def put(self, key: str, body: bytes, mimetype: str, _ttl: int) -> None:
        with self.lock:
            self.pages[key] = (time.monotonic(), body, mimetype)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def current_version(self) -> str:
        return str(self.version)

    def bump(self) -> None:
        with self.lock:
            self.version += 1
            self.pages.clear()


class RedisStore:
    """Pages and the version in Redis: one cache for every worker and instance."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5)

    def get(self, key: str, _ttl: int) -> tuple[bytes, str] | None:
        found: list[Any] = list(self.client.hmget(f"tadamon:page:{key}", ["body", "mimetype"]))
        if found[0] is None:
            return None
        return bytes(found[0]), bytes(found[1] or b"text/html").decode()

    def put(self, key: str, body: bytes, mimetype: str, ttl: int) -> None:
        name = f"tadamon:page:{key}"
        pipe = self.client.pipeline()
        pipe.hset(name, mapping={"body": body, "mimetype": mimetype})
        pipe.expire(name, ttl)
        pipe.execute()

    def current_version(self) -> str:
        return bytes(self.client.get("tadamon:content-version") or b"0").decode()  # type: ignore[arg-type]

    def bump(self) -> None:
        self.client.incr("tadamon:content-version")


def _store() -> Any:
    return current_app.extensions["tadamon_page_cache"]


def _ttl() -> int:
    config = current_app.config
    return int(config["PAGE_CACHE_SECONDS"] if config.get("REDIS_URL") else config["PAGE_CACHE_LOCAL_SECONDS"])


def _cacheable_request() -> bool:
    """An anonymous GET of a public page, with no flash message waiting to be shown."""
    return (request.method == "GET" and request.endpoint in CACHED_ENDPOINTS
            and "_user_id" not in session and not session.get("_flashes"))


def _key() -> str:
    from tadamon.core.i18n import current_language

    return f"{_store().current_version()}:{current_language()}:{request.full_path}"


def serve_from_cache() -> Response | None:
    """before_request: the stored page, with this reader's CSRF token put back."""
    if not current_app.config["PAGE_CACHE"] or not _cacheable_request():
        return None
    g.tadamon_page_key = key = _key()
    found = _store().get(key, _ttl())
    if found is None:
        return None
    from flask_wtf.csrf import generate_csrf

    body, mimetype = found
    response = Response(body.replace(TOKEN_HOLE.encode(), generate_csrf().encode()), mimetype=mimetype)
    response.headers["X-Page-Cache"] = "hit"
    return response


def store_in_cache(response: Response) -> Response:
    """after_request: keeps a fresh anonymous page, its CSRF token cut out."""
    key = g.pop("tadamon_page_key", None)
    if (key is None or response.status_code != 200 or response.direct_passthrough
            or response.mimetype != "text/html" or "_user_id" in session or session.get("_flashes")
            or response.headers.get("X-Page-Cache") == "hit"):
        return response
    body = response.get_data()
    token = g.get("csrf_token")
    if token:
        body = body.replace(token.encode(), TOKEN_HOLE.encode())
    _store().put(key, body, response.mimetype, _ttl())
    response.headers["X-Page-Cache"] = "miss"
    return response


def _note_changes(session_: Session, _context: Any) -> None:
    if any(getattr(obj, "__tablename__", None) not in BOOKKEEPING_TABLES
           for obj in (*session_.new, *session_.dirty, *session_.deleted)):
        session_.info[CHANGED] = True


def _note_statement(state: Any) -> None:
    """UPDATE, DELETE and INSERT statements run through the session (bulk changes)."""
    if state.is_update or state.is_delete or state.is_insert:
        tables = {table.name for table in getattr(state.statement, "_all_tables", lambda: [])()} \
            if hasattr(state.statement, "_all_tables") else set()
        table = getattr(state.statement, "table", None)
        if table is not None:
            tables.add(getattr(table, "name", ""))
        if not tables or tables - BOOKKEEPING_TABLES:
            state.session.info[CHANGED] = True


def _bump_after_commit(session_: Session) -> None:
    if session_.info.pop(CHANGED, False):
        from flask import has_app_context

        if has_app_context() and "tadamon_page_cache" in current_app.extensions:
            try:
                _store().bump()
            except Exception:  # noqa: BLE001 - a cache that cannot be reached is emptied by its TTL
                current_app.logger.warning("page cache: the content version could not be bumped")


def _forget_after_rollback(session_: Session, _previous: Any = None) -> None:
    session_.info.pop(CHANGED, None)


_listening: dict[str, bool] = {}


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE", True)
    app.config.setdefault("PAGE_CACHE_SECONDS", 300)
    app.config.setdefault("PAGE_CACHE_LOCAL_SECONDS", 10)
    url = app.config.get("REDIS_URL")
    app.extensions["tadamon_page_cache"] = RedisStore(url) if url else LocalStore()
    app.before_request(serve_from_cache)
    app.after_request(store_in_cache)
    if not _listening:
        _listening["on"] = True
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)
