"""Benchmarks that print their figures (`make benchmark SCALE=N`): never timed assertions in tests.

A development tool, kept out of the runtime package: `.venv/bin/python scripts/benchmarks.py [SCALE]`.

Builds a throwaway SQLite database with the demo at a chosen scale, then measures the
heavy paths: the similar-proposals refresh as the number of proposals grows, and the
response time and query count of the busiest list pages.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _timed(function: Callable[[], Any], repeat: int = 5) -> tuple[float, float]:
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), max(durations)


def main(scale: int = 10) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from tadamon import create_app, demo
    from tadamon.extensions import db, migrations

    folder = tempfile.mkdtemp(prefix="tadamon-bench-")
    os.environ.setdefault("TADAMON_INSTANCE_PATH", folder)
    app = create_app({"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                      "RATELIMIT_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                      "ARGON2_PARALLELISM": 1})
    with app.app_context():
        migrations(app)
        upgrade()
        started = time.perf_counter()
        demo.build(scale=scale)
        db.session.commit()
        print(f"demo --scale {scale}: built in {time.perf_counter() - started:.1f} s")

        from tadamon.membership.models import Organisation
        from tadamon.proposals import similarity
        from tadamon.proposals.models import Proposal
        from tadamon.workshops.models import Consultation

        organisations = db.session.scalar(select(func.count()).select_from(Organisation))
        proposals = db.session.scalar(select(func.count()).select_from(Proposal))
        print(f"organisations: {organisations}, proposals: {proposals}")
        one = db.session.scalar(select(Proposal).where(Proposal.state == "published").limit(1))
        median, worst = _timed(lambda: similarity.refresh(one))
        print(f"similar proposals, refresh of one proposal against {proposals}: median {median * 1000:.0f} ms, "
              f"worst {worst * 1000:.0f} ms")
        median, worst = _timed(similarity.refresh_all, repeat=1)
        print(f"similar proposals, full refresh of {proposals}: {median:.2f} s")
        db.session.commit()
        consultation_id = db.session.scalar(select(Consultation.id).where(Consultation.phase != "draft").limit(1))
        published_id = db.session.scalar(select(Consultation.id).where(Consultation.phase == "results_published")
                                         .limit(1))
        if published_id is not None:
            from tadamon.voting import ledger
            from tadamon.voting import services as voting

            vote = voting.round_of(db.session.get(Consultation, published_id))
            median, _ = _timed(lambda: ledger.export_document(vote))
            print(f"export of {vote.participants} ballots: median {median * 1000:.1f} ms")
            median, _ = _timed(lambda: ledger.verify(vote))
            print(f"verify-ledger of {vote.ledger_length} entries (chain and tally): median {median * 1000:.1f} ms")

    client = app.test_client()
    pages = ["/", "/organisations", "/organisations?q=جمعية", "/workshops",
             f"/consultations/{consultation_id}/proposals", f"/consultations/{consultation_id}/proposals?sort=cosigned"]
    if published_id is not None:
        pages += [f"/consultations/{published_id}/results", f"/consultations/{published_id}/receipts"]
    pages += ["/plan", "/plan?status=in_progress", "/plan/actions/1", "/plan/versions/1/diff"]
    with app.app_context():
        engine = db.engine
    # A process's first request runs the scheduler's periodic work: not the page's cost.
    client.get("/")
    # Rendered (the anonymous page cache off), then served from the page cache.
    for cache in (False, True):
        app.config["PAGE_CACHE"] = cache
        for page in pages:
            statements: list[str] = []
            listener = lambda *args, seen=statements: seen.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                client.get(page)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            median, worst = _timed(lambda page=page: client.get(page), repeat=10)
            print(f"GET {page}{' (page cache)' if cache else ''}: {len(statements)} queries, "
                  f"median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms")


_REFERENCE: dict[str, float] = {}


def machine_reference(loops: int = 10_000_000, runs: int = 5) -> float:
    """Prints the CPU seconds of a fixed pure-Python loop (`loops` additions), median of `runs`,
    and the load: what the machine was doing in this run. A tight loop stays in the processor's
    cache: on 2026-12-01 it ran as fast as ever (0.38 s) while a hello-world Flask command took
    2.8 times as long to start as the evening before (0.50 s against 0.18 s) and the plan's PDF
    2.6 times as long: read the start-up's hello-world line as the machine's speed for the rest."""
    seconds = []
    for _ in range(runs):
        started, total = time.process_time(), 0
        for number in range(loops):
            total += number
        seconds.append(time.process_time() - started)
    _REFERENCE["loop"] = statistics.median(seconds)
    print(f"machine reference: {loops:,} Python additions in {_REFERENCE['loop']:.2f} s of CPU "
          f"(median of {runs}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    return _REFERENCE["loop"]


def plan_exports(action_count: int = 200) -> None:
    """Prints how long each export format takes for a plan of `action_count` actions: the
    demo's plan, its actions repeated with their sources, progress and trail."""
    import copy
    import json

    from flask_migrate import upgrade

    from tadamon import create_app, demo
    from tadamon.action_plan import exports, services
    from tadamon.extensions import db, migrations

    folder = tempfile.mkdtemp(prefix="tadamon-bench-plan-")
    app = create_app({"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/plan.sqlite3",
                      "RATELIMIT_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                      "ARGON2_PARALLELISM": 1, "EXPORT_FOLDER": folder})
    with app.app_context():
        migrations(app)
        upgrade()
        demo.build(scale=1)
        db.session.commit()
        base = services.build_snapshot()
        actions = []
        for number in range(action_count):
            action = copy.deepcopy(base["actions"][number % len(base["actions"])])
            action["id"], action["number"] = f"action-{number + 1}", number + 1
            action["title"] = {code: f"{text} ({number + 1})" if text else "" for code, text in action["title"].items()}
            actions.append(action)
        snapshot = {**base, "version": 1, "state": "published", "actions": actions}
        print(f"plan export: {action_count} actions, snapshot of {len(json.dumps(snapshot)) // 1024} KiB")
        with app.test_request_context("/"):
            for file_format in exports.FORMATS:
                if file_format == "pdf":
                    for language in ("ar", "fr", "en"):
                        _pdf_export(exports, snapshot, language, action_count)
                    continue
                started = time.perf_counter()
                data = exports.render(snapshot, file_format, "ar")
                print(f"export {file_format} (ar) of {action_count} actions: {time.perf_counter() - started:.2f} s, "
                      f"{len(data) // 1024} KiB")


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended (the PDF's worker
    processes end with each render)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pdf_export(exports: Any, snapshot: dict[str, Any], language: str, action_count: int, runs: int = 3) -> None:
    """The plan's PDF in `language`, `runs` times: wall and CPU medians beside the goal (5 s on
    2 cores, so about 10 s of CPU for all processes), and where the CPU went (tadamon.core.pdf
    logs it per render)."""
    import logging

    from flask_babel import force_locale

    class Breakdown(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.seconds: list[dict[str, float]] = []

        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "pdf_seconds"):
                self.seconds.append(record.pdf_seconds)

    pdf_log = logging.getLogger("tadamon.core.pdf")
    breakdown, level = Breakdown(), pdf_log.level
    pdf_log.addHandler(breakdown)
    pdf_log.setLevel(logging.INFO)
    walls, cpus, html_cpus, data = [], [], [], b""
    try:
        for _ in range(runs):
            cpu, started = _cpu_seconds(), time.perf_counter()
            data = exports.render(snapshot, "pdf", language)
            walls.append(time.perf_counter() - started)
            cpus.append(_cpu_seconds() - cpu)
            with force_locale(language):
                cpu = _cpu_seconds()
                exports.pdf_html(snapshot, language)
                html_cpus.append(_cpu_seconds() - cpu)
    finally:
        pdf_log.removeHandler(breakdown)
        pdf_log.setLevel(level)
    print(f"export pdf ({language}) of {action_count} actions: wall median {statistics.median(walls):.2f} s "
          f"(max {max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s of {runs} runs; goal: 5 s wall on "
          f"2 cores, ~10 s CPU; {len(data) // 1024} KiB, {os.cpu_count()} cores")
    parts = [f"HTML (Jinja) {statistics.median(html_cpus):.2f}"]
    if breakdown.seconds:
        parts += [f"{name} {statistics.median(run[name] for run in breakdown.seconds):.2f}"
                  for name in breakdown.seconds[0]]
    print("  CPU s, medians: " + ", ".join(parts))


def command_start_up(repeat: int = 5) -> None:
    """Prints the start-up of `flask --app wsgi export-plan --help` (what every export command
    pays before its work; goal: under 1 s) beside a hello-world Flask app's `flask routes` started
    the same way in the same run: medians of wall time and of CPU time (user + system, steadier
    on a shared machine), then the heaviest imports.

    Measured twice. "Deployed": with bytecode caches, as an installed or once-run checkout has
    them (here in a throwaway PYTHONPYCACHEPREFIX, filled by a first run not counted). "No
    bytecode cache": as this environment runs when it sets PYTHONDONTWRITEBYTECODE, every start
    compiling the checkout's ~190 modules from source (the installed libraries keep theirs)."""
    import resource
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = {name: value for name, value in os.environ.items()
            if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base["PYTHONPATH"] = os.path.join(root, "platform")
    conditions = {"deployed": {**base, "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="tadamon-bench-pyc-")},
                  "no bytecode cache": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}
    if any(Path(root, "platform", "tadamon", "__pycache__").glob("*.pyc")):
        del conditions["no bytecode cache"]  # this checkout has its caches: that figure cannot be taken
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    folder = tempfile.mkdtemp(prefix="tadamon-bench-hello-")
    with open(os.path.join(folder, "hello.py"), "w", encoding="utf-8") as handle:
        handle.write("from flask import Flask\napp = Flask(__name__)\n\n@app.get('/')\ndef hello():\n"
                     "    return 'hello'\n")
    commands = {"tadamon": ([flask, "--app", "wsgi", "export-plan", "--help"], root),
                "hello-world": ([flask, "--app", "hello", "routes"], folder)}
    for condition, environment in conditions.items():
        for command, cwd in commands.values():  # fills the bytecode caches; not counted
            subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)  # noqa: S603
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, (command, cwd) in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)  # noqa: S603
                walls[name].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        wall, reference_wall, cpu, reference_cpu = (statistics.median(figures[name])
                                                    for figures in (walls, cpus) for name in commands)
        print(f"export command start-up ({condition}): median of {repeat}: {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"(goal: 1 s); a hello-world Flask command: {reference_wall:.2f} s wall, {reference_cpu:.2f} s CPU "
              f"(ratios {wall / reference_wall:.1f}, {cpu / reference_cpu:.1f})")
    report = subprocess.run([sys.executable, "-X", "importtime", "-c", "import wsgi"], cwd=root,  # noqa: S603
                            env=conditions["deployed"], check=True, capture_output=True, text=True).stderr
    rows = [line.split("|") for line in report.splitlines() if line.startswith("import time:") and "|" in line]
    heaviest = sorted(((int(row[1]), row[2].strip()) for row in rows[1:] if row[1].strip().isdigit()),
                      reverse=True)
    top = [f"{name} {micro / 1e6:.2f} s" for micro, name in heaviest if "." not in name][:6]
    print("import wsgi, heaviest top-level imports: " + ", ".join(top))


def worker_memory() -> None:
    """Prints the resident memory (VmRSS, what `scripts/loadtest.py` reads of each gunicorn
    worker; goal: 100 MB) of a fresh process that builds the application as a web worker does
    (without docstrings, PYTHONOPTIMIZE=2),
    then serves the main pages in the three languages, anonymous and logged in, on the demo
    (SQLite, scale 1): after the imports, after `create_app()`, after a first and a second
    round of the pages, and after the heap's free pages are given back as gunicorn.conf.py's
    post_request does every 100 requests (malloc_trim). Then PSS and USS, and the goal's verdict
    on the last RSS. Each reading is in a process of its own: this one has imported more.

    RSS counts the pages shared with other processes in full (libraries, and with a preloading
    arbiter, everything it built); PSS divides them among the processes; USS is this one's own."""
    import json
    import subprocess

    from tadamon import demo

    folder = tempfile.mkdtemp(prefix="tadamon-bench-memory-")
    url = f"sqlite:///{folder}/memory.sqlite3"
    _seed_demo(url, folder)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # Without docstrings, as the web units run (deploy/systemd/tadamon-web@.service).
    environment = {**os.environ, "PYTHONOPTIMIZE": "2",
                   "PYTHONPATH": os.pathsep.join([os.path.join(root, "platform"), os.path.join(root, "scripts")])}
    code = f"import benchmarks; benchmarks.serve_main_pages({url!r}, {folder!r}, {demo.DEMO_PASSWORD!r})"
    report = subprocess.run([sys.executable, "-c", code], cwd=root, env=environment,  # noqa: S603
                            check=True, capture_output=True, text=True).stdout
    readings = json.loads(report.splitlines()[-1])
    shares = {name: readings.pop(name) for name in ("PSS", "USS")}
    last = readings[list(readings)[-1]]
    print("worker memory, VmRSS after: " + ", ".join(f"{name} {size:.0f} MB" for name, size in readings.items())
          + f"; at the end, PSS {shares['PSS']:.0f} MB, USS {shares['USS']:.0f} MB (goal: RSS ≤100 MB after the "
          + f"load test: {'OK' if last <= 100 else 'MISSED'} here, {last:.0f} MB)")


def _seed_demo(url: str, folder: str) -> None:
    from flask_migrate import upgrade

    from tadamon import demo
    from tadamon.extensions import db, migrations

    app = _bench_app(url, folder)
    with app.app_context():
        migrations(app)
        upgrade()
        demo.build(scale=1)
        db.session.commit()
        db.engine.dispose()


def _resident_mb() -> float:
    import re

    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def serve_main_pages(url: str, folder: str, password: str) -> None:
    """Run by worker_memory in a fresh process: prints its readings as one JSON line."""
    import json

    readings = {"python": _resident_mb()}
    from sqlalchemy import select

    from tadamon import create_app

    readings["flask and sqlalchemy"] = _resident_mb()
    # As in production (the anonymous page cache on, TICK_ON_REQUEST), on the demo database.
    # nginx compresses, as deploy/tadamon.env.example says (TADAMON_PROXY_COMPRESSES).
    app = create_app({"ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "MAIL_SERVER": "", "PUBLIC_BASE_URL": "http://localhost",
                      "EXPORT_FOLDER": folder, "STORAGE_ROOT": folder, "LOG_CONFIGURE": False,
                      "ACCESS_LOG": False, "PROXY_COMPRESSES": True})
    readings["create_app"] = _resident_mb()
    with app.app_context():
        from tadamon.extensions import db
        from tadamon.proposals.models import Proposal
        from tadamon.voting.models import VotingRound
        from tadamon.workshops.models import Consultation, Phase

        proposal = db.session.scalar(select(Proposal.id).where(Proposal.state == "published").limit(1))
        listing = db.session.scalar(select(Proposal.consultation_id).where(Proposal.id == proposal))
        results = db.session.scalar(select(Consultation.id).join(VotingRound).where(
            Consultation.phase == Phase.RESULTS_PUBLISHED).limit(1))
        action = db.session.scalar(select(db.metadata.tables["plan_actions"].c.id).limit(1))
    pages = ["/", "/organisations", "/workshops", f"/consultations/{listing}/proposals", f"/proposals/{proposal}",
             f"/consultations/{results}/results", "/plan", f"/plan/actions/{action}"]
    for round_name in ("first pages", "second pages"):
        for member in (None, "member@demo.tadamon.ma"):
            client = app.test_client()
            if member:
                answer = client.post("/account/login", data={"email": member, "password": password})
                if answer.status_code != 302:  # not an assert: this process runs with -OO
                    raise RuntimeError(f"log-in answered {answer.status_code}")
            for language in app.config["LANGUAGES"]:
                client.post("/language", data={"language": language})
                for page in pages + (["/account/"] if member else []):
                    status = client.get(page, headers={"Accept-Language": language}).status_code
                    if status != 200:
                        raise RuntimeError(f"{page} answered {status}")
        readings[round_name] = _resident_mb()
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)  # as gunicorn.conf.py's post_request (every 100 requests)
    readings["malloc_trim"] = _resident_mb()
    # RSS counts the shared libraries' pages (libpython, libcrypto...) in full in every worker;
    # PSS shares them out among the processes mapping them, USS is this process's own memory.
    rollup = dict(line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
    kilobytes = {name: int(value.split()[0]) for name, value in rollup.items()}
    readings["PSS"] = kilobytes["Pss"] / 1024
    readings["USS"] = (kilobytes["Private_Clean"] + kilobytes["Private_Dirty"]) / 1024
    print(json.dumps(readings))


def tallies(ballot_count: int = 10_000, candidate_count: int = 100) -> None:
    """Prints how long each method's tally takes for ballot_count × candidate_count."""
    import random

    from tadamon.voting.methods import REGISTRY

    rng = random.Random(2026)  # noqa: S311 - reproducible sample ballots, not secrets
    candidates = [f"p{i}" for i in range(candidate_count)]
    makers = {
        "approval": lambda: {"approvals": rng.sample(candidates, 5)},
        "score": lambda: {"scores": {c: rng.randint(0, 5) for c in rng.sample(candidates, 20)}},
        "majority_judgment": lambda: {"grades": {c: rng.randint(0, 5) for c in rng.sample(candidates, 30)}},
        "schulze": lambda: {"ranking": [[c] for c in rng.sample(candidates, candidate_count)]},
        "yes_no": lambda: {"votes": {c: rng.choice(("yes", "no", "abstain")) for c in rng.sample(candidates, 30)}},
    }
    for method, make in makers.items():
        ballots = [make() for _ in range(ballot_count)]
        options = {"max_approvals": 5, "quorum": 0.5, "threshold": 0.5, "eligible": ballot_count}
        started = time.perf_counter()
        REGISTRY[method].tally(candidates, ballots, options)
        print(f"tally {method}: {ballot_count:,} ballots × {candidate_count} proposals in "
              f"{time.perf_counter() - started:.2f} s")


def _bench_app(url: str, folder: str, **overrides: Any) -> Any:
    from tadamon import create_app

    return create_app({"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                       "RATELIMIT_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                       "ARGON2_PARALLELISM": 1, "MAIL_SERVER": "", "MAIL_OUTBOX": True, "PAGE_CACHE": False,
                       "PUBLIC_BASE_URL": "http://localhost", "EXPORT_FOLDER": folder, **overrides})


@contextmanager
def _postgres_database(prefix: str) -> Iterator[str | None]:
    """A PostgreSQL database of its own (created, then dropped) on the server named by
    BENCH_DATABASE_URL or TEST_DATABASE_URL; None when neither is set."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    url = make_url(base).set(drivername="postgresql+psycopg")
    # BENCH_DATABASE_PREFIX: on a shared server, each person's throwaway databases under a name of their own.
    name = f"{os.environ.get('BENCH_DATABASE_PREFIX', '')}{prefix}_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _network(organisation_count: int, opened: bool = True) -> tuple[int, int, list[tuple[int, int]]]:
    """Inserts a steering member and `organisation_count` approved organisations with one
    representative each (rows written directly: the benchmark measures voting, not joining);
    returns the steering member's id, a consultation in its proposals phase and the
    (person, organisation) ids."""
    from sqlalchemy import insert, select

    from tadamon.accounts.models import RoleAssignment, User
    from tadamon.core.db import utcnow
    from tadamon.extensions import db
    from tadamon.membership.models import (
        MembershipState,
        Organisation,
        OrganisationMember,
        OrganisationRole,
    )
    from tadamon.workshops import services as workshops
    from tadamon.workshops.models import Phase

    now = utcnow()
    steering = User(email="steering@bench.invalid", display_name="steering", password_hash="x",  # noqa: S106 - no one logs in
                    preferred_language="fr", email_verified_at=now, privacy_consent_at=now)
    steering.role_assignments.append(RoleAssignment(role="steering"))
    db.session.add(steering)
    db.session.flush()
    languages = ("ar", "fr", "en")
    db.session.execute(insert(User), [
        {"email": f"rep{n}@bench.invalid", "stored_name": f"rep{n}", "password_hash": "x",
         "preferred_language": languages[n % 3], "email_verified_at": now, "privacy_consent_at": now}
        for n in range(organisation_count)])
    db.session.execute(insert(Organisation), [
        {"name_fr": f"Association {n}", "search_name": f"association {n}", "region": "DTA",
         "state": MembershipState.APPROVED, "approved_at": now} for n in range(organisation_count)])
    people = list(db.session.scalars(select(User.id).where(User.email.like("rep%")).order_by(User.id)))
    organisations = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
    pairs = list(zip(people, organisations, strict=True))
    db.session.execute(insert(OrganisationMember), [
        {"organisation_id": o, "user_id": p, "role": OrganisationRole.REPRESENTATIVE} for p, o in pairs])
    consultation = workshops.save_consultation(steering, None, None, workshops.ConsultationData(
        question_fr="Quelles priorités ?", max_approvals=2))
    if opened:
        workshops.move_phase(steering, consultation, Phase.PROPOSALS_OPEN)
    db.session.commit()
    return steering.id, consultation.id, pairs


def _open_vote(steering_id: int, consultation_id: int, author: tuple[int, int]) -> list[str]:
    """Three published proposals, then the vote opened; returns the candidates' keys."""
    from tadamon.accounts.models import User
    from tadamon.extensions import db
    from tadamon.membership.models import Organisation
    from tadamon.proposals import services as proposals
    from tadamon.workshops import services as workshops
    from tadamon.workshops.models import Consultation, Phase

    steering, consultation = db.session.get(User, steering_id), db.session.get(Consultation, consultation_id)
    person, organisation = db.session.get(User, author[0]), db.session.get(Organisation, author[1])
    keys = []
    for title in ("Un fonds solidaire", "Une école numérique", "De l'eau pour les oasis"):
        data = proposals.ProposalData(title=title, body=f"{title} pour les coopératives du réseau.", language="fr")
        proposal = proposals.save_draft(consultation, organisation, person, data)
        proposals.publish(proposal, person, data)
        keys.append(f"p{proposal.id}")
    workshops.move_phase(steering, consultation, Phase.DELIBERATION)
    workshops.move_phase(steering, consultation, Phase.VOTING)
    db.session.commit()
    return keys


def _cast_ballots(url: str, folder: str, consultation_id: int, work: list[tuple[int, int, str]],
                  start: Any, results: Any) -> None:
    """One voter process: its own app and connection; casts its ballots one after the other
    once every process is ready, and reports each ballot's duration (service and commit), the
    SQL statements it sent and the CPU time it spent (this process's, not the server's)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from werkzeug.datastructures import MultiDict

    from tadamon.accounts.models import User
    from tadamon.extensions import db
    from tadamon.membership.models import Organisation
    from tadamon.voting import services as voting
    from tadamon.workshops.models import Consultation

    app = _bench_app(url, folder)
    durations, failures, statements, turns, locked = [], 0, [0], [], [0.0]
    with app.app_context(), app.test_request_context("/", method="POST"):
        db.session.execute(db.select(db.literal(1)))  # the connection opened before the clock starts
        db.session.rollback()

        def count(*_args: Any) -> None:
            statements[0] += 1

        def lock_taken(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "FOR UPDATE" in statement:  # the ledger's turn begins (it ends with the commit)
                locked[0] = time.perf_counter()

        def turn_ended(_session: Any) -> None:
            # The commit is done, the round's lock given back: first among the after_commit hooks
            # (the voting's own waits for the WAL's flush, outside the turn).
            turns.append(time.perf_counter() - locked[0])

        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "after_cursor_execute", lock_taken)
        event.listen(Session, "after_commit", turn_ended, insert=True)
        # psycopg sends BEGIN and COMMIT itself, not through the cursor: counted as the statements they are.
        event.listen(db.engine, "begin", count)
        event.listen(db.engine, "commit", count)
        start.wait()
        cpu_started = time.process_time()
        for person_id, organisation_id, key in work:
            started = time.perf_counter()
            try:
                voting.cast_ballot(db.session.get(User, person_id), db.session.get(Consultation, consultation_id),
                                   db.session.get(Organisation, organisation_id), MultiDict({"approve": [key]}))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                db.session.rollback()
                if not failures:
                    print(f"parallel ballots: the first refusal of process {os.getpid()}: {error!r}")
                failures += 1
            durations.append(time.perf_counter() - started)
            db.session.expunge_all()
        cpu = time.process_time() - cpu_started
    results.put((durations, failures, statements[0], cpu, turns))


def _server_reference() -> tuple[float, float]:
    """The server's own pace in this run, for scale: the median round trip of `SELECT 1`, and of
    a one-row UPDATE with its COMMIT (the WAL's flush: the floor of a ledger's turn)."""
    from tadamon.extensions import db
    from tadamon.voting.models import VotingRound

    def round_trip() -> None:
        db.session.execute(db.select(db.literal(1)))

    def commit() -> None:
        db.session.execute(db.update(VotingRound).values(reminded_at=VotingRound.reminded_at))
        db.session.commit()

    for function in (round_trip, commit):
        function()  # warm
    trips = sorted(_timed(round_trip, repeat=1)[0] for _ in range(200))
    commits = sorted(_timed(commit, repeat=1)[0] for _ in range(50))
    db.session.rollback()
    return statistics.median(trips), statistics.median(commits)


def parallel_ballots(organisation_count: int = 400, workers: int = 8) -> None:
    """On PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, in a database of its own):
    `organisation_count` organisations vote at once from `workers` processes, each with its
    own connection; prints ballots per second and the p50/p99 of a ballot (goal: 200/s,
    p50 under 15 ms), then checks the ledger."""
    import multiprocessing

    from flask_migrate import upgrade

    from tadamon.extensions import db, migrations

    folder = tempfile.mkdtemp(prefix="tadamon-bench-ballots-")
    with _postgres_database("tadamon_bench_ballots") as url:
        if url is None:
            print("parallel ballots: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server)")
            return
        app = _bench_app(url, folder)
        with app.app_context(), app.test_request_context("/"):
            migrations(app)
            upgrade()
            steering_id, consultation_id, pairs = _network(organisation_count)
            keys = _open_vote(steering_id, consultation_id, pairs[0])
            round_trip, commit = _server_reference()
            db.engine.dispose()  # no connection crosses the fork
        context = multiprocessing.get_context("fork")
        start, results = context.Event(), context.Queue()
        work = [(person, organisation, keys[n % len(keys)]) for n, (person, organisation) in enumerate(pairs)]
        processes = [context.Process(target=_cast_ballots, args=(url, folder, consultation_id, work[i::workers],
                                                                 start, results)) for i in range(workers)]
        for process in processes:
            process.start()
        time.sleep(1)
        started = time.perf_counter()
        start.set()
        outcomes = [results.get() for _ in processes]
        elapsed = time.perf_counter() - started
        for process in processes:
            process.join()
        durations = sorted(d for outcome, *_ in outcomes for d in outcome)
        failures = sum(outcome[1] for outcome in outcomes)
        statements = sum(outcome[2] for outcome in outcomes)
        cpu = sum(outcome[3] for outcome in outcomes)
        turns = sorted(turn for outcome in outcomes for turn in outcome[4])
        p50, p99 = durations[len(durations) // 2], durations[int(len(durations) * 0.99)]
        print(f"parallel ballots (PostgreSQL, {workers} processes): {len(durations)} ballots in {elapsed:.2f} s, "
              f"{len(durations) / elapsed:.0f} ballots/s (goal: 200), p50 {p50 * 1000:.1f} ms (goal: 15), "
              f"p99 {p99 * 1000:.1f} ms, {failures} refused; per ballot: "
              f"{statements / len(durations):.1f} statements, {cpu / len(durations) * 1000:.2f} ms CPU in Python")
        # Every process casts again as soon as its ballot is done: a ballot waits for the ones
        # ahead of it, so its p50 is about processes / rate whatever a ballot itself costs.
        print(f"parallel ballots: with {workers} processes always casting, p50 ≈ {workers} / rate = "
              f"{workers / (len(durations) / elapsed) * 1000:.0f} ms (Little's law); a ballot's own time: ballot_posts")
        print(f"parallel ballots: reference, same run: a round trip (SELECT 1) {round_trip * 1000:.2f} ms, "
              f"a one-row UPDATE and its COMMIT {commit * 1000:.2f} ms (medians, one process)")
        if turns:  # the ledger's turn: from the round's lock to the commit; ballots/s can never exceed 1/mean
            print(f"parallel ballots: the ledger's turn (lock to commit) p50 {turns[len(turns) // 2] * 1000:.2f} ms, "
                  f"mean {statistics.mean(turns) * 1000:.2f} ms: at most {1 / statistics.mean(turns):.0f} ballots/s "
                  "one after the other")
        with app.app_context():
            from tadamon.voting import ledger
            from tadamon.voting.models import VotingRound

            vote = db.session.scalar(db.select(VotingRound))
            print(f"parallel ballots: ledger of {vote.ledger_length} entries, verify-ledger: "
                  f"{len(ledger.verify(vote))} problems")
            db.engine.dispose()


def _backend_cpu(pid: int) -> float:
    """A PostgreSQL backend's CPU seconds so far (the server on this machine: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ballot_posts(organisation_count: int = 100, rounds: int = 2) -> None:
    """On PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, in a database of its own): one
    ballot POST end to end in process, as a browser sends it (session cookie, CSRF token, the
    form; logged in beforehand), one after the other: the CPU of the request in Python and in
    its PostgreSQL backend (the server's /proc), the statements (BEGIN and COMMIT included;
    not the pool's ping nor the WAL flush's wait) and the time, medians over
    `organisation_count` x `rounds` ballots (each organisation's first, then replacing)."""
    import re
    import secrets

    from flask_migrate import upgrade
    from sqlalchemy import event, text

    from tadamon.accounts.models import UserSession, token_digest
    from tadamon.extensions import db, migrations

    folder = tempfile.mkdtemp(prefix="tadamon-bench-posts-")
    with _postgres_database("tadamon_bench_posts") as url:
        if url is None:
            print("ballot posts: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server)")
            return
        # As deployed: CSRF checked, no periodic work on requests, exceptions answered.
        app = _bench_app(url, folder, TESTING=False, WTF_CSRF_ENABLED=True, TICK_ON_REQUEST=False)
        with app.app_context(), app.test_request_context("/"):
            migrations(app)
            upgrade()
            steering_id, consultation_id, pairs = _network(organisation_count)
            keys = _open_vote(steering_id, consultation_id, pairs[0])
            sessions = []
            for person, _organisation in pairs:
                sessions.append(secrets.token_urlsafe(16))
                db.session.add(UserSession(user_id=person, token_hash=token_digest(sessions[-1])))
            db.session.commit()
            engine = db.engine
        address = f"/consultations/{consultation_id}/vote"
        voters = []
        # Outside the application context: each request its own (flask-wtf keeps the token in `g`).
        for n, ((person, _organisation), session_id) in enumerate(zip(pairs, sessions, strict=True)):
            client = app.test_client()
            with client.session_transaction() as session:
                session.update({"_user_id": str(person), "_fresh": True, "sid": session_id})
            page = client.get(address).get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, page[-2000:]
            voters.append((client, {"csrf_token": token.group(1), "approve": keys[n % len(keys)]}))
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        for name in ("before_cursor_execute", "begin", "commit"):
            event.listen(engine, name, count)
        with engine.connect() as connection:
            backends = [row[0] for row in connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))]
        cpus, times = [], []
        server_before = sum(_backend_cpu(pid) for pid in backends)
        statements[0] = 0
        for _ in range(rounds):
            for client, form in voters:
                cpu, started = time.process_time(), time.perf_counter()
                answer = client.post(address, data=form, headers={"Accept-Language": "fr"})
                cpus.append(time.process_time() - cpu)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 302, answer.status_code
        server = (sum(_backend_cpu(pid) for pid in backends) - server_before) / len(cpus)
        print(f"ballot posts (PostgreSQL, in process, one at a time): {len(cpus)} ballots; per ballot: "
              f"{statistics.median(cpus) * 1000:.2f} ms CPU in Python (median), {server * 1000:.2f} ms in "
              f"PostgreSQL (mean, {len(backends)} backends), {statements[0] / len(cpus):.1f} statements, "
              f"{statistics.median(times) * 1000:.1f} ms (median)")
        with app.app_context():
            db.engine.dispose()


def phase_moves(organisation_count: int = 2000) -> None:
    """Prints the time and query count of a consultation's phase moves with
    `organisation_count` organisations to tell (goal: under 1 s), on SQLite, or on PostgreSQL
    with BENCH_DATABASE_URL/TEST_DATABASE_URL (in a database of its own)."""
    from flask_migrate import upgrade
    from sqlalchemy import event

    from tadamon.accounts.models import User
    from tadamon.core.mail import OutboxMessage
    from tadamon.core.notifications import Notification
    from tadamon.extensions import db, migrations
    from tadamon.workshops import services as workshops
    from tadamon.workshops.models import Consultation, Phase

    folder = tempfile.mkdtemp(prefix="tadamon-bench-moves-")
    with _postgres_database("tadamon_bench_moves") as postgres:
        url = postgres or f"sqlite:///{folder}/moves.sqlite3"
        app = _bench_app(url, folder)
        with app.app_context(), app.test_request_context("/", method="POST"):
            migrations(app)
            upgrade()
            steering_id, consultation_id, _pairs = _network(organisation_count, opened=False)
            statements: list[str] = []
            event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
            for target in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION):
                statements.clear()
                started = time.perf_counter()
                workshops.move_phase(db.session.get(User, steering_id), db.session.get(Consultation, consultation_id),
                                     target)
                db.session.commit()
                elapsed = time.perf_counter() - started
                print(f"phase move to {target.value} ({'PostgreSQL' if postgres else 'SQLite'}), "
                      f"{organisation_count} organisations: {elapsed:.2f} s (goal: 1 s), {len(statements)} queries, "
                      f"{db.session.scalar(db.select(db.func.count()).select_from(Notification))} notifications "
                      f"and {db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage))} e-mails "
                      "so far")
            db.engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 2:  # one function while developing: benchmarks.py SCALE NAME
        globals()[sys.argv[2]]()
        sys.exit()
    machine_reference()
    parallel_ballots()
    ballot_posts()
    phase_moves()
    command_start_up()
    worker_memory()
    tallies()
    plan_exports()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
