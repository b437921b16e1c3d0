"""The shared action plan in a real browser, in Arabic (RTL), at a phone's width.

Seeded through the services, in the live server's database: three approved member
organisations, a national consultation whose approval vote on three proposals is closed and
its results published, a steering member, an action made from two of the proposals (a
confirmed lead organisation, one progress update), and the plan's first version published.

An anonymous visitor reads the public plan (its charts are images with a name and a table of
the same figures), filters it by status with the GET form, opens the action's page (its
sources link to the proposals, the vote's ledger head as stored) and the version's diff. The
steering member, logged in with two factors, ticks the third proposal on the board of
candidates, makes an action of it from the form the proposal prefilled, and reads the
working plan. Anyone exports the published plan as an Arabic PDF and downloads it.

Pages are checked by their addresses, ids, names, values, hashes and status codes, never by
the wording of the newest strings (their Arabic is being written); axe finds nothing on any
of them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.action_plan import services as plan
from tadamon.action_plan.models import Action
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import Organisation
from tadamon.proposals import services as proposals
from tadamon.voting import services as voting
from tadamon.voting.models import VotingRound
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase, Theme
from tests.browser.test_proposal_journey import (
    Account,
    _new_user,
    _read,
    assert_direction,
    log_in,
    submit,
)
from tests.browser.test_voting_journey import (
    PROPOSAL_BODY,
    PROPOSAL_TITLES,
    _approved_organisation,
    assert_fits_the_screen,
)

HASH = re.compile(r"^[0-9a-f]{64}$")
ACTION_TITLE = "صندوق تضامني للتعاونيات وتكوين الشباب في المجال الرقمي"
UPDATE_TEXT = "تكوين أول فوج من أربعين شابا في المهارات الرقمية بسطات."
# Who approves what (at most two each): A the first two, B the first, C the last two.
APPROVALS = ((0, 1), (0,), (1, 2))


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSeed:
    steering: Account
    consultation_id: int
    proposal_ids: tuple[int, int, int]
    ledger_head: str
    definition_hash: str
    action_id: int
    lead_name: str
    version: int


def _seed(tag: str) -> PlanSeed:
    steering, steering_account = _new_user(
        f"plan-steering-{tag}@example.org", "عضو لجنة التوجيه", "ar", role="steering"
    )
    if membership.current_charter() is None:
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte du réseau"
        draft.title_ar = "ميثاق الشبكة"
        membership.save_principle(draft, None, {"title_fr": "Solidarité", "title_ar": "التضامن"})
        membership.publish_charter(steering, draft)
    theme = Theme(
        name_ar=f"الاقتصاد التضامني {tag}",
        name_fr=f"Économie solidaire {tag}",
        name_en=f"Solidarity economy {tag}",
    )
    db.session.add(theme)
    facilitator, _ = _new_user(
        f"plan-facilitator-{tag}@example.org", "سعاد المنشطة", "ar", role="facilitator"
    )
    members: list[tuple[Any, Organisation]] = []
    for letter, name in zip("abc", ("جمعية النخيل", "جمعية الأرز", "تعاونية الزيتون"), strict=True):
        person, _ = _new_user(f"plan-rep-{letter}-{tag}@example.org", f"ممثل {letter}", "ar")
        members.append((person, _approved_organisation(steering, person, f"{name} {tag}")))

    # A national consultation (no workshop): three proposals, an approval vote, closed.
    consultation = workshops.save_consultation(
        facilitator,
        None,
        None,
        workshops.ConsultationData(
            question_ar=f"ما المشاريع التي تدخل خطة العمل المشتركة؟ {tag}",
            question_fr=f"Quels projets pour le plan d'action commun ? {tag}",
            voting_method="approval",
            max_approvals=2,
        ),
    )
    workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
    ids = []
    for (person, organisation), title in zip(members, PROPOSAL_TITLES, strict=True):
        data = proposals.ProposalData(title=title, body=PROPOSAL_BODY, language="ar")
        proposal = proposals.save_draft(consultation, organisation, person, data)
        proposals.publish(proposal, person, data)
        ids.append(proposal.id)
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    workshops.move_phase(facilitator, consultation, Phase.VOTING)
    db.session.commit()
    for (person, organisation), chosen in zip(members, APPROVALS, strict=True):
        voting.cast_ballot(
            person,
            consultation,
            organisation,
            MultiDict([("approve", voting.candidate_key(ids[i])) for i in chosen]),
        )
    db.session.commit()
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    workshops.move_phase(facilitator, consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    vote = db.session.scalar(
        select(VotingRound).where(VotingRound.consultation_id == consultation.id)
    )

    # An action from the first two proposals; A leads it and reports progress.
    chosen = plan.candidate_proposals(ids[:2])
    data = plan.draft_from_proposals(chosen)
    data.title_ar = ACTION_TITLE
    data.theme_id = theme.id
    data.starts_on, data.ends_on = date(2026, 1, 1), date(2027, 12, 31)
    action = plan.create_action(steering, chosen, data)
    db.session.commit()
    lead_person, lead_organisation = members[0]
    offer = plan.volunteer(lead_person, lead_organisation, action, "lead", "لدينا عشرون مكونا.")
    plan.decide_commitment(steering, offer, True, "شكرا.")
    plan.post_update(
        lead_person,
        lead_organisation,
        action,
        plan.UpdateData(happened_on=utcnow().date(), text=UPDATE_TEXT, progress=20),
    )
    db.session.commit()
    version = plan.submit_for_review(steering, "النسخة الأولى")
    plan.publish_version(steering, version)
    db.session.commit()
    return PlanSeed(
        steering=steering_account,
        consultation_id=consultation.id,
        proposal_ids=tuple(ids),  # type: ignore[arg-type]
        ledger_head=vote.published_head,
        definition_hash=vote.definition_hash,
        action_id=action.id,
        lead_name=lead_organisation.name_ar,
        version=version.number,
    )


@pytest.fixture(scope="module")
def seed(live_server: Any) -> Iterator[PlanSeed]:
    """Unique per run: the live server and its database are shared by the session."""
    with live_server.app.app_context():
        try:
            seeded = _seed(uuid.uuid4().hex[:8])
        finally:
            db.session.remove()
    assert HASH.match(seeded.ledger_head or ""), seeded
    yield seeded


def action_rows(live_server: Any) -> dict[int, list[int]]:
    """Every action of the working plan: its source proposals' ids, by action id."""

    def work() -> dict[int, list[int]]:
        return {
            a.id: [s.proposal_id for s in a.sources]
            for a in db.session.scalars(select(Action).order_by(Action.id))
        }

    return _read(live_server, work)


# --- helpers ---------------------------------------------------------------------------------


# Every id an attribute points at must exist: a dangling reference describes or names
# nothing (what a screen reader announces is then missing, silently).
_DANGLING_REFERENCES = """() => {
  const found = [];
  for (const element of document.querySelectorAll("[aria-describedby], [aria-labelledby], label[for]")) {
    for (const name of ["aria-describedby", "aria-labelledby", "for"]) {
      for (const id of (element.getAttribute(name) || "").split(/\\s+/)) {
        if (id && !document.getElementById(id)) {
          found.push(`${name}="${id}" on ${element.outerHTML.slice(0, 140)}`);
        }
      }
    }
  }
  return found;
}"""


class PageChecks:
    """`check_page(page, label)`: at a phone's width the page fits the screen (no sideways
    scrolling, WCAG 1.4.10), no ARIA or label reference dangles, and axe finds nothing.

    The problems are collected, and `check_page.done()` at the end of the test reports them
    all: one page's problem does not hide the next pages' (the journey's own checks still
    stop it at once)."""

    def __init__(self, axe: Callable[..., None]) -> None:
        self.axe = axe
        self.problems: list[str] = []
        self.reported = False

    def __call__(self, page: Any, label: str) -> None:
        try:
            assert_fits_the_screen(page)
        except AssertionError as error:
            self.problems.append(f"{label}: {str(error).splitlines()[0]}")
        dangling = page.evaluate(_DANGLING_REFERENCES)
        if dangling:
            listed = "\n    ".join(dangling[:10])
            more = f"\n    … and {len(dangling) - 10} more" if len(dangling) > 10 else ""
            self.problems.append(
                f"{label}: {len(dangling)} reference(s) to a missing id:\n    {listed}{more}"
            )
        try:
            self.axe(page, label)
        except AssertionError as error:
            self.problems.append(str(error).split("\nassert ")[0])

    def done(self) -> None:
        self.reported = True
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture
def check_page(axe: Callable[..., None]) -> Iterator[PageChecks]:
    checks = PageChecks(axe)
    yield checks
    if checks.problems and not checks.reported:
        # The test stopped before its end: the pages checked so far still say what they had.
        print("Pages checked before the test stopped:\n\n" + "\n\n".join(checks.problems))


def open_page(page: Any, path: str, status: int = 200) -> Any:
    response = page.goto(path)
    assert response is not None and response.status == status, (
        f"{path} answered {response and response.status}, expected {status}"
    )
    assert_direction(page, "ar")
    return response


def card_link(action_id: int) -> str:
    return f'main ol.plan-actions > li.card a[href="/plan/actions/{action_id}"]'


def expect_charts(page: Any) -> None:
    """Each summary chart is an SVG image named by its caption, beside a table of its figures."""
    figures = page.locator("main figure.chart-figure:has(svg)")
    # By theme, by territory, by status, and the timeline (the action is dated).
    expect(figures).to_have_count(4)
    for figure in figures.all():
        svg = figure.locator('svg[role="img"]')
        expect(svg).to_have_count(1)
        expect(svg).to_be_visible()
        caption_id = svg.get_attribute("aria-labelledby")
        assert caption_id, "a chart without aria-labelledby"
        expect(figure.locator(f'figcaption[id="{caption_id}"]')).to_have_count(1)
        expect(svg).to_have_accessible_name(re.compile(r"\S"))
        table = figure.locator("table")
        expect(table).to_have_count(1)
        assert table.locator("tbody tr").count() >= 1
        # RTL: the labels are written right to left.
        labels = svg.locator("text.chart-label")
        assert labels.count() >= 1
        expect(labels.first).to_have_attribute("direction", "rtl")


def filter_by_status(page: Any, status: str) -> None:
    form = "main form.plan-filters"
    page.locator(f"{form} #filter-status").select_option(status)
    response = submit(page, f'{form} button[type="submit"]')
    assert response is not None and response.status == 200, response and response.status
    expect(page).to_have_url(re.compile(rf"/plan\?(.*&)?status={status}(&|$)"))
    assert_direction(page, "ar")
    expect(page.locator(f"{form} #filter-status")).to_have_value(status)


# --- the public plan -------------------------------------------------------------------------


def test_arabic_public_plan_action_and_diff(new_page, check_page, live_server, seed) -> None:
    first, second, third = seed.proposal_ids
    action_path = f"/plan/actions/{seed.action_id}"
    page = new_page("ar")

    # 1. The plan: the action's card in Arabic, the charts, the export form.
    open_page(page, "/plan")
    card = page.locator(card_link(seed.action_id))
    expect(card).to_have_count(1)
    title = card.locator('span[lang="ar"]')
    expect(title).to_have_text(ACTION_TITLE)
    expect(page.locator("main ol.plan-actions > li.card")).to_contain_text(seed.lead_name)
    expect_charts(page)
    # A visitor's plan links to the export form's own page (the plan page is then cached whole).
    expect(page.locator('main a[href="/plan/export"]')).to_have_count(1)
    check_page(page, "the public plan (ar)")

    # 2. Filtered by status with the GET form: planned hides it, in progress shows it.
    filter_by_status(page, "planned")
    expect(page.locator(card_link(seed.action_id))).to_have_count(0)
    filter_by_status(page, "in_progress")
    expect(page.locator(card_link(seed.action_id))).to_have_count(1)
    check_page(page, "the public plan, filtered by status (ar)")

    # 3. The action's page, from its card: sources, the vote's ledger head, progress, trail.
    response = submit(page, card_link(seed.action_id))
    assert response is not None and response.status == 200, response and response.status
    expect(page).to_have_url(re.compile(rf"{re.escape(action_path)}$"))
    assert_direction(page, "ar")
    expect(page.locator('main h1 span[lang="ar"]')).to_have_text(ACTION_TITLE)
    for proposal_id, proposal_title in zip((first, second), PROPOSAL_TITLES[:2], strict=True):
        source = page.locator(f'main section.card h3 a[href="/proposals/{proposal_id}"]')
        expect(source).to_have_count(1)
        expect(source).to_have_text(proposal_title)
    expect(page.locator(f'main a[href="/proposals/{third}"]')).to_have_count(0)
    sources = page.locator("main section.card")
    expect(sources).to_have_count(2)
    for section in sources.all():
        expect(section.locator("code.hash")).to_have_text([seed.ledger_head, seed.definition_hash])
        expect(
            section.locator(f'a[href="/consultations/{seed.consultation_id}/results"]')
        ).to_have_count(1)
    expect(page.locator("main")).to_contain_text(seed.lead_name)
    expect(page.locator("main ol.timeline").first).to_contain_text(UPDATE_TEXT)
    expect(page.locator("main progress")).to_have_attribute("value", "20")
    # Anonymous: nobody offers to carry it, nobody edits it.
    expect(page.locator(f'main a[href="{action_path}/volunteer"]')).to_have_count(0)
    expect(page.locator(f'main a[href="{action_path}/edit"]')).to_have_count(0)
    check_page(page, "an action of the plan (ar)")

    # 4. The first version's diff: every action is new.
    open_page(page, f"/plan/versions/{seed.version}/diff")
    expect(page.locator(f'main a[href="{action_path}"]')).to_have_count(1)
    expect(page.locator(f'main a[href="/plan/versions/{seed.version}"]')).to_have_count(1)
    check_page(page, f"the diff of version {seed.version} (ar)")
    check_page.done()


# --- the steering group makes an action from the board -------------------------------------


def test_arabic_steering_member_makes_an_action_from_the_board(
    new_page, check_page, live_server, seed
) -> None:
    first, second, third = seed.proposal_ids
    before = action_rows(live_server)
    page = new_page("ar")
    log_in(page, seed.steering)

    # 1. The board: the consultation's three candidates; two are already in the plan.
    open_page(page, "/plan/board")
    box_selectors = {
        pid: f'input[type="checkbox"][form="choose-proposals"][name="proposal"][value="{pid}"]'
        for pid in seed.proposal_ids
    }
    boxes = {pid: page.locator(f"main {selector}") for pid, selector in box_selectors.items()}
    for pid, box in boxes.items():
        expect(box).to_have_count(1)
        expect(box).to_have_id(f"candidate-{seed.consultation_id}-{pid}")
        expect(box).not_to_be_checked()
        expect(
            page.locator(f'main label[for="candidate-{seed.consultation_id}-{pid}"]')
        ).to_have_count(1)
    for pid in (first, second):
        candidate = page.locator("main li.candidate", has=page.locator(box_selectors[pid]))
        expect(candidate.locator(f'a[href="/plan/actions/{seed.action_id}"]')).to_have_count(1)
    third_candidate = page.locator("main li.candidate", has=page.locator(box_selectors[third]))
    expect(third_candidate.locator('a[href^="/plan/actions/"]')).to_have_count(0)
    expect(page.locator('main form#choose-proposals[action="/plan/actions/new"]')).to_have_count(1)
    check_page(page, "the board of candidates (ar)")

    # 2. The third proposal ticked, "make an action": the form starts from its text.
    page.locator(f'main label[for="candidate-{seed.consultation_id}-{third}"]').click()
    expect(boxes[third]).to_be_checked()
    response = submit(page, 'main button[type="submit"][form="choose-proposals"]')
    assert response is not None and response.status == 200, response and response.status
    expect(page).to_have_url(re.compile(rf"/plan/actions/new\?proposal={third}$"))
    assert_direction(page, "ar")
    expect(page.locator(".flash-error")).to_have_count(0)
    form = 'main form[action="/plan/actions/new"]'
    expect(page.locator(form)).to_have_count(1)
    expect(page.locator(f'{form} input[type="hidden"][name="proposal"]')).to_have_count(1)
    expect(page.locator(f'{form} input[type="hidden"][name="proposal"]')).to_have_value(str(third))
    expect(page.locator(f'main a[href="/proposals/{third}"]')).to_have_text(PROPOSAL_TITLES[2])
    expect(page.locator(f"{form} #title_ar")).to_have_value(PROPOSAL_TITLES[2])
    expect(page.locator(f"{form} #title_fr")).to_have_value("")
    assert (
        page.locator(f"{form} #description_ar").input_value().replace("\r\n", "\n") == PROPOSAL_BODY
    )
    expect(page.locator(f'{form} input[name="territory_scope"][value="national"]')).to_be_checked()
    check_page(page, "the new action's form, from a proposal (ar)")

    # 3. Sent as prefilled: the action's page, in the working plan.
    response = submit(page, f'{form} button[type="submit"]')
    assert response is not None and response.status == 200, response and response.status
    expect(page).to_have_url(re.compile(r"/plan/actions/\d+$"))
    assert_direction(page, "ar")
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".flash-success")).to_be_visible()
    new_id = int(page.url.rsplit("/", 1)[1])
    after = action_rows(live_server)
    assert set(after) - set(before) == {new_id}, (before, after)
    assert after[new_id] == [third]
    expect(page.locator('main h1 span[lang="ar"]')).to_have_text(PROPOSAL_TITLES[2])
    expect(page.locator(f'main section.card h3 a[href="/proposals/{third}"]')).to_have_count(1)
    expect(page.locator("main section.card code.hash")).to_have_text(
        [seed.ledger_head, seed.definition_hash]
    )
    # Not published yet: the public plan still shows version 1 alone.
    anonymous = new_page("ar")
    open_page(anonymous, "/plan")
    expect(anonymous.locator(card_link(new_id))).to_have_count(0)
    expect(anonymous.locator(card_link(seed.action_id))).to_have_count(1)

    # 4. The working plan holds both actions.
    open_page(page, "/plan/working")
    for action_id in (seed.action_id, new_id):
        expect(page.locator(f'main table a[href="/plan/actions/{action_id}"]')).to_have_count(1)
    expect(page.locator('main form[action="/plan/versions"]')).to_have_count(1)
    check_page(page, "the working plan (ar)")
    check_page.done()


# --- the export ------------------------------------------------------------------------------


def test_arabic_pdf_export_of_the_published_plan(new_page, check_page, live_server, seed) -> None:
    page = new_page("ar")
    open_page(page, "/plan")
    page.locator('main a[href="/plan/export"]').click()
    form = 'main form[action="/plan/export"]'
    expect(page.locator(f"{form} select#version")).to_have_value(str(seed.version))
    page.locator(f'{form} input[name="file_format"][value="pdf"]').check()
    page.locator(f'{form} input[name="language"][value="ar"]').check()
    response = submit(page, f'{form} button[type="submit"]')
    assert response is not None and response.status == 200, response and response.status
    expect(page).to_have_url(re.compile(r"/plan/exports/[A-Za-z0-9_-]+$"))
    assert_direction(page, "ar")
    token = page.url.rsplit("/", 1)[1]

    # Rendered at once (no Redis in tests): ready, nothing pending, a download link.
    expect(page.locator("main [data-export-pending]")).to_have_count(0)
    expect(page.locator('main [role="alert"]')).to_have_count(0)
    expect(page.locator('main p[role="status"]')).to_have_count(1)
    download = page.locator(f'main a[href="/plan/exports/{token}/download"]')
    expect(download).to_have_count(1)
    expect(download).to_contain_text(f"tadamon-action-plan-v{seed.version}-ar.pdf")
    check_page(page, "the export, ready (ar)")

    answer = page.request.get(f"/plan/exports/{token}/download")
    assert answer.status == 200, answer.status
    assert answer.headers["content-type"].split(";")[0].strip() == "application/pdf", answer.headers
    assert answer.body().startswith(b"%PDF-"), answer.body()[:40]
    check_page.done()
