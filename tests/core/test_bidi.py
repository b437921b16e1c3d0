"""Mixed-direction text: member content inside sentences is isolated in pages, e-mails,
notifications and flash messages; lists and quotes follow the reader's language; names are
shown in the reader's language, marked when they are not translated."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from markupsafe import Markup
from sqlalchemy import select

from tadamon.core import bidi
from tadamon.core.bidi import FSI, LRI, PDI
from tadamon.core.i18n import LocalText
from tadamon.core.notifications import Notification, notify
from tadamon.extensions import db
from tests import support
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401

ARABIC_TITLE = "صندوق جهوي لدعم التعاونيات النسائية"
FRENCH_NAME = "Association Espoir Tanger"


def in_language(app, language):
    return app.test_request_context("/", headers={"Accept-Language": language})


# --- the helpers ------------------------------------------------------------------------------


def test_isolate_wraps_text_once_and_leaves_empty_text_alone(app):
    assert bidi.isolate(ARABIC_TITLE) == f"{FSI}{ARABIC_TITLE}{PDI}"
    assert bidi.isolate(bidi.isolate(ARABIC_TITLE)) == f"{FSI}{ARABIC_TITLE}{PDI}"
    assert bidi.isolate("") == ""
    assert bidi.isolated({"title": ARABIC_TITLE, "num": 3}) == {"title": f"{FSI}{ARABIC_TITLE}{PDI}", "num": 3}


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", f"«\u00a0{FSI}A{PDI}\u00a0»"), ("en", f"“{FSI}A{PDI}”"), ("ar", f"«{FSI}A{PDI}»"),
])
def test_quotes_follow_the_language(app, language, expected):
    with in_language(app, language):
        assert bidi.quote("A") == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "{a}, {b} et {c}"), ("en", "{a}, {b}, and {c}"), ("ar", "{a} و{b} و{c}"),
])
def test_lists_use_the_language_pattern_with_isolated_items(app, language, expected):
    names = ["مؤسسة النخيل مراكش", "شبكة النخيل سوس", FRENCH_NAME]
    with in_language(app, language):
        a, b, c = (bidi.isolate(name) for name in names)
        assert bidi.join(names) == expected.format(a=a, b=b, c=c)
        html = bidi.join_html(names)
    assert html.count("<bdi>") == 3
    assert "<bdi>مؤسسة النخيل مراكش</bdi>" in html


def test_a_quoted_list_is_not_isolated_again(app):
    """An isolate around the whole list would hide its letters from the direction guess."""
    with in_language(app, "ar"):
        listed = bidi.join(["أ", "ب"], quoted=True)
        assert bidi.isolate(listed) is listed
        assert bidi.isolated({"titles": listed})["titles"] == listed


def test_html_isolation_escapes_and_marks_untranslated_names(app):
    with in_language(app, "en"):
        assert bidi.bdi("<b>x</b>") == Markup("<bdi>&lt;b&gt;x&lt;/b&gt;</bdi>")
        assert bidi.bdi("") == ""
        marked = bidi.bdi(LocalText("جمعية الأمل", "ar", untranslated=True))
        assert marked.startswith('<bdi lang="ar">جمعية الأمل</bdi>')
        assert '<span class="untranslated">(not yet translated)</span>' in marked
        assert "untranslated" not in bidi.bdi(LocalText("Hope", "en"))


def test_signed_numbers_stay_left_to_right(app):
    with in_language(app, "ar"):
        assert bidi.signed_html(3) == Markup('<bdi dir="ltr">+3</bdi>')
        assert bidi.isolate_ltr(bidi.signed(3)) == f"{LRI}+3{PDI}"


def test_template_arguments_arrive_isolated_and_escaped(app):
    with in_language(app, "fr"):
        html = render_template_string(
            '{{ _("You now act for %(organisation)s.", organisation=name|bdi) }}', name="<i>جمعية</i>")
    assert "<bdi>&lt;i&gt;جمعية&lt;/i&gt;</bdi>" in html


# --- names in the reader's language -----------------------------------------------------------


@pytest.fixture
def hope(create_user, complete_application):
    representative = create_user(language="fr")
    organisation = complete_application(representative, name_ar="جمعية الأمل طنجة", approved=True)
    organisation.name_fr = FRENCH_NAME
    db.session.commit()
    return representative, organisation


def test_organisation_name_follows_the_interface_language(app, hope):
    _representative, organisation = hope
    with in_language(app, "fr"):
        assert organisation.display_name == FRENCH_NAME
        assert organisation.local_name == LocalText(FRENCH_NAME, "fr")
    with in_language(app, "ar"):
        assert organisation.display_name == "جمعية الأمل طنجة"
    with in_language(app, "en"):
        # No English name yet: the Arabic original, marked as not translated.
        assert organisation.local_name == LocalText("جمعية الأمل طنجة", "ar", untranslated=True)
    organisation.name_en = "Hope Association Tangier"
    with in_language(app, "en"):
        assert organisation.display_name == "Hope Association Tangier"
    assert organisation.original_name == "جمعية الأمل طنجة"


def test_profile_and_header_show_the_name_in_the_readers_language(app, client, login, hope):
    representative, organisation = hope
    login(client, representative)
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    # French interface: the French name, isolated, in the heading and the "you act for" bar.
    assert f'<h1><bdi lang="fr">{FRENCH_NAME}</bdi></h1>' in page
    assert re.search(rf'<strong><bdi lang="fr">{FRENCH_NAME}</bdi></strong>', page)
    assert f"<title>{FSI}{FRENCH_NAME}{PDI}" in page


def test_a_french_name_in_an_arabic_page_is_isolated_and_marked(app, client, hope):
    _representative, organisation = hope
    organisation.name_ar = ""
    db.session.commit()
    page = client.get(f"/organisations/{organisation.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert f'<h1><bdi lang="fr">{FRENCH_NAME}</bdi> <span class="untranslated">(' in page


def test_the_application_form_takes_an_english_name(app, client, login, create_user, complete_application):
    representative = create_user(language="en")
    organisation = complete_application(representative, submitted=False)
    login(client, representative)
    page = client.get(f"/membership/{organisation.id}/edit").get_data(as_text=True)
    assert 'name="name_en"' in page
    client.post(f"/membership/{organisation.id}/edit", data={
        "name_ar": organisation.name_ar, "name_fr": organisation.name_fr, "name_en": "Hope Association",
        "legal_form": organisation.legal_form, "region": organisation.region, "province": organisation.province,
        "description_fr": organisation.description_fr, "contact_email": organisation.contact_email,
    })
    db.session.refresh(organisation)
    assert organisation.name_en == "Hope Association"
    assert "hope association" in organisation.search_name


# --- notifications, e-mails, flash messages -----------------------------------------------------


def test_an_arabic_title_in_a_french_notification_and_email(app, create_user, outbox):
    reader = create_user(language="fr", email="lectrice@example.org")
    support.email_everything_at_once(reader)
    notify([reader], "proposals.new_comments", link="/proposals/1", title=ARABIC_TITLE, count=3)
    db.session.flush()
    item = db.session.scalar(select(Notification).where(Notification.user_id == reader.id))
    with in_language(app, "fr"):
        text = item.text
    assert f"{FSI}{ARABIC_TITLE}{PDI}" in text
    assert text.startswith("Nouveaux commentaires")
    message = outbox(to="lectrice@example.org")[-1]
    assert f"{FSI}{ARABIC_TITLE}{PDI}" in message.subject
    assert f"{FSI}{ARABIC_TITLE}{PDI}" in message.text_body
    assert f"{FSI}{ARABIC_TITLE}{PDI}" in message.html_body
    # The greeting isolates the person's name too.
    assert f"<bdi>{reader.display_name}</bdi>" in message.html_body
    assert f"{FSI}{reader.display_name}{PDI}" in message.text_body


def test_notification_names_are_read_in_the_readers_language(app, create_user, hope, outbox):
    representative, organisation = hope
    # The approval told the representative; the name is read in the reader's language.
    item = db.session.scalar(select(Notification).where(Notification.user_id == representative.id,
                                                        Notification.kind == "membership.approved"))
    with in_language(app, "fr"):
        assert f"{FSI}Association Espoir{PDI}" in item.text
    with in_language(app, "ar"):
        assert f"{FSI}جمعية الأمل طنجة{PDI}" in item.text


def test_flash_messages_isolate_the_organisation_name(app, client, login, hope):
    representative, organisation = hope
    login(client, representative)
    response = client.post("/acting-for", data={"organisation_id": organisation.id}, follow_redirects=True)
    assert f"{FSI}{FRENCH_NAME}{PDI}" in response.get_data(as_text=True)


# --- results and lists on pages -----------------------------------------------------------------


def test_results_headline_quotes_and_joins_titles_in_the_readers_language(app):
    from tadamon.voting.presentation import _names

    proposals = {"p1": type("P", (), {"title": "Un guichet unique"})(),
                 "p2": type("P", (), {"title": "صندوق جهوي"})()}
    with in_language(app, "ar"):
        assert _names(proposals, ["p1", "p2"]) == f"«{FSI}Un guichet unique{PDI}» و«{FSI}صندوق جهوي{PDI}»"
    with in_language(app, "fr"):
        assert _names(proposals, ["p1", "p2"]) == (
            f"«\u00a0{FSI}Un guichet unique{PDI}\u00a0» et «\u00a0{FSI}صندوق جهوي{PDI}\u00a0»")


def test_a_value_in_a_pdf_sentence_gets_a_span_or_isolates_only_where_it_changes_the_line():
    from tadamon.core.bidi import RLI, inline_directed

    french, arabic = inline_directed("fr"), inline_directed("ar")
    # The document's language and direction: plain text, escaped.
    assert french("Association Espoir Tanger") == "Association Espoir Tanger"
    assert french("35%", direction="ltr") == "35%"
    assert french("<b>R&D</b>") == "&lt;b&gt;R&amp;D&lt;/b&gt;"
    assert arabic("جمعية الأمل طنجة") == "جمعية الأمل طنجة"
    # Another language: a span, so the tagged PDF keeps the part's language.
    assert arabic("Tender documents", "en") == '<span lang="en" dir="ltr">Tender documents</span>'
    assert french("حصة من الصفقات", "ar") == '<span lang="ar" dir="rtl">حصة من الصفقات</span>'
    # Only the direction differs, or letters of the other direction inside: isolate controls, no box.
    assert arabic("Cotisations des membres") == f"{LRI}Cotisations des membres{PDI}"
    assert arabic("35%", direction="ltr") == f"{LRI}35%{PDI}"
    assert arabic("1 000", direction="ltr") == f"{LRI}1 000{PDI}"
    assert french("Marché de Fès — سوق") == f"{LRI}Marché de Fès — سوق{PDI}"
    assert french("سوق", direction="rtl") == f"{RLI}سوق{PDI}"
    # A number with single separators stays left to right after Arabic letters by itself.
    assert arabic("1,000", direction="ltr") == "1,000"
    assert arabic("—", direction="ltr") == "—"
    # Markup given by the caller (inline Markdown) is kept, decided on its text.
    assert arabic("Bilan **final**", html=Markup("Bilan <strong>final</strong>")) == \
        f"{LRI}Bilan <strong>final</strong>{PDI}"
