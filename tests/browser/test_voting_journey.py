"""A consultation's vote in a real browser, in Arabic (RTL).

Majority judgment, public ballots: the facilitator opens the vote from the consultation's page;
representative A grades the three proposals (the fingerprint of the vote's definition is on
the page), gets a receipt, changes the ballot and gets another (the last ballot counts); a plain
member of an organisation, and the representative of an organisation approved after voting
opened, are refused with the reason in words (403); B votes; the facilitator closes the vote
(the results are theirs alone until published) and publishes the results; an anonymous visitor
reads them (a chart with its table, the winner, the head of the ledger as stored) and finds A's
receipts on the public list: the last one counts, the first one is marked replaced.

Approval, secret ballots: too many proposals ticked is refused with the ticks kept; a secret
ballot is stored without the person, and the results never say how an organisation voted.

Pages are checked by their addresses, ids, names, values, hashes and status codes, never by
the wording of the newest strings (their Arabic is being written): where a sentence matters
(a refusal, "the last one counts"), it is compared with what the live app itself says in
Arabic. The accounts, the charter, the organisations, the consultations and their proposals
are seeded through the services, in the live server's database; the voting goes through the
browser.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask_babel import format_number, gettext
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import Organisation, OrganisationMember
from tadamon.proposals import services as proposals
from tadamon.voting import services as voting
from tadamon.voting.models import Ballot, VotingRound
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Consultation, Phase, Theme
from tests.browser.test_proposal_journey import (
    SMALL_PDF,
    Account,
    Member,
    _new_user,
    _read,
    assert_direction,
    consultation_phase,
    log_in,
    submit,
)

HASH = re.compile(r"^[0-9a-f]{64}$")
PROPOSAL_TITLES = (
    "صندوق تضامني للتعاونيات النسائية القروية",
    "تكوين الشباب في المهارات الرقمية",
    "الماء الصالح للشرب في دواوير الواحات",
)
PROPOSAL_BODY = (
    "نقترح على الشبكة مشروعا مفصلا يحدد الأهداف والوسائل والجدولة الزمنية، "
    "ويشرح كيف تشارك الجمعيات الأعضاء في تنفيذه وتقييمه."
)


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """Who votes: a facilitator, three approved member organisations (A, B, C) with their
    representatives, and a plain member of C."""

    tag: str
    steering_email: str
    facilitator: Account
    members: tuple[Member, Member, Member]
    plain_member: Account
    theme_id: int


@dataclass(frozen=True)
class Vote:
    consultation_id: int
    proposal_ids: tuple[int, int, int]

    @property
    def path(self) -> str:
        return f"/consultations/{self.consultation_id}"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _approved_organisation(steering: User, representative: User, name: str) -> Organisation:
    """An organisation through the real application path: applied, adhering, approved."""
    organisation = membership.start_application(representative)
    membership.update_application(
        organisation,
        membership.ApplicationData(
            name_ar=name,
            region="RSK",
            province="Rabat",
            description_fr="x",
            contact_email="c@example.org",
        ),
    )
    membership.attach_statutes(
        organisation, FileStorage(io.BytesIO(SMALL_PDF), "s.pdf"), representative
    )
    membership.submit_application(organisation, representative, adheres=True)
    membership.decide_application(steering, organisation, "approve", "")
    return organisation


@pytest.fixture(scope="module")
def network(live_server: Any) -> Iterator[Network]:
    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        try:
            steering, steering_account = _new_user(
                f"vote-steering-{tag}@example.org", "عضو اللجنة", "ar", role="steering"
            )
            if membership.current_charter() is None:
                draft = membership.start_charter_draft(steering)
                draft.title_fr = "Charte du réseau"
                draft.title_ar = "ميثاق الشبكة"
                membership.save_principle(
                    draft, None, {"title_fr": "Solidarité", "title_ar": "التضامن"}
                )
                membership.publish_charter(steering, draft)
            theme = Theme(
                name_ar=f"الديمقراطية التشاركية {tag}",
                name_fr=f"Démocratie participative {tag}",
                name_en=f"Participatory democracy {tag}",
            )
            db.session.add(theme)
            _, facilitator = _new_user(
                f"vote-facilitator-{tag}@example.org", "سعاد المنشطة", "ar", role="facilitator"
            )
            members = []
            for letter, name in zip(
                "abc", ("جمعية النخيل", "جمعية الأرز", "تعاونية الزيتون"), strict=True
            ):
                user, account = _new_user(
                    f"vote-rep-{letter}-{tag}@example.org", f"ممثل {letter}", "ar"
                )
                organisation = _approved_organisation(steering, user, f"{name} {tag}")
                members.append(Member(account, organisation.id, organisation.name_ar))
            plain_user, plain_member = _new_user(
                f"vote-member-c-{tag}@example.org", "عضو عادي", "ar"
            )
            db.session.add(
                OrganisationMember(
                    organisation_id=members[2].organisation_id, user_id=plain_user.id, role="member"
                )
            )
            db.session.commit()
            yield_value = Network(
                tag=tag,
                steering_email=steering_account.email,
                facilitator=facilitator,
                members=tuple(members),  # type: ignore[arg-type]
                plain_member=plain_member,
                theme_id=theme.id,
            )
        finally:
            db.session.remove()
    yield yield_value


def open_consultation(live_server: Any, network: Network, method: str, **settings: Any) -> Vote:
    """A workshop consultation of every member organisation, its three proposals (one per
    organisation, in Arabic) published, in deliberation: the next move opens the vote."""

    def work() -> Vote:
        facilitator = _user(network.facilitator.email)
        starts = utcnow() + timedelta(days=20)
        workshop = workshops.create_workshop(
            facilitator,
            workshops.WorkshopData(
                title_ar=f"ورشة التصويت {network.tag}",
                title_fr=f"Atelier vote {network.tag}",
                theme_id=network.theme_id,
                venue="Salle",
                starts_at=starts,
                ends_at=starts + timedelta(hours=4),
                capacity=10,
            ),
        )
        consultation = workshops.save_consultation(
            facilitator,
            None,
            workshop,
            workshops.ConsultationData(
                question_ar="ما المشروع الذي نبدأ به هذه السنة؟",
                question_fr="Par quel projet commencer cette année ?",
                participation="all_members",
                voting_method=method,
                **settings,
            ),
        )
        workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
        ids = []
        for member, title in zip(network.members, PROPOSAL_TITLES, strict=True):
            author = _user(member.account.email)
            organisation = db.session.get(Organisation, member.organisation_id)
            data = proposals.ProposalData(title=title, body=PROPOSAL_BODY, language="ar")
            proposal = proposals.save_draft(consultation, organisation, author, data)
            proposals.publish(proposal, author, data)
            ids.append(proposal.id)
        workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
        db.session.commit()
        return Vote(consultation.id, tuple(ids))  # type: ignore[arg-type]

    return _read(live_server, work)


def move_by_services(live_server: Any, network: Network, vote: Vote, phase: Phase) -> None:
    def work() -> None:
        consultation = db.session.get(Consultation, vote.consultation_id)
        workshops.move_phase(_user(network.facilitator.email), consultation, phase)
        db.session.commit()

    _read(live_server, work)


def approve_late_organisation(live_server: Any, network: Network) -> Member:
    """An organisation approved once the vote is open: not on its frozen roll."""

    def work() -> Member:
        steering = _user(network.steering_email)
        user, account = _new_user(f"vote-rep-late-{network.tag}@example.org", "ممثل متأخر", "ar")
        organisation = _approved_organisation(
            steering, user, f"جمعية الواحة المتأخرة {network.tag}"
        )
        db.session.commit()
        return Member(account, organisation.id, organisation.name_ar)

    return _read(live_server, work)


# --- reading the live database ---------------------------------------------------------------


def round_row(live_server: Any, vote: Vote) -> dict[str, Any] | None:
    def work() -> dict[str, Any] | None:
        row = db.session.scalar(
            select(VotingRound).where(VotingRound.consultation_id == vote.consultation_id)
        )
        if row is None:
            return None
        return {
            "definition_hash": row.definition_hash,
            "eligible": json.loads(row.definition)["eligible"],
            "ledger_length": row.ledger_length,
            "ledger_head": row.ledger_head,
            "published_head": row.published_head,
            "closed": row.closed_at is not None,
            "results": json.loads(row.results) if row.results else None,
        }

    return _read(live_server, work)


def current_ballots(live_server: Any, vote: Vote) -> dict[int, dict[str, Any]]:
    """The ballots that count, by organisation id."""

    def work() -> dict[int, dict[str, Any]]:
        rows = db.session.scalars(
            select(Ballot)
            .join(VotingRound, VotingRound.id == Ballot.round_id)
            .where(VotingRound.consultation_id == vote.consultation_id, Ballot.is_current.is_(True))
        )
        # A secret ballot names no organisation: it is found by its credential's hash (secret_key).
        return {
            b.organisation_id if b.organisation_id is not None else b.credential_hash: {
                "receipt": b.receipt,
                "content": json.loads(b.content),
                "person_id": b.person_id,
            }
            for b in rows
        }

    return _read(live_server, work)


def secret_key(live_server: Any, page: Any, vote: Vote, organisation_id: int) -> str:
    """The key of an organisation's secret ballot, from the voting code its browser keeps."""
    code = next(c["value"] for c in page.context.cookies() if c["name"] == f"tadamon_vote_{organisation_id}")

    def work() -> str:
        round_ = db.session.scalar(select(VotingRound).where(VotingRound.consultation_id == vote.consultation_id))
        return voting.credential_hash(round_, db.session.get_one(Organisation, organisation_id), code)

    return _read(live_server, work)


def user_id(live_server: Any, account: Account) -> int:
    return _read(live_server, lambda: _user(account.email).id)


def in_arabic(live_server: Any, work: Callable[[], Any]) -> str:
    """What the live app says, in Arabic, as its pages would: its own catalogue, whatever
    stage its translation is at."""
    with live_server.app.test_request_context("/", headers={"Accept-Language": "ar"}):
        try:
            return str(work())
        finally:
            db.session.remove()


def refusal_in_arabic(live_server: Any, account: Account, vote: Vote, organisation_id: int) -> str:
    def work() -> Any:
        consultation = db.session.get(Consultation, vote.consultation_id)
        organisation = db.session.get(Organisation, organisation_id)
        reason = voting.refusal(_user(account.email), consultation, organisation)
        assert reason is not None, f"{account.email} may vote for organisation {organisation_id}"
        return reason

    return in_arabic(live_server, work)


# --- browser helpers -------------------------------------------------------------------------


def move_in_browser(page: Any, live_server: Any, vote: Vote, phase: str) -> None:
    """The facilitator moves the consultation on, with the form on its page."""
    move_form = f'form[action="{vote.path}/move"]'
    page.goto(vote.path)
    assert_direction(page, "ar")
    # The move is a link to a page saying what it does (who is told, what becomes final).
    page.locator(f'main a[href="{vote.path}/move?phase={phase}"]').click()
    page.wait_for_url(f"**{vote.path}/move?phase={phase}")
    assert_direction(page, "ar")
    expect(page.locator(f'{move_form} input[name="phase"]')).to_have_value(phase)
    submit(page, f'{move_form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"{re.escape(vote.path)}$"))
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".flash-success")).to_be_visible()
    assert consultation_phase(live_server, vote.consultation_id) == phase


def open_ballot(page: Any, vote: Vote, *, status: int = 200) -> None:
    response = page.goto(f"{vote.path}/vote")
    assert response is not None and response.status == status, (
        f"{vote.path}/vote answered {response and response.status}, expected {status}"
    )
    assert_direction(page, "ar")


def ballot_form(vote: Vote) -> str:
    return f'main form.ballot[action="{vote.path}/vote"]'


def cast(page: Any, vote: Vote) -> Any:
    """Sends the ballot form; the response the browser lands on (after the redirect)."""
    return submit(page, f'{ballot_form(vote)} button[type="submit"]')


def grade(page: Any, grades: dict[int, int]) -> None:
    for proposal_id, level in grades.items():
        page.locator(f'input[type="radio"][name="grade-p{proposal_id}"][value="{level}"]').check()


def expect_grades(page: Any, grades: dict[int, int]) -> None:
    for proposal_id, level in grades.items():
        radios = page.locator(f'input[type="radio"][name="grade-p{proposal_id}"]')
        expect(radios).to_have_count(6)
        expect(page.locator(f'input[name="grade-p{proposal_id}"]:checked')).to_have_count(1)
        expect(page.locator(f'input[name="grade-p{proposal_id}"][value="{level}"]')).to_be_checked()


def expect_recorded(page: Any, vote: Vote, receipt: str) -> None:
    """Back on the ballot page: the flash and the page both give the receipt."""
    expect(page).to_have_url(re.compile(f"{re.escape(vote.path)}/vote$"))
    assert_direction(page, "ar")
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".flash-success")).to_contain_text(receipt)
    notice = page.locator('main .notice-success[role="status"]')
    expect(notice).to_have_count(1)
    expect(notice.locator("code.hash")).to_have_text(receipt)


def assert_fits_the_screen(page: Any) -> None:
    """Nothing wider than the phone: no sideways scrolling (WCAG 1.4.10, reflow)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide on a {widths[1]}px screen"


def assert_inside(svg: Any, items: Any) -> None:
    box = svg.bounding_box()
    assert box is not None
    for item in items.all():
        inner = item.bounding_box()
        assert inner is not None
        assert (
            box["x"] - 1 <= inner["x"]
            and inner["x"] + inner["width"] <= box["x"] + box["width"] + 1
        ), f"{item.text_content()!r} is drawn at {inner}, outside the chart at {box}"


def check_page(axe: Any, page: Any, label: str) -> None:
    """At a phone's width: fits the screen, and axe finds nothing."""
    assert_fits_the_screen(page)
    axe(page, label)


def search_receipt(page: Any, vote: Vote, receipt: str) -> None:
    form = f'main form[role="search"][action="{vote.path}/receipts"]'
    page.locator(f"{form} #receipt").fill(receipt)
    submit(page, f'{form} button[type="submit"]')
    expect(page).to_have_url(re.compile(rf"{re.escape(vote.path)}/receipts\?receipt={receipt}$"))
    assert_direction(page, "ar")
    expect(page.locator("#receipt")).to_have_value(receipt)


# --- majority judgment, public ballots -------------------------------------------------------


def test_arabic_majority_judgment_vote(new_page, axe, live_server, network) -> None:
    vote = open_consultation(live_server, network, "majority_judgment")
    first, second, third = vote.proposal_ids
    a, b, c = network.members
    receipts_path = f"{vote.path}/receipts"
    results_path = f"{vote.path}/results"

    # 0. The facilitator opens the vote: the roll and the definition are frozen, hashed.
    facilitator = new_page("ar")
    log_in(facilitator, network.facilitator)
    assert round_row(live_server, vote) is None
    move_in_browser(facilitator, live_server, vote, "voting")
    opened = round_row(live_server, vote)
    assert opened is not None and HASH.match(opened["definition_hash"]), opened
    assert {a.organisation_id, b.organisation_id, c.organisation_id} <= set(opened["eligible"])
    late = approve_late_organisation(live_server, network)
    assert late.organisation_id not in round_row(live_server, vote)["eligible"]

    # 1. A opens the ballot from the consultation's page and grades the three proposals.
    page_a = new_page("ar")
    log_in(page_a, a.account)
    page_a.goto(vote.path)
    expect(page_a.locator(f'main a[href="{vote.path}/vote"]')).to_have_count(1)
    expect(page_a.locator(f'main a[href="{receipts_path}"]')).to_have_count(1)
    expect(page_a.locator(f'main a[href="{results_path}"]')).to_have_count(0)
    open_ballot(page_a, vote)
    expect(page_a.locator("main dl.facts code.hash")).to_have_text(opened["definition_hash"])
    expect(page_a.locator('main .notice-success[role="status"]')).to_have_count(0)
    expect(page_a.locator('main [role="alert"]')).to_have_count(0)
    form = page_a.locator(ballot_form(vote))
    expect(form).to_be_visible()
    rows = form.locator("fieldset.choice-row")
    expect(rows).to_have_count(3)
    for row, proposal_id, title in zip(rows.all(), vote.proposal_ids, PROPOSAL_TITLES, strict=True):
        # The title names the row as plain text (a tap on a choice never leaves the ballot);
        # the link to the proposal is beside its summary, outside every label and legend.
        expect(row.locator("legend")).to_have_text(title)
        expect(row.locator("legend a, label a")).to_have_count(0)
        expect(row.locator("legend [lang]")).to_have_attribute("lang", "ar")
        link = row.locator(f'details.choice-summary a[href="/proposals/{proposal_id}"]')
        expect(link).to_have_text(title)
        expect(link).to_have_attribute("lang", "ar")
        expect(row.locator(f'input[type="radio"][name="grade-p{proposal_id}"]')).to_have_count(6)
    # Nothing is graded beforehand.
    expect(form.locator('input[type="radio"]:checked')).to_have_count(0)
    check_page(axe, page_a, "the ballot, majority judgment (ar)")

    first_grades = {first: 5, second: 3, third: 0}
    grade(page_a, first_grades)
    response = cast(page_a, vote)
    assert response is not None and response.status == 200, response and response.status
    ballots = current_ballots(live_server, vote)
    assert set(ballots) == {a.organisation_id}, ballots
    first_receipt = ballots[a.organisation_id]["receipt"]
    assert HASH.match(first_receipt), first_receipt
    assert ballots[a.organisation_id]["content"] == {
        "grades": {f"p{k}": v for k, v in first_grades.items()}
    }
    assert ballots[a.organisation_id]["person_id"] == user_id(live_server, a.account)
    expect_recorded(page_a, vote, first_receipt)
    expect_grades(page_a, first_grades)
    check_page(axe, page_a, "the ballot once cast (ar)")

    # 2. A changes the ballot: another receipt; the page says the last ballot counts.
    changed_grades = {first: 2, second: 5, third: 1}
    grade(page_a, changed_grades)
    cast(page_a, vote)
    ballots = current_ballots(live_server, vote)
    assert set(ballots) == {a.organisation_id}, "one ballot counts per organisation"
    second_receipt = ballots[a.organisation_id]["receipt"]
    assert HASH.match(second_receipt) and second_receipt != first_receipt
    assert ballots[a.organisation_id]["content"] == {
        "grades": {f"p{k}": v for k, v in changed_grades.items()}
    }
    expect_recorded(page_a, vote, second_receipt)
    expect(page_a.locator(".flash-success")).not_to_contain_text(first_receipt)
    expect(page_a.locator("main")).not_to_contain_text(first_receipt)
    last_counts = in_arabic(
        live_server,
        lambda: gettext("You can change the ballot until voting closes; the last one counts."),
    )
    notice = page_a.locator('main .notice-success[role="status"]')
    expect(notice.locator("p")).to_have_count(2)
    expect(notice.locator("p").nth(1)).to_have_text(last_counts)
    expect_grades(page_a, changed_grades)
    assert round_row(live_server, vote)["ledger_length"] == 2

    # 3. Refused, with the reason in words: a plain member of C (only representatives vote
    # for C), and the organisation approved after voting opened (not on the frozen roll).
    refusals = {}
    for key, account, member in (
        ("plain member", network.plain_member, c),
        ("late organisation", late.account, late),
    ):
        page = new_page("ar")
        log_in(page, account)
        open_ballot(page, vote, status=403)
        reason = refusal_in_arabic(live_server, account, vote, member.organisation_id)
        refusals[key] = reason
        shown = page.locator('main .notice-warning[role="alert"]')
        expect(shown).to_have_count(1)
        expect(shown).to_have_text(reason)
        expect(shown).to_contain_text(member.organisation_name)
        expect(page.locator(ballot_form(vote))).to_have_count(0)
        expect(page.locator('main input[type="radio"]')).to_have_count(0)
        # The vote itself is still described: the same fingerprint for everyone.
        expect(page.locator("main dl.facts code.hash")).to_have_text(opened["definition_hash"])
        check_page(axe, page, f"the ballot page, refused: {key} (ar)")
    assert refusals["plain member"] != refusals["late organisation"], refusals
    assert set(current_ballots(live_server, vote)) == {a.organisation_id}

    # 4. B votes; the facilitator closes the vote, then publishes the results.
    page_b = new_page("ar")
    log_in(page_b, b.account)
    open_ballot(page_b, vote)
    b_grades = {first: 4, second: 5, third: 0}
    grade(page_b, b_grades)
    cast(page_b, vote)
    ballots = current_ballots(live_server, vote)
    assert set(ballots) == {a.organisation_id, b.organisation_id}
    b_receipt = ballots[b.organisation_id]["receipt"]
    expect_recorded(page_b, vote, b_receipt)
    assert ballots[a.organisation_id]["receipt"] == second_receipt

    anonymous = new_page("ar")
    response = anonymous.goto(results_path)
    assert response is not None and response.status == 403, "results before voting closed"

    move_in_browser(facilitator, live_server, vote, "closed")
    closed = round_row(live_server, vote)
    assert closed["closed"] and closed["ledger_length"] == 3
    # The head of the chain is the last ballot's receipt, published as it was at the close.
    assert closed["published_head"] == closed["ledger_head"] == b_receipt
    assert closed["results"]["participants"] == 2
    assert closed["results"]["winners"] == [f"p{second}"], closed["results"]
    # Closed: the facilitator sees the results, nobody else yet; nobody votes any more.
    expect(facilitator.locator(f'main a[href="{results_path}"]')).to_have_count(1)
    response = facilitator.goto(results_path)
    assert response is not None and response.status == 200
    response = anonymous.goto(results_path)
    assert response is not None and response.status == 403, "results before they are published"
    open_ballot(page_a, vote, status=403)
    expect(page_a.locator(ballot_form(vote))).to_have_count(0)

    move_in_browser(facilitator, live_server, vote, "results_published")

    # 5. An anonymous visitor reads the results, in Arabic.
    anonymous.goto(vote.path)
    assert_direction(anonymous, "ar")
    response = submit(anonymous, f'main a[href="{results_path}"]')
    assert response is not None and response.status == 200
    expect(anonymous).to_have_url(re.compile(f"{re.escape(results_path)}$"))
    assert_direction(anonymous, "ar")
    chart = anonymous.locator('main figure svg[role="img"]')
    expect(chart).to_have_count(1)
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-labelledby", "results-chart-caption")
    expect(anonymous.locator("main #results-chart-caption")).to_have_count(1)
    # RTL: the labels are written right to left, and drawn inside the chart, not cut off.
    labels = chart.locator("text.chart-label")
    expect(labels).to_have_count(3)
    expect(labels.first).to_have_attribute("direction", "rtl")
    assert_inside(chart, labels)
    ranking = anonymous.locator("main .results-layout table")
    expect(ranking).to_have_count(1)
    expect(ranking.locator("caption")).to_have_count(1)
    expect(ranking.locator("tbody tr")).to_have_count(3)
    # The winner first, by its link; the winners' sentence names it, and it alone.
    expect(ranking.locator("tbody tr").first.locator("a")).to_have_attribute(
        "href", f"/proposals/{second}"
    )
    winners = anonymous.locator("main p.lead")
    expect(winners).to_have_count(1)
    expect(winners).to_contain_text(PROPOSAL_TITLES[1])
    for title in (PROPOSAL_TITLES[0], PROPOSAL_TITLES[2]):
        expect(winners).not_to_contain_text(title)
    # The head of the ledger as stored, then the definition's fingerprint.
    expect(anonymous.locator("main dl.facts code.hash")).to_have_text(
        [closed["published_head"], opened["definition_hash"]]
    )
    # Public ballots: how each organisation voted, A and B only.
    for member in (a, b):
        expect(
            anonymous.locator(f'main table a[href="/organisations/{member.organisation_id}"]')
        ).to_have_count(1)
    expect(
        anonymous.locator(f'main table a[href="/organisations/{c.organisation_id}"]')
    ).to_have_count(0)
    check_page(axe, anonymous, "the results, majority judgment (ar)")

    # ...then the public receipts: A's last receipt is there and counts, its first is replaced.
    anonymous.locator(f'main a[href="{receipts_path}"]').first.click()
    anonymous.wait_for_url(f"**{receipts_path}")
    assert_direction(anonymous, "ar")
    table = anonymous.locator("main table.receipts")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr code.hash")).to_have_text(
        [first_receipt, second_receipt, b_receipt]
    )
    expect(anonymous.locator("main dl.facts code.hash")).to_have_text(
        [opened["definition_hash"], closed["published_head"]]
    )
    check_page(axe, anonymous, "the public receipts (ar)")

    search_receipt(anonymous, vote, second_receipt)
    counts = in_arabic(
        live_server,
        lambda: gettext(
            "This receipt is in the ledger, at position %(position)s, and it counts.",
            position=format_number(2),
        ),
    )
    found = anonymous.locator('main .notice-success[role="status"]')
    expect(found).to_have_count(1)
    expect(found).to_have_text(counts)
    highlighted = table.locator("tbody tr.highlight")
    expect(highlighted).to_have_count(1)
    expect(highlighted.locator("code.hash")).to_have_text(second_receipt)
    counts_cell = highlighted.locator("td").nth(2).inner_text()
    # B's receipt counts too: the same word; A's first does not.
    expect(table.locator("tbody tr").nth(2).locator("td").nth(2)).to_have_text(counts_cell)
    expect(table.locator("tbody tr").nth(0).locator("td").nth(2)).not_to_have_text(counts_cell)
    check_page(axe, anonymous, "the public receipts, a receipt found (ar)")

    search_receipt(anonymous, vote, first_receipt)
    replaced = anonymous.locator('main .notice-success[role="status"]')
    expect(replaced).to_have_count(1)
    expect(replaced).not_to_have_text(counts)
    expect(table.locator("tbody tr.highlight code.hash")).to_have_text(first_receipt)

    search_receipt(anonymous, vote, "f" * 64)
    expect(anonymous.locator('main .notice-success[role="status"]')).to_have_count(0)
    expect(anonymous.locator('main .notice-warning[role="alert"]')).to_have_count(1)
    expect(table.locator("tbody tr.highlight")).to_have_count(0)


# --- approval, secret ballots ----------------------------------------------------------------


def test_arabic_secret_approval_vote(new_page, axe, live_server, network) -> None:
    vote = open_consultation(live_server, network, "approval", max_approvals=2, secret_ballots=True)
    first, second, third = vote.proposal_ids
    a, b, _ = network.members
    move_by_services(live_server, network, vote, Phase.VOTING)

    # A ticks all three proposals where two at most may be supported: refused, ticks kept.
    page_a = new_page("ar")
    log_in(page_a, a.account)
    open_ballot(page_a, vote)
    form = ballot_form(vote)
    boxes = page_a.locator(f'{form} input[type="checkbox"][name="approve"]')
    expect(boxes).to_have_count(3)
    check_page(axe, page_a, "the ballot, approval (ar)")
    for proposal_id in vote.proposal_ids:
        page_a.locator(f'{form} input[name="approve"][value="p{proposal_id}"]').check()
    response = cast(page_a, vote)
    assert response is not None and response.status == 400, response and response.status
    assert_direction(page_a, "ar")
    error = page_a.locator('main .error-summary[role="alert"]')
    expect(error).to_have_count(1)
    expect(error).to_be_visible()
    expect(error.locator("p")).to_have_text(re.compile(r"\S"))
    expect(page_a.locator(f'{form} input[name="approve"]:checked')).to_have_count(3)
    assert current_ballots(live_server, vote) == {}
    check_page(axe, page_a, "the ballot, refused for too many approvals (ar)")

    # Two ticks: recorded, without the person who cast it.
    page_a.locator(f'{form} input[name="approve"][value="p{third}"]').uncheck()
    response = cast(page_a, vote)
    assert response is not None and response.status == 200
    ballots = current_ballots(live_server, vote)
    a_key = secret_key(live_server, page_a, vote, a.organisation_id)
    assert a.organisation_id not in ballots
    assert ballots[a_key]["content"] == {"approvals": [f"p{first}", f"p{second}"]}
    assert ballots[a_key]["person_id"] is None
    a_receipt = ballots[a_key]["receipt"]
    expect_recorded(page_a, vote, a_receipt)
    expect(page_a.locator(f'{form} input[name="approve"]:checked')).to_have_count(2)

    page_b = new_page("ar")
    log_in(page_b, b.account)
    open_ballot(page_b, vote)
    page_b.locator(f'{form} input[name="approve"][value="p{second}"]').check()
    cast(page_b, vote)
    b_receipt = current_ballots(live_server, vote)[secret_key(live_server, page_b, vote, b.organisation_id)]["receipt"]
    expect_recorded(page_b, vote, b_receipt)

    move_by_services(live_server, network, vote, Phase.CLOSED)
    move_by_services(live_server, network, vote, Phase.RESULTS_PUBLISHED)
    closed = round_row(live_server, vote)
    assert closed["results"]["winners"] == [f"p{second}"], closed["results"]
    assert closed["published_head"] == b_receipt

    anonymous = new_page("ar")
    response = anonymous.goto(f"{vote.path}/results")
    assert response is not None and response.status == 200
    assert_direction(anonymous, "ar")
    expect(anonymous.locator('main figure svg[role="img"]')).to_have_count(1)
    expect(anonymous.locator("main .results-layout table tbody tr")).to_have_count(3)
    expect(anonymous.locator("main p.lead")).to_contain_text(PROPOSAL_TITLES[1])
    expect(anonymous.locator("main dl.facts code.hash").first).to_have_text(b_receipt)
    # Secret: no organisation is named with its ballot.
    expect(anonymous.locator('main a[href^="/organisations/"]')).to_have_count(0)
    expect(anonymous.locator("main")).not_to_contain_text(a.organisation_name)
    check_page(axe, anonymous, "the results, secret approval (ar)")

    search_receipt_page = f"{vote.path}/receipts?receipt={a_receipt}"
    response = anonymous.goto(search_receipt_page)
    assert response is not None and response.status == 200
    assert_direction(anonymous, "ar")
    expect(anonymous.locator('main .notice-success[role="status"]')).to_have_count(1)
    expect(anonymous.locator("main table.receipts tbody tr.highlight code.hash")).to_have_text(
        a_receipt
    )
    check_page(axe, anonymous, "the public receipts, secret ballots (ar)")
