"""Anonymous readers' public pages, rendered once and served from a cache until what they show
changes.

What is cached: a 200 HTML answer to an anonymous GET of a public page (`CACHED_ENDPOINTS`),
keyed by the content version, the language and the full path. Never a page for a logged-in
person (their session names a user), nor one rendered while a flash message waited (it would
show it to everyone).

A visitor's page holds no per-visitor part: the language switch is a GET form for visitors
(core.views.set_language), so the page is the same for every visitor of a language. It is kept
with its compressed forms (brotli, gzip) and a validator: a hit sends the stored bytes as they
are (no token, no session cookie, no compression per request), and a browser revalidating
with `If-None-Match` gets a 304. Should a page still render a CSRF token for a visitor (a form
of its own), the token is cut out before storing and put back for each reader ("hole
punching"); such a page is stored uncompressed and never answered with a 304 (the browser's
copy would carry an old token).

Invalidation: every committed transaction that changed a row the pages show bumps one content
version (SQLAlchemy session events; sessions, notifications, mail and other bookkeeping tables
do not count). Writes are rare next to reads, so one version for the whole site keeps the rule
simple and never serves a stale page after a change, whichever page the change shows on.

Where: Redis (REDIS_URL) holds the pages and the version, shared by every worker and instance.
Each process also keeps a copy of the pages it served (keyed, like Redis, by the version), and
the version itself, which a bump announces on a Redis channel (`RedisStore.current_version`): a
hit costs no round trip to Redis, and a copy is never served once the version has moved on.
Without Redis each process keeps its own small cache and version: a change made through another
worker is seen within PAGE_CACHE_LOCAL_SECONDS (10 s by default), the bound on staleness there.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request, session
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
    "api_tokens", "vote_results", "listed_ballots",
})
TOKEN_HOLE = "\x00tadamon-csrf\x00"  # noqa: S105 - a placeholder, not a secret
CHANGED = "tadamon_content_changed"


# The encodings a stored page is kept in besides its plain bytes, in order of preference.
ENCODINGS = ("br", "gzip")


@dataclass(frozen=True)
class StoredPage:
    """A cached page: its bytes (with TOKEN_HOLE where a per-visitor token goes, if any) and,
    for a page the same for every visitor (`shared`), its compressed forms and its validator."""

    body: bytes
    mimetype: str
    etag: str = ""
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def shared(self) -> bool:
        return bool(self.etag)

    @property
    def weight(self) -> int:
        """The bytes it holds (a process's copies are bounded by them)."""
        return len(self.body) + sum(len(data) for data in self.encoded.values())

    def fields(self) -> dict[str, bytes]:
        """Its Redis hash."""
        return {"body": self.body, "mimetype": self.mimetype.encode(), "etag": self.etag.encode(), **self.encoded}

    @classmethod
    def from_fields(cls, found: dict[bytes, bytes]) -> StoredPage:
        return cls(body=found[b"body"], mimetype=found.get(b"mimetype", b"text/html").decode(),
                   etag=found.get(b"etag", b"").decode(),
                   encoded={name: found[name.encode()] for name in ENCODINGS if name.encode() in found})


def shared_page(body: bytes, mimetype: str, brotli_level: int) -> StoredPage:
    """A page for every visitor, compressed once here rather than on each hit."""
    import brotli  # type: ignore[import-untyped]

    encoded = {"br": brotli.compress(body, quality=brotli_level), "gzip": gzip.compress(body, 6, mtime=0)}
    return StoredPage(body, mimetype, etag=hashlib.sha256(body).hexdigest()[:20], encoded=encoded)


class LocalStore:
    """One process's pages (least recently used first out) and content version.

    Bounded by count and by bytes (a page's plain and compressed forms): a long-lived worker's
    copies of large pages would otherwise grow towards `size` pages (issue 18: a worker's memory)."""

    def __init__(self, size: int = 512, max_bytes: int = 4 * 1024 * 1024) -> None:
        self.pages: OrderedDict[str, tuple[float, StoredPage]] = OrderedDict()
        self.version = 0
        self.lock = threading.Lock()
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0

    def get(self, key: str, ttl: int) -> StoredPage | None:
        with self.lock:
            found = self.pages.get(key)
            if found is None or time.monotonic() - found[0] > ttl:
                return None
            self.pages.move_to_end(key)
            return found[1]

    def put(self, key: str, page: StoredPage, _ttl: int) -> None:
        weight = page.weight
        with self.lock:
            replaced = self.pages.pop(key, None)
            if replaced is not None:
                self.bytes -= replaced[1].weight
            if weight > self.max_bytes:
                return  # larger than the whole budget: served, never kept
            self.pages[key] = (time.monotonic(), page)
            self.bytes += weight
            while len(self.pages) > self.size or self.bytes > self.max_bytes:
                self.bytes -= self.pages.popitem(last=False)[1][1].weight

    def current_version(self) -> str:
        return str(self.version)

    def bump(self) -> None:
        with self.lock:
            self.version += 1
            self.pages.clear()
            self.bytes = 0


class RedisStore:
    """Pages and the version in Redis: one cache for every worker and instance; this process's
    copies of the pages it already fetched (the key holds the version, so a copy of an older
    version is never asked for again and ages out)."""

    def __init__(self, url: str, copies: int = 128, prefix: str = "tadamon:",
                 copies_bytes: int = 4 * 1024 * 1024) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5)
        self.copies = LocalStore(copies, copies_bytes)
        # Every key starts with it: two installations (or two test runs) may share one Redis.
        self.prefix = prefix
        self.version_key = f"{prefix}content-version"
        self.changes_channel = f"{prefix}content-version-changed"
        # This process's subscription to the changes (see current_version), the process it was
        # made in (a forked child makes its own) and the version it was last told of.
        self._watch: Any = None
        self._watch_pid = 0
        self._known: str | None = None
        # Whether Redis confirmed the subscription on its present connection (see _on_reconnect).
        self._confirmed = False
        # When the known version was read from Redis (see VERSION_READ_AGAIN_SECONDS).
        self._known_at = 0.0
        self._watch_lock = threading.Lock()

    def get(self, key: str, ttl: int) -> StoredPage | None:
        copy = self.copies.get(key, ttl)
        if copy is not None:
            return copy
        found: dict[bytes, bytes] = self.client.hgetall(f"{self.prefix}page:{key}")  # type: ignore[assignment]
        if b"body" not in found:
            return None
        page = StoredPage.from_fields(found)
        self.copies.put(key, page, ttl)
        return page

    def put(self, key: str, page: StoredPage, ttl: int) -> None:
        self.copies.put(key, page, ttl)
        name = f"{self.prefix}page:{key}"
        pipe = self.client.pipeline()
        pipe.delete(name)
        pipe.hset(name, mapping=page.fields())  # type: ignore[arg-type]
        pipe.expire(name, ttl)
        pipe.execute()

    def current_version(self) -> str:
        """The content version, read from Redis once and then known to this process for as long
        as no bump is announced: reading it is a look at the subscription's socket (a poll, no
        round trip), where it was a GET at every page served (issue 18: 0.15 of an anonymous
        hit's ~0.95 ms of CPU in process, and as much again in Redis and in switching to it).

        Stays right: the subscription is confirmed before the version is read, so any bump after
        that read is announced to it; every bump publishes after its INCR, so an announcement is
        read again from Redis, never guessed; and the announcements that reached the socket are
        read before a version is given, so a request that starts after a change was committed
        (its commit answered) on any worker of this machine sees it, as with a GET. A reader on
        another machine may, for the network's delay (well under a millisecond on a LAN), still
        be given the page of before. Redis gone or the subscription broken: a GET each time,
        as before, until a subscription is made again."""
        from redis.exceptions import RedisError

        with self._watch_lock:
            try:
                if self._watch is None or self._watch_pid != os.getpid():
                    self._subscribe()
                elif self._announced():
                    self._known = None
                if not self._confirmed:  # reconnected, not confirmed yet: asked each time
                    self._known = None
                    return self._read_version()
                if self._known is not None and time.monotonic() - self._known_at > self.VERSION_READ_AGAIN_SECONDS:
                    self._check_known()
                if self._known is None:
                    self._known, self._known_at = self._read_version(), time.monotonic()
                return self._known
            except RedisError:
                self._watch, self._known = None, None
        return self._read_version()

    # A subscription can fail silently (a connection to a Redis on another machine left
    # half-open by the network: no error, no announcement): the known version is read again
    # from Redis at most this often, so such a failure delays a change by at most this long, and
    # a version that moved without an announcement drops the subscription for a new one. A
    # busy worker still asks Redis about once a second instead of at every request.
    VERSION_READ_AGAIN_SECONDS = 1.0

    def _check_known(self) -> None:
        version = self._read_version()
        if version != self._known:  # moved, and no announcement said so
            self._watch.close()
            self._watch = None
        self._known, self._known_at = version, time.monotonic()

    def _read_version(self) -> str:
        return bytes(self.client.get(self.version_key) or b"0").decode()  # type: ignore[arg-type]

    def _subscribe(self) -> None:
        from redis.exceptions import RedisError

        self._watch, self._known = None, None
        watch = self.client.pubsub()
        watch.subscribe(self.changes_channel)
        # Redis's confirmation: from then on every announcement reaches this subscription.
        confirmation = watch.get_message(timeout=1.0)
        if not confirmation or confirmation.get("type") != "subscribe":
            watch.close()
            raise RedisError("the page cache's subscription was not confirmed")
        self._watch, self._watch_pid, self._confirmed = watch, os.getpid(), True
        watch.connection.register_connect_callback(self._on_reconnect)

    def _on_reconnect(self, _connection: Any) -> None:
        """redis-py's subscription connects again by itself when its connection dropped (Redis
        restarted, a timeout) and subscribes again: what was announced meanwhile is lost, so the
        known version is not trusted until Redis confirms the new subscription."""
        self._confirmed = False

    def _announced(self) -> bool:
        """Whether the version may have moved since the last look: a bump announced, or a
        subscription confirmed again after a reconnection. Reads every waiting message."""
        announced = False
        while (message := self._watch.get_message(timeout=0)) is not None:
            if message.get("type") == "subscribe":
                self._confirmed = True
            announced = announced or message.get("type") in ("message", "subscribe")
        return announced

    def bump(self) -> None:
        # The INCR first: whoever reads the announcement reads the new version.
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(self.version_key)
        pipe.publish(self.changes_channel, "1")
        pipe.execute()
        with self._watch_lock:
            self._known = None


def _store() -> Any:
    return current_app.extensions["tadamon_page_cache"]


def _ttl() -> int:
    config = current_app.config
    return int(config["PAGE_CACHE_SECONDS"] if config.get("REDIS_URL") else config["PAGE_CACHE_LOCAL_SECONDS"])


def content_version() -> str:
    """The site-wide content version: it changes with every committed change (see the module).
    Read once per request (a member's page and its kept parts each ask), again after the
    request commits."""
    if not has_request_context():
        return str(_store().current_version())
    version = g.get(_VERSION_READ)
    if version is None:
        version = g.setdefault(_VERSION_READ, str(_store().current_version()))
    return str(version)


_VERSION_READ = "tadamon_content_version"


def lifetime() -> int:
    """How long a stored page may be served (seconds): the shared cache's, or one process's."""
    return _ttl()


def _cacheable_request() -> bool:
    """An anonymous GET of a public page, with no flash message waiting to be shown."""
    return (request.method == "GET" and request.endpoint in CACHED_ENDPOINTS
            and "_user_id" not in session and not session.get("_flashes"))


def _key() -> str:
    from tadamon.core.i18n import current_language

    return f"{content_version()}:{current_language()}:{request.full_path}"


def serve_from_cache() -> Response | None:
    """before_request: the stored page; a visitor's page as stored (compressed as the browser
    accepts, 304 when the browser's copy is current), any other with this reader's token put back."""
    if not current_app.config["PAGE_CACHE"] or not _cacheable_request():
        return None
    g.tadamon_page_key = key = _key()
    page = _store().get(key, _ttl())
    if page is None:
        return None
    if not page.shared:
        from flask_wtf.csrf import generate_csrf

        response = Response(page.body.replace(TOKEN_HOLE.encode(), generate_csrf().encode()), mimetype=page.mimetype)
    elif request.if_none_match.contains_weak(page.etag):
        response = Response(status=304)
        _validated(response, page)
    else:
        response = Response(page.body, mimetype=page.mimetype)
        _validated(response, page)
        encoding = request.accept_encodings.best_match([*ENCODINGS, "identity"], default="identity")
        if encoding in page.encoded:
            response.set_data(page.encoded[encoding])
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it as it is
        response.vary.add("Accept-Encoding")
    response.headers["X-Page-Cache"] = "hit"
    return response


def _validated(response: Response, page: StoredPage) -> None:
    """The validator of a visitor's page, and `no-cache`: a browser (or nginx) may keep it but
    asks again each time, so a change is seen at once, for the price of a 304 when none happened.
    Weak: the same page compressed or not is the same page."""
    response.set_etag(page.etag, weak=True)
    response.headers["Cache-Control"] = "no-cache"


def store_in_cache(response: Response) -> Response:
    """after_request: keeps a fresh anonymous page (a token it holds cut out)."""
    key = g.pop("tadamon_page_key", None)
    if (key is None or response.status_code != 200 or response.direct_passthrough
            or response.mimetype != "text/html" or "_user_id" in session or session.get("_flashes")
            or response.headers.get("X-Page-Cache") == "hit"):
        return response
    body = response.get_data()
    token = g.get("csrf_token")  # also set by a form built but not shown: only a token in the page counts
    if token and token.encode() in body:
        page = StoredPage(body.replace(token.encode(), TOKEN_HOLE.encode()), response.mimetype)
    else:
        page = shared_page(body, response.mimetype, int(current_app.config.get("COMPRESS_BR_LEVEL", 4)))
        _validated(response, page)
    _store().put(key, page, _ttl())
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
            g.pop(_VERSION_READ, None)  # read again after this change
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
    app.config.setdefault("PAGE_CACHE_KEY_PREFIX", "tadamon:")
    app.config.setdefault("PAGE_CACHE_LOCAL_BYTES", 4 * 1024 * 1024)
    budget = int(app.config["PAGE_CACHE_LOCAL_BYTES"])
    app.extensions["tadamon_page_cache"] = (
        RedisStore(url, prefix=app.config["PAGE_CACHE_KEY_PREFIX"], copies_bytes=budget) if url
        else LocalStore(max_bytes=budget))
    app.before_request(serve_from_cache)
    app.after_request(store_in_cache)
    if not _listening:
        _listening["on"] = True
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)
