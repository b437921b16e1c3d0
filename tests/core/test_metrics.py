"""`/metrics`: request latency by endpoint, backlogs read at scrape time, access limited, and
several gunicorn workers adding up through PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tadamon.core.mail import MailState, OutboxMessage
from tadamon.extensions import db

TOKEN = "a-metrics-token-of-forty-characters-long"  # noqa: S105


def scrape(client, **kwargs) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}} of one scrape, read by Prometheus' own parser."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def latency_count(samples, endpoint: str, method: str = "GET", status: str = "2xx") -> float:
    key = (("endpoint", endpoint), ("method", method), ("status", status))
    return samples.get("tadamon_http_request_duration_seconds_count", {}).get(key, 0.0)


def test_a_requested_endpoint_has_a_latency_histogram_by_endpoint_not_path(client):
    before = latency_count(scrape(client), "core.privacy")
    assert client.get("/privacy").status_code == 200
    assert client.get("/privacy?x=1").status_code == 200
    client.get("/no/such/page/12345")
    samples = scrape(client)
    assert latency_count(samples, "core.privacy") == before + 2
    buckets = {labels: value for labels, value in samples["tadamon_http_request_duration_seconds_bucket"].items()
               if ("endpoint", "core.privacy") in labels and ("status", "2xx") in labels}
    assert any(("le", "+Inf") in labels for labels in buckets) and len(buckets) == 12
    # Unmatched paths share one series; no path ever becomes a label.
    assert latency_count(samples, "none", status="4xx") >= 1
    # Labels only: a sample's value may hold any digits (a duration sum of 0.0123456…).
    label_values = {value for series in scrape(client).values() for labels in series for _name, value in labels}
    assert not [value for value in label_values if "/privacy" in value or "12345" in value]


def test_emails_and_queues_are_counted_at_scrape_time(app, client, redis_url, monkeypatch):
    from redis import Redis
    from rq import Queue

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    samples = scrape(client)
    failed_before = samples["tadamon_emails"][(("state", "failed"),)]
    queued_before = samples["tadamon_emails"][(("state", "queued"),)]
    export_queue, mail_queue = app.config["EXPORT_QUEUE"], app.config["MAIL_QUEUE"]
    assert samples["tadamon_rq_jobs_queued"][(("queue", export_queue),)] == 0
    assert samples["tadamon_rq_jobs_failed"][(("queue", mail_queue),)] == 0

    for state in (MailState.FAILED, MailState.FAILED, MailState.QUEUED):
        db.session.add(OutboxMessage(recipient="x@example.org", subject="s", language="fr", text_body="t",
                                     html_body="h", state=state.value))
    db.session.commit()
    connection = Redis.from_url(redis_url)
    Queue(export_queue, connection=connection).enqueue("os.getcwd")
    mail = Queue(mail_queue, connection=connection)
    mail.enqueue("os.getcwd")
    job = mail.enqueue("os.getcwd")
    mail.remove(job)
    mail.failed_job_registry.add(job, ttl=60, exc_string="SMTP refused")

    samples = scrape(client)
    assert samples["tadamon_emails"][(("state", "failed"),)] == failed_before + 2
    assert samples["tadamon_emails"][(("state", "queued"),)] == queued_before + 1
    assert samples["tadamon_rq_jobs_queued"][(("queue", export_queue),)] == 1
    assert samples["tadamon_rq_jobs_queued"][(("queue", mail_queue),)] == 1
    assert samples["tadamon_rq_jobs_failed"][(("queue", mail_queue),)] == 1
    assert samples["tadamon_backlog_up"] == {(("component", "database"),): 1, (("component", "redis"),): 1}


def test_an_unreachable_redis_is_reported_not_failed_on(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    samples = scrape(client)
    assert samples["tadamon_backlog_up"][(("component", "redis"),)] == 0
    assert "tadamon_emails" in samples


def test_only_allowed_addresses_or_the_token_may_read(app, client, monkeypatch):
    outsider = {"REMOTE_ADDR": "203.0.113.7"}
    response = client.get("/metrics", environ_base=outsider)
    assert response.status_code == 403 and b"tadamon_" not in response.data
    # Behind a proxy nobody trusts (TRUSTED_PROXIES=0), loopback is the proxy's address.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403

    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics", environ_base=outsider,
                      headers={"Authorization": "Bearer wrong-token"}).status_code == 403
    scrape(client, environ_base=outsider, headers={"Authorization": f"Bearer {TOKEN}"})

    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", (ipaddress.ip_network("203.0.113.0/24"),))
    scrape(client, environ_base=outsider)
    assert client.get("/metrics").status_code == 403  # loopback is no longer in the list
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", (ipaddress.ip_network("127.0.0.0/8"),))
    scrape(client, environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"})


def test_networks_are_read_from_the_setting(monkeypatch):
    from tadamon.config import ConfigurationError, load_config

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, 192.168.1.5")
    networks = load_config(Path("/tmp"), {"ENV": "testing"})["METRICS_ALLOWED_NETWORKS"]
    assert ipaddress.ip_address("10.1.2.3") in networks[0]
    assert ipaddress.ip_address("192.168.1.5") in networks[1]
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, not-a-network")
    with pytest.raises(ConfigurationError, match="not-a-network"):
        load_config(Path("/tmp"), {"ENV": "testing"})


WORKER = """
import sys
from tadamon.core.metrics import observe_request
for _ in range(int(sys.argv[1])):
    observe_request("proposals.show", "GET", 200, 0.02)
observe_request("proposals.show", "BREW", 503, 3.0)
"""


def test_several_worker_processes_add_up_in_multiprocess_mode(client, tmp_path, monkeypatch):
    """Two processes (as two gunicorn workers) record requests in PROMETHEUS_MULTIPROC_DIR; a
    scrape answered by a third sees their sum, and a dead worker's histograms are kept."""
    from prometheus_client import multiprocess

    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
                   "PYTHONPATH": os.pathsep.join(sys.path)}
    for count in (3, 4):
        subprocess.run([sys.executable, "-c", WORKER, str(count)], env=environment,
                       capture_output=True, text=True, timeout=60, check=True)
    assert len(list(tmp_path.glob("histogram_*.db"))) == 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    assert latency_count(samples, "proposals.show") == 7
    assert latency_count(samples, "proposals.show", method="other", status="5xx") == 2
    # What the test process itself served is not in the files (it is not in multiprocess mode):
    # the scrape reads the workers' files only.
    assert latency_count(samples, "core.metrics") == 0
    key = (("endpoint", "proposals.show"), ("le", "0.025"), ("method", "GET"), ("status", "2xx"))
    assert samples["tadamon_http_request_duration_seconds_bucket"][key] == 7
    assert "tadamon_emails" in samples  # the backlog collector runs in multiprocess mode too

    for path in tmp_path.glob("histogram_*.db"):
        multiprocess.mark_process_dead(int(path.stem.split("_")[1]), path=str(tmp_path))
    assert latency_count(scrape(client), "proposals.show") == 7
