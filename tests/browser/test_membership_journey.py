"""An organisation's way into the network in a real browser, in Arabic (RTL) and in French (LTR):

applicant: register → start an application → bad input first (statutes too large, not a PDF,
an unknown region, submitting with things missing) → complete → submit with adherence;
steering (TOTP): ask for changes → applicant: read the message, edit, resubmit → steering:
approve; representative: invite a colleague without an account → colleague: create an
account on the way, accept, act for the organisation; anyone: find it in the directory with
another Arabic spelling, open its public profile. axe checks every page on the way.

Pages are found by their addresses, ids, names and values, never by their words: the
catalogues may not be translated yet, and the checks must hold either way. The charter, the
fields of action and the steering accounts are seeded straight into the live server's
database; everything else goes through the browser.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pyotp
import pytest
from flask_babel import force_locale
from playwright.sync_api import expect
from sqlalchemy import select

from tadamon.accounts.models import RoleAssignment, User
from tadamon.accounts.passwords import hash_password
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import FieldOfAction, Organisation, OrganisationMember
from tests.browser.navigation import open_menu
from tests.browser.test_account_journey import (
    assert_document_language,
    assert_field_error,
    assert_field_valid,
    open_registration,
    register,
    submit,
    unique_email,
)

SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEERING_PASSWORD = "ميثاق-شبكة-لجنة-2026"

LOGIN = "/account/login"
TWO_FACTOR = "/account/login/two-factor"
LOGOUT_BUTTON = 'form[action="/account/logout"] button'
INVITATION_LINK = re.compile(r"https?://[^\s<>\"']+(/invitations/[A-Za-z0-9_\-]+)")
VERIFY_PATH = "/account/verify/"


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SteeringAccount:
    email: str
    totp_secret: str


@dataclass(frozen=True)
class Seed:
    # One steering account per test: a TOTP code is accepted once, and both tests may
    # log in within the same 30-second window.
    steering: dict[str, SteeringAccount]
    field_ids: tuple[int, ...]


def _steering_user(tag: str, language: str) -> tuple[User, SteeringAccount]:
    now = utcnow()
    secret = pyotp.random_base32()
    user = User(
        email=f"steering-{language}-{tag}@example.org",
        display_name="عضو لجنة التوجيه" if language == "ar" else "Membre du comité",
        password_hash=hash_password(STEERING_PASSWORD),
        preferred_language=language,
        email_verified_at=now,
        privacy_consent_at=now,
        password_changed_at=now,
        totp_secret=secret,
        totp_enabled_at=now,
    )
    user.role_assignments.append(RoleAssignment(role="steering"))
    db.session.add(user)
    db.session.flush()
    return user, SteeringAccount(email=user.email, totp_secret=secret)


@pytest.fixture(scope="module")
def seed(live_server: Any) -> Iterator[Seed]:
    """Two steering members, a published charter (kept if another module published one) and
    two fields of action. Unique per run: the live server is shared by the whole session."""
    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        try:
            steering_ar_user, steering_ar = _steering_user(tag, "ar")
            _, steering_fr = _steering_user(tag, "fr")
            if membership.current_charter() is None:
                draft = membership.start_charter_draft(steering_ar_user)
                draft.title_fr = "Charte du réseau"
                draft.title_ar = "ميثاق الشبكة"
                membership.save_principle(
                    draft, None, {"title_ar": "التضامن", "title_fr": "Solidarité"}
                )
                membership.publish_charter(steering_ar_user, draft)
            fields = [
                FieldOfAction(
                    name_ar=f"التعليم {tag}", name_fr=f"Éducation {tag}", name_en=f"Education {tag}"
                ),
                FieldOfAction(
                    name_ar=f"البيئة {tag}", name_fr=f"Environnement {tag}", name_en=f"Environment {tag}"
                ),
            ]
            db.session.add_all(fields)
            db.session.flush()
            field_ids = tuple(f.id for f in fields)
            db.session.commit()
        finally:
            db.session.remove()
    yield Seed(steering={"ar": steering_ar, "fr": steering_fr}, field_ids=field_ids)


# --- reading the live database ---------------------------------------------------------------


def _read(live_server: Any, work: Any) -> Any:
    with live_server.app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def organisation_row(live_server: Any, organisation_id: int) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        item = db.session.get(Organisation, organisation_id)
        return {
            "state": item.state,
            "name_ar": item.name_ar,
            "name_fr": item.name_fr,
            "region": item.region,
            "statutes": item.statutes.original_filename if item.statutes else None,
            "fields": [f.id for f in item.fields],
            "decision_message": item.decision_message,
        }

    return _read(live_server, work)


def role_of(live_server: Any, organisation_id: int, email: str) -> str | None:
    return _read(
        live_server,
        lambda: db.session.scalar(
            select(OrganisationMember.role)
            .join(User, User.id == OrganisationMember.user_id)
            .where(OrganisationMember.organisation_id == organisation_id, User.email == email)
        ),
    )


def missing_messages(live_server: Any, language: str) -> dict[str, str]:
    """What the submit page lists for a missing name and missing statutes, in `language`,
    as the app words it (so the check holds before and after translation)."""
    with live_server.app.test_request_context("/"):
        with force_locale(language):
            everything = [str(m) for m in membership.missing_for_submission(Organisation())]
    assert len(everything) == 6, everything
    return {"name": everything[0], "statutes": everything[-1]}


# --- browser helpers -------------------------------------------------------------------------


def assert_page(page: Any, path: str) -> None:
    expect(page).to_have_url(re.compile(f"{re.escape(path)}(\\?.*)?$"))


def check_page(page: Any, axe: Any, label: str) -> None:
    """No WCAG 2.1 A/AA violation, and nothing wider than the phone: no sideways scrolling."""
    axe(page, label)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{label}: the page is {widths[0]}px wide on a {widths[1]}px screen"


def follow_verification_email(page: Any, mail_outbox: Any, email: str, language: str) -> None:
    """The newest verification email to `email` (an invitation may have come first)."""
    mails = [m for m in mail_outbox(to=email) if VERIFY_PATH in m.text_body]
    assert len(mails) == 1, f"expected one verification email to {email}, found {len(mails)}"
    assert mails[0].language == language
    page.goto(mails[0].verification_link())
    page.wait_for_url(f"**{LOGIN}")
    expect(page.locator(".flash-success")).to_be_visible()


def log_in(page: Any, email: str, password: str, *, totp_secret: str | None = None) -> None:
    if not re.search(f"{re.escape(LOGIN)}$", page.url):
        page.goto(LOGIN)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    submit(page, f'form[action="{LOGIN}"] button[type="submit"]')
    if totp_secret:
        assert_page(page, TWO_FACTOR)
        page.locator("#code").fill(pyotp.TOTP(totp_secret).now())
        submit(page, f'form[action="{TWO_FACTOR}"] button[type="submit"]')
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator(LOGOUT_BUTTON)).to_be_attached()


def sign_up(
    page: Any, mail_outbox: Any, *, name: str, email: str, password: str, language: str
) -> None:
    """On the registration page: register, follow the email's link, log in."""
    register(page, name=name, email=email, password=password, language=language)
    follow_verification_email(page, mail_outbox, email, language)
    log_in(page, email, password)


def edit_form(organisation_id: int) -> str:
    return f'form[action="/membership/{organisation_id}/edit"]'


def save_button(organisation_id: int, step: str) -> str:
    return f'{edit_form(organisation_id)} button[name="next_step"][value="{step}"]'


# --- the steps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    name: str
    email: str
    password: str
    language: str  # "ar" or "fr"
    direction: str


@dataclass(frozen=True)
class Names:
    name_ar: str
    name_fr: str
    search_variant: str  # another spelling of the Arabic name, as someone may type it


def start_application(page: Any, mail_outbox: Any, applicant: Applicant) -> int:
    page.goto("/")
    open_registration(page)
    sign_up(
        page, mail_outbox, name=applicant.name, email=applicant.email,
        password=applicant.password, language=applicant.language,
    )
    assert_document_language(page, applicant.language, applicant.direction)

    open_menu(page)
    page.locator('nav a[href="/membership"]').click()
    page.wait_for_url("**/membership")
    expect(page.locator('main a[href^="/membership/"]')).to_have_count(0)
    submit(page, 'form[action="/membership/apply"] button[type="submit"]')
    match = re.search(r"/membership/(\d+)/edit$", page.url)
    assert match, f"not on an application's edit page after starting one: {page.url}"
    # The header says whom the person now acts for, even before the organisation has a name.
    acting = page.locator(".acting-for strong")
    expect(acting).to_be_visible()
    assert acting.inner_text().strip(), "the .acting-for block names no organisation"
    return int(match.group(1))


def bad_input_first(
    page: Any, axe: Any, live_server: Any, tmp_path: Path, organisation_id: int, *,
    applicant: Applicant, name_fr: str, description: tuple[str, str], field_id: int,
) -> None:
    save = save_button(organisation_id, "save")
    label = applicant.language

    # (a) Statutes of 6 MB (above 5 MB), with a name typed and a field ticked.
    big = tmp_path / "statutes-6mb.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n")
    page.locator("#name_fr").fill(name_fr)
    page.locator(f'input[name="fields"][value="{field_id}"]').check()
    page.locator("#statutes").set_input_files(str(big))
    submit(page, save)
    assert_page(page, f"/membership/{organisation_id}/edit")
    assert_field_error(page, "statutes")
    assert_field_valid(page, "name_fr")
    expect(page.locator("#name_fr")).to_have_value(name_fr)
    expect(page.locator(f'input[name="fields"][value="{field_id}"]')).to_be_checked()
    big.unlink()

    # (b) A text file named .pdf.
    fake = tmp_path / "statutes.pdf"
    fake.write_bytes(b"These are our statutes, typed as plain text.\n")
    page.locator("#statutes").set_input_files(str(fake))
    submit(page, save)
    assert_field_error(page, "statutes")
    expect(page.locator("#name_fr")).to_have_value(name_fr)
    assert organisation_row(live_server, organisation_id)["statutes"] is None

    # (c) A region that is none of the twelve (an option injected into the select).
    page.evaluate(
        """() => {
            const option = document.createElement("option");
            option.value = "XXX";
            option.textContent = "XXX";
            document.querySelector("#region").appendChild(option);
        }"""
    )
    page.locator("#region").select_option("XXX")
    submit(page, save)
    assert_field_error(page, "region")
    assert_field_valid(page, "statutes")
    expect(page.locator("#name_fr")).to_have_value(name_fr)
    expect(page.locator(f'input[name="fields"][value="{field_id}"]')).to_be_checked()
    check_page(page, axe, f"application form with errors ({label})")
    row = organisation_row(live_server, organisation_id)
    assert row["region"] == "" and row["name_fr"] == "" and row["statutes"] is None, row

    # (d) To the submission with neither a name nor statutes: the page lists them, only them.
    page.locator("#name_fr").fill("")
    page.locator("#region").select_option("CAS")
    page.locator("#province").fill("الدار البيضاء" if applicant.language == "ar" else "Casablanca")
    page.locator(f"#{description[0]}").fill(description[1])
    page.locator("#contact_email").fill("contact@example.org")
    submit(page, save_button(organisation_id, "submit"))
    assert_page(page, f"/membership/{organisation_id}/submit")
    expected = missing_messages(live_server, applicant.language)
    missing = page.locator("main li.missing")
    expect(missing).to_have_count(2)
    assert [m.strip() for m in missing.all_inner_texts()] == [
        expected["name"], expected["statutes"]
    ]
    expect(page.locator(".notice:has(li.missing)")).to_have_attribute("role", "alert")
    expect(
        page.locator(f'.notice a[href="/membership/{organisation_id}/edit"]')
    ).to_have_count(1)
    check_page(page, axe, f"submit page, application incomplete ({label})")


def complete_and_submit(
    page: Any, live_server: Any, tmp_path: Path, organisation_id: int, names: Names
) -> None:
    application = f"/membership/{organisation_id}"
    page.locator(f'.notice a[href="{application}/edit"]').click()
    page.wait_for_url(f"**{application}/edit")
    # What was saved in (d) is there.
    expect(page.locator("#region")).to_have_value("CAS")
    expect(page.locator("#contact_email")).to_have_value("contact@example.org")
    page.locator("#name_ar").fill(names.name_ar)
    page.locator("#name_fr").fill(names.name_fr)
    statutes = tmp_path / "statutes-ok.pdf"
    statutes.write_bytes(SMALL_PDF)
    page.locator("#statutes").set_input_files(str(statutes))
    submit(page, save_button(organisation_id, "save"))
    assert_page(page, application)
    expect(page.locator(".flash-success")).to_be_visible()
    # The organisation is named in the reader's language.
    expect(page.locator(".acting-for strong")).to_have_text(shown_name(page, names))
    row = organisation_row(live_server, organisation_id)
    assert row["statutes"] == "statutes-ok.pdf" and row["name_ar"] == names.name_ar, row
    expect(page.locator(f'main a[href="{application}/statutes"]')).to_have_count(1)

    submit_application(page, organisation_id, check_adherence_error=True)
    assert organisation_row(live_server, organisation_id)["state"] == "submitted"


def submit_application(page: Any, organisation_id: int, *, check_adherence_error: bool) -> None:
    """From the application page: the submit page, adherence ticked, submitted."""
    application = f"/membership/{organisation_id}"
    form = f'form[action="{application}/submit"]'
    page.locator(f'main a[href="{application}/submit"]').click()
    page.wait_for_url(f"**{application}/submit")
    expect(page.locator("main li.missing")).to_have_count(0)
    expect(page.locator("main ol.principles > li").first).to_be_visible()
    if check_adherence_error:
        submit(page, f'{form} button[type="submit"]')
        assert_field_error(page, "adhere")
    page.locator("#adhere").check()
    submit(page, f'{form} button[type="submit"]')
    assert_page(page, application)
    expect(page.locator(".flash-success")).to_be_visible()


def steering_decides(
    page: Any, organisation_id: int, decision: str, message: str = "", *, axe: Any = None,
    label: str = "",
) -> None:
    review = f"/steering/applications/{organisation_id}"
    form = f'form[action="{review}"]'
    page.goto("/")
    open_menu(page)
    page.locator('nav a[href="/steering/applications"]').click()
    page.wait_for_url("**/steering/applications")
    page.locator(f'main a[href="{review}"]').click()
    page.wait_for_url(f"**{review}")
    page.locator(f'{form} input[name="decision"][value="{decision}"]').check()
    if decision != "approve":
        # Without a message first: asking for changes must say what to change.
        submit(page, f'{form} button[type="submit"]')
        assert_field_error(page, "message")
        expect(
            page.locator(f'{form} input[name="decision"][value="{decision}"]')
        ).to_be_checked()
        if axe is not None:
            check_page(page, axe, f"review page with an error ({label})")
        page.locator(f"{form} #message").fill(message)
    elif axe is not None:
        check_page(page, axe, f"review page ({label})")
    submit(page, f'{form} button[type="submit"]')
    assert_page(page, review)
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f'form[action="{review}"] input[name="decision"]')).to_have_count(0)


def read_message_and_resubmit(
    page: Any, axe: Any, live_server: Any, organisation_id: int, message: str, label: str
) -> None:
    application = f"/membership/{organisation_id}"
    page.goto(application)
    assert organisation_row(live_server, organisation_id)["state"] == "changes_requested"
    expect(page.locator("main .notice-warning", has_text=message)).to_have_count(1)
    expect(page.locator("main ol.timeline")).to_contain_text(message)
    check_page(page, axe, f"application page, changes requested ({label})")

    page.locator(f'main a[href="{application}/edit"]').click()
    page.wait_for_url(f"**{application}/edit")
    page.locator("#website").fill("https://example.org")
    page.locator("#members_count").fill("42")
    submit(page, save_button(organisation_id, "save"))
    assert_page(page, application)
    submit_application(page, organisation_id, check_adherence_error=False)
    assert organisation_row(live_server, organisation_id)["state"] == "submitted"


def invite_colleague(
    page: Any, axe: Any, live_server: Any, mail_outbox: Any, organisation_id: int,
    colleague_email: str, language: str, names: Names,
) -> str:
    """The representative invites a colleague; the path of the link the colleague receives."""
    application = f"/membership/{organisation_id}"
    people = f"{application}/people"
    page.goto(application)
    assert organisation_row(live_server, organisation_id)["state"] == "approved"
    expect(page.locator(f'main a[href="/organisations/{organisation_id}"]')).to_have_count(1)
    page.locator(f'main a[href="{people}"]').click()
    page.wait_for_url(f"**{people}")
    check_page(page, axe, f"people page ({language})")
    # The name is isolated in the sentence: a name in the other script stays in one piece.
    expect(page.locator("main h1 bdi")).to_have_text(shown_name(page, names))
    # The role of each person can be read in its select (not squeezed to its arrow).
    role = page.locator(f'main form[action^="{application}/people/"][action$="/role"] select').first
    width = page.evaluate("(select) => select.getBoundingClientRect().width", role.element_handle())
    assert width >= 60, f"the role select is {width:.0f}px wide"

    form = f'form[action="{people}"]'
    page.locator(f"{form} #email").fill(colleague_email)
    page.locator(f"{form} #role").select_option("member")
    submit(page, f'{form} button[type="submit"]')
    assert_page(page, people)
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text(colleague_email)

    mails = mail_outbox(to=colleague_email)
    assert len(mails) == 1, f"expected one invitation to {colleague_email}, found {len(mails)}"
    assert mails[0].language == language
    match = INVITATION_LINK.search(mails[0].text_body)
    assert match, f"no /invitations/<token> link in the email:\n{mails[0].text_body}"
    assert match.group(0).startswith(live_server.url), match.group(0)
    assert match.group(0) in mails[0].html_body
    return match.group(1)


def page_language(page: Any) -> str:
    return page.locator("html").get_attribute("lang") or ""


def shown_name(page: Any, names: Names) -> str:
    """The organisation's name as the page's reader sees it: in the interface's language."""
    return names.name_ar if page_language(page) == "ar" else names.name_fr


def colleague_joins(
    page: Any, axe: Any, live_server: Any, mail_outbox: Any, invitation: str, *,
    colleague: Applicant, organisation_id: int, names: Names,
) -> None:
    page.goto(invitation)
    assert_document_language(page, colleague.language, colleague.direction)
    expect(page.locator(f'form[action="{invitation}"]')).to_have_count(0)
    expect(page.locator(f'main a[href^="{LOGIN}?next="]')).to_have_count(1)
    check_page(page, axe, f"invitation, not logged in ({colleague.language})")
    expect(page.locator("main p bdi")).to_have_text(shown_name(page, names))

    create = page.locator('main a[href^="/account/register?next="]')
    expect(create).to_have_count(1)
    href = create.get_attribute("href") or ""
    assert parse_qs(urlsplit(href).query).get("next") == [invitation], href
    create.click()
    page.wait_for_url(re.compile(r"/account/register\?next="))
    sign_up(
        page, mail_outbox, name=colleague.name, email=colleague.email,
        password=colleague.password, language=colleague.language,
    )
    expect(page.locator(".acting-for")).to_have_count(0)

    page.goto(invitation)
    accept = f'form[action="{invitation}"] button[type="submit"]'
    expect(page.locator(accept)).to_have_count(1)
    submit(page, accept)
    assert_page(page, f"/membership/{organisation_id}")
    expect(page.locator(".flash-success")).to_be_visible()
    acting = page.locator(".acting-for")
    expect(acting).to_be_visible()
    expect(acting.locator("strong")).to_have_text(shown_name(page, names))
    assert role_of(live_server, organisation_id, colleague.email) == "member"

    open_menu(page)
    page.locator('nav a[href="/membership"]').click()
    page.wait_for_url("**/membership")
    expect(page.locator(f'main a[href="/membership/{organisation_id}"]')).to_have_text(shown_name(page, names))

    # The link works once.
    response = page.goto(invitation)
    assert response is not None and response.status == 400
    expect(page.locator(f'form[action="{invitation}"]')).to_have_count(0)


def directory_finds(
    page: Any, axe: Any, query: str, organisation_id: int, names: Names, label: str
) -> None:
    profile = f"/organisations/{organisation_id}"
    page.goto(f"/organisations?q={quote(query)}")
    expect(page.locator("#q")).to_have_value(query)
    link = page.locator(f'main a[href="{profile}"]')
    expect(link).to_have_count(1)
    expect(link).to_have_text(shown_name(page, names))
    check_page(page, axe, f"directory, searched ({label})")
    link.click()
    page.wait_for_url(f"**{profile}")
    expect(page.locator("main h1")).to_have_text(shown_name(page, names))
    other, other_language = (names.name_fr, "fr") if page_language(page) == "ar" else (names.name_ar, "ar")
    expect(page.locator(f'main dd[lang="{other_language}"]')).to_have_text(other)
    check_page(page, axe, f"public profile ({label})")


def membership_journey(
    *, locale: str, applicant: Applicant, colleague: Applicant, names: Names,
    description: tuple[str, str], change_request: str, extra_queries: tuple[str, ...] = (),
    new_page: Any, axe: Any, mail_outbox: Any, live_server: Any, seed: Seed, tmp_path: Path,
) -> None:
    language = applicant.language

    # 1–3. The applicant: account, application, errors first, then complete and submit.
    page = new_page(locale)
    organisation_id = start_application(page, mail_outbox, applicant)
    bad_input_first(
        page, axe, live_server, tmp_path, organisation_id, applicant=applicant,
        name_fr=names.name_fr, description=description, field_id=seed.field_ids[0],
    )
    complete_and_submit(page, live_server, tmp_path, organisation_id, names)
    assert organisation_row(live_server, organisation_id)["fields"] == [seed.field_ids[0]]

    # 4. Steering asks for changes; the applicant reads them and resubmits; steering approves.
    steering_account = seed.steering[language]
    steering = new_page(locale)
    log_in(steering, steering_account.email, STEERING_PASSWORD,
           totp_secret=steering_account.totp_secret)
    assert_document_language(steering, language, applicant.direction)
    steering_decides(steering, organisation_id, "request_changes", change_request,
                     axe=axe, label=language)
    read_message_and_resubmit(page, axe, live_server, organisation_id, change_request, language)
    steering_decides(steering, organisation_id, "approve")

    # 5. The representative invites a colleague, who joins on the way to a new account.
    invitation = invite_colleague(
        page, axe, live_server, mail_outbox, organisation_id, colleague.email, language, names
    )
    other = new_page(locale)
    colleague_joins(
        other, axe, live_server, mail_outbox, invitation, colleague=colleague,
        organisation_id=organisation_id, names=names,
    )

    # 6. The directory finds it under another spelling; its public profile.
    directory_finds(other, axe, names.search_variant, organisation_id, names, language)
    for query in extra_queries:
        other.goto(f"/organisations?q={quote(query)}")
        expect(other.locator(f'main a[href="/organisations/{organisation_id}"]')).to_have_count(1)


# --- the journeys ----------------------------------------------------------------------------


def test_arabic_membership_journey(new_page, axe, mail_outbox, live_server, seed, tmp_path) -> None:
    suffix = uuid.uuid4().hex[:6]
    membership_journey(
        locale="ar",
        applicant=Applicant("سعاد بناني", unique_email("souad"), "نخلة-واحة-قمر-2026", "ar", "rtl"),
        colleague=Applicant("يوسف العلوي", unique_email("youssef"), "جبل-نهر-شمس-2026", "ar", "rtl"),
        names=Names(
            name_ar=f"جمعية الأمل للتنمية {suffix}",
            name_fr=f"Association Al Amal pour le développement {suffix}",
            # ta marbuta → ha, alef with hamza → bare alef
            search_variant=f"جمعيه الامل للتنميه {suffix}",
        ),
        description=("description_ar", "جمعية تعمل على التنمية المحلية في جهة الدار البيضاء."),
        change_request="المرجو إضافة الموقع الإلكتروني وعدد الأعضاء.",
        new_page=new_page, axe=axe, mail_outbox=mail_outbox, live_server=live_server,
        seed=seed, tmp_path=tmp_path,
    )


def test_french_membership_journey(new_page, axe, mail_outbox, live_server, seed, tmp_path) -> None:
    suffix = uuid.uuid4().hex[:6]
    membership_journey(
        locale="fr-FR",
        applicant=Applicant("Camille Durand", unique_email("camille"),
                            "solidarity mountain river 42", "fr", "ltr"),
        colleague=Applicant("Léa Martin", unique_email("lea"), "olive harbour lantern 77",
                            "fr", "ltr"),
        names=Names(
            name_ar=f"جمعية الأمل للتضامن {suffix}",
            name_fr=f"Association Espérance Solidarité {suffix}",
            search_variant=f"جمعيه الامل {suffix}",
        ),
        description=("description_fr", "Une association d'entraide active à Casablanca."),
        change_request="Merci d'ajouter votre site web et le nombre de membres.",
        # French spelling folds too: no accents, any case.
        extra_queries=(f"ESPERANCE solidarite {suffix}",),
        new_page=new_page, axe=axe, mail_outbox=mail_outbox, live_server=live_server,
        seed=seed, tmp_path=tmp_path,
    )
