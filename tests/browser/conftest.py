"""Browser tests: a live Tadamon server on its own SQLite file, driven by headless Chromium.

- Every test in this folder is marked `browser` and kept in one xdist group, so the suite's
  `-n 2 --dist loadgroup` run gives all of them to one worker (one server, one browser);
  everything is session-scoped per worker, so the tests also hold when split.
- The live server's app is never the harness's `app` fixture: that one is wrapped in a
  rolled-back transaction per test, which a server thread must not share. Never request
  the fixture named `app` here; use `live_server`.
- Chromium is Debian's (/usr/bin/chromium); `playwright install` is never run.
- Pages run under the application's real Content-Security-Policy (no `bypass_csp`): the
  live server sends the production security headers, and a CSP violation reported by
  Chromium fails the test. axe-core, vendored by `make axe` into .cache/axe/, is evaluated
  through the DevTools protocol (`page.evaluate`), which a page's CSP does not govern,
  rather than injected as an inline script tag, which it would refuse.
- On failure, a full-page screenshot and the HTML of every page the test opened go to
  test-artifacts/.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tadamon.accounts.models import User
from tadamon.core.mail import OutboxMessage
from tadamon.extensions import db
from tests import support

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE_SCRIPT = REPO_ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Mobile first: every page is checked at a phone's width unless a test says otherwise.
MOBILE_VIEWPORT = {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VERIFY_LINK = re.compile(r"https?://[^\s<>\"']+/account/verify/[A-Za-z0-9_\-.~%]+")


# --- marks -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks this folder's tests `browser` and puts them in one xdist group.

    A conftest's hook sees every collected item, so only those under this folder are marked.
    `tryfirst`: the marks must exist before pytest-xdist's own hook reads them.

    Caveat: with pytest 9.2 and pytest-xdist 3.8 loadgroup silently groups nothing (xdist
    still writes the legacy `item._nodeid`; pytest-dev/pytest-xdist#1386). Each worker then
    starts its own server, database and browser: still correct, only a little slower.
    """
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the live server -------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: failures show the page, not a wall of GETs."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tadamon served over HTTP from a thread, on its own SQLite file (never the test DB).

    The socket is bound first so the app can be built knowing its public base URL (the
    links in emails point at it); the server then serves that app.
    """
    database = tmp_path_factory.mktemp("browser-db") / "tadamon-browser.sqlite3"
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, _not_ready, threaded=True, request_handler=_QuietHandler
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = support.make_test_app(
        f"sqlite:///{database}",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
        PUBLIC_BASE_URL=base_url,
    )
    with app.app_context():
        support.upgrade_database()
        db.session.remove()
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="tadamon-live-server", daemon=True)
    thread.start()
    try:
        _assert_production_security_headers(base_url)
        yield LiveServer(url=base_url, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second live server holding `flask demo`'s data (every role, a published plan, votes
    open and closed), on its own SQLite file: the whole-site crawls read it, never write it."""
    from tadamon import demo

    database = tmp_path_factory.mktemp("demo-db") / "tadamon-demo.sqlite3"
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, _not_ready, threaded=True, request_handler=_QuietHandler
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = support.make_test_app(
        f"sqlite:///{database}",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
        PUBLIC_BASE_URL=base_url,
        SHOW_OUTBOX_PAGE=False,
    )
    with app.app_context():
        support.upgrade_database()
        demo.build()
        db.session.commit()
        db.session.remove()
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="tadamon-demo-server", daemon=True)
    thread.start()
    try:
        _assert_production_security_headers(base_url)
        yield LiveServer(url=base_url, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def _assert_production_security_headers(base_url: str) -> None:
    """The browser sees what production sends: a strict CSP, no test-only loosening."""
    with urllib.request.urlopen(f"{base_url}/", timeout=10) as response:  # noqa: S310 - our server
        policy = response.headers.get("Content-Security-Policy", "")
        assert response.headers.get("X-Frame-Options") == "DENY"
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives.get("script-src") == "'self'", policy
    assert directives.get("style-src") == "'self'", policy
    assert "unsafe" not in policy, policy


# --- reading the database the live server writes ---------------------------------------------


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    language: str
    text_body: str
    html_body: str

    def verification_link(self) -> str:
        match = VERIFY_LINK.search(self.text_body)
        assert match, f"no /account/verify/<token> link in the email's text:\n{self.text_body}"
        return match.group(0)


@pytest.fixture
def mail_outbox(live_server: LiveServer) -> Callable[..., list[Mail]]:
    """`mail_outbox(to=address)`: the emails the live app stored for `address`, oldest first."""

    def read(to: str | None = None) -> list[Mail]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.recipient == to)
        with live_server.app.app_context():
            try:
                return [
                    Mail(m.recipient, m.subject, m.language, m.text_body, m.html_body)
                    for m in db.session.scalars(query)
                ]
            finally:
                db.session.remove()

    return read


@pytest.fixture
def account_language(live_server: LiveServer) -> Callable[[str], str | None]:
    """`account_language(email)`: the language saved on that account, as the app stores it."""

    def read(email: str) -> str | None:
        with live_server.app.app_context():
            try:
                return db.session.scalar(
                    select(User.preferred_language).where(User.email == email.lower())
                )
            finally:
                db.session.remove()

    return read


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.fail("Playwright is not installed: run `make install` (pip install -e '.[dev]').")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-packages` (Debian's chromium).")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """`new_page(locale="ar")`: a page in a fresh browser context (own cookies) whose
    relative `goto`s resolve against the live server. Saved to test-artifacts/ on failure."""
    contexts: list[Any] = []
    violations: list[str] = []

    def watch(page: Any) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)

    def open_page(locale: str, *, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport=viewport or MOBILE_VIEWPORT,
        )
        context.set_default_timeout(10_000)
        context.on("page", watch)
        # Every refusal the page's CSP makes, reported from the page itself as it happens.
        context.expose_binding(
            "__tadamonCspViolation", lambda source, text: violations.append(f"{source['page'].url}: {text}")
        )
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        return context.new_page()

    yield open_page

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _save_artifacts(request.node.nodeid, [page for c in contexts for page in c.pages])
    for context in contexts:
        context.close()
    if violations and not (report is not None and report.failed):
        pytest.fail("the Content-Security-Policy refused something:\n" + "\n".join(violations))


_REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  window.__tadamonCspViolation(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || ""}:${event.lineNumber || ""}`);
});"""


def _save_artifacts(nodeid: str, pages: list[Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")
    for number, page in enumerate(pages, start=1):
        base = f"{stem}-page{number}"
        try:
            page.screenshot(path=str(ARTIFACTS / f"{base}.png"), full_page=True)
            (ARTIFACTS / f"{base}.html").write_text(
                f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8"
            )
        except Exception as error:  # noqa: BLE001 - a broken page must not hide the failure
            (ARTIFACTS / f"{base}.txt").write_text(f"could not save {page.url}: {error}\n")


# --- accessibility ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is missing ({AXE_SCRIPT.relative_to(REPO_ROOT)}): run `make axe` "
            "to vendor it from npm once."
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
  }));
}"""


@pytest.fixture
def axe(axe_source: str) -> Callable[..., None]:
    """`axe(page)`: asserts the page as it is now has no WCAG 2.1 A/AA violation."""

    def check(page: Any, label: str = "") -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated, not added as a <script>: the page's CSP refuses inline scripts, and
            # neither the checked DOM nor a saved failure page carries half a megabyte of it.
            page.evaluate(axe_source)
        violations = page.evaluate(_RUN_AXE, AXE_TAGS)
        assert not violations, _describe_violations(label or page.url, violations)

    return check


def _describe_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:10]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    at {target}: {summary}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)
