"""Anonymous readers' public pages come from a cache until what they show changes; a logged-in
person's page, or one showing a flash message, is never cached; each reader gets their own CSRF
token; languages are cached apart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from tadamon.core import page_cache
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tests import support
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["local", "redis"])
def cached(app, monkeypatch, request):
    """The cache of one process, and the one in Redis that workers and instances share."""
    import os

    monkeypatch.setitem(app.config, "PAGE_CACHE", True)
    if request.param == "local":
        monkeypatch.setitem(app.extensions, "tadamon_page_cache", page_cache.LocalStore())
        yield
        return
    with support.redis_database(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")) as url:
        store = page_cache.RedisStore(url)
        store.client.set("tadamon:content-version", "0")
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


def test_a_second_anonymous_reader_is_served_from_the_cache_with_their_own_token(app, member_page, monkeypatch):
    _organisation, path = member_page
    first, second = app.test_client(), app.test_client()
    miss = _get(first, path)
    hit = _get(second, path)
    assert miss.headers["X-Page-Cache"] == "miss" and hit.headers["X-Page-Cache"] == "hit"
    first_tokens, second_tokens = TOKEN.findall(miss.get_data(as_text=True)), TOKEN.findall(hit.get_data(as_text=True))
    assert first_tokens and second_tokens and set(first_tokens).isdisjoint(second_tokens)
    assert page_cache.TOKEN_HOLE not in hit.get_data(as_text=True)
    assert TOKEN.sub("", miss.get_data(as_text=True)) == TOKEN.sub("", hit.get_data(as_text=True))
    # The token put back is the one the reader's session holds: their forms still post.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert second.post("/language", data={"csrf_token": "forged", "language": "en", "next": "/"}).status_code == 400
    response = second.post("/language", data={"csrf_token": second_tokens[0], "language": "en", "next": "/"})
    assert response.status_code in (302, 303)


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
