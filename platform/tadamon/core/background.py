"""Background jobs: one way to run work that outlasts a request, with or without Redis.

The same pattern as the plan exports (action_plan/jobs.py), for any job named by its dotted
path ("tadamon.privacy.jobs.run_request"): queued in RQ when REDIS_URL is set (the worker
imports it by name, inside an application it creates), else run in a thread of this process
with its own application context and session, else (EXPORT_IN_BACKGROUND off: tests) run now
in the request. The job itself commits its progress, so a status page can follow it.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import import_module
from typing import Any

from flask import current_app, has_app_context

from tadamon.extensions import db

QUEUE_NAME = "tadamon-exports"


def _function(path: str) -> Any:
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def run_in_app(path: str, *args: Any) -> None:
    """The RQ job: calls `path(*args)` inside the current application, or a new one."""
    if has_app_context():
        _function(path)(*args)
        return
    from tadamon import create_app

    with create_app().app_context():
        _function(path)(*args)


@lru_cache(maxsize=4)
def redis_client(url: str) -> Any:
    """This process's client for `url`, with its pool of connections: a new client per job
    would open a connection (and shake hands) for every ballot's receipt and every export.
    redis-py's pool notices a fork and starts afresh in the child."""
    from redis import Redis

    return Redis.from_url(url)


def start_job(path: str, *args: Any, name: str = "tadamon-job", timeout: int = 600) -> bool:
    """Starts `path(*args)` in the background (True: a status page will follow it), or runs
    it now when background work is off (False)."""
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from rq import Queue

        queue_name = current_app.config.get("EXPORT_QUEUE") or QUEUE_NAME
        Queue(queue_name, connection=redis_client(redis_url)).enqueue(
            "tadamon.core.background.run_in_app", path, *args, job_timeout=timeout, result_ttl=3600)
        return True
    if current_app.config.get("EXPORT_IN_BACKGROUND", True):
        start_thread(current_app._get_current_object(), path, *args, name=name)  # type: ignore[attr-defined]
        return True
    _function(path)(*args)
    return False


def start_thread(app: Any, path: str, *args: Any, name: str = "tadamon-job") -> threading.Thread:
    """Runs the job in a thread of this process. Not a daemon: a worker asked to stop lets
    the job finish (gunicorn.conf.py gives it graceful_timeout for that)."""

    def work() -> None:
        with app.app_context():
            try:
                _function(path)(*args)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=name)
    thread.start()
    return thread
