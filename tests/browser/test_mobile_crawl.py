"""Every page each role reaches by links, on phones, in Arabic, French and English (issue 14).

The demo's data (`demo_server`): anonymous, member, facilitator, steering and admin each crawl
the site breadth-first from the home page, following same-origin links, in each language:
- no horizontal overflow at 375 px and at 320 px (`scrollWidth <= innerWidth`);
- axe-core finds nothing, at 375 px (one width per language), under the real CSP;
- no console error (a CSP refusal, a failed resource or a script error is one);
- no link, on any page visited, to a page that answers 403 to that role (links beyond the
  crawl's sample are asked once, without rendering);
- the site header is at most 64 px tall at 375 px.

To keep the run bounded, addresses are grouped by pattern (numbers and query values
collapsed) and one address per pattern is rendered per role and language
(TADAMON_CRAWL_PER_PATTERN raises it). Downloads, one-time tokens and log-out are not followed.

Screenshots at 375 px of the key pages in Arabic and French go to
test-artifacts/screenshots/ (what to look at: SCREENSHOTS.md beside this file).
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest

from tadamon.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS
from tadamon.core.permissions import Role

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"
LANGUAGES = ("ar", "fr", "en")
PHONE, SMALL_PHONE = 375, 320
HEADER_MAX_PX = 64
PER_PATTERN = int(os.environ.get("TADAMON_CRAWL_PER_PATTERN", "1"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

ROLES: dict[str, tuple[str, str | None] | None] = {
    "anonymous": None,
    "member": ("member@demo.tadamon.ma", None),
    "facilitator": ("facilitator@demo.tadamon.ma", DEMO_TOTP_SECRETS[Role.FACILITATOR]),
    "steering": ("steering@demo.tadamon.ma", DEMO_TOTP_SECRETS[Role.STEERING]),
    "admin": ("admin@demo.tadamon.ma", DEMO_TOTP_SECRETS[Role.ADMIN]),
}

# Not followed: files to download, one-time tokens, leaving the session, the mail outbox.
NOT_FOLLOWED = re.compile(
    r"(\.ics|\.json|\.pdf|\.csv|\.zip|/download|/pack$|/pack\?|/export|/exports/|/statutes|/documents/\d+|/attachments/\d+|/verify/|"
    r"/password/reset/|/email/confirm/|/invitations/|/dev/|/account/logout)"
)

# The key pages, screenshot by the steering group's crawl (it reaches all of them).
KEY_PAGES = {
    "home": re.compile(r"^/$"),
    "directory": re.compile(r"^/organisations$"),
    "workshop": re.compile(r"^/workshops/\d+$"),
    "consultation": re.compile(r"^/consultations/\d+$"),
    "proposal": re.compile(r"^/proposals/\d+$"),
    "results": re.compile(r"^/consultations/\d+/results$"),
    "plan": re.compile(r"^/plan$"),
    "action": re.compile(r"^/plan/actions/\d+$"),
    "board": re.compile(r"^/plan/board$"),
}
SCREENSHOT_ROLE = "steering"
SCREENSHOT_LANGUAGES = ("ar", "fr")

_REPORT_CSP_AS_CONSOLE_ERRORS = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP: ${e.violatedDirective} refused ${e.blockedURI || "inline"}`);
});"""

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                            resultTypes: ["violations"]});
  return results.violations.map((v) => `${v.id}: ${v.help} at ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""

_WIDTHS = """() => [document.scrollingElement.scrollWidth, window.innerWidth,
  Math.round(document.querySelector(".site-header").getBoundingClientRect().height)]"""


@dataclass
class Crawl:
    role: str
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)
    screenshots: set[str] = field(default_factory=set)

    def problem(self, language: str, where: str, what: str) -> None:
        self.problems.append(f"[{self.role} {language}] {where}: {what}")


def pattern_of(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def same_origin_path(href: str, origin: str) -> str | None:
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" != origin or NOT_FOLLOWED.search(parts.path):
        return None
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def log_in(page: Any, role: str) -> None:
    credentials = ROLES[role]
    if credentials is None:
        return
    email, secret = credentials
    page.goto("/account/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator('form[action="/account/login"] button[type="submit"]').click()
    if secret:
        page.locator("#code").fill(pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.locator('form[action="/account/login/two-factor"] button[type="submit"]').click()
    assert page.locator('form[action="/account/logout"]').count() == 1, f"{role} is not logged in"


def switch_language(page: Any, language: str) -> None:
    page.goto("/")
    if page.locator("html").get_attribute("lang") != language:
        with page.expect_navigation():
            page.locator(f'button[name="language"][value="{language}"]').click()
    assert page.locator("html").get_attribute("lang") == language


def crawl_language(page: Any, crawl: Crawl, language: str, origin: str, axe_source: str) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    queue: deque[str] = deque(["/"])
    queued, rendered = {"/"}, Counter[str]()
    while queue:
        path = queue.popleft()
        pattern = pattern_of(path)
        if rendered[pattern] >= PER_PATTERN:
            continue
        rendered[pattern] += 1
        page.set_viewport_size({"width": PHONE, "height": 800})
        console.clear()
        response = page.goto(path)
        status = response.status if response is not None else 0
        crawl.statuses[path] = status
        crawl.pages += 1
        if status >= 400:
            crawl.problem(language, path, f"answers {status}")
        if "text/html" not in (response.headers.get("content-type", "") if response else ""):
            continue
        scroll_width, inner_width, header = page.evaluate(_WIDTHS)
        if scroll_width > inner_width:
            crawl.problem(language, path, f"{scroll_width}px wide at {inner_width}px")
        if header > HEADER_MAX_PX:
            crawl.problem(language, path, f"header {header}px tall at {PHONE}px")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        for violation in page.evaluate(_RUN_AXE, AXE_TAGS):
            crawl.problem(language, path, f"axe {violation}")
        screenshot(page, crawl, language, path)
        page.set_viewport_size({"width": SMALL_PHONE, "height": 800})
        scroll_width, inner_width, _header = page.evaluate(_WIDTHS)
        if scroll_width > inner_width:
            crawl.problem(language, path, f"{scroll_width}px wide at {inner_width}px")
        for message in console:
            crawl.problem(language, path, f"console error: {message}")
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
        for href in hrefs:
            target = same_origin_path(href, origin)
            if target is None:
                continue
            crawl.links.setdefault(target, set()).add(path)
            if target not in queued and rendered[pattern_of(target)] < PER_PATTERN:
                queued.add(target)
                queue.append(target)


def screenshot(page: Any, crawl: Crawl, language: str, path: str) -> None:
    if crawl.role != SCREENSHOT_ROLE or language not in SCREENSHOT_LANGUAGES:
        return
    for name, wanted in KEY_PAGES.items():
        if wanted.match(path) and f"{language}-{name}" not in crawl.screenshots:
            crawl.screenshots.add(f"{language}-{name}")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{language}-{name}.png"), full_page=True)


def check_links_not_rendered(page: Any, crawl: Crawl) -> None:
    """Links beyond the rendered sample: asked once (status only), never a 403."""
    for target, referrers in sorted(crawl.links.items()):
        status = crawl.statuses.get(target)
        if status is None:
            status = page.request.get(target, max_redirects=0).status
            crawl.statuses[target] = status
        if status == 403:
            crawl.problem("*", target, f"answers 403, linked from {sorted(referrers)[:3]}")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_a_phone_and_passes_axe(role, browser, demo_server, axe_source) -> None:
    context = browser.new_context(
        base_url=demo_server.url, locale="ar", viewport={"width": PHONE, "height": 800}
    )
    context.set_default_timeout(15_000)
    context.add_init_script(_REPORT_CSP_AS_CONSOLE_ERRORS)
    crawl = Crawl(role)
    try:
        page = context.new_page()
        log_in(page, role)
        for language in LANGUAGES:
            switch_language(page, language)
            crawl_language(page, crawl, language, demo_server.url, axe_source)
        check_links_not_rendered(page, crawl)
    finally:
        context.close()
    assert crawl.pages > 10, f"{role} reached only {crawl.pages} pages"
    if role == SCREENSHOT_ROLE:
        missing = {f"{lang}-{name}" for lang in SCREENSHOT_LANGUAGES for name in KEY_PAGES}
        assert missing <= crawl.screenshots, f"no screenshot of {sorted(missing - crawl.screenshots)}"
    assert not crawl.problems, f"{len(crawl.problems)} problem(s) in {crawl.pages} pages:\n" + "\n".join(
        crawl.problems[:60]
    )


# --- the ballot on a phone -------------------------------------------------------------------

BALLOT_VOTER = "person1@demo.tadamon.ma"  # represents an organisation on the open vote's roll

_TARGETS = """() => [...document.querySelectorAll('form.ballot input[type=radio], form.ballot input[type=checkbox]')]
  .map((input) => { const row = input.closest('.choice').getBoundingClientRect();
                    return [input.id, Math.round(row.width), Math.round(row.height)]; })"""


def _open_vote(demo_server: Any) -> int:
    from sqlalchemy import select

    from tadamon.extensions import db
    from tadamon.workshops.models import Consultation, Phase

    with demo_server.app.app_context():
        try:
            found = db.session.scalar(
                select(Consultation.id).where(Consultation.phase == Phase.VOTING).order_by(Consultation.id)
            )
        finally:
            db.session.remove()
    assert found is not None, "the demo has no consultation open for voting"
    return found


@pytest.mark.parametrize("language", SCREENSHOT_LANGUAGES)
def test_ballot_made_for_thumbs(language, browser, demo_server, axe_source) -> None:
    """Status first, choices as 44 px rows, no link inside a label; screenshot at 375 px."""
    path = f"/consultations/{_open_vote(demo_server)}/vote"
    context = browser.new_context(
        base_url=demo_server.url, locale=language, viewport={"width": PHONE, "height": 800}
    )
    context.add_init_script(_REPORT_CSP_AS_CONSOLE_ERRORS)
    try:
        page = context.new_page()
        page.goto("/account/login")
        page.locator("#email").fill(BALLOT_VOTER)
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator('form[action="/account/login"] button[type="submit"]').click()
        switch_language(page, language)
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        form = page.locator("main form.ballot")
        assert form.count() == 1
        # The organisation's status comes before the choices, the fingerprint after, folded.
        assert page.evaluate(
            "() => document.querySelector('.ballot-status').compareDocumentPosition("
            "document.querySelector('form.ballot')) & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        assert page.locator("main details.vote-details code.hash").count() == 1
        assert not page.locator("main details.vote-details").get_attribute("open")
        assert page.locator("form.ballot label a, form.ballot legend a").count() == 0
        assert page.locator("form.ballot details.choice-summary a[href^='/proposals/']").count() >= 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{language}-ballot.png"), full_page=True)
        for width in (PHONE, SMALL_PHONE):
            page.set_viewport_size({"width": width, "height": 800})
            targets = page.evaluate(_TARGETS)
            assert targets, "no choice on the ballot"
            small = [t for t in targets if t[1] < 44 or t[2] < 44]
            assert not small, f"choices smaller than 44×44 px at {width}px: {small}"
            scroll_width, inner_width, _header = page.evaluate(_WIDTHS)
            assert scroll_width <= inner_width, f"the ballot is {scroll_width}px wide at {inner_width}px"
        page.set_viewport_size({"width": PHONE, "height": 800})
        page.locator("form.ballot details.choice-summary summary").first.click()
        page.evaluate(axe_source)
        assert page.evaluate(_RUN_AXE, AXE_TAGS) == []
    finally:
        context.close()
