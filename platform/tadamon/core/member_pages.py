"""Members' pages from a cache: a page's title and main content, kept per audience.

Some pages show every signed-in reader the same content, but for the links and actions their
permissions allow: the workshops, the directory, a consultation's proposals, a vote's results.
For those (`MEMBER_CACHED_ENDPOINTS`), the page's title and main content (base.html's `title`
and `content` blocks, without the header, the acting organisation nor the flash messages, which
stay the reader's own) are kept, keyed like the visitors' page cache (core.page_cache): by the
content version, the language, the time zone and the full address.

The audience is what the permission layer answered while the content was rendered: every
predicate registered with `core.permissions.rule` reports its answers here (`note_answer`), with
the object it was asked about. The stored content holds those answers; another reader is served
it only when each predicate, asked again for them (on the same object, loaded by its key, or on
their own acting organisation or person where the first reader's own was asked about), gives the
same answer. Nothing is inferred from roles: a rule that starts to depend on something new
is asked again, as it is. A page whose rendering asked about another person, or about something
that cannot be loaded again by its key, or that called `keep_personal`, is not stored.

What a view gives its template besides permissions must be the same for every reader: that is
what putting an endpoint in `MEMBER_CACHED_ENDPOINTS` asserts (read its view and templates
first; tests/core/test_member_pages.py shows what is checked). The reader's CSRF token is cut
out when storing and put back for each reader. The content version changes with any committed
change (core.page_cache), so content is never older than the last change; each process keeps
its own (`PAGE_CACHE_LOCAL_SECONDS` or `PAGE_CACHE_SECONDS` at most, like the visitors' pages).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from markupsafe import Markup
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

# Each one's view and templates read: nothing but permissions' answers, personal parts
# (`personal_part`) and the page's registered audience (`register_page_audience`) differs
# between readers of one language and time zone.
MEMBER_CACHED_ENDPOINTS = frozenset({
    "core.home", "accounts.profile", "membership.directory", "workshops.index", "workshops.consultation",
    "proposals.index", "proposals.show", "voting.ballot", "voting.results", "action_plan.plan"})
# Around the blocks in base.html while a page is rendered to be stored (`fragment_mark`).
MARKS = {name: (f"\x00{name}\x00", f"\x00/{name}\x00") for name in ("title", "content")}
TOKEN_HOLE = "\x00tadamon-csrf\x00"  # noqa: S105 - a placeholder, not a secret
VARIANTS_PER_PAGE = 8  # audiences of one page (the menu's few role combinations, and the like)
_RECORDER = "tadamon_member_answers"
_PART_MARK = "\x00part:{}\x00"  # around a personal part while a page is rendered to be stored
_PART_HOLE = "\x00hole:{}\x00"  # in its place in the stored content
_PARTS: dict[str, Callable[[], Markup]] = {}
# Pages that are each reader's own beyond permissions (a ballot, prefilled with the organisation's
# choices): stored per the audience their function gives (None: not stored for this reader).
_PAGE_AUDIENCES: dict[str, Callable[[], tuple[Any, ...] | None]] = {}

Reference = tuple[Any, tuple[Any, ...]] | None  # a mapped class and primary key, or no object
ACTING_ORGANISATION: Reference = ("acting organisation", ())
ACTING_PERSON: Reference = ("acting person", ())
Answer = tuple[str, Reference, bool]


# Readers a stored content remembers having been checked for (see StoredContent.verified_for).
READERS_REMEMBERED = 4096


@dataclass(frozen=True)
class StoredContent:
    answers: tuple[Answer, ...]
    title: str
    content: str
    # The readers (person, acting organisation) the answers were found the same for. The rules
    # read nothing but the database and the reader (never the clock), and the content's key holds
    # the content version, which changes with any committed change: within one version, the same
    # reader gets the same answers, so they are asked once per reader and version, not at every
    # hit (a proposal page's answers cost two queries: the proposal, the workshop's registrations).
    verified_for: set[tuple[Any, Any]] = field(default_factory=set, compare=False, repr=False)

    def remember(self, reader: tuple[Any, Any]) -> None:
        if len(self.verified_for) < READERS_REMEMBERED:
            self.verified_for.add(reader)


class _Answers:
    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.refused = False
        self.parts: set[str] = set()


class _Store:
    """One process's stored contents: a list of variants (one per audience) per key."""

    def __init__(self, size: int = 256) -> None:
        self.entries: OrderedDict[tuple[Any, ...], tuple[float, list[StoredContent]]] = OrderedDict()
        self.lock = threading.Lock()
        self.size = size

    def get(self, key: tuple[Any, ...], ttl: float) -> list[StoredContent]:
        with self.lock:
            found = self.entries.get(key)
            if found is None or time.monotonic() - found[0] > ttl:
                return []
            self.entries.move_to_end(key)
            return list(found[1])

    def add(self, key: tuple[Any, ...], content: StoredContent) -> None:
        with self.lock:
            found = self.entries.get(key)
            variants = found[1] if found is not None else []
            variants = [*variants, content][-VARIANTS_PER_PAGE:]
            self.entries[key] = (found[0] if found is not None else time.monotonic(), variants)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _store() -> _Store:
    return current_app.extensions["tadamon_member_pages"]


def note_answer(action: str, args: tuple[Any, ...], kwargs: dict[str, Any], answer: Any) -> None:
    """Called by every registered predicate (core.permissions.rule) with its arguments and answer."""
    if not has_request_context():
        return
    recorder: _Answers | None = g.get(_RECORDER)
    if recorder is None or recorder.refused:
        return
    from tadamon.core.actor import current_actor

    actor = args[0] if args else kwargs.get("actor")
    obj = args[1] if len(args) > 1 else kwargs.get("obj")
    if len(args) > 2 or set(kwargs) - {"actor", "obj"} or actor is not current_actor():
        recorder.refused = True  # asked about someone else, or in a shape we cannot ask again
        return
    reference = _reference(obj, actor)
    if obj is not None and reference is None:
        recorder.refused = True
        return
    recorder.answers.append((action, reference, bool(answer)))


def keep_personal() -> None:
    """The page being rendered shows something of the reader's own session (a per-reader order,
    say): it is not stored for others."""
    recorder: _Answers | None = g.get(_RECORDER) if has_request_context() else None
    if recorder is not None:
        recorder.refused = True


def _reference(obj: Any, actor: Any) -> Reference:
    if obj is None:
        return None
    # The reader's own organisation or person, asked again as the next reader's own: "may I take
    # part for the organisation I act for" is the same question for every reader.
    if obj is actor.organisation:
        return ACTING_ORGANISATION
    if obj is actor.user:
        return ACTING_PERSON
    try:
        state = inspect(obj)
    except NoInspectionAvailable:
        return None
    identity = getattr(state, "identity", None)
    if identity is None or getattr(state, "mapper", None) is None:
        return None
    return state.mapper.class_, tuple(identity)


def _reader() -> tuple[Any, Any]:
    """Whom the rules are asked for: the person and the organisation they act for."""
    from tadamon.core.actor import current_actor

    actor = current_actor()
    return actor.id, getattr(actor.organisation, "id", None)


def _same_answers(answers: tuple[Answer, ...]) -> bool:
    from tadamon.core.actor import current_actor
    from tadamon.core.permissions import predicate_of
    from tadamon.extensions import db

    actor = current_actor()
    # Held here: the session's identity map keeps only weak references, so objects loaded and
    # dropped at once would be loaded again, one query each, by `db.session.get` below.
    loaded = _load_together([reference for _action, reference, _answer in answers])  # noqa: F841
    for action, reference, answer in answers:
        obj = None
        if reference == ACTING_ORGANISATION:
            obj = actor.organisation
        elif reference == ACTING_PERSON:
            obj = actor.user
        elif reference is not None:
            obj = db.session.get(reference[0], reference[1])
        if reference is not None and obj is None:
            return False
        if bool(predicate_of(action)(actor, obj)) != answer:
            return False
    return True


def _load_together(references: list[Reference]) -> list[Any]:
    """The objects the answers were about, one query per class (a page that asked about each
    version of the plan, say), so asking again costs no query per object; their large text
    columns deferred (a rule reads states and ids, not a plan version's snapshot: the /plan page
    read every version's whole snapshot at each hit, ~1 MB at ten times the network's size)."""
    from sqlalchemy import select
    from sqlalchemy.orm.util import identity_key

    from tadamon.extensions import db

    wanted: dict[Any, list[Any]] = {}
    for reference in references:
        if reference is None or reference in (ACTING_ORGANISATION, ACTING_PERSON) or len(reference[1]) != 1:
            continue
        keys = wanted.setdefault(reference[0], [])
        if reference[1][0] not in keys:
            keys.append(reference[1][0])
    loaded: list[Any] = []
    identity_map = db.session.identity_map
    for cls, keys in wanted.items():
        # Those already loaded (joined to another's row, say) are not asked for again.
        present = [identity_map.get(identity_key(cls, key)) for key in keys]
        loaded += [found for found in present if found is not None]
        missing = sorted(key for key, found in zip(keys, present, strict=True) if found is None)
        if not missing:
            continue
        column = inspect(cls).primary_key[0]
        options = [*_large_columns_deferred(cls), *(_LOADER_OPTIONS[cls]() if cls in _LOADER_OPTIONS else [])]
        loaded += db.session.scalars(select(cls).options(*options).where(column.in_(missing))).unique().all()
    return loaded


# Loader options per mapped class for `_load_together` (`load_answers_with`).
_LOADER_OPTIONS: dict[Any, Callable[[], list[Any]]] = {}


def load_answers_with(cls: Any, options: Callable[[], list[Any]]) -> None:
    """What the rules asked about `cls` read besides its row (a proposal's consultation, say):
    loaded in the same query when a stored page's answers are asked again, not one lazy load
    each."""
    _LOADER_OPTIONS[cls] = options


@functools.cache
def _large_columns_deferred(cls: Any) -> tuple[Any, ...]:
    """Loader options deferring `cls`'s large columns (Text, JSON, binary): loaded on first
    access if a rule reads one after all. Built once per class (options are immutable; building
    them was a sixth of asking a proposal page's answers again)."""
    from sqlalchemy import JSON, LargeBinary, Text
    from sqlalchemy.orm import defer

    return tuple(defer(getattr(cls, attribute.key)) for attribute in inspect(cls).column_attrs
                 if isinstance(attribute.columns[0].type, (Text, JSON, LargeBinary))
                 and not attribute.columns[0].primary_key)


def register_part(name: str, render: Callable[[], Markup],
                  audience: Callable[[], tuple[Any, ...] | None] | None = None) -> None:
    """A part of a member-cached page that is each reader's own (the actions their organisation
    may still offer to carry, say): templates write it with `personal_part(name)`; stored content
    keeps a hole in its place, and `render` writes it again for each reader.

    `audience`, when given, says whom the part is the same for (the reader's organisation, say;
    None: render it for this reader alone): the part is then kept per content version, language
    and audience, as the pages are. It must hold everything `render` reads of the reader."""
    _PARTS[name] = _kept(name, render, audience) if audience is not None else render


def _kept(name: str, render: Callable[[], Markup], audience: Callable[[], tuple[Any, ...] | None]) -> \
        Callable[[], Markup]:
    def rendered() -> Markup:
        whom = audience()
        if whom is None or not current_app.config["PAGE_CACHE"]:
            return render()
        from tadamon.core import page_cache
        from tadamon.core.i18n import current_language

        key = (name, page_cache.content_version(), current_language(), *whom)
        store: _Store = current_app.extensions["tadamon_member_parts"]
        found = store.get(key, _ttl())
        if found:
            return Markup(found[0].content)  # noqa: S704 - our own rendering, stored as it was
        html = render()
        store.add(key, StoredContent((), "", str(html)))
        return html

    return rendered


def register_page_audience(endpoint: str, audience: Callable[[], tuple[Any, ...] | None]) -> None:
    """`endpoint`'s page shows its reader more than permissions' answers (their organisation's
    ballot, say): its content is stored per `audience()` (the reader's person and organisation,
    say), which must hold everything the view reads of the reader; None keeps this reader's page
    from being stored at all (a secret vote's page read with a voting code, say)."""
    _PAGE_AUDIENCES[endpoint] = audience


_HANDED = "tadamon_part_inputs"


def hand_to_part(name: str, value: Any) -> None:
    """What the view computed that personal part `name` shows (the page's co-signatures, say):
    the part, rendered in the same request, takes it instead of reading it again."""
    g.setdefault(_HANDED, {})[name] = (request.path, value)


def handed_to_part(name: str, compute: Callable[[], Any]) -> Any:
    """Personal part `name`'s input: as the view handed it in this request (`hand_to_part`),
    else `compute()` (the page came stored: no view ran)."""
    found = g.get(_HANDED, {}).pop(name, None)
    return found[1] if found is not None and found[0] == request.path else compute()


def personal_part(name: str) -> Markup:
    """The reader's own part `name`; while a page is rendered to be stored, between marks, and
    with the rules it asks not counted as the page's audience (it is written for each reader)."""
    recorder: _Answers | None = g.get(_RECORDER) if has_request_context() else None
    if recorder is None:
        return _PARTS[name]()
    g.pop(_RECORDER)
    try:
        html = _PARTS[name]()
    finally:
        g.setdefault(_RECORDER, recorder)
    recorder.parts.add(name)
    return Markup(_PART_MARK.format(name) + str(html) + _PART_MARK.format("/" + name))  # noqa: S704 - rendered


def _holes(content: str, names: set[str]) -> str | None:
    """The content with each personal part's marks and text replaced by a hole, or None."""
    for name in names:
        opening, closing = _PART_MARK.format(name), _PART_MARK.format("/" + name)
        while opening in content:
            start, end = content.find(opening), content.find(closing)
            if end < start:
                return None
            content = content[:start] + _PART_HOLE.format(name) + content[end + len(closing):]
    return content


def _without_part_marks(html: str, names: set[str]) -> str:
    for name in names:
        html = html.replace(_PART_MARK.format(name), "").replace(_PART_MARK.format("/" + name), "")
    return html


def _filled_parts(content: str) -> str:
    for name in _PARTS:
        hole = _PART_HOLE.format(name)
        if hole in content:
            content = content.replace(hole, str(_PARTS[name]()))
    return content


def fragment_mark(name: str) -> Markup:
    """base.html's marks around a block, written only while a page is rendered to be stored."""
    if has_request_context() and g.get(_RECORDER) is not None:
        opening, closing = MARKS[name.lstrip("/")]
        return Markup(closing if name.startswith("/") else opening)  # noqa: S704 - our constants
    return Markup("")


def _key() -> tuple[Any, ...]:
    from flask_babel import get_timezone

    from tadamon.core import page_cache
    from tadamon.core.i18n import current_language

    key = (page_cache.content_version(), current_language(), str(get_timezone()), request.script_root,
           request.full_path)
    audience = _PAGE_AUDIENCES.get(request.endpoint or "")
    return key if audience is None else (*key, audience())


def _cacheable_request() -> bool:
    from flask_login import current_user

    return (current_app.config["PAGE_CACHE"] and request.method == "GET"
            and request.endpoint in MEMBER_CACHED_ENDPOINTS
            and bool(current_user and current_user.is_authenticated) and not session.get("_flashes"))


def _ttl() -> float:
    from tadamon.core import page_cache

    return page_cache.lifetime()


def _cut(html: str, name: str) -> tuple[str, str] | None:
    """(the block between its marks, the page without the marks), or None."""
    opening, closing = MARKS[name]
    start, end = html.find(opening), html.find(closing)
    if start < 0 or end < start or html.count(opening) != 1 or html.count(closing) != 1:
        return None
    return html[start + len(opening):end], html.replace(opening, "").replace(closing, "")


def _serve(view: Any, **arguments: Any) -> Any:
    """The view of a member-cached endpoint: stored content for the same audience, else the
    view's answer, whose content is stored when it is a plain 200 page."""
    if not _cacheable_request():
        return view(**arguments)
    from flask_wtf.csrf import generate_csrf

    key = _key()
    if key[-1] is None and request.endpoint in _PAGE_AUDIENCES:  # this reader's page is not stored
        return view(**arguments)
    variants = _store().get(key, _ttl())
    reader = _reader()
    # A variant already found right for this reader in this content version, else the first whose
    # answers are the same for them (asked again).
    known = [stored for stored in variants if reader in stored.verified_for]
    for stored in known or reversed(variants):
        if known or _same_answers(stored.answers):
            stored.remember(reader)

            def filled(text: str) -> Markup:
                # Our own rendering, escaped when stored; the token and the parts are the reader's own.
                if TOKEN_HOLE in text:
                    text = text.replace(TOKEN_HOLE, generate_csrf())
                return Markup(_filled_parts(text) if "\x00hole:" in text else text)  # noqa: S704

            return render_template("member_page.html", stored_title=filled(stored.title),
                                   stored_content=filled(stored.content))
    recorder = g.setdefault(_RECORDER, _Answers())
    try:
        answer = view(**arguments)
    finally:
        g.pop(_RECORDER, None)
    if not isinstance(answer, str):  # a redirect, a Response, (body, status): as it is, marks removed
        return _without_marks(answer, recorder.parts)
    title, content = _cut(answer, "title"), None
    if title is not None:
        content = _cut(title[1], "content")
    if title is None or content is None:
        return _without_marks(answer, recorder.parts)
    page = _without_part_marks(content[1], recorder.parts)
    content_text = _holes(content[0], recorder.parts)
    if not recorder.refused and not session.get("_flashes") and content_text is not None:
        token = g.get("csrf_token")
        title_text = title[0]
        if token:
            title_text, content_text = title_text.replace(token, TOKEN_HOLE), content_text.replace(token, TOKEN_HOLE)
        stored = StoredContent(tuple(recorder.answers), title_text, content_text)
        stored.remember(reader)  # the answers are this reader's own
        _store().add(key, stored)
    return page


def _without_marks(answer: Any, parts: set[str]) -> Any:
    if isinstance(answer, str):
        for opening, closing in MARKS.values():
            answer = answer.replace(opening, "").replace(closing, "")
        return _without_part_marks(answer, parts)
    if isinstance(answer, tuple) and answer and isinstance(answer[0], str):
        return (_without_marks(answer[0], parts), *answer[1:])
    return answer


def forget_member_pages(app: Flask) -> None:
    app.extensions["tadamon_member_pages"].clear()
    app.extensions["tadamon_member_parts"].clear()


def init_app(app: Flask) -> None:
    """Wraps the member-cached endpoints' views: after every before_request hook (the log-in
    gate, the second factor, CSRF), so a stored page is only served where the view would run."""
    app.extensions["tadamon_member_pages"] = _Store()
    app.extensions["tadamon_member_parts"] = _Store(size=512)
    for endpoint in MEMBER_CACHED_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = functools.wraps(view)(functools.partial(_serve, view))
