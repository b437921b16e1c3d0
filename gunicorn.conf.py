"""Gunicorn settings for Tadamon: `gunicorn wsgi:app` from the checkout's root reads this file.

Gunicorn's worker count (`-w`, `WEB_CONCURRENCY`, `workers` here) is not visible to the
application, and in-memory rate limits are per worker. This file hands the count to the
application as TADAMON_WORKERS, and checks it once before any worker starts: production with
several workers and no shared Redis stops here, with a message naming the setting to fix.
"""

from __future__ import annotations

import os
from typing import Any

bind = os.environ.get("TADAMON_BIND", "127.0.0.1:8000")
# gunicorn's own default (WEB_CONCURRENCY, else 1), unless TADAMON_WORKERS says otherwise;
# `-w N` on the command line wins over both.
workers = int(os.environ.get("TADAMON_WORKERS") or os.environ.get("WEB_CONCURRENCY") or 1)
# A request never renders an export (an RQ worker or a background thread does, see
# tadamon.action_plan.jobs), so gunicorn's 30 s stays the bound on any request. A worker told
# to stop (a restart, max_requests) waits for its export threads: give them the time a
# 200-action PDF takes on a loaded machine.
timeout = int(os.environ.get("TADAMON_TIMEOUT") or 30)
graceful_timeout = int(os.environ.get("TADAMON_GRACEFUL_TIMEOUT") or 120)
# Production (deploy/systemd/tadamon-web@.service): a worker is replaced after about this many
# requests, the jitter spreading the restarts so the workers of an instance never all restart
# at once; whatever a long-lived process slowly accumulates is given back. 0 never restarts.
max_requests = int(os.environ.get("TADAMON_MAX_REQUESTS") or 0)
max_requests_jitter = int(os.environ.get("TADAMON_MAX_REQUESTS_JITTER") or max_requests // 10)
# Whom gunicorn believes about X-Forwarded-Proto (the scheme of wsgi.url_scheme): the proxy on
# this machine. The application reads the client's address itself (TRUSTED_PROXIES, ProxyFix).
forwarded_allow_ips = os.environ.get("TADAMON_FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
# The process title names the instance in `ps` (several run on one machine).
proc_name = "tadamon-" + (os.environ.get("TADAMON_INSTANCE_NAME") or "web")
# Keep the app out of the arbiter: each worker builds it after on_starting has set the count.
# Preloading (with gc.freeze) was measured for issue 18 and left off: a worker's RSS counts the
# pages it shares with the arbiter as its own (121 MB instead of 125), its PSS fell from 105 to
# 86 MB, but the arbiter then holds a 95 MB copy (PSS 55 MB instead of 19): with two workers an
# instance used the same memory in all, as reference counting writes to the shared pages.
preload_app = False
# Every this many requests a worker hands the free memory inside glibc's heap back to the
# system (malloc_trim): what a burst of pages left free (a first rendering, a large result)
# stays counted in the worker's RSS otherwise, ~2.5 MB. It takes 0.1-1 ms. 0 never trims.
malloc_trim_every = int(os.environ.get("TADAMON_MALLOC_TRIM_EVERY") or 100)


def on_starting(server: Any) -> None:
    """Runs in the arbiter once the settings are final, before any worker is forked."""
    from tadamon.config import ConfigurationError, check_production_workers

    count = server.cfg.workers
    os.environ["TADAMON_WORKERS"] = str(count)
    try:
        check_production_workers(os.environ, count)
    except ConfigurationError as error:
        server.log.error("Tadamon cannot start: %s", error)
        raise SystemExit(1) from None


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges in PROMETHEUS_MULTIPROC_DIR stop counting (core/metrics.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# What start-up built is frozen out of the cyclic collector's reach (wsgi.py). What the first
# requests build and keep is not: compiled templates, catalogues, locale data, the SQL statement
# cache (about 94,000 objects once every page was served in every language). Every full
# collection walked them, 30-60 ms in the one request in a hundred that paid for one (the
# logged-in proposal page's p99). So a worker freezes them too once warm, after a collection
# (garbage is not frozen); the response has been sent by then. Frozen objects that later become
# unreachable in a cycle are kept until the worker is replaced (max_requests).
FREEZE_AFTER_REQUESTS = frozenset({100, 1_000, 10_000})


def _malloc_trim() -> Any:
    """glibc's malloc_trim, or None where the C library has none (musl)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: look malloc_trim up once, not on every request."""
    worker.tadamon_malloc_trim = _malloc_trim() if malloc_trim_every else None


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """After the response: once warm, the long-lived objects frozen; every `malloc_trim_every`-th
    request of this worker, the heap's free pages given back."""
    served = getattr(worker, "tadamon_served", 0) + 1
    worker.tadamon_served = served
    if served in FREEZE_AFTER_REQUESTS:
        import gc

        gc.collect()
        gc.freeze()
    trim = getattr(worker, "tadamon_malloc_trim", None)
    if trim is not None and served % malloc_trim_every == 0:
        trim(0)
