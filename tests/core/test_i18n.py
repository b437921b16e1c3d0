"""Language choice (account, cookie, Accept-Language, Arabic), direction, local formats."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import format_datetime, format_decimal

from tadamon.core.i18n import LOCALE_COOKIE


def html_tag(response):
    body = response.get_data(as_text=True)
    return body[body.index("<html") : body.index(">", body.index("<html")) + 1]


def test_arabic_is_the_default_and_right_to_left(client):
    response = client.get("/", headers={"Accept-Language": "de"})
    assert html_tag(response) == '<html lang="ar" dir="rtl">'
    assert "إنشاء حساب" in response.get_data(as_text=True)


def test_accept_language_is_followed(client):
    assert html_tag(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})) == (
        '<html lang="fr" dir="ltr">'
    )


def test_cookie_beats_accept_language(client):
    client.set_cookie(LOCALE_COOKIE, "en")
    assert 'lang="en"' in html_tag(client.get("/", headers={"Accept-Language": "ar"}))


def test_switching_language_sets_a_cookie_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "fr", "next": "/privacy"})
    assert response.status_code == 302 and response.headers["Location"] == "/privacy"
    assert client.get_cookie(LOCALE_COOKIE).value == "fr"
    assert 'lang="fr"' in html_tag(client.get("/privacy"))


def test_switching_language_never_redirects_off_site(client):
    response = client.post("/language", data={"language": "fr", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_a_visitor_switches_with_a_get_that_sets_only_the_cookie(client, create_user, login):
    """The visitor's switch (a GET form, no token: their page is shared and cached) sets the
    cookie, returns to the page, never leaves the site and is never kept by a cache; a logged-in
    person's account changes only through the POST, with its token."""
    response = client.get("/language?language=fr&next=/privacy")
    assert response.status_code == 302 and response.headers["Location"] == "/privacy"
    assert client.get_cookie(LOCALE_COOKIE).value == "fr" and response.headers["Cache-Control"] == "no-store"
    assert client.get("/language?language=en&next=//evil.example/x").headers["Location"] == "/"
    assert 'method="get" action="/language"' in client.get("/privacy").get_data(as_text=True)
    user = create_user(language="fr")
    login(client, user)
    client.get("/language?language=ar&next=/")
    assert user.preferred_language == "fr"
    assert 'method="post" action="/language"' in client.get("/privacy").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx", "next": "/"})
    assert client.get_cookie(LOCALE_COOKIE) is None


def test_the_account_choice_beats_the_cookie(client, create_user, login):
    user = create_user(language="fr")
    login(client, user)
    client.set_cookie(LOCALE_COOKIE, "en")
    assert 'lang="fr"' in html_tag(client.get("/"))
    client.post("/language", data={"language": "ar", "next": "/"})
    assert user.preferred_language == "ar"
    assert 'dir="rtl"' in html_tag(client.get("/"))


def test_dates_and_numbers_follow_the_locale_and_casablanca_time(app):
    # June: Morocco is at UTC+1 (it returns to UTC+0 during Ramadan).
    moment = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert format_datetime(moment, "d MMMM y HH:mm") == "1 juin 2026 13:00"
        assert format_decimal(1234.5) == "1\u202f234,5"
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert "يونيو" in format_datetime(moment, "d MMMM y")


def test_emails_are_rendered_in_the_recipients_language(app, client, outbox):
    client.post(
        "/account/register",
        data={"display_name": "Hind", "email": "h@example.org", "password": "olive tree by the sea",
              "preferred_language": "fr", "consent": "y"},
        headers={"Accept-Language": "ar"},
    )
    (message,) = outbox()
    assert message.language == "fr"
    assert 'lang="fr" dir="ltr"' in message.html_body
    assert "Bonjour" in message.text_body or "Bonjour" in message.html_body


def test_arabic_uses_its_plural_forms(app):
    from flask_babel import ngettext

    with app.test_request_context(headers={"Accept-Language": "ar"}):
        forms = {
            n: ngettext("%(num)d account found.", "%(num)d accounts found.", n)
            for n in (0, 1, 2, 3, 11, 100)
        }
    assert len(set(text.replace(str(n), "#") for n, text in forms.items())) == 6


def test_templates_translate_in_the_language_in_force(app):
    """Templates keep the request's catalogue (core.i18n.translations_in_force), yet a forced
    language (an export, an e-mail) and a refresh get theirs, and the request's comes back."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    template = "{{ _('Cancel') }} {{ ngettext('%(num)d account found.', '%(num)d accounts found.', 2) }}"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        french = render_template_string(template)
        assert french.startswith("Annuler ") and "2" in french
        with force_locale("ar"):
            assert render_template_string(template).startswith("إلغاء ")
        assert render_template_string(template) == french
        # <b> in a message's argument stays escaped (newstyle gettext), as with Flask-Babel's own.
        assert render_template_string("{{ _('%(name)s', name='<b>') }}") == "&lt;b&gt;"
        refresh()  # the locale chosen again: a new locale object, the same language
        assert render_template_string(template) == french
