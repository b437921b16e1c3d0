"""Production, as deployed: nginx in front of two gunicorn instances, the RQ worker and the
scheduler, all started from deploy/ (the nginx site, the systemd units, the environment
example), on one PostgreSQL database of their own and the shared Redis.

One organisation's representative goes through nginx and is served by each instance in turn,
which each response proves (X-Served-By, the instance's name; nginx's map sends a request to
the instance named in X-Tadamon-Instance): logged in on one, recognised on the other; a
proposal's attachment uploaded on one, downloaded from the other; a plan export asked on one,
rendered by the worker, downloaded from the other. Meanwhile the scheduler moves a consultation
whose time has come, with no request doing the periodic work (TADAMON_TICK_ON_REQUEST=0).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests import support
from tests.deploy import topology

pytestmark = [
    pytest.mark.skipif(topology.nginx_binary() is None,
                       reason="nginx is not installed (apt-get install nginx-light, or set TADAMON_NGINX)"),
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                       reason="needs PostgreSQL: runs in the PostgreSQL pass (TEST_DATABASE_URL)"),
    # Five server processes on a 2-core machine: never beside another test's.
    pytest.mark.xdist_group("topology"),
]

MEMBER = "member.en@demo.tadamon.ma"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class FormReader(HTMLParser):
    """The fields of the page's forms, as a browser would post them (first value of each)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action") or "", "fields": {}, "select": None})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"] if self.forms else {}
        name = values.get("name")
        if tag == "input" and name and values.get("type") not in ("file", "submit", "button"):
            if values.get("type") in ("radio", "checkbox") and "checked" not in values:
                fields.setdefault(name, None)
                return
            if fields.get(name) is None:
                fields[name] = values.get("value") or ""
        elif tag == "textarea" and name:
            fields.setdefault(name, "")
        elif tag == "select" and name:
            self.forms[-1]["select"] = name
        elif tag == "option" and self.forms and self.forms[-1]["select"]:
            select_name = self.forms[-1]["select"]
            if fields.get(select_name) is None or "selected" in values:
                fields[select_name] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.forms:
            self.forms[-1]["select"] = None


def form_fields(page: str, containing: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    for form in reader.forms:
        if containing in form["fields"]:
            return {key: value for key, value in form["fields"].items() if value is not None}
    raise AssertionError(f"no form with a {containing!r} field")


class Visitor:
    """A browser through nginx that chooses which instance serves each request."""

    def __init__(self, deployed: topology.Topology) -> None:
        self.deployed = deployed
        self.http = requests.Session()
        # REQUESTS_CA_BUNDLE (and proxies) from the environment would override the run's certificate.
        self.http.trust_env = False
        self.http.verify = str(deployed.certificate)
        self.http.headers["Accept-Language"] = "en"

    def send(self, method: str, path: str, on: str, **options: Any) -> requests.Response:
        url = self.deployed.base_url + path
        # Flask-WTF checks the Referer of HTTPS posts (WTF_CSRF_SSL_STRICT), as a browser sends it.
        headers = {"X-Tadamon-Instance": on, "Referer": url, **options.pop("headers", {})}
        response = self.http.request(method, url, headers=headers, allow_redirects=False, timeout=60, **options)
        assert response.headers.get("X-Served-By") == on, (path, response.status_code, response.headers)
        assert response.headers.get("X-Request-Id"), "nginx names every request"
        return response


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database of its own, migrated, with the demo and a consultation whose phase is due."""
    with topology.postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        app = support.make_test_app(url)
        with app.app_context():
            from tadamon import demo
            from tadamon.core.db import utcnow
            from tadamon.extensions import db
            from tadamon.workshops.models import Consultation, Phase

            support.upgrade_database()
            demo.build(scale=1)
            # The consultation open to registered workshops only is due to move to deliberation.
            due = db.session.scalar(select(Consultation).where(Consultation.phase == Phase.PROPOSALS_OPEN,
                                                              Consultation.participation == "registered"))
            assert due is not None
            due.deliberation_at = utcnow() - timedelta(minutes=1)
            due.next_move_at = due.deliberation_at
            db.session.commit()
            db.engine.dispose()
        yield url


@pytest.fixture(scope="module")
def deployed(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[topology.Topology]:
    redis_url = os.environ.get("TEST_REDIS_URL", support.TEST_REDIS_URL)
    with support.redis_database(redis_url):
        folder = tmp_path_factory.mktemp("topology")
        # The demo's passwords were hashed at the tests' low cost: verifying them stays cheap.
        with topology.running(folder, database, redis_url, settings={"TICK_EVERY_SECONDS": "2"}) as running:
            for name in running.instances:
                _wait_healthy(running, name)
            yield running


def _wait_healthy(deployed: topology.Topology, name: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = requests.get(deployed.base_url + "/healthz", headers={"X-Tadamon-Instance": name},
                                  verify=str(deployed.certificate), timeout=10)
            if answer.status_code == 200 and answer.headers.get("X-Served-By") == name:
                return
        except requests.RequestException:
            answer = None
        if time.monotonic() > deadline:
            pytest.fail(f"{name} is not healthy: {answer and answer.text}\n{deployed.log(f'tadamon-web@{name[4:]}.service')}")
        time.sleep(0.5)


def _query(database: str, statement: Any) -> Any:
    from sqlalchemy import create_engine

    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).all()
    finally:
        engine.dispose()


def test_a_journey_across_both_instances(deployed, database):
    from tadamon.action_plan.models import PlanExport
    from tadamon.workshops.models import Consultation, Phase, PhaseMove

    a, b = deployed.instances
    visitor = Visitor(deployed)
    # HTTP only ever moves to HTTPS.
    plain = requests.get(f"http://127.0.0.1:{deployed.http_port}/plan", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")

    # Logged in on A ...
    page = visitor.send("GET", "/account/login", a).text
    fields = form_fields(page, "password")
    answer = visitor.send("POST", "/account/login", a,
                          data={**fields, "email": MEMBER, "password": support_password()})
    assert answer.status_code == 302, answer.text[:2000]
    # ... and recognised on B: the session lives in the shared database, not in A.
    account = visitor.send("GET", "/account/", b)
    assert account.status_code == 200 and MEMBER in account.text

    # A static file, served by nginx itself under its content hash, cached for a year.
    stylesheet = re.search(r'href="(/static/[^"]+\.css\?v=[0-9a-f]{12})"', account.text)
    assert stylesheet, "the page links its stylesheet by hash"
    static = visitor.http.get(deployed.base_url + stylesheet.group(1), timeout=10)
    assert static.status_code == 200 and "X-Served-By" not in static.headers
    assert static.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # A proposal with an attachment, written on A ...
    open_consultation = _query(database, select(Consultation.id).where(
        Consultation.phase == Phase.PROPOSALS_OPEN, Consultation.participation == "all_members"))[0][0]
    new = f"/consultations/{open_consultation}/proposals/new"
    fields = form_fields(visitor.send("GET", new, a).text, "title")
    fields.update(title="Shared files for every instance", body="A proposal written on one instance.",
                  language="en", territory_scope="national", action="publish")
    written = visitor.send("POST", new, a, data=fields, files={"attachment": ("plan.png", PNG, "image/png")})
    assert re.search(r"/proposals/\d+$", written.headers.get("Location", "")), \
        visitor.send("GET", written.headers.get("Location", new), a).text[-6000:]
    shown = visitor.send("GET", written.headers["Location"], a).text
    link = re.search(r'href="(/proposals/\d+/attachments/\d+)"', shown)
    assert link, shown[-6000:]
    # ... read on B.
    download = visitor.send("GET", link.group(1), b)
    assert download.status_code == 200 and download.content == PNG

    # A plan export asked on A, rendered by the RQ worker, downloaded from B.
    fields = form_fields(visitor.send("GET", "/plan/export", a).text, "file_format")
    asked = visitor.send("POST", "/plan/export", a, data={**fields, "file_format": "pdf", "language": "ar"})
    assert asked.status_code == 302, asked.text[:2000]
    token = asked.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 60
    while True:
        file = visitor.send("GET", f"/plan/exports/{token}/download", b)
        if file.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert file.status_code == 200, deployed.log("tadamon-worker.service")[-3000:]
    assert file.content.startswith(b"%PDF")
    assert _query(database, select(PlanExport.state).where(PlanExport.token == token))[0][0] == "done"
    # The RQ job is `export_job` (it builds the worker's application, then calls run_export);
    # a web process's fallback thread would leave no line here.
    export_id = _query(database, select(PlanExport.id).where(PlanExport.token == token))[0][0]
    assert f"Successfully completed tadamon.action_plan.jobs.export_job({export_id})" in \
        deployed.log("tadamon-worker.service"), "the worker rendered it, not a web process"

    # The scheduler moved the consultation whose deliberation was due; no request ticks here.
    deadline = time.monotonic() + 30
    while not (moves := _query(database, select(PhaseMove.to_phase, PhaseMove.moved_by_id)
                               .where(PhaseMove.moved_at > func.now() - timedelta(minutes=10)))):
        assert time.monotonic() < deadline, deployed.log("tadamon-scheduler.service")[-3000:]
        time.sleep(0.5)
    assert (Phase.DELIBERATION, None) in [(Phase(phase), by) for phase, by in moves]
    assert "move_due_phases=1" in deployed.log("tadamon-scheduler.service")


def test_two_schedulers_never_run_the_same_tick(deployed, database):
    """A second scheduler (another machine) against the same database skips while one ticks."""
    app = support.make_test_app(database)
    with app.app_context():
        from tadamon.core.scheduler import tick_lock
        from tadamon.extensions import db

        deadline = time.monotonic() + 20
        while True:  # the running scheduler holds the lock only while it ticks
            with tick_lock() as taken:
                if taken:
                    with tick_lock() as again:
                        assert not again
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        db.engine.dispose()


def support_password() -> str:
    from tadamon.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
