"""Anonymous readers' public pages come from a cache until what they show changes; a logged-in
person's page, or one showing a flash message, is never cached; a visitor's page holds no one's
token (compressed once, revalidated with a 304), and a page with a visitor form gets each reader
their own token; languages are cached apart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from tadamon.core import page_cache
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tests import support
from tests.action_plan.conftest import make_action, results  # noqa: F401
from tests.action_plan.test_exports import published_plan  # noqa: F401
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.voting.conftest import open_vote  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(params=["local", "redis"])
def cached(app, monkeypatch, request):
    """The cache of one process, and the one in Redis that workers and instances share."""
    import os
    import uuid

    monkeypatch.setitem(app.config, "PAGE_CACHE", True)
    if request.param == "local":
        monkeypatch.setitem(app.extensions, "tadamon_page_cache", page_cache.LocalStore())
        yield
        return
    with support.redis_database(os.environ.get("TEST_REDIS_URL", support.TEST_REDIS_URL)) as url:
        # Keys of this test alone: the other test process may be caching its own /plan meanwhile.
        store = page_cache.RedisStore(url, prefix=f"tadamon-test-{uuid.uuid4().hex}:")
        monkeypatch.setitem(app.extensions, "tadamon_page_cache", store)
        yield


@pytest.fixture
def member_page(cached, complete_application, create_user):
    organisation = complete_application(create_user(), approved=True)
    return organisation, f"/organisations/{organisation.id}"


def _get(client, path, language="fr"):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response


def test_a_second_anonymous_reader_is_served_the_same_page_holding_no_ones_token(app, member_page, monkeypatch):
    _organisation, path = member_page
    first, second = app.test_client(), app.test_client()
    miss = _get(first, path)
    hit = _get(second, path)
    assert miss.headers["X-Page-Cache"] == "miss" and hit.headers["X-Page-Cache"] == "hit"
    assert hit.get_data() == miss.get_data()
    assert not TOKEN.findall(hit.get_data(as_text=True)) and "Set-Cookie" not in hit.headers
    # The visitor's language switch needs no token (a GET that sets only their language cookie);
    # a POST, which changes an account, still needs one.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    switched = second.get("/language?language=en&next=/")
    assert switched.status_code == 302 and "tadamon_lang=en" in switched.headers["Set-Cookie"]
    assert second.post("/language", data={"language": "en", "next": "/"}).status_code == 400


def test_a_visitor_page_comes_compressed_as_stored_and_revalidates(app, member_page):
    import gzip

    _organisation, path = member_page
    client = app.test_client()
    plain = _get(client, path)
    etag = plain.headers["ETag"]
    assert etag.startswith('W/"') and plain.headers["Cache-Control"] == "no-cache"
    zipped = client.get(path, headers={"Accept-Language": "fr", "Accept-Encoding": "gzip"})
    assert zipped.headers["X-Page-Cache"] == "hit" and zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data() and "Accept-Encoding" in zipped.headers["Vary"]
    same = client.get(path, headers={"Accept-Language": "fr", "If-None-Match": etag})
    assert same.status_code == 304 and not same.get_data()
    # Another language is another page, with another validator.
    other = client.get(path, headers={"Accept-Language": "ar", "If-None-Match": etag})
    assert other.status_code == 200


def test_a_page_holding_a_visitor_form_gets_each_reader_their_own_token(app, cached, monkeypatch):
    """No cached page shows a visitor a form with a token today (the language switch and the
    plan's export are token-free for visitors); one that would, has it cut out of the stored page
    and each reader's own put back."""
    from flask import render_template_string

    from tadamon.core.auth import public

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setattr(page_cache, "CACHED_ENDPOINTS", page_cache.CACHED_ENDPOINTS | {"core.privacy"})
    monkeypatch.setitem(app.view_functions, "core.privacy", public(lambda: render_template_string(
        '<form method="post" action="/language"><input name="csrf_token" value="{{ csrf_token() }}"></form>')))
    first, second = app.test_client(), app.test_client()
    miss, hit = _get(first, "/privacy"), _get(second, "/privacy")
    assert miss.headers["X-Page-Cache"] == "miss" and hit.headers["X-Page-Cache"] == "hit"
    first_tokens, second_tokens = TOKEN.findall(miss.get_data(as_text=True)), TOKEN.findall(hit.get_data(as_text=True))
    assert first_tokens and second_tokens and set(first_tokens).isdisjoint(second_tokens)
    assert page_cache.TOKEN_HOLE not in hit.get_data(as_text=True) and "ETag" not in hit.headers
    assert TOKEN.sub("", miss.get_data(as_text=True)) == TOKEN.sub("", hit.get_data(as_text=True))
    # The token put back is the one the reader's session holds: their form still posts.
    form = {"language": "en", "next": "/"}
    assert second.post("/language", data={**form, "csrf_token": first_tokens[0]}).status_code == 400
    assert second.post("/language", data={**form, "csrf_token": second_tokens[0]}).status_code == 302


def test_a_visitor_plan_page_is_shared_whole(app, published_plan, cached, monkeypatch):
    """The plan's export form is on its own page for visitors: the plan holds no one's token."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    miss, hit = _get(app.test_client(), "/plan"), _get(app.test_client(), "/plan")
    assert hit.headers["X-Page-Cache"] == "hit" and hit.get_data() == miss.get_data() and "ETag" in hit.headers
    assert not TOKEN.findall(hit.get_data(as_text=True)) and 'href="/plan/export"' in hit.get_data(as_text=True)


def test_a_change_to_what_pages_show_empties_the_cache(app, member_page):
    organisation, path = member_page
    client = app.test_client()
    _get(client, path)
    assert _get(client, path).headers["X-Page-Cache"] == "hit"
    # Bookkeeping (a notification) does not change any public page.
    db.session.add(Notification(user_id=organisation.people[0].user_id, kind="test", link="/"))
    db.session.commit()
    assert _get(client, path).headers["X-Page-Cache"] == "hit"
    organisation.name_fr = "Association Renouveau"
    db.session.commit()
    changed = _get(client, path)
    assert changed.headers["X-Page-Cache"] == "miss" and "Association Renouveau" in changed.get_data(as_text=True)
    # A bulk UPDATE through the session counts too.
    db.session.execute(update(Organisation).where(Organisation.id == organisation.id)
                       .values(name_fr="Association Aurore"))
    db.session.commit()
    assert "Association Aurore" in _get(client, path).get_data(as_text=True)


def test_languages_are_cached_apart(app, member_page):
    _organisation, path = member_page
    client = app.test_client()
    _get(client, path, "fr")
    arabic = _get(client, path, "ar")
    assert arabic.headers["X-Page-Cache"] == "miss" and 'lang="ar"' in arabic.get_data(as_text=True)
    assert _get(client, path, "ar").headers["X-Page-Cache"] == "hit"


def test_a_logged_in_page_is_never_cached_nor_served_from_the_cache(app, member_page, create_user, login):
    _organisation, path = member_page
    anonymous, person = app.test_client(), app.test_client()
    _get(anonymous, path)
    login(person, create_user())
    for _ in range(2):
        response = _get(person, path)
        assert "X-Page-Cache" not in response.headers
        assert "Log out" in response.get_data(as_text=True) or "Se déconnecter" in response.get_data(as_text=True)


def test_a_page_showing_a_flash_message_is_not_cached(app, member_page):
    _organisation, path = member_page
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Only for you")]
    response = _get(client, path)
    assert "X-Page-Cache" not in response.headers and "Only for you" in response.get_data(as_text=True)
    other = _get(app.test_client(), path)
    assert other.headers["X-Page-Cache"] == "miss" and "Only for you" not in other.get_data(as_text=True)


def test_a_process_keeps_pages_up_to_its_byte_budget_least_recently_used_out_first():
    """A worker's own pages (the whole cache without Redis, Redis's copies with it) are bounded
    by bytes, plain and compressed forms counted: a long-lived worker stays within its memory."""
    store = page_cache.LocalStore(size=100, max_bytes=10_000)

    def page(size: int) -> page_cache.StoredPage:
        return page_cache.StoredPage(b"x" * size, "text/html", etag="e", encoded={"gzip": b"z" * (size // 10)})

    for key in "abc":
        store.put(key, page(3_000), 60)
    assert store.get("a", 60) is not None  # a is now the most recently used
    store.put("d", page(3_000), 60)  # 4 × 3,300 bytes > 10,000: the least recently used (b) goes
    assert [key for key in "abcd" if store.get(key, 60) is not None] == ["a", "c", "d"]
    assert store.bytes == 3 * 3_300
    store.put("c", page(1_000), 60)  # a page replaced is counted once, at its new size
    assert store.bytes == 2 * 3_300 + 1_100
    store.put("huge", page(20_000), 60)  # larger than the whole budget: never kept
    assert store.get("huge", 60) is None and store.bytes == 2 * 3_300 + 1_100
    store.bump()
    assert store.bytes == 0 and not store.pages


def test_the_byte_budget_is_a_setting(app):
    """TADAMON_PAGE_CACHE_LOCAL_BYTES (4 MB by default): the process's store, with or without Redis."""
    store = app.extensions["tadamon_page_cache"]
    assert getattr(store, "copies", store).max_bytes == app.config["PAGE_CACHE_LOCAL_BYTES"] == 4 * 1024 * 1024
    redis_store = page_cache.RedisStore("redis://127.0.0.1:6379/12", copies_bytes=1234)  # connects on first use
    assert redis_store.copies.max_bytes == 1234


@pytest.fixture
def two_workers():
    """Two processes' stores on one Redis (two workers, or two instances), keys of this test alone."""
    import os
    import uuid

    with support.redis_database(os.environ.get("TEST_REDIS_URL", support.TEST_REDIS_URL)) as url:
        prefix = f"tadamon-test-{uuid.uuid4().hex}:"
        yield page_cache.RedisStore(url, prefix=prefix), page_cache.RedisStore(url, prefix=prefix)


def _count_reads(store, monkeypatch) -> list[str]:
    reads: list[str] = []
    real = store.client.get

    def get(name):
        reads.append(name)
        return real(name)

    monkeypatch.setattr(store.client, "get", get)
    return reads


def test_a_worker_knows_the_version_without_asking_redis_until_a_change_is_announced(two_workers, monkeypatch):
    reader, writer = two_workers
    reads = _count_reads(reader, monkeypatch)
    first = reader.current_version()
    assert [reader.current_version() for _ in range(50)] == [first] * 50
    assert len(reads) == 1  # one GET, then none while nothing changes
    writer.bump()  # another worker commits a change
    second = reader.current_version()
    assert second != first and second == writer.current_version()
    assert len(reads) == 2  # read again once, after the announcement
    reader.bump()  # its own change: known at once too
    assert reader.current_version() not in (first, second)


def test_a_broken_subscription_falls_back_to_asking_redis_and_subscribes_again(two_workers, monkeypatch):
    reader, writer = two_workers
    first = reader.current_version()
    reader._watch.connection.disconnect()  # Redis restarted, the connection dropped, …
    writer.bump()
    assert reader.current_version() != first  # not the version it knew: asked again
    reads = _count_reads(reader, monkeypatch)
    writer.bump()
    fresh = reader.current_version()  # subscribed again: announced, read once
    assert fresh == writer.current_version() and reader.current_version() == fresh
    assert len(reads) == 1


def test_a_forked_worker_makes_its_own_subscription(two_workers, monkeypatch):
    """gunicorn forks its workers: a child never reads the parent's subscription's socket."""
    reader, _writer = two_workers
    reader.current_version()
    parents = reader._watch
    monkeypatch.setattr(page_cache.os, "getpid", lambda: -1)
    reader.current_version()
    assert reader._watch is not parents and reader._watch_pid == -1


def test_a_silently_failed_subscription_delays_a_change_by_a_second_at_most(two_workers, monkeypatch):
    """A connection left half-open by the network says nothing: the known version is read
    again from Redis once a second, and one found moved without a word is subscribed anew."""
    reader, writer = two_workers
    first = reader.current_version()
    watch = reader._watch
    writer.client.incr(writer.version_key)  # a change whose announcement never arrives
    assert reader.current_version() == first  # within the second: the version it knew
    monkeypatch.setattr(reader, "VERSION_READ_AGAIN_SECONDS", 0.0)
    moved = reader.current_version()
    assert moved != first and moved == writer._read_version()
    monkeypatch.setattr(reader, "VERSION_READ_AGAIN_SECONDS", 60.0)
    assert reader.current_version() == moved and reader._watch is not watch  # a new subscription
    writer.bump()
    assert reader.current_version() == writer._read_version() != moved
