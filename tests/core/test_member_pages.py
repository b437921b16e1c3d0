"""Members' pages kept per audience (core.member_pages): a reader is served stored content only
when every permission rule the page asked gives them the same answer; their header, acting
organisation and token stay their own; languages are kept apart; a change shows at once."""

from __future__ import annotations

import re

import pytest

from tadamon.accounts.models import RoleAssignment
from tadamon.core import member_pages, page_cache
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role, can
from tadamon.extensions import db
from tests import support
from tests.action_plan.conftest import make_action, results  # noqa: F401
from tests.action_plan.test_exports import published_plan  # noqa: F401
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.proposals.conftest import consultation  # noqa: F401
from tests.voting.conftest import open_vote  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE", True)
    monkeypatch.setitem(app.extensions, "tadamon_page_cache", page_cache.LocalStore())
    member_pages.forget_member_pages(app)
    yield
    member_pages.forget_member_pages(app)


def _reader(app, login, person):
    client = app.test_client()
    login(client, person)
    return client


def _get(client, path):
    response, statements = support.page_statements(client, path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True), len(statements)


def _same_language(members, language="ar"):
    for person, _organisation in members:
        person.preferred_language = language
    db.session.commit()


def _stored(app):
    return [variant for _time, variants in app.extensions["tadamon_member_pages"].entries.values()
            for variant in variants]


def test_members_of_one_audience_share_the_content_but_not_their_organisation_or_token(
        app, login, members, open_workshop):
    open_workshop()
    _same_language(members)
    (first_person, first_organisation), (second_person, second_organisation), _third = members
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    first_page, rendered = _get(first, "/workshops")
    second_page, served = _get(second, "/workshops")
    assert len(_stored(app)) == 1 and served < rendered  # the second reader's content came stored
    assert "ورشة التضامن" in first_page and "ورشة التضامن" in second_page
    # The acting organisation's box and the tokens are each reader's own.
    first_tokens, second_tokens = set(TOKEN.findall(first_page)), set(TOKEN.findall(second_page))
    assert first_tokens and second_tokens and first_tokens.isdisjoint(second_tokens)
    first_box = first_page[first_page.index('class="acting-for"'):first_page.index("<main")]
    second_box = second_page[second_page.index('class="acting-for"'):second_page.index("<main")]
    assert first_organisation.name_ar in first_box and second_organisation.name_ar not in first_box
    assert second_organisation.name_ar in second_box and first_organisation.name_ar not in second_box


def test_a_reader_whose_permissions_answer_otherwise_gets_their_own_page(app, login, members, open_workshop,
                                                                         facilitator):
    open_workshop()
    _same_language(members)
    facilitator.preferred_language = "ar"
    db.session.commit()
    member = _reader(app, login, members[0][0])
    organiser = _reader(app, login, facilitator)
    create_link = 'href="/workshops/new"'
    for _ in range(2):
        assert create_link not in _get(member, "/workshops")[0]
        assert create_link in _get(organiser, "/workshops")[0]
    assert len(_stored(app)) == 2
    # A new role shows at once: the rules are asked again on every request.
    person = members[0][0]
    person.role_assignments.append(RoleAssignment(role=Role.FACILITATOR.value))
    person.totp_secret, person.totp_enabled_at = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    assert create_link in _get(member, "/workshops")[0]


def test_answers_about_an_object_and_the_readers_organisation_are_asked_again(app, login, members, consultation,
                                                                              create_user):
    path = f"/consultations/{consultation.id}/proposals"
    _same_language(members, "fr")
    with_organisation = [_reader(app, login, person) for person, _organisation in members]
    without = _reader(app, login, create_user(language="fr"))
    write_link = f'href="/consultations/{consultation.id}/proposals/new"'
    pages = [_get(client, path)[0] for client in with_organisation]
    assert all(write_link in page for page in pages)
    assert len(_stored(app)) == 1  # "may the organisation I act for submit": the same for all three
    assert write_link not in _get(without, path)[0]
    assert len(_stored(app)) == 2
    assert write_link in _get(with_organisation[0], path)[0]


def test_languages_are_kept_apart(app, login, create_user, open_workshop):
    open_workshop()
    french, arabic = create_user(language="fr"), create_user(language="ar")
    french_page = _get(_reader(app, login, french), "/workshops")[0]
    arabic_page = _get(_reader(app, login, arabic), "/workshops")[0]
    assert "Atelier solidarité" in french_page and "Atelier solidarité" not in arabic_page
    assert "ورشة التضامن" in arabic_page
    assert len(_stored(app)) == 2


def test_a_change_shows_at_once(app, login, create_user, open_workshop, facilitator):
    workshop = open_workshop()
    reader = _reader(app, login, create_user(language="fr"))
    assert "Atelier solidarité" in _get(reader, "/workshops")[0]
    workshop.title_fr = "Atelier renommé"
    db.session.commit()
    page = _get(reader, "/workshops")[0]
    assert "Atelier renommé" in page and "Atelier solidarité" not in page


def test_a_page_that_asked_about_someone_else_is_not_stored(app, login, create_user):
    reader, other = create_user(), create_user(roles=[Role.ADMIN])
    client = _reader(app, login, reader)
    with app.test_request_context("/organisations"):
        from flask import g
        from flask_login import login_user

        login_user(reader)
        recorder = g.setdefault(member_pages._RECORDER, member_pages._Answers())
        can("admin.manage_users")
        assert not recorder.refused and recorder.answers == [("admin.manage_users", None, False)]
        can("admin.manage_users", user=other)
        assert recorder.refused
    _get(client, "/organisations")
    assert len(_stored(app)) == 1


def test_visitors_and_flash_messages_are_never_served_stored_content(app, login, create_user, open_workshop):
    open_workshop()
    reader = _reader(app, login, create_user())
    _get(reader, "/workshops")
    assert len(_stored(app)) == 1
    with reader.session_transaction() as session:
        session["_flashes"] = [("info", "Un message pour vous")]
    page = _get(reader, "/workshops")[0]
    assert "Un message pour vous" in page
    assert "Un message pour vous" not in _get(reader, "/workshops")[0]
    visitor_page = app.test_client().get("/workshops").get_data(as_text=True)
    assert "csrf_token" not in visitor_page and "\x00" not in visitor_page
    assert len(_stored(app)) == 1


def test_a_page_in_the_readers_own_random_order_is_not_stored(app, login, members, consultation):
    _same_language(members, "fr")
    path = f"/consultations/{consultation.id}/proposals?sort=random"
    for person, _organisation in members[:2]:
        _get(_reader(app, login, person), path)
    assert _stored(app) == []
    _get(_reader(app, login, members[0][0]), f"/consultations/{consultation.id}/proposals?sort=recent")
    assert len(_stored(app)) == 1


def test_a_token_in_the_content_is_each_readers_own(app, create_user):
    from flask import render_template_string
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    page = ('{% extends "base.html" %}{% block title %}Titre{% endblock %}'
            '{% block content %}<form><input name="t" value="{{ csrf_token() }}"></form>{% endblock %}')
    def stored_only() -> str:
        raise AssertionError("the second reader's content comes from the store")

    served = []
    for person, view in ((create_user(), lambda: render_template_string(page)), (create_user(), stored_only)):
        with app.test_request_context("/organisations", headers={"Accept-Language": "en"}):
            login_user(person)
            app.preprocess_request()
            html = member_pages._serve(view)
            served.append((html, generate_csrf()))
    (first, first_token), (second, second_token) = served
    assert first_token != second_token
    assert f'name="t" value="{first_token}"' in first and f'name="t" value="{second_token}"' in second
    assert first_token not in second and "\x00" not in first + second
    assert len(_stored(app)) == 1 and member_pages.TOKEN_HOLE in _stored(app)[0].content


def test_a_personal_part_is_each_readers_own_in_shared_content(app, login, members, published_plan, create_user):
    from tadamon.action_plan.services import open_to

    _same_language(members, "fr")
    (first_person, first_organisation), (second_person, second_organisation), _third = members
    first_open = {action.id for action in open_to(first_organisation)}
    second_open = {action.id for action in open_to(second_organisation)}
    assert first_open != second_open  # the first organisation already leads one of them
    section = 'id="open-actions-title"'
    readers = [(_reader(app, login, first_person), first_open), (_reader(app, login, second_person), second_open)]
    for _ in range(2):
        for client, expected in readers:
            page = _get(client, "/plan")[0]
            box = page[page.index(section):page.index("</section>", page.index(section))]
            shown = {int(found) for found in re.findall(r'href="/plan/actions/(\d+)"', box)}
            assert shown == expected
    assert len(_stored(app)) == 1 and section not in _stored(app)[0].content
    # The part itself is kept per organisation (the second round above came from there).
    assert len(app.extensions["tadamon_member_parts"].entries) == 2
    loner = _reader(app, login, create_user(language="fr"))
    assert section not in _get(loner, "/plan")[0]


def test_the_home_page_shares_the_networks_blocks_and_keeps_each_readers_own(app, login, members, open_workshop):
    """The network's blocks are stored once; the greeting and "what needs you" are each
    reader's own (their organisation's registration shows for them alone)."""
    from tadamon.workshops import services as workshop_services

    workshop = open_workshop()
    _same_language(members, "en")
    (first_person, first_organisation), (second_person, _second_organisation), _third = members
    workshop_services.register(first_person, workshop, first_organisation, "Amina")
    db.session.commit()
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    first_page, rendered = _get(first, "/")
    second_page, served = _get(second, "/")
    assert len(_stored(app)) == 1 and served <= rendered  # the second reader's own blocks were read for them
    stored = _stored(app)[0].content
    assert first_person.display_name not in stored and 'id="attention-title"' not in stored
    def welcome(page):
        return re.search(r"<p>Welcome, (.*?)\.</p>", page).group(1)

    assert first_person.display_name in welcome(first_page) and second_person.display_name in welcome(second_page)
    registered = 'id="my-registrations"'
    assert registered in first_page and registered not in second_page
    # The reader's own blocks are kept for them: their next visit asks no more than the layout's.
    again, kept = _get(first, "/")
    assert registered in again and kept < served


def test_the_proposal_page_is_shared_but_the_co_signing_button_is_each_organisations_own(
        app, login, members, consultation):
    from tadamon.proposals import services as proposal_services
    from tests.proposals.test_structure import _published

    _same_language(members, "fr")
    (first_person, first_organisation), (second_person, _second), (third_person, third_organisation) = members
    proposal = _published(consultation, third_organisation, third_person)
    proposal_services.cosign(proposal, first_organisation, first_person)
    db.session.commit()
    path = f"/proposals/{proposal.id}"
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    first_page, rendered = _get(first, path)
    second_page, served = _get(second, path)
    assert len(_stored(app)) == 1 and served < rendered
    withdraw = 'name="withdraw" value="1"'
    assert withdraw in first_page and withdraw not in second_page
    assert withdraw not in _stored(app)[0].content
    # After the second organisation co-signs, its readers see it at once.
    proposal_services.cosign(proposal, members[1][1], second_person)
    db.session.commit()
    assert withdraw in _get(second, path)[0] and withdraw in _get(first, path)[0]


def test_the_consultation_page_tells_each_reader_why_their_organisation_cannot_vote(
        app, login, members, open_vote, create_user):
    consultation, _keys = open_vote()
    _same_language(members, "en")
    path = f"/consultations/{consultation.id}"
    voter = _reader(app, login, members[0][0])
    loner = _reader(app, login, create_user(language="en"))  # acts for no organisation
    voter_page, _rendered = _get(voter, path)
    loner_page, _served = _get(loner, path)
    notice = "Choose the organisation you act for before voting."
    assert notice not in voter_page and notice in loner_page
    assert all(notice not in stored.content for stored in _stored(app))
    again, _kept = _get(voter, path)
    assert notice not in again  # the loner's permissions answer otherwise: a variant of their own
    assert all(notice not in stored.content for stored in _stored(app))
    # Each reader's notices are kept for them alone.
    assert len(app.extensions["tadamon_member_parts"].entries) == 2


def test_the_ballot_page_is_each_organisations_own_and_never_kept_with_a_voting_code(
        app, login, members, open_vote):
    from tests.voting.test_secrecy import _vote

    consultation, keys = open_vote()
    _same_language(members, "fr")
    path = f"/consultations/{consultation.id}/vote"
    (first_person, _first), (second_person, _second), _third = members
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    assert first.post(path, data={"approve": [keys[0]]}).status_code == 302
    first.get(path)  # the page with the flash message "recorded" is never stored
    checked = re.compile(r'<input[^>]*value="' + keys[0] + r'"[^>]*checked')
    first_page, rendered = _get(first, path)
    second_page, _served = _get(second, path)
    assert checked.search(first_page) and not checked.search(second_page)
    assert len(_stored(app)) == 2  # one per person and organisation
    again, kept = _get(first, path)
    assert checked.search(again) and kept < rendered
    # A secret vote's page, read with the voting code it shows, is never stored.
    secret, secret_keys = open_vote("yes_no", secret=True)
    member_pages.forget_member_pages(app)
    assert _vote(first, secret, secret_keys[0], "yes").status_code == 302
    first.get(f"/consultations/{secret.id}/vote")
    page, _statements = _get(first, f"/consultations/{secret.id}/vote")
    assert _stored(app) == []


def test_the_account_page_is_each_persons_own_and_never_kept_with_what_they_typed(app, login, create_user):
    from tadamon.core import stash

    first_person, second_person = create_user(language="en"), create_user(language="en")
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    first_page, _rendered = _get(first, "/account/")
    second_page, _served = _get(second, "/account/")
    assert first_person.email in first_page and first_person.email not in second_page
    assert second_person.email in second_page and len(_stored(app)) == 2  # one per person
    assert first_person.email in _get(first, "/account/")[0] and len(_stored(app)) == 2
    # A form refilled from what the person typed before their session expired is theirs alone.
    import json

    from tadamon.core.stash import StashedSubmission

    member_pages.forget_member_pages(app)
    db.session.add(StashedSubmission(token="typed-before-expiry", path="/account/",  # noqa: S106 - a test token
                                     payload=json.dumps([["display_name", "Typed before the expiry"]])))
    db.session.commit()
    with first.session_transaction() as browser_session:
        browser_session[stash.SESSION_KEY] = "typed-before-expiry"
    assert "Typed before the expiry" in _get(first, "/account/")[0] and _stored(app) == []


def test_a_readers_answers_are_asked_once_per_content_version(app, login, members, consultation, create_user):
    """The rules read the database and the reader only, and a stored content lives within one
    content version: the reader found to get the same answers is not asked again at the next hit,
    another reader still is, and a committed change asks everyone again."""
    path = f"/consultations/{consultation.id}/proposals"
    _same_language(members, "fr")
    (first_person, _first), (second_person, _second), _third = members
    first, second = _reader(app, login, first_person), _reader(app, login, second_person)
    asked: list[tuple] = []
    same_answers = member_pages._same_answers

    def counting(answers):
        asked.append(answers)
        return same_answers(answers)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(member_pages, "_same_answers", counting)
        _get(first, path)  # rendered and stored: the answers are the first reader's own
        assert asked == []
        _get(second, path)
        assert asked  # another reader: every answer asked again
        asked.clear()
        _get(second, path), _get(first, path)
        assert asked == []  # both known for this content version
        consultation.question_fr = "Question reformulée ?"
        db.session.commit()
        page = _get(second, path)[0]
        assert "Question reformulée" in page
        _get(first, path)
        assert asked  # a new version: stored anew by one, asked again for the other
    assert len(_stored(app)) == 2
