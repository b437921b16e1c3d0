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
from collections.abc import Callable
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
                for language in ("ar", "fr", "en") if file_format == "pdf" else ("ar",):
                    runs = 3 if file_format == "pdf" else 1
                    durations, data = [], b""
                    for _ in range(runs):
                        started = time.perf_counter()
                        data = exports.render(snapshot, file_format, language)
                        durations.append(time.perf_counter() - started)
                    goal = " (goal: 5 s)" if file_format == "pdf" else ""
                    print(f"export {file_format} ({language}) of {action_count} actions: median "
                          f"{statistics.median(durations):.2f} s of {runs} (max {max(durations):.2f}), "
                          f"{len(data) // 1024} KiB{goal}")


def command_start_up(repeat: int = 5) -> None:
    """Prints the wall time of `flask --app wsgi export-plan --help` (the start-up every export
    command pays; goal: under 1 s) beside a hello-world Flask app's `flask routes` started the
    same way in the same run (medians: the machine is shared), and the heaviest imports."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = {**os.environ, "PYTHONPATH": os.path.join(root, "platform")}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    folder = tempfile.mkdtemp(prefix="tadamon-bench-hello-")
    with open(os.path.join(folder, "hello.py"), "w", encoding="utf-8") as handle:
        handle.write("from flask import Flask\napp = Flask(__name__)\n\n@app.get('/')\ndef hello():\n"
                     "    return 'hello'\n")
    commands = {"tadamon": ([flask, "--app", "wsgi", "export-plan", "--help"], root),
                "hello-world": ([flask, "--app", "hello", "routes"], folder)}
    durations: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, cwd) in commands.items():
            started = time.perf_counter()
            subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)  # noqa: S603
            durations[name].append(time.perf_counter() - started)
    ours, reference = (statistics.median(durations[name]) for name in commands)
    print(f"export command start-up: median {ours:.2f} s of {repeat} (goal: 1 s); a hello-world Flask "
          f"command: {reference:.2f} s (ratio {ours / reference:.1f})")
    report = subprocess.run([sys.executable, "-X", "importtime", "-c", "import wsgi"], cwd=root,  # noqa: S603
                            env=environment, check=True, capture_output=True, text=True).stderr
    rows = [line.split("|") for line in report.splitlines() if line.startswith("import time:") and "|" in line]
    heaviest = sorted(((int(row[1]), row[2].strip()) for row in rows[1:] if row[1].strip().isdigit()),
                      reverse=True)
    top = [f"{name} {micro / 1e6:.2f} s" for micro, name in heaviest if "." not in name][:6]
    print("import wsgi, heaviest top-level imports: " + ", ".join(top))


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


if __name__ == "__main__":
    command_start_up()
    tallies()
    plan_exports()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
