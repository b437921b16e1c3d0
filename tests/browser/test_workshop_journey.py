"""A workshop's whole life in a real browser, in Arabic (RTL):

facilitator: create a workshop (errors first) → documents (a too-large file is refused) →
open registration; three representatives register (two places, one waiting list), one
withdraws and the waiting one moves up; facilitator: a consultation moved through every
phase, shown on its public page; steering: the moves in the audit log; representatives:
the emails.

Pages are found by their addresses, ids, names and values, never by their words: the
catalogues may not be translated yet, and the checks must hold either way. The accounts,
the charter, the theme and the member organisations are seeded straight into the live
server's database; everything else goes through the browser.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import RoleAssignment, User
from tadamon.accounts.passwords import hash_password
from tadamon.core import times
from tadamon.core.db import utcnow
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import Organisation
from tadamon.workshops.models import (
    Consultation,
    Registration,
    Theme,
    Workshop,
)

PASSWORD = "نخلة-واحة-تضامن-2026"
# The application's own zone rules (the tzdata package), not the system's copy.
CASABLANCA = times.zone("Africa/Casablanca")
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHASES = ["draft", "proposals_open", "deliberation", "voting", "closed", "results_published"]

LOGIN = "/account/login"
TWO_FACTOR = "/account/login/two-factor"
LOGOUT_BUTTON = 'form[action="/account/logout"] button'


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    totp_secret: str | None = None


@dataclass(frozen=True)
class Member:
    account: Account
    organisation_id: int
    organisation_name: str


@dataclass(frozen=True)
class Seed:
    facilitator: Account
    steering: Account
    theme_id: int
    members: tuple[Member, ...]


def _new_user(email: str, name: str, *, role: str | None = None) -> tuple[User, Account]:
    now = utcnow()
    user = User(
        email=email,
        display_name=name,
        password_hash=hash_password(PASSWORD),
        preferred_language="ar",
        email_verified_at=now,
        privacy_consent_at=now,
        password_changed_at=now,
    )
    secret = None
    if role is not None:
        secret = pyotp.random_base32()
        user.totp_secret = secret
        user.totp_enabled_at = now
        user.role_assignments.append(RoleAssignment(role=role))
    db.session.add(user)
    db.session.flush()
    return user, Account(email=email, name=name, totp_secret=secret)


@pytest.fixture(scope="module")
def seed(live_server: Any) -> Iterator[Seed]:
    """A facilitator, a steering member, a published charter, a theme and three approved
    member organisations with their representatives. Unique per run: the live server is
    shared by the whole session."""
    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        try:
            _, facilitator = _new_user(
                f"facilitator-{tag}@example.org", "نادية المنشطة", role="facilitator"
            )
            steering_user, steering = _new_user(
                f"steering-{tag}@example.org", "عضو اللجنة", role="steering"
            )

            draft = membership.start_charter_draft(steering_user)
            draft.title_fr = "Charte du réseau"
            draft.title_ar = "ميثاق الشبكة"
            membership.save_principle(
                draft, None, {"title_fr": "Solidarité", "title_ar": "التضامن"}
            )
            membership.publish_charter(steering_user, draft)

            theme = Theme(
                name_ar=f"الاقتصاد التضامني {tag}",
                name_fr=f"Économie solidaire {tag}",
                name_en=f"Solidarity economy {tag}",
            )
            db.session.add(theme)

            members = []
            for index, name in enumerate(
                ("جمعية الأمل", "جمعية الأطلس", "تعاونية الواحة"), start=1
            ):
                rep_user, rep = _new_user(f"rep{index}-{tag}@example.org", f"ممثل {index}")
                organisation = membership.start_application(rep_user)
                org_name = f"{name} {tag}"
                membership.update_application(
                    organisation,
                    membership.ApplicationData(
                        name_ar=org_name,
                        region="RSK",
                        province="Rabat",
                        description_fr="x",
                        contact_email="c@example.org",
                    ),
                )
                membership.attach_statutes(
                    organisation, FileStorage(io.BytesIO(SMALL_PDF), "s.pdf"), rep_user
                )
                membership.submit_application(organisation, rep_user, adheres=True)
                membership.decide_application(steering_user, organisation, "approve", "")
                members.append(
                    Member(account=rep, organisation_id=organisation.id, organisation_name=org_name)
                )
            db.session.flush()
            theme_id = theme.id
            db.session.commit()
        finally:
            db.session.remove()
    yield Seed(
        facilitator=facilitator, steering=steering, theme_id=theme_id, members=tuple(members)
    )


# --- reading the live database ---------------------------------------------------------------


def _read(live_server: Any, work: Any) -> Any:
    with live_server.app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def registration_statuses(
    live_server: Any, workshop_id: int, members: tuple[Member, ...]
) -> list[str | None]:
    def work() -> list[str | None]:
        return [
            db.session.scalar(
                select(Registration.status).where(
                    Registration.workshop_id == workshop_id,
                    Registration.organisation_id == member.organisation_id,
                )
            )
            for member in members
        ]

    return _read(live_server, work)


def workshop_row(live_server: Any, workshop_id: int) -> dict[str, Any]:
    """The stored workshop, and the kinds of its documents."""

    def work() -> dict[str, Any]:
        item = db.session.get(Workshop, workshop_id)
        return {
            "title_ar": item.title_ar,
            "capacity": item.capacity,
            "format": item.format,
            "starts_at": item.starts_at,
            "status": item.status,
            "documents": [document.kind for document in item.documents],
        }

    return _read(live_server, work)


def consultation_row(live_server: Any, consultation_id: int) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        item = db.session.get(Consultation, consultation_id)
        return {
            "phase": item.phase,
            "participation": item.participation,
            "voting_method": item.voting_method,
            "max_approvals": item.max_approvals,
        }

    return _read(live_server, work)


def publish_a_proposal(live_server: Any, consultation_id: int, member: Member) -> None:
    """Voting refuses to open on an empty ballot; the proposals' own journey is tested
    elsewhere, so one is published straight into the database while proposals are open."""
    from tadamon.proposals import services as proposals

    with live_server.app.app_context():
        try:
            consultation = db.session.get(Consultation, consultation_id)
            person = db.session.scalar(select(User).where(User.email == member.account.email))
            organisation = db.session.get(Organisation, member.organisation_id)
            data = proposals.ProposalData(title="صندوق تضامني", body="إحداث صندوق ضمان تضامني.")
            proposals.publish(proposals.save_draft(consultation, organisation, person, data), person, data)
            db.session.commit()
        finally:
            db.session.remove()


def notifications_of(live_server: Any, email: str, kind: str) -> list[str]:
    """The links of `kind` notifications the account got, oldest first."""

    def work() -> list[str]:
        return list(
            db.session.scalars(
                select(Notification.link)
                .join(User, User.id == Notification.user_id)
                .where(User.email == email, Notification.kind == kind)
                .order_by(Notification.id)
            )
        )

    return _read(live_server, work)


# --- browser helpers -------------------------------------------------------------------------


def submit(page: Any, selector: str) -> Any:
    """Clicks a submit button and waits for the page the server answers with; its response."""
    with page.expect_navigation(wait_until="load") as navigation:
        page.locator(selector).click()
    return navigation.value


def log_in(page: Any, account: Account) -> None:
    page.goto(LOGIN)
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(PASSWORD)
    submit(page, f'form[action="{LOGIN}"] button[type="submit"]')
    if account.totp_secret:
        expect(page).to_have_url(re.compile(f"{re.escape(TWO_FACTOR)}$"))
        page.locator("#code").fill(pyotp.TOTP(account.totp_secret).now())
        submit(page, f'form[action="{TWO_FACTOR}"] button[type="submit"]')
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(LOGOUT_BUTTON)).to_be_attached()


def assert_arabic(page: Any) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")


def assert_field_error(page: Any, field_id: str) -> None:
    """Marked invalid, its message in the same .field block, announced with it, summarised."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator(f".field:has(#{field_id}) .error#{field_id}-error")
    expect(error).to_have_count(1)
    expect(error).to_be_visible()
    assert error.inner_text().strip(), f"the error message of #{field_id} is empty"
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described_by, f"#{field_id} aria-describedby={described_by}"
    expect(page.locator(f'.error-summary a[href="#{field_id}"]')).to_have_count(1)


def assert_field_valid(page: Any, field_id: str) -> None:
    expect(page.locator(f"#{field_id}")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field_id}-error")).to_have_count(0)


def local_moment(days: int, hour: int) -> str:
    """A datetime-local value, Casablanca wall-clock time, `days` from today."""
    day = (datetime.now(CASABLANCA) + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00"


def assert_timeline(page: Any, phase: str) -> None:
    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(len(PHASES))
    expect(page.locator('ol.timeline > li[aria-current="step"]')).to_have_count(1)
    expect(steps.nth(PHASES.index(phase))).to_have_attribute("aria-current", "step")


# --- the steps -------------------------------------------------------------------------------


def create_workshop_with_errors_first(page: Any, axe: Any, seed: Seed, title: str) -> int:
    page.goto("/workshops/new")
    assert_arabic(page)
    form = 'form[action="/workshops/new"]'
    save = f'{form} button[type="submit"]'

    page.locator("#title_ar").fill(title)
    page.locator("#title_fr").fill("Atelier économie solidaire")
    page.locator("#theme_id").select_option(str(seed.theme_id))
    page.locator("#description_ar").fill("لقاء حول الاقتصاد التضامني في الجهة.")
    page.locator('input[name="scope"][value="national"]').check()
    page.locator('input[name="format"][value="in_person"]').check()
    page.locator("#venue").fill("دار الجمعيات")
    page.locator("#address").fill("الرباط")

    # (a) The end before the start.
    page.locator("#starts_at").fill(local_moment(14, 13))
    page.locator("#ends_at").fill(local_moment(14, 9))
    page.locator("#capacity").fill("2")
    assert submit(page, save).status in (200, 400)
    assert_field_error(page, "ends_at")
    assert_field_valid(page, "starts_at")
    expect(page.locator("#title_ar")).to_have_value(title)

    # (b) A capacity of zero.
    page.locator("#starts_at").fill(local_moment(14, 9))
    page.locator("#ends_at").fill(local_moment(14, 13))
    page.locator("#capacity").fill("0")
    submit(page, save)
    assert_field_error(page, "capacity")
    assert_field_valid(page, "ends_at")
    expect(page.locator("#title_ar")).to_have_value(title)
    expect(page.locator("#starts_at")).to_have_value(local_moment(14, 9))

    # (c) Online, with no link to join.
    page.locator("#capacity").fill("2")
    page.locator('input[name="format"][value="online"]').check()
    page.locator("#online_link").fill("")
    submit(page, save)
    assert_field_error(page, "online_link")
    assert_field_valid(page, "capacity")
    expect(page.locator("#title_ar")).to_have_value(title)
    expect(page.locator('input[name="format"][value="online"]')).to_be_checked()
    expect(page.locator("#theme_id")).to_have_value(str(seed.theme_id))
    axe(page, "new workshop with an error (ar)")

    # Valid: in person, two places.
    page.locator('input[name="format"][value="in_person"]').check()
    submit(page, save)
    expect(page.locator(".error-summary")).to_have_count(0)
    match = re.search(r"/workshops/(\d+)/manage$", page.url)
    assert match, f"not on a manage page after creating the workshop: {page.url}"
    expect(page.locator(".flash-success")).to_be_visible()
    return int(match.group(1))


def documents_and_open_registration(
    page: Any, axe: Any, live_server: Any, workshop_id: int, tmp_path: Path
) -> None:
    manage = f"/workshops/{workshop_id}/manage"
    form = f'form[action="/workshops/{workshop_id}/documents"]'
    assert_arabic(page)

    # 20 MB: above the 10 MB for documents and the 12 MB a request may carry.
    big = tmp_path / "agenda-20mb.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024) + b"\n%%EOF\n")
    page.locator(f"{form} #kind").select_option("agenda")
    page.locator(f"{form} #document").set_input_files(str(big))
    response = submit(page, f'{form} button[type="submit"]')
    big.unlink()
    if response is not None and response.status == 413:
        # The error page, in Arabic, with a way home.
        assert_arabic(page)
        expect(page.locator('main a[href="/"]')).to_have_count(1)
        axe(page, "file too large (ar)")
    else:
        assert_field_error(page, "document")
        axe(page, "manage the workshop, document refused (ar)")
    assert workshop_row(live_server, workshop_id)["documents"] == []

    small = tmp_path / "agenda.pdf"
    small.write_bytes(SMALL_PDF)
    page.goto(manage)
    page.locator(f"{form} #kind").select_option("agenda")
    page.locator(f"{form} #title").fill("جدول الأعمال")
    page.locator(f"{form} #document").set_input_files(str(small))
    submit(page, f'{form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"{re.escape(manage)}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(
        page.locator(f'form[action^="/workshops/{workshop_id}/documents/"][action$="/remove"]')
    ).to_have_count(1)
    assert workshop_row(live_server, workshop_id)["documents"] == ["agenda"]

    status_form = f'form[action="/workshops/{workshop_id}/status"]'
    expect(page.locator(f'{status_form} input[name="status"]')).to_have_value("registration_open")
    submit(page, f'{status_form} button[type="submit"]')
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f'{status_form} input[name="status"]')).to_have_value("in_progress")
    assert workshop_row(live_server, workshop_id)["status"] == "registration_open"
    axe(page, "manage the workshop (ar)")


def register_organisation(
    page: Any, workshop_id: int, member: Member, axe: Any | None = None
) -> None:
    page.goto(f"/workshops/{workshop_id}")
    expect(page.locator(".notice")).to_have_count(0)
    register = f"/workshops/{workshop_id}/register"
    page.locator(f'main a[href="{register}"]').click()
    page.wait_for_url(f"**{register}")
    assert_arabic(page)
    if axe is not None:
        axe(page, "register my organisation (ar)")
    page.locator("#attendees").fill("سعاد بناني\nيوسف العلوي")
    submit(page, f'form[action="{register}"] button[type="submit"]')
    expect(page).to_have_url(re.compile(f"/workshops/{workshop_id}$"))
    notice = page.locator("main .notice")
    expect(notice).to_have_count(1)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(member.organisation_name)


def run_consultation(
    facilitator: Any, anonymous: Any, axe: Any, live_server: Any, workshop_id: int, author: Member
) -> int:
    new = f"/workshops/{workshop_id}/consultations/new"
    facilitator.goto(f"/workshops/{workshop_id}/manage")
    facilitator.locator(f'main a[href="{new}"]').click()
    facilitator.wait_for_url(f"**{new}")
    facilitator.locator("#question_ar").fill("ما أولوياتنا للسنة القادمة؟")
    facilitator.locator("#question_fr").fill("Quelles priorités pour l'année prochaine ?")
    facilitator.locator("#question_en").fill("What are our priorities for next year?")
    facilitator.locator('input[name="participation"][value="registered"]').check()
    # A schedule far enough ahead that it never moves on its own during the test.
    for days, name in enumerate(
        ("proposals_open_at", "deliberation_at", "voting_at", "closed_at"), start=30
    ):
        facilitator.locator(f"#{name}").fill(local_moment(days, 10))
    facilitator.locator("#voting_method").select_option("approval")
    facilitator.locator("#max_approvals").fill("2")
    submit(facilitator, f'form[action="{new}"] button[type="submit"]')
    expect(facilitator.locator(".error-summary")).to_have_count(0)
    match = re.search(r"/consultations/(\d+)$", facilitator.url)
    assert match, f"not on the consultation's page after saving it: {facilitator.url}"
    consultation_id = int(match.group(1))
    page_path = f"/consultations/{consultation_id}"
    move_form = f'form[action="{page_path}/move"]'
    assert_timeline(facilitator, "draft")
    expect(facilitator.locator("ol.timeline time")).to_have_count(4)

    # A draft is not public.
    assert anonymous.goto(page_path).status == 404

    for phase in PHASES[1:]:
        # The move is a link to a page saying what it does; nothing moves before its button.
        facilitator.locator(f'main a[href="{page_path}/move?phase={phase}"]').click()
        facilitator.wait_for_url(f"**{page_path}/move?phase={phase}")
        axe(facilitator, f"confirm the move to {phase} (ar)")
        expect(facilitator.locator(f'{move_form} input[name="phase"]')).to_have_value(phase)
        submit(facilitator, f'{move_form} button[type="submit"]')
        expect(facilitator).to_have_url(re.compile(f"{re.escape(page_path)}$"))
        expect(facilitator.locator(".flash-success")).to_be_visible()
        assert_timeline(facilitator, phase)

        response = anonymous.goto(page_path)
        assert response is not None and response.status == 200, phase
        assert_arabic(anonymous)
        assert_timeline(anonymous, phase)
        expect(anonymous.locator(move_form)).to_have_count(0)
        if phase == "proposals_open":
            publish_a_proposal(live_server, consultation_id, author)
        if phase == "voting":
            axe(anonymous, "public consultation page (ar)")

    expect(facilitator.locator(move_form)).to_have_count(0)
    axe(facilitator, "consultation page, facilitator (ar)")
    assert consultation_row(live_server, consultation_id) == {
        "phase": "results_published",
        "participation": "registered",
        "voting_method": "approval",
        "max_approvals": 2,
    }
    return consultation_id


# --- the journey -----------------------------------------------------------------------------


def test_arabic_workshop_journey(new_page, axe, mail_outbox, live_server, seed, tmp_path) -> None:
    first, second, third = seed.members
    title = f"ورشة الاقتصاد التضامني {uuid.uuid4().hex[:6]}"

    # 1–2. The facilitator creates the workshop, adds its agenda and opens registration.
    facilitator = new_page("ar")
    log_in(facilitator, seed.facilitator)
    assert_arabic(facilitator)
    workshop_id = create_workshop_with_errors_first(facilitator, axe, seed, title)
    # Stored as typed: the Casablanca wall-clock time, as an instant.
    stored = workshop_row(live_server, workshop_id)
    starts_local = datetime.fromisoformat(local_moment(14, 9)).replace(tzinfo=CASABLANCA)
    assert (stored["title_ar"], stored["capacity"], stored["format"]) == (title, 2, "in_person")
    assert stored["starts_at"] == starts_local, stored["starts_at"]
    documents_and_open_registration(facilitator, axe, live_server, workshop_id, tmp_path)

    # 3. Three representatives register: two places, then the waiting list.
    representatives = []
    for number, member in enumerate(seed.members):
        page = new_page("ar")
        log_in(page, member.account)
        register_organisation(page, workshop_id, member, axe=axe if number == 0 else None)
        representatives.append(page)
    expect(representatives[2].locator(".flash-warning")).to_be_visible()
    assert registration_statuses(live_server, workshop_id, seed.members) == [
        "pending",
        "pending",
        "waitlisted",
    ]

    mails_before = len(mail_outbox(to=third.account.email))
    withdraw = f'form[action^="/workshops/{workshop_id}/registrations/"][action$="/withdraw"]'
    submit(representatives[1], f"{withdraw} button[type='submit']")
    expect(representatives[1].locator(".flash-success")).to_be_visible()
    expect(representatives[1].locator("main .notice")).to_have_count(0)
    expect(
        representatives[1].locator(f'main a[href="/workshops/{workshop_id}/register"]')
    ).to_be_visible()
    assert registration_statuses(live_server, workshop_id, seed.members) == [
        "pending",
        "withdrawn",
        "pending",
    ]

    workshop_link = f"{live_server.url}/workshops/{workshop_id}"
    new_mails = mail_outbox(to=third.account.email)[mails_before:]
    assert len(new_mails) == 1, [m.subject for m in new_mails]
    assert new_mails[0].language == "ar"
    assert workshop_link in new_mails[0].text_body
    assert notifications_of(live_server, third.account.email, "workshops.moved_up") == [
        workshop_link
    ]
    representatives[2].reload()
    expect(representatives[2].locator("main .notice")).to_contain_text(third.organisation_name)

    # 4. A consultation of the registered organisations, moved through every phase.
    anonymous = new_page("ar")
    consultation_id = run_consultation(
        facilitator, anonymous, axe, live_server, workshop_id, first
    )

    # 5. The steering group sees the moves in the audit log; the participants got emails.
    steering = new_page("ar")
    log_in(steering, seed.steering)
    steering.goto("/admin/audit?action=phase_changed")
    assert_arabic(steering)
    rows = steering.locator("table.audit tbody tr").filter(
        has_text=re.compile(rf"consultation #{consultation_id}(?!\d)")
    )
    expect(rows).to_have_count(len(PHASES) - 1)
    expect(rows.locator("code")).to_have_text(["consultation.phase_changed"] * (len(PHASES) - 1))
    moved_to = [
        re.search(r'"phase":\s*"(\w+)"', text).group(1)
        for text in rows.locator(".after").all_inner_texts()
    ]
    assert sorted(moved_to) == sorted(PHASES[1:]), moved_to

    consultation_link = f"{live_server.url}/consultations/{consultation_id}"
    for member, expected in ((first, 5), (second, 0), (third, 5)):
        mails = [
            m for m in mail_outbox(to=member.account.email) if consultation_link in m.text_body
        ]
        assert len(mails) == expected, (member.account.email, [m.subject for m in mails])
        assert all(m.language == "ar" and 'dir="rtl"' in m.html_body for m in mails)
        # Opening the vote is its own notice (it says when the vote closes); the other moves are
        # "phase changed".
        links = notifications_of(live_server, member.account.email, "consultations.phase_changed")
        assert links == [consultation_link] * max(expected - 1, 0), links
        opened = notifications_of(live_server, member.account.email, "consultations.voting_opened")
        assert opened == [consultation_link] * min(expected, 1), opened

    # 6. The remaining pages, checked for accessibility.
    anonymous.goto("/workshops")
    assert_arabic(anonymous)
    expect(anonymous.locator(f'main a[href="/workshops/{workshop_id}"]')).to_have_count(1)
    axe(anonymous, "workshops list (ar)")

    anonymous.goto(f"/workshops/{workshop_id}")
    expect(anonymous.locator(f'main a[href="/consultations/{consultation_id}"]')).to_have_count(1)
    expect(anonymous.locator(f'main a[href^="/workshops/{workshop_id}/documents/"]')).to_have_count(
        1
    )
    axe(anonymous, "public workshop page (ar)")
    representatives[0].reload()
    axe(representatives[0], "public workshop page, registered representative (ar)")

    facilitator.goto("/facilitation")
    assert_arabic(facilitator)
    # The workshop in the workshops table, and again beside its consultation.
    expect(facilitator.locator(f'main a[href="/workshops/{workshop_id}/manage"]')).to_have_count(2)
    expect(facilitator.locator(f'main a[href="/consultations/{consultation_id}"]')).to_have_count(1)
    axe(facilitator, "facilitation dashboard (ar)")
