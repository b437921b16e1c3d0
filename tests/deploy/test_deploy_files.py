"""The deploy files agree with the application's settings (tests/deploy/test_topology.py runs them)."""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any

from tests import support
from tests.deploy import topology


def test_the_site_and_gunicorn_agree_on_limits():
    """nginx lets through what the application accepts, and waits longer than gunicorn does."""
    site = (topology.DEPLOY / "nginx" / "tadamon.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size.group(1)) * 1024 * 1024 >= support.make_test_app("sqlite://").config["MAX_CONTENT_LENGTH"]
    gunicorn: dict[str, Any] = {}
    exec(compile(Path(topology.PROJECT_ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), gunicorn)  # noqa: S102
    read = re.search(r"proxy_read_timeout (\d+)s;", site)
    assert read and int(read.group(1)) > gunicorn["timeout"]


def test_nginx_compresses_what_the_application_leaves_to_it():
    """tadamon.env turns the application's compression off (TADAMON_PROXY_COMPRESSES): the site
    compresses every type the application would have (text/html is always in gzip_types)."""
    from tadamon.core.delivery import COMPRESSED_TYPES

    site = (topology.DEPLOY / "nginx" / "tadamon.conf").read_text()
    assert re.search(r"^\s*gzip on;", site, re.MULTILINE) and re.search(r"^\s*gzip_proxied any;", site, re.MULTILINE)
    assert re.search(r"^\s*gzip_vary on;", site, re.MULTILINE)
    types = re.search(r"^\s*gzip_types ([^;]+);", site, re.MULTILINE)
    assert types and set(COMPRESSED_TYPES) - {"text/html"} <= set(types.group(1).split())
    environment = topology.read_env_file(topology.DEPLOY / "tadamon.env.example")
    assert environment["TADAMON_PROXY_COMPRESSES"] == "1"


def test_a_worker_gives_its_free_heap_back_every_so_many_requests(monkeypatch):
    """gunicorn.conf.py's post_request: malloc_trim after every TADAMON_MALLOC_TRIM_EVERY-th
    request of a worker (issue 18), set by deploy/tadamon.env.example with MALLOC_ARENA_MAX."""
    environment = topology.read_env_file(topology.DEPLOY / "tadamon.env.example")
    assert environment["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("TADAMON_MALLOC_TRIM_EVERY", environment["TADAMON_MALLOC_TRIM_EVERY"])
    gunicorn: dict[str, Any] = {}
    exec(compile(Path(topology.PROJECT_ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), gunicorn)  # noqa: S102
    every = gunicorn["malloc_trim_every"]
    assert every == int(environment["TADAMON_MALLOC_TRIM_EVERY"]) > 0

    class Worker:
        pass

    worker = Worker()
    gunicorn["post_fork"](None, worker)
    assert callable(worker.tadamon_malloc_trim)  # glibc (the deployment's Debian)
    assert worker.tadamon_malloc_trim(0) in (0, 1)  # the real one runs
    trims: list[int] = []
    worker.tadamon_malloc_trim = trims.append
    try:
        for _number in range(2 * every):
            gunicorn["post_request"](worker, None, {}, None)
    finally:
        gc.unfreeze()  # the 100th request froze this test process's objects too
    assert trims == [0, 0]
