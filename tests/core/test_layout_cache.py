"""The site header is rendered once per (language, signed in, menu permissions, unread or not)
and spliced (core.layout): no reader ever gets another's token, address, count, organisation or
menu, languages are kept apart, and what changes (a role, a name, a notification) shows at once."""

from __future__ import annotations

import re

import pytest

from tadamon.accounts.models import RoleAssignment
from tadamon.core import layout
from tadamon.core.notifications import notify
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BADGE = re.compile(r'<span class="badge">([^<]+)</span>')


@pytest.fixture(autouse=True)
def fresh_layout(app):
    layout.forget_layout(app)
    yield
    layout.forget_layout(app)


def _page(client, path="/workshops", language="fr"):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _csrf_of(client):
    with client.session_transaction() as session:
        return session.get("csrf_token")


def test_each_reader_gets_their_own_token_and_organisation(app, create_user, login, complete_application):
    first_person, second_person = create_user(language="ar"), create_user(language="ar")
    complete_application(first_person, name_ar="جمعية الأولى", approved=True)
    complete_application(second_person, name_ar="جمعية الثانية", approved=True)
    first, second = app.test_client(), app.test_client()
    login(first, first_person)
    login(second, second_person)
    pages = {}
    for _ in range(2):  # the second round is served from the stored header
        pages[first] = _page(first, language="ar")
        pages[second] = _page(second, language="ar")
    first_tokens, second_tokens = set(TOKEN.findall(pages[first])), set(TOKEN.findall(pages[second]))
    assert first_tokens and second_tokens and not first_tokens & second_tokens
    # Each token is the one its own session signs (the log-out form works for its reader).
    from flask_wtf.csrf import validate_csrf

    for client, tokens in ((first, first_tokens), (second, second_tokens)):
        with app.test_request_context(), client.session_transaction() as stored:
            from flask import session

            session.update(stored)
            for token in tokens:
                validate_csrf(token)
    assert "جمعية الأولى" in pages[first] and "جمعية الأولى" not in pages[second]
    assert "جمعية الثانية" in pages[second] and "جمعية الثانية" not in pages[first]


def test_the_menu_follows_each_readers_permissions_and_a_new_role_shows_at_once(app, create_user, login):
    admin, member = create_user(roles=[Role.ADMIN]), create_user(two_factor=True)
    admin_client, member_client = app.test_client(), app.test_client()
    login(admin_client, admin)
    login(member_client, member)
    users_link = 'href="/admin/users"'
    for _ in range(2):
        assert users_link in _page(admin_client)
        assert users_link not in _page(member_client)
        assert 'href="/plan/board"' not in _page(member_client)
    member.role_assignments.append(RoleAssignment(role=Role.STEERING.value))
    db.session.commit()
    page = _page(member_client)
    assert 'href="/plan/board"' in page
    assert users_link not in page


def test_languages_are_kept_apart(app, create_user, login):
    french_reader, arabic_reader = create_user(language="fr"), create_user(language="ar")
    french_client, arabic_client = app.test_client(), app.test_client()
    login(french_client, french_reader)
    login(arabic_client, arabic_reader)
    for _ in range(2):
        french, arabic = _page(french_client), _page(arabic_client)
        french_header = french[french.index("<header"):french.index("</header>")]
        arabic_header = arabic[arabic.index("<header"):arabic.index("</header>")]
        assert 'dir="rtl"' in arabic and 'dir="ltr"' in french
        assert "Ateliers" in french_header and "Ateliers" not in arabic_header
        assert 'value="fr" lang="fr" aria-current="true"' in french_header
        assert 'value="ar" lang="ar" aria-current="true"' in arabic_header
    # The reader changes language: the other language's header, at once.
    french_reader.preferred_language = "ar"
    db.session.commit()
    now_arabic = _page(french_client)
    assert 'dir="rtl"' in now_arabic and "Ateliers" not in now_arabic[:now_arabic.index("</header>")]


def test_the_unread_count_is_each_readers_own_and_current(app, create_user, login):
    busy, idle = create_user(), create_user()
    notify([busy], "workshops.status_changed", link="/workshops/1", workshop="ورشة", status="open")
    notify([busy], "workshops.status_changed", link="/workshops/2", workshop="ورشة", status="open")
    db.session.commit()
    busy_client, idle_client = app.test_client(), app.test_client()
    login(busy_client, busy)
    login(idle_client, idle)
    for _ in range(2):
        assert BADGE.findall(_page(busy_client, language="en")) == ["2"]
        assert BADGE.findall(_page(idle_client, language="en")) == []
    notify([idle], "workshops.status_changed", link="/workshops/3", workshop="ورشة", status="open")
    db.session.commit()
    assert BADGE.findall(_page(idle_client, language="en")) == ["1"]
    assert BADGE.findall(_page(busy_client, language="en")) == ["2"]


def test_the_address_is_each_requests_own_and_escaped(app, create_user, login):
    client = app.test_client()
    login(client, create_user())
    _page(client, "/workshops?theme=")
    page = _page(client, '/workshops?q="><script>x</script>')
    assert "<script>x</script>" not in page
    header = page[page.index("<header"):page.index("</header>")]
    assert header.count('name="next" value="/workshops?q=') == 1
    assert 'name="next" value="/workshops?theme="' not in header


def test_a_visitors_header_holds_no_token_and_starts_no_session(app, create_user, login):
    signed_in = app.test_client()
    login(signed_in, create_user())
    _page(signed_in)
    visitor = app.test_client()
    response = visitor.get("/workshops", headers={"Accept-Language": "fr"})
    page = response.get_data(as_text=True)
    assert "csrf_token" not in page
    assert 'method="get" action="/language"' in page
    assert "Set-Cookie" not in response.headers or "session=" not in response.headers.get("Set-Cookie", "")


def test_the_header_is_stored_once_per_audience_not_per_person(app, create_user, login):
    clients = []
    for _ in range(3):
        client = app.test_client()
        login(client, create_user())
        clients.append(client)
    for client in clients:
        _page(client)
    stored = [key for key in app.extensions["tadamon_layout"] if key[0] == "_site_header.html"]
    assert len(stored) == 1
    # Nothing that names anyone in the key: the template, the language, the root, the answers.
    assert all(isinstance(part, str | bool | tuple) for part in stored[0])
    assert all(isinstance(answer, bool) for answer in stored[0][4])


def test_the_acting_organisations_new_name_shows_at_once(app, create_user, login, complete_application):
    person = create_user(language="ar")
    organisation = complete_application(person, name_ar="جمعية قديمة", approved=True)
    client = app.test_client()
    login(client, person)
    assert "جمعية قديمة" in _page(client)
    organisation.name_ar = "جمعية جديدة"
    db.session.commit()
    page = _page(client)
    assert "جمعية جديدة" in page and "جمعية قديمة" not in page


def test_the_count_read_with_the_reader_is_forgotten_when_the_request_writes_notifications(app, create_user, login):
    from flask import g

    from tadamon.core.notifications import mark_all_read, remember_unread_count
    from tadamon.core.templating import unread_notifications

    person = create_user()
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(person)
        remember_unread_count(0)
        notify([person], "workshops.status_changed", link="/workshops/1", workshop="ورشة", status="open")
        assert "unread_notifications" not in g and unread_notifications() == 1
        mark_all_read(person)
        assert unread_notifications() == 0
    client = app.test_client()
    login(client, person)
    notify([person], "workshops.status_changed", link="/workshops/1", workshop="ورشة", status="open")
    db.session.commit()
    assert BADGE.findall(_page(client, language="en")) == ["1"]
