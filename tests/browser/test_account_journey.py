"""A newcomer's whole account journey in a real browser, in Arabic (RTL) and in French (LTR):
home → register (errors first) → verification email → log in → profile → log out.

Pages are found by their addresses and ids, not by their words: the catalogues may not be
translated yet, and the checks must hold either way.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.navigation import open_menu

ARABIC_NAME = "هدى الزياني"
ARABIC_PASSWORD = "نخلة-واحة-قمر-2026"
FRENCH_NAME = "Camille Durand"
FRENCH_PASSWORD = "solidarity mountain river 42"

REGISTER = "/account/register"
LOGIN = "/account/login"
LOGOUT_BUTTON = 'form[action="/account/logout"] button'
LOGIN_LINK = 'nav a[href="/account/login"]'


def language_button(code: str) -> str:
    return f'button[name="language"][value="{code}"]'


# --- helpers ---------------------------------------------------------------------------------


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.org"


def submit(page: Any, selector: str) -> None:
    """Clicks a submit button and waits for the page the server answers with."""
    with page.expect_navigation(wait_until="load"):
        page.locator(selector).click()


def assert_document_language(page: Any, lang: str, direction: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)
    assert page.evaluate("() => getComputedStyle(document.body).direction") == direction


def assert_brand_side(page: Any, side: str) -> None:
    """The brand sits at the start of the header: the right half in RTL, the left in LTR."""
    box = page.locator("a.brand").bounding_box()
    assert box is not None, "the brand link is not rendered"
    half = page.viewport_size["width"] / 2
    start, end = box["x"], box["x"] + box["width"]
    where = f"brand at x={start:.0f}…{end:.0f}, expected on the {side} of {half:.0f}"
    assert (start >= half) if side == "right" else (end <= half), where


def assert_field_error(page: Any, field_id: str) -> None:
    """The field is marked invalid, its message sits right beside it and is announced with it,
    and the error summary links to it."""
    field = page.locator(f"#{field_id}")
    error = page.locator(f"#{field_id}-error")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(error).to_be_visible()
    assert error.inner_text().strip(), f"the error message of #{field_id} is empty"
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described_by, f"#{field_id} aria-describedby={described_by}"
    # Beside the field: in the same .field block, just below the control.
    expect(page.locator(f".field:has(#{field_id}) #{field_id}-error")).to_have_count(1)
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert field_box and error_box
    gap = error_box["y"] - (field_box["y"] + field_box["height"])
    assert -2 <= gap <= 60, f"the error of #{field_id} is {gap:.0f}px from its field"
    expect(page.locator(f'.error-summary a[href="#{field_id}"]')).to_have_count(1)


def assert_field_valid(page: Any, field_id: str) -> None:
    expect(page.locator(f"#{field_id}")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field_id}-error")).to_have_count(0)


def open_registration(page: Any) -> None:
    page.locator(f'a[href="{REGISTER}"]').first.click()
    page.wait_for_url(f"**{REGISTER}")
    expect(page.locator(f'form[action="{REGISTER}"]')).to_be_visible()


def check_registration_errors(page: Any, axe: Any, *, name: str, label: str) -> None:
    """Empty form: every required field says what is wrong; then a name alone is kept."""
    submit(page, f'form[action="{REGISTER}"] button[type="submit"]')
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.locator("h2")).to_have_count(1)
    for field_id in ("display_name", "email", "password", "consent"):
        assert_field_error(page, field_id)
    assert_field_valid(page, "preferred_language")

    page.locator("#display_name").fill(name)
    submit(page, f'form[action="{REGISTER}"] button[type="submit"]')
    expect(page.locator("#display_name")).to_have_value(name)
    assert_field_valid(page, "display_name")
    assert_field_error(page, "email")
    expect(summary.locator('a[href="#display_name"]')).to_have_count(0)
    axe(page, f"registration form with errors ({label})")


def register(page: Any, *, name: str, email: str, password: str, language: str) -> None:
    expect(page.locator("#preferred_language")).to_have_value(language)
    page.locator("#display_name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#consent").check()
    submit(page, f'form[action="{REGISTER}"] button[type="submit"]')
    # "Check your email": the address it was sent to, and a way to ask for a new link.
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("main h1")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(email)
    expect(page.locator('main a[href="/account/verify/resend"]')).to_be_visible()


def follow_verification_email(
    page: Any, mail_outbox: Any, live_server: Any, *, email: str, lang: str, direction: str
) -> None:
    mails = mail_outbox(to=email)
    assert len(mails) == 1, f"expected one email to {email}, found {len(mails)}"
    mail = mails[0]
    assert mail.language == lang
    assert f'lang="{lang}"' in mail.html_body
    assert f'dir="{direction}"' in mail.html_body
    link = mail.verification_link()
    assert link.startswith(f"{live_server.url}/account/verify/"), link
    assert link in mail.html_body
    page.goto(link)
    page.wait_for_url(f"**{LOGIN}")
    expect(page.locator(".flash-success")).to_be_visible()


def log_in(page: Any, *, email: str, password: str) -> None:
    expect(page).to_have_url(re.compile(f"{re.escape(LOGIN)}$"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    submit(page, f'form[action="{LOGIN}"] button[type="submit"]')
    expect(page.locator(".flash-error")).to_have_count(0)
    # Logged in: the menu (folded on a phone) offers to log out, no longer to log in.
    expect(page.locator(LOGOUT_BUTTON)).to_be_attached()
    expect(page.locator(LOGIN_LINK)).to_have_count(0)


def log_out(page: Any) -> None:
    open_menu(page)
    submit(page, LOGOUT_BUTTON)
    open_menu(page)
    expect(page.locator(LOGIN_LINK)).to_be_visible()
    expect(page.locator(LOGOUT_BUTTON)).to_have_count(0)
    expect(page.locator(".flash-success")).to_be_visible()


# --- the journeys ----------------------------------------------------------------------------


def test_arabic_account_journey(new_page, axe, mail_outbox, live_server) -> None:
    page = new_page("ar")
    page.goto("/")
    assert_document_language(page, "ar", "rtl")
    axe(page, "home (ar)")

    open_registration(page)
    assert_document_language(page, "ar", "rtl")
    check_registration_errors(page, axe, name=ARABIC_NAME, label="ar")
    # Addresses stay left-to-right inside the Arabic form.
    expect(page.locator("#email")).to_have_attribute("dir", "ltr")

    email = unique_email("huda")
    register(page, name=ARABIC_NAME, email=email, password=ARABIC_PASSWORD, language="ar")
    follow_verification_email(
        page, mail_outbox, live_server, email=email, lang="ar", direction="rtl"
    )

    log_in(page, email=email, password=ARABIC_PASSWORD)
    assert_document_language(page, "ar", "rtl")
    assert_brand_side(page, "right")

    page.goto("/account/")
    assert_document_language(page, "ar", "rtl")
    expect(page.locator("#display_name")).to_have_value(ARABIC_NAME)
    axe(page, "profile (ar)")

    log_out(page)
    assert_document_language(page, "ar", "rtl")


def test_french_account_journey(new_page, axe, mail_outbox, live_server, account_language) -> None:
    page = new_page("fr-FR")
    page.goto("/")
    assert_document_language(page, "fr", "ltr")
    assert_brand_side(page, "left")
    axe(page, "home (fr)")

    open_registration(page)
    assert_document_language(page, "fr", "ltr")
    check_registration_errors(page, axe, name=FRENCH_NAME, label="fr")

    email = unique_email("camille")
    register(page, name=FRENCH_NAME, email=email, password=FRENCH_PASSWORD, language="fr")
    follow_verification_email(
        page, mail_outbox, live_server, email=email, lang="fr", direction="ltr"
    )

    log_in(page, email=email, password=FRENCH_PASSWORD)
    assert_document_language(page, "fr", "ltr")
    assert_brand_side(page, "left")

    page.goto("/account/")
    axe(page, "profile (fr)")

    # The switcher: the same page comes back in Arabic, mirrored, and the choice is saved on
    # the account, so the next page is Arabic too.
    expect(page.locator(language_button("fr"))).to_have_attribute("aria-current", "true")
    submit(page, language_button("ar"))
    page.wait_for_url("**/account/")
    assert_document_language(page, "ar", "rtl")
    assert_brand_side(page, "right")
    expect(page.locator(language_button("ar"))).to_have_attribute("aria-current", "true")
    assert account_language(email) == "ar"
    page.goto("/account/security")
    assert_document_language(page, "ar", "rtl")
    page.goto("/account/")
    expect(page.locator("#preferred_language")).to_have_value("ar")

    submit(page, language_button("fr"))
    assert_document_language(page, "fr", "ltr")
    assert_brand_side(page, "left")
    assert account_language(email) == "fr"
    expect(page.locator("#preferred_language")).to_have_value("fr")

    log_out(page)
    assert_document_language(page, "fr", "ltr")
