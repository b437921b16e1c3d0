"""`make loadtest SCALE=10 DURATION=60 CLIENTS=8`: the production topology under a realistic mix.

Seeds a database of its own (`flask demo --scale SCALE`) on the PostgreSQL server of
LOADTEST_DATABASE_URL, starts the topology of tests/deploy/topology.py (nginx, two web
instances of one worker each, the RQ worker, the scheduler), measures each page's SQL queries in
process, then sends CLIENTS concurrent clients for DURATION seconds per mix: anonymous readers,
logged-in readers, voters (logged in, reading the vote). A hello-world app behind the same nginx
site and gunicorn config is measured in the same run: each page's requests/s is printed as a
ratio to it, with p50/p99, and the workers' memory after the run. The database is dropped.

A load generator of its own (processes of `requests` sessions), not locust: locust's gevent
patches sockets process-wide and belongs outside the app's virtualenv (STACK.md); here the
clients import nothing of locust's and run in the same interpreter as the launcher.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "platform")]

import requests  # noqa: E402

from tests.deploy import topology  # noqa: E402

GOALS = {"anonymous": 0.30, "logged-in": 0.10, "voter": 0.10}
P99_GOAL_MS, RSS_GOAL_MB = 250, 100
MEMBERS = ("member@demo.tadamon.ma", "member.en@demo.tadamon.ma")


def seed(url: str, scale: int) -> dict[str, Any]:
    """Migrates, seeds the demo at `scale`, and picks the pages to load."""
    from sqlalchemy import func, select

    from tests import support

    app = support.make_test_app(url)
    with app.app_context():
        from tadamon import demo
        from tadamon.extensions import db
        from tadamon.membership.models import Organisation
        from tadamon.proposals.models import Proposal
        from tadamon.workshops.models import Consultation, Phase

        support.upgrade_database()
        started = time.perf_counter()
        demo.build(scale=scale)
        db.session.commit()
        seconds = time.perf_counter() - started
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for name, model in (("organisations", Organisation), ("proposals", Proposal))}
        consultation = db.session.scalar(select(Consultation.id).where(Consultation.phase == Phase.PROPOSALS_OPEN))
        voting = db.session.scalar(select(Consultation.id).where(Consultation.phase == Phase.VOTING))
        proposal = db.session.scalar(select(Proposal.id).where(Proposal.state == "published").limit(1))
        db.engine.dispose()
    reading = ["/", "/workshops", "/organisations", "/plan", f"/consultations/{consultation}/proposals",
               f"/proposals/{proposal}"]
    voting_pages = [f"/consultations/{voting}", f"/consultations/{voting}/proposals"] if voting else reading[:2]
    return {"seconds": seconds, "counts": counts, "reading": reading, "voting": voting_pages}


def count_queries(url: str, pages: list[str], email: str | None) -> dict[str, int]:
    """SQL statements per page, in process on the same database (after a first warm-up request)."""
    from sqlalchemy import event

    from tadamon.demo import DEMO_PASSWORD
    from tests import support

    app = support.make_test_app(url, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    counts: dict[str, int] = {}
    with app.app_context():
        from tadamon.extensions import db

        client = app.test_client()
        if email:
            client.post("/account/login", data={"email": email, "password": DEMO_PASSWORD})
        seen: list[int] = []
        event.listen(db.engine, "before_cursor_execute", lambda *_: seen.append(1))
        for page in pages:
            client.get(page)
            seen.clear()
            client.get(page)
            counts[page] = len(seen)
        db.engine.dispose()
    return counts


def client_loop(arguments: tuple[str, str, str | None, list[str], float, int]) -> list[tuple[str, float, int]]:
    base, certificate, email, pages, seconds, seed_number = arguments
    from tadamon.demo import DEMO_PASSWORD

    http = requests.Session()
    http.trust_env = False
    http.verify = certificate
    http.headers["Accept-Language"] = "fr"
    if email:
        page = http.get(base + "/account/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        http.post(base + "/account/login", timeout=30, headers={"Referer": base + "/account/login"},
                  data={"csrf_token": token.group(1) if token else "", "email": email, "password": DEMO_PASSWORD})
    chooser = random.Random(seed_number)  # noqa: S311 - not security
    results: list[tuple[str, float, int]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = chooser.choice(pages)
        started = time.perf_counter()
        status = http.get(base + page, timeout=60).status_code
        results.append((page, time.perf_counter() - started, status))
    return results


def load(deployed: topology.Topology, mix: list[tuple[str | None, list[str]]], seconds: float) -> list[tuple[str, float, int]]:
    arguments = [(deployed.base_url, str(deployed.certificate), email, pages, seconds, n)
                 for n, (email, pages) in enumerate(mix)]
    with ProcessPoolExecutor(len(mix)) as pool:
        return [row for rows in pool.map(client_loop, arguments) for row in rows]


def worker_rss_mb(deployed: topology.Topology) -> list[float]:
    sizes = []
    for name in deployed.instances:
        for pid in deployed.pid_tree(name)[1:]:  # the workers, not the arbiter
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    return sizes


def summarise(rows: list[tuple[str, float, int]], seconds: float) -> dict[str, dict[str, float]]:
    pages: dict[str, list[tuple[float, int]]] = {}
    for page, latency, status in rows:
        pages.setdefault(page, []).append((latency, status))
    summary = {}
    for page, values in pages.items():
        latencies = sorted(latency for latency, _ in values)
        summary[page] = {"rps": len(values) / seconds, "mean": statistics.fmean(latencies), "p50": statistics.median(latencies) * 1000,
                         "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                         "errors": sum(1 for _, status in values if status >= 400)}
    return summary


def main() -> None:
    scale = int(os.environ.get("SCALE") or 10)
    seconds = float(os.environ.get("DURATION") or 60)
    clients = int(os.environ.get("CLIENTS") or 8)
    server = os.environ.get("LOADTEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    redis_url = os.environ.get("LOADTEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    settings = {"TADAMON_WORKERS": "1", "TADAMON_MAX_REQUESTS": "0"}
    with tempfile.TemporaryDirectory(prefix="tadamon-loadtest-") as folder, \
            topology.postgres_database(server, "tadamon_loadtest") as url:
        print(f"== Seeding `flask demo --scale {scale}` into a database of its own")
        seeded = seed(url, scale)
        print(f"   {seeded['counts']} in {seeded['seconds']:.0f} s")
        queries = {**count_queries(url, seeded["reading"], None),
                   **{f"{page} (logged in)": n for page, n in count_queries(url, seeded["reading"] + seeded["voting"],
                                                                              MEMBERS[0]).items()}}
        print(f"== Hello-world reference: {clients} clients for {seconds:.0f} s")
        with topology.running(Path(folder) / "hello", url, redis_url, settings=settings, wsgi="scripts.loadtest_hello:app",
                              worker=False, scheduler=False) as hello:
            hello_summary = summarise(load(hello, [(None, ["/"])] * clients, seconds), seconds)["/"]
        results: dict[str, dict[str, dict[str, float]]] = {}
        with topology.running(Path(folder) / "tadamon", url, redis_url, settings=settings) as deployed:
            for role, mix in (
                ("anonymous", [(None, seeded["reading"])] * clients),
                ("logged-in", [(MEMBERS[n % 2], seeded["reading"]) for n in range(clients)]),
                ("voter", [(MEMBERS[n % 2], seeded["voting"]) for n in range(clients)]),
            ):
                print(f"== {role}: {clients} clients for {seconds:.0f} s")
                results[role] = summarise(load(deployed, mix, seconds), seconds)
            rss = worker_rss_mb(deployed)
        print()
        print(f"hello-world: {hello_summary['rps']:.0f} req/s, p50 {hello_summary['p50']:.1f} ms, "
              f"p99 {hello_summary['p99']:.1f} ms ({clients} clients, 2 instances × 1 worker, through nginx with TLS)")
        header = f"{'mix':<10} {'page':<34} {'SQL':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  goal"
        print(header)
        print("-" * len(header))
        for role, pages in results.items():
            for page, row in sorted(pages.items()):
                sql = queries.get(page if role == "anonymous" else f"{page} (logged in)", -1)
                # What the page alone would serve with every client on it (clients / its mean
                # latency), over hello-world's rate: the mix shares the time between pages.
                ratio = clients / row["mean"] / hello_summary["rps"]
                goal = (f"ratio ≥{GOALS[role]:.0%}, p99 ≤{P99_GOAL_MS} ms "
                        f"{'OK' if ratio >= GOALS[role] and row['p99'] <= P99_GOAL_MS else 'MISSED'}")
                errors = f"  ({row['errors']:.0f} errors)" if row["errors"] else ""
                print(f"{role:<10} {page:<34} {sql:>4} {row['rps']:>7.1f} {row['p50']:>7.1f} {row['p99']:>7.1f} "
                      f"{ratio:>6.0%}  {goal}{errors}")
        print(f"worker RSS after the run: {', '.join(f'{size:.0f} MB' for size in rss)} "
              f"(goal ≤{RSS_GOAL_MB} MB: {'OK' if max(rss) <= RSS_GOAL_MB else 'MISSED'})")
        print("ballots/s: not measured by this run (goal 200/s)")


if __name__ == "__main__":
    main()
