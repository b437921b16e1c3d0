"""Prometheus metrics at `/metrics`: request latency per endpoint, and the backlogs (RQ queues,
e-mails) read at scrape time.

Latency is labelled by the Flask endpoint name ("proposals.show"), never the path: paths hold
ids and tokens, so they would grow the series without bound and copy secrets into the
monitoring system. Under gunicorn each worker is its own process: with PROMETHEUS_MULTIPROC_DIR
set (before the application is imported: prometheus_client reads it at import), every worker
writes its samples to files there and a scrape adds them up, whichever worker answers it;
gunicorn.conf.py's `child_exit` hook marks a dead worker's gauges. The backlogs are not counted
by any process: a custom collector asks the database and Redis when Prometheus scrapes, so the
numbers are the same from every worker and never drift.

Who may read it: addresses in METRICS_ALLOWED_NETWORKS (loopback by default), or anyone
presenting METRICS_TOKEN as a bearer token. The numbers name no person, but queue lengths and
endpoint timings are nobody else's business either.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Request, current_app
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Methods a browser or client may send; anything else is "other", so a caller cannot create
# series by inventing methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Not registered in prometheus_client's global registry: each scrape builds its own registry
# (one process, or every process's files), so creating several applications (tests) never
# registers a name twice.
REQUEST_DURATION = Histogram(
    "tadamon_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint, method and status class.",
    ("endpoint", "method", "status"),
    registry=None,
    # Pages take milliseconds; exports and PDFs run in the background, so 10 s is already a fault.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Counts one answered request (called for every request, see core.logs)."""
    REQUEST_DURATION.labels(
        endpoint=endpoint or "none",  # no route matched: all 404s share one series
        method=method if method in METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


class BacklogCollector(Collector):
    """What waits or failed, read at scrape time: jobs per RQ queue (queued and failed) and
    e-mails of the outbox per state. A component that does not answer gives
    `tadamon_backlog_up{component=...} 0` instead of failing the whole scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("tadamon_backlog_up", "Whether the component could be read at this scrape.",
                               labels=("component",))
        with self.app.app_context():
            yield from self._emails(up)
            yield from self._queues(up)
        yield up

    def _emails(self, up: GaugeMetricFamily) -> Iterable[Metric]:
        from tadamon.core.mail import MailState, OutboxMessage
        from tadamon.extensions import db

        try:
            counts = dict(db.session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("metrics: the outbox could not be counted (%s)", type(error).__name__)
            up.add_metric(["database"], 0)
            return
        up.add_metric(["database"], 1)
        emails = GaugeMetricFamily("tadamon_emails", "E-mails in the outbox, by state (failed: given up).",
                                   labels=("state",))
        for state in MailState:
            emails.add_metric([state.value], counts.get(state.value, 0))
        yield emails

    def _queues(self, up: GaugeMetricFamily) -> Iterable[Metric]:
        url = self.app.config.get("REDIS_URL")
        if not url:
            return  # no Redis: exports and mail do not go through queues
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        queued = GaugeMetricFamily("tadamon_rq_jobs_queued", "Jobs waiting in an RQ queue.", labels=("queue",))
        failed = GaugeMetricFamily("tadamon_rq_jobs_failed", "Jobs in an RQ queue's failed registry.",
                                   labels=("queue",))
        connection = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            for key in ("EXPORT_QUEUE", "MAIL_QUEUE"):
                queue = Queue(self.app.config[key], connection=connection)
                queued.add_metric([queue.name], queue.count)
                failed.add_metric([queue.name], queue.failed_job_registry.count)
        except RedisError as error:
            log.warning("metrics: the RQ queues could not be read (%s)", type(error).__name__)
            up.add_metric(["redis"], 0)
            return
        finally:
            connection.close()
        up.add_metric(["redis"], 1)
        yield queued
        yield failed


def scrape(app: Flask) -> bytes:
    """The text exposition of every metric: this process's, or every worker's in multiprocess mode."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_directory()
    if directory:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(REQUEST_DURATION)
    registry.register(BacklogCollector(app))
    return generate_latest(registry)


# -- access ---------------------------------------------------------------------------------

def may_read(request: Request) -> bool:
    """A bearer METRICS_TOKEN, or an address in METRICS_ALLOWED_NETWORKS.

    The address counts only when it is the caller's: with TRUSTED_PROXIES=0 and an
    X-Forwarded-For header, a proxy on this machine forwarded the request and the loopback
    address is the proxy's, not the caller's (everyone would be 127.0.0.1)."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    authorization = request.headers.get("Authorization", "")
    if token and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization[len("Bearer "):].strip().encode(), token.encode())
    if current_app.config["TRUSTED_PROXIES"] == 0 and "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # a dual-stack socket's spelling of an IPv4 caller
    networks: Any = current_app.config["METRICS_ALLOWED_NETWORKS"]
    return any(address in network for network in networks)
