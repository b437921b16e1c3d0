"""`make loadtest SCALE=10 DURATION=10 RUNS=3 CLIENTS=8`: the production topology under load.

Seeds a database of its own (`flask demo --scale SCALE`, timings per kind) on the PostgreSQL
server of LOADTEST_DATABASE_URL, starts the topology of tests/deploy/topology.py (nginx, two
web instances of WORKERS gunicorn workers, the RQ worker, the scheduler) and drives it with
`wrk` (scripts/loadtest/*.lua) over plain HTTP on loopback: the generator must cost far less
than the server (a Python client topped out at 182 requests/s against a hello-world that serves
thousands). TLS is the topology test's business, not this measurement's.

Per page: SQL statements per request (counted in process on the same database, after a warm-up
request), requests/s, p50/p99 and the ratio to a hello-world app served the same way (same
gunicorn config and workers, same nginx site) in the same run; each the median of RUNS runs of
DURATION seconds with CLIENTS connections. Then voters casting ballots, each connection for an
organisation of its own (ballots/s, counted in the ledger), and again with LATENCY_CLIENTS
voters for a ballot's own time (p50), the workers' memory after the run, and the first load's
weight compressed. The
goals are printed beside the figures. The database is dropped at the end, whatever happens.

Growth: a second database seeded at SMALL_SCALE (1 by default), and every page's median time
over TIMED_REQUESTS requests (20 by default) rendered in process on each database, page cache
off (what grows with the data is the rendering, not a cache hit), with their ratio beside the
goal (≤ 1.5×). `scripts/loadtest.py --growth` runs only this part (no topology, no wrk).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]

import requests  # noqa: E402

from tests.deploy import topology  # noqa: E402

LUA = ROOT / "scripts" / "loadtest"
GOALS = {"anonymous": 0.30, "logged-in": 0.10}
GROWTH_GOAL = 1.5  # at ten times the size, every page within 1.5× of its small-data time
P99_GOAL_MS, RSS_GOAL_MB, BALLOTS_GOAL, WEIGHT_GOAL_KB = 250, 100, 200, 60
# A ballot's p50, measured with LATENCY_CLIENTS voters (2 by default, one per processor of the
# machines we measure on): few enough that a ballot seldom waits behind others queued before it.
BALLOT_P50_GOAL_MS = 15
LATENCY_CLIENTS = int(os.environ.get("LATENCY_CLIENTS") or 2)
# The databases made and dropped on LOADTEST_DATABASE_URL's server are named <prefix>_<random>.
DATABASE_PREFIX = os.environ.get("LOADTEST_DATABASE_PREFIX") or "tadamon_loadtest"
MEMBER = "member@demo.tadamon.ma"  # the featured representative: its organisation may vote


def seed(url: str, scale: int) -> dict[str, Any]:
    """Migrates, seeds the demo at `scale` (printing each kind's time), picks the pages to load."""
    from sqlalchemy import func, select

    from tests import support

    app = support.make_test_app(url)
    with app.app_context():
        from tadamon import demo
        from tadamon.extensions import db
        from tadamon.proposals.models import Proposal
        from tadamon.voting.models import VotingRound
        from tadamon.workshops.models import Consultation, Phase

        support.upgrade_database()
        started = time.perf_counter()
        demo.build(scale=scale, progress=lambda step: print(f"   … {step}", flush=True))
        db.session.commit()
        seconds = time.perf_counter() - started
        # The planner's statistics, as a database that has run a while has them (autovacuum would
        # gather them a minute or so after the seeding, into the measurement).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
        counts = {table: db.session.scalar(select(func.count()).select_from(db.metadata.tables[table]))
                  for table in ("organisations", "proposals", "comments", "ballots", "plan_actions")}
        # The longest list of proposals, the most commented proposal, the largest votes.
        listing = db.session.execute(select(Proposal.consultation_id, func.count()).group_by(Proposal.consultation_id)
                                     .order_by(func.count().desc()).limit(1)).one()[0]
        proposal = db.session.scalar(select(Proposal.id).order_by(Proposal.comment_count.desc(), Proposal.id).limit(1))
        voting = db.session.scalar(select(Consultation.id).join(VotingRound, VotingRound.consultation_id == Consultation.id)
                                   .where(Consultation.phase == Phase.VOTING)
                                   .order_by(VotingRound.ledger_length.desc()).limit(1))
        results = db.session.scalar(select(Consultation.id).join(VotingRound, VotingRound.consultation_id == Consultation.id)
                                    .where(Consultation.phase == Phase.RESULTS_PUBLISHED)
                                    .order_by(VotingRound.ledger_length.desc()).limit(1))
        db.engine.dispose()
    reading = ["/", "/workshops", "/organisations", "/plan", f"/consultations/{listing}/proposals",
               f"/proposals/{proposal}", f"/consultations/{results}/results"]
    member = reading + ["/account/", f"/consultations/{voting}", f"/consultations/{voting}/vote"]
    return {"seconds": seconds, "counts": counts, "reading": reading, "member": member, "voting": voting}


def count_queries(url: str, pages: list[str], email: str | None) -> dict[str, int]:
    """SQL statements per page, in process on the same database (after a first warm-up request)."""
    from sqlalchemy import event

    from tadamon.demo import DEMO_PASSWORD
    from tests import support

    # As the deployed instances run (TADAMON_TICK_ON_REQUEST=0: the scheduler does the periodic
    # work), so a page's count is the page's own, not the periodic tasks' of whichever request ran them.
    app = support.make_test_app(url, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False, TICK_ON_REQUEST=False)
    counts: dict[str, int] = {}
    with app.app_context():
        from tadamon.extensions import db

        client = app.test_client()
        if email:
            answer = client.post("/account/login", data={"email": email, "password": DEMO_PASSWORD})
            assert answer.status_code == 302 and "/login" not in answer.location, answer.status_code
        seen: list[int] = []
        event.listen(db.engine, "before_cursor_execute", lambda *_: seen.append(1))
        for page in pages:
            client.get(page)
            seen.clear()
            status = client.get(page).status_code
            assert status == 200, (page, status)
            counts[page] = len(seen)
        db.engine.dispose()
    return counts


def timed_client(url: str, email: str | None) -> Any:
    """A test client of an application on `url`, the anonymous page cache off (what grows with
    the data is building the page, not a cache hit), logged in as `email` when given."""
    from tadamon.demo import DEMO_PASSWORD
    from tests import support

    app = support.make_test_app(url, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False, PAGE_CACHE=False,
                                TICK_ON_REQUEST=False)  # as deployed (see count_queries)
    client = app.test_client()
    if email:
        answer = client.post("/account/login", data={"email": email, "password": DEMO_PASSWORD})
        assert answer.status_code == 302 and "/login" not in answer.location, answer.status_code
    return client


def growth(small: dict[str, Any], small_url: str, large: dict[str, Any], large_url: str,
           requests_each: int) -> list[tuple[str, str, str, float, float]]:
    """(mix, small page, large page, small ms, large ms): each page's median time on each
    database. seed() lists the pages in the same order (their ids differ); the two are requested
    in turn, so a burst of load from elsewhere on the machine weighs on both alike."""
    rows = []
    for mix, key, email in (("anonymous", "reading", None), ("logged-in", "member", MEMBER)):
        clients = (timed_client(small_url, email), timed_client(large_url, email))
        for small_page, large_page in zip(small[key], large[key], strict=True):
            times: tuple[list[float], list[float]] = ([], [])
            for _ in range(2):  # warm-up: templates compiled, connections open
                for client, page in zip(clients, (small_page, large_page), strict=True):
                    assert client.get(page).status_code == 200, page
            for _ in range(requests_each):
                for client, page, kept in zip(clients, (small_page, large_page), times, strict=True):
                    started = time.perf_counter()
                    client.get(page)
                    kept.append((time.perf_counter() - started) * 1000)
            rows.append((mix, small_page, large_page, statistics.median(times[0]), statistics.median(times[1])))
        for client in clients:
            with client.application.app_context():
                from tadamon.extensions import db

                db.engine.dispose()
    return rows


def print_growth(rows: list[tuple[str, str, str, float, float]], small_scale: int, scale: int, requests_each: int) -> None:
    print(f"Growth: median of {requests_each} requests per page in process (page cache off), "
          f"scale {small_scale} and scale {scale}")
    header = f"{'mix':<10} {'page (scale ' + str(scale) + ')':<32} {'small ms':>8} {'large ms':>8} {'ratio':>6}  goal"
    print(header)
    print("-" * len(header))
    for mix, _small_page, large_page, small_ms, large_ms in rows:
        ratio = large_ms / small_ms
        print(f"{mix:<10} {large_page:<32} {small_ms:>8.1f} {large_ms:>8.1f} {ratio:>5.2f}×  ≤{GROWTH_GOAL}×: "
              f"{'OK' if ratio <= GROWTH_GOAL else 'MISSED'}")


def measure_growth(server: str, scale: int, small_scale: int, requests_each: int,
                   large: tuple[dict[str, Any], str] | None = None) -> list[tuple[str, str, str, float, float]]:
    """Seeds the small database (and the large one unless given), times both, drops what it made."""
    with topology.postgres_database(server, f"{DATABASE_PREFIX}_small") as small_url:
        print(f"== Seeding `flask demo --scale {small_scale}` for the growth comparison", flush=True)
        small = seed(small_url, small_scale)
        if large is not None:
            return growth(small, small_url, large[0], large[1], requests_each)
        with topology.postgres_database(server, DATABASE_PREFIX) as large_url:
            print(f"== Seeding `flask demo --scale {scale}`", flush=True)
            seeded = seed(large_url, scale)
            return growth(small, small_url, seeded, large_url, requests_each)


def wrk(url: str, script: str, seconds: float, clients: int, *args: str, env: dict[str, str] | None = None,
        threads: int | None = None) -> dict[str, float]:
    """One wrk run; its report (report.lua) with requests/s added. `threads`: wrk's threads, which
    share the connections (at most 4 by default: the generator must stay light)."""
    command = [shutil.which("wrk") or "wrk", "-t", str(threads or min(clients, 4)), "-c", str(clients),
               "-d", f"{seconds:g}s",
               "--timeout", "30s", "-s", str(LUA / script), url]
    if args:
        command += ["--", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True,  # noqa: S603 - our arguments
                          env={**os.environ, "TADAMON_LUA_DIR": str(LUA), **(env or {})})
    line = [text for text in done.stdout.splitlines() if text.startswith("{")][-1]
    report: dict[str, float] = json.loads(line)
    report["rps"] = report["requests"] / report["seconds"]
    return report


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def measure(url: str, seconds: float, clients: int, runs: int, cookie: str = "") -> dict[str, float]:
    # A warm-up run first, not counted: every worker has built its application and met the page.
    wrk(url, "page.lua", 2, clients, cookie)
    return median_of([wrk(url, "page.lua", seconds, clients, cookie) for _ in range(runs)])


def log_in(base: str, email: str) -> requests.Session:
    """A session through nginx's plain port (the application believes it HTTPS, hence the Referer)."""
    from tadamon.demo import DEMO_PASSWORD

    http = requests.Session()
    http.trust_env = False
    host = base.split("://", 1)[1]
    page = http.get(base + "/account/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    plain_cookies(http)
    answer = http.post(base + "/account/login", timeout=30, allow_redirects=False,
                       headers={"Referer": f"https://{host}/account/login"},
                       data={"csrf_token": token.group(1) if token else "", "email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, (email, answer.status_code, answer.text[:500])
    plain_cookies(http)
    return http


def plain_cookies(http: requests.Session) -> None:
    """The application marks its cookies Secure (it believes the request came over HTTPS):
    sent back over the plain port all the same, as the browser behind a TLS balancer would."""
    for cookie in http.cookies:
        cookie.secure = False


def cookie_header(http: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies)


def voters(url: str, base: str, consultation: int, count: int) -> list[str]:
    """`count` representatives of organisations on the open vote's roll, logged in, each with
    its ballot form filled (one approval): lines for ballot.lua."""
    from sqlalchemy import create_engine, select

    from tadamon.accounts.models import User
    from tadamon.membership.models import OrganisationMember
    from tadamon.voting.models import EligibleOrganisation, VotingRound

    engine = create_engine(url)
    with engine.connect() as connection:
        emails = connection.execute(
            select(User.email).join(OrganisationMember, OrganisationMember.user_id == User.id)
            .join(EligibleOrganisation, EligibleOrganisation.organisation_id == OrganisationMember.organisation_id)
            .join(VotingRound, VotingRound.id == EligibleOrganisation.round_id)
            .where(VotingRound.consultation_id == consultation, OrganisationMember.role == "representative",
                   User.email.like("representative%"))
            .order_by(User.id).limit(count)).scalars().all()
    engine.dispose()
    lines = []
    host = base.split("://", 1)[1]
    for email in emails:
        http = log_in(base, email)
        page = http.get(f"{base}/consultations/{consultation}/vote", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        choice = re.search(r'<input[^>]*type="checkbox"[^>]*>', page)
        assert token and choice, page[-3000:]
        name = re.search(r'name="([^"]+)"', choice.group(0))
        value = re.search(r'value="([^"]+)"', choice.group(0))
        assert name and value
        body = urllib.parse.urlencode({"csrf_token": token.group(1), name.group(1): value.group(1)})
        lines.append(f"{cookie_header(http)}\t{body}\thttps://{host}/consultations/{consultation}/vote")
    return lines


def ledger_length(url: str, consultation: int) -> int:
    from sqlalchemy import create_engine, select

    from tadamon.voting.models import VotingRound

    engine = create_engine(url)
    with engine.connect() as connection:
        length = connection.scalar(select(VotingRound.ledger_length).where(VotingRound.consultation_id == consultation))
    engine.dispose()
    return int(length or 0)


def first_load_kb(base: str) -> tuple[float, float]:
    """The home page and the stylesheets and scripts it links, as nginx sends them to a browser
    asking for gzip, and as they would weigh gzipped (-6) if nginx does not compress them."""
    http = requests.Session()
    http.trust_env = False
    page = http.get(base + "/", headers={"Accept-Encoding": "gzip", "Accept-Language": "fr"}, stream=True, timeout=30)
    html = page.raw.read(decode_content=False)
    sent, zipped = len(html), len(gzip.compress(gzip.decompress(html) if page.headers.get("Content-Encoding") == "gzip"
                                              else html))
    text = gzip.decompress(html).decode() if page.headers.get("Content-Encoding") == "gzip" else html.decode()
    for link in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)(?:\?[^"]*)?)"', text))):
        answer = http.get(base + link, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
        raw = answer.raw.read(decode_content=False)
        plain = gzip.decompress(raw) if answer.headers.get("Content-Encoding") == "gzip" else raw
        sent, zipped = sent + len(raw), zipped + len(gzip.compress(plain))
    return sent / 1024, zipped / 1024


def worker_rss_mb(deployed: topology.Topology) -> list[float]:
    sizes = []
    for name in deployed.instances:
        for pid in deployed.pid_tree(name)[1:]:  # the workers, not the arbiter
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    return sizes


def main() -> None:
    scale = int(os.environ.get("SCALE") or 10)
    seconds = float(os.environ.get("DURATION") or 10)
    runs = int(os.environ.get("RUNS") or 3)
    clients = int(os.environ.get("CLIENTS") or 8)
    workers = os.environ.get("WORKERS") or "2"
    server = os.environ.get("LOADTEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    small_scale = int(os.environ.get("SMALL_SCALE") or 1)
    requests_each = int(os.environ.get("TIMED_REQUESTS") or 20)
    if "--growth" in sys.argv[1:]:
        print_growth(measure_growth(server, scale, small_scale, requests_each), small_scale, scale, requests_each)
        return
    if shutil.which("wrk") is None:  # only the load part needs it, not --growth
        raise SystemExit("wrk is not installed: apt-get install wrk (`make loadtest` installs it)")
    redis_url = os.environ.get("LOADTEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    settings = {"TADAMON_WORKERS": workers, "TADAMON_MAX_REQUESTS": "0"}
    with tempfile.TemporaryDirectory(prefix="tadamon-loadtest-") as folder, \
            topology.postgres_database(server, DATABASE_PREFIX) as url:
        print(f"== Seeding `flask demo --scale {scale}` into a database of its own", flush=True)
        seeded = seed(url, scale)
        print(f"   {seeded['counts']} in {seeded['seconds']:.0f} s", flush=True)
        queries = {"anonymous": count_queries(url, seeded["reading"], None),
                   "logged-in": count_queries(url, seeded["member"], MEMBER)}
        grown = measure_growth(server, scale, small_scale, requests_each, large=(seeded, url))
        print(f"== Hello-world: {runs} runs of {seconds:g} s, {clients} connections", flush=True)
        with topology.running(Path(folder) / "hello", url, redis_url, settings=settings, plain_http=True,
                              wsgi="scripts.loadtest_hello:app", worker=False, scheduler=False) as hello:
            reference = measure(hello.plain_url + "/", seconds, clients, runs)
        results: dict[str, dict[str, dict[str, float]]] = {"anonymous": {}, "logged-in": {}}
        with topology.running(Path(folder) / "tadamon", url, redis_url, settings=settings, plain_http=True) as deployed:
            base = deployed.plain_url
            for page in seeded["reading"]:
                print(f"== anonymous {page}", flush=True)
                results["anonymous"][page] = measure(base + page, seconds, clients, runs)
            cookie = cookie_header(log_in(base, MEMBER))
            for page in seeded["member"]:
                print(f"== logged-in {page}", flush=True)
                results["logged-in"][page] = measure(base + page, seconds, clients, runs, cookie)
            print(f"== {clients} voters casting ballots for {seconds:g} s", flush=True)
            lines = voters(url, base, seeded["voting"], clients)
            with tempfile.NamedTemporaryFile("w", suffix=".tsv", dir=folder, delete=False) as handle:
                handle.write("\n".join(lines) + "\n")
            # One wrk thread per connection: ballot.lua gives each thread its voter, so every
            # connection votes for an organisation of its own (two connections of one
            # organisation would take turns on its ballot, which is not the goal's load).
            ballot_url = f"{base}/consultations/{seeded['voting']}/vote"
            before = ledger_length(url, seeded["voting"])
            casting = wrk(ballot_url, "ballot.lua", seconds, clients, env={"TADAMON_VOTERS": handle.name},
                          threads=clients)
            cast = ledger_length(url, seeded["voting"]) - before
            # A ballot's own time: with CLIENTS connections always busy, a ballot waits for the
            # ones ahead of it (its p50 is about CLIENTS / ballots per second, Little's law).
            # A run with LATENCY_CLIENTS voters shows it.
            quiet = min(LATENCY_CLIENTS, len(lines))
            print(f"== {quiet} voters casting ballots for {seconds:g} s (a ballot's own time)", flush=True)
            before = ledger_length(url, seeded["voting"])
            alone = wrk(ballot_url, "ballot.lua", seconds, quiet, env={"TADAMON_VOTERS": handle.name}, threads=quiet)
            cast_alone = ledger_length(url, seeded["voting"]) - before
            rss = worker_rss_mb(deployed)
            sent_kb, gzip_kb = first_load_kb(base)
        print()
        print(f"Scale {scale}: {seeded['counts']}, seeded in {seeded['seconds']:.0f} s")
        print(f"hello-world: {reference['rps']:.0f} req/s, p50 {reference['p50']:.1f} ms, p99 {reference['p99']:.1f} ms "
              f"(wrk, {clients} connections, 2 instances × {workers} workers behind nginx, plain HTTP; "
              f"medians of {runs} runs of {seconds:g} s)")
        header = f"{'mix':<10} {'page':<32} {'SQL':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  goal"
        print(header)
        print("-" * len(header))
        for role, pages in results.items():
            for page, row in pages.items():
                ratio = row["rps"] / reference["rps"]
                met = ratio >= GOALS[role] and row["p99"] <= P99_GOAL_MS
                errors = f"  ({row['status_errors']:.0f} HTTP errors)" if row["status_errors"] else ""
                if not row["requests"]:  # wrk saw no response at all: slower than the run
                    errors += f"  (no response within {seconds:g} s)"
                print(f"{role:<10} {page:<32} {queries[role].get(page, -1):>4} {row['rps']:>7.1f} {row['p50']:>7.1f} "
                      f"{row['p99']:>7.1f} {ratio:>6.1%}  ≥{GOALS[role]:.0%}, p99 ≤{P99_GOAL_MS} ms: "
                      f"{'OK' if met else 'MISSED'}{errors}")
        rate = cast / casting["seconds"]
        print(f"ballots: {cast} recorded in {casting['seconds']:.1f} s by {clients} voters of {len(set(lines))} "
              f"organisations = {rate:.1f} ballots/s (p50 {casting['p50']:.0f} ms, about {clients} / rate = "
              f"{clients / rate * 1000 if rate else 0:.0f} ms with every connection busy; p99 {casting['p99']:.0f} ms, "
              f"{casting['status_errors']:.0f} HTTP errors; goal {BALLOTS_GOAL}/s: "
              f"{'OK' if rate >= BALLOTS_GOAL else 'MISSED'})")
        rate_alone = cast_alone / alone["seconds"]
        print(f"ballots, a ballot's own time: {cast_alone} recorded in {alone['seconds']:.1f} s by {quiet} voters = "
              f"{rate_alone:.1f} ballots/s, p50 {alone['p50']:.1f} ms, p99 {alone['p99']:.0f} ms, "
              f"{alone['status_errors']:.0f} HTTP errors (goal p50 ≤{BALLOT_P50_GOAL_MS} ms: "
              f"{'OK' if alone['p50'] <= BALLOT_P50_GOAL_MS else 'MISSED'})")
        print(f"worker RSS after the run: {', '.join(f'{size:.0f} MB' for size in rss)} "
              f"(goal ≤{RSS_GOAL_MB} MB: {'OK' if max(rss) <= RSS_GOAL_MB else 'MISSED'})")
        print(f"first load of / (HTML + linked CSS/JS): {sent_kb:.1f} KB as nginx sends it, {gzip_kb:.1f} KB gzipped "
              f"(goal ≤{WEIGHT_GOAL_KB} KB compressed: {'OK' if gzip_kb <= WEIGHT_GOAL_KB else 'MISSED'})")
        print()
        print_growth(grown, small_scale, scale, requests_each)


if __name__ == "__main__":
    main()
