"""Production refuses per-worker rate limits with several workers (naming the setting to fix),
and sends HSTS; development sends none."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tadamon.config import PROJECT_ROOT, ConfigurationError, load_config
from tests import support

SECRET = "s" * 48


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "TADAMON_WORKERS", "HSTS_MAX_AGE", "HSTS_PRELOAD",
                 "HSTS_INCLUDE_SUBDOMAINS", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    return tmp_path


def production_config(path, **overrides):
    return load_config(path, {"ENV": "production", **overrides})


def test_several_workers_with_in_memory_limits_are_refused_naming_the_setting(production_env, monkeypatch):
    monkeypatch.setenv("TADAMON_WORKERS", "4")
    with pytest.raises(ConfigurationError) as refused:
        production_config(production_env)
    assert "TADAMON_WORKERS=4" in str(refused.value) and "REDIS_URL" in str(refused.value)


def test_several_workers_with_redis_or_one_worker_in_memory_start(production_env, monkeypatch):
    assert production_config(production_env)["WORKERS"] == 1
    monkeypatch.setenv("TADAMON_WORKERS", "4")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    assert production_config(production_env)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"


def test_development_allows_several_workers_in_memory(production_env, monkeypatch):
    monkeypatch.setenv("TADAMON_WORKERS", "4")
    assert load_config(production_env, {"ENV": "development"})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_gunicorn_with_two_workers_and_no_redis_refuses_to_start(production_env, tmp_path):
    env = {**os.environ, "TADAMON_ENV": "production", "SECRET_KEY": SECRET,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}", "TADAMON_BIND": "127.0.0.1:0",
           "PYTHONPATH": str(PROJECT_ROOT / "platform")}
    started = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode != 0
    assert "TADAMON_WORKERS=2" in started.stderr and "REDIS_URL" in started.stderr


def test_preload_setting_is_off_so_workers_see_the_count():
    # With preload, the app would be built before gunicorn.conf.py hands it the worker count.
    text = (PROJECT_ROOT / "gunicorn.conf.py").read_text()
    assert "preload_app = False" in text


@pytest.fixture
def production_app(database_url, production_env):
    def make(**overrides):
        return support.make_test_app(database_url, ENV="production", SECRET_KEY=SECRET, **overrides)
    return make


def test_production_sends_hsts(production_app):
    response = production_app().test_client().get("/account/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_preload_is_opt_in_and_covers_subdomains(production_app):
    response = production_app(HSTS_PRELOAD=True, HSTS_MAX_AGE=63072000).test_client().get("/account/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_hsts_preload_needs_a_year(production_env):
    with pytest.raises(ConfigurationError, match="HSTS_MAX_AGE"):
        production_config(production_env, HSTS_PRELOAD=True, HSTS_MAX_AGE=600)


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/account/login").headers


def test_a_warm_worker_freezes_what_its_first_requests_kept():
    """gunicorn.conf.py's post_request: the objects the first requests built are frozen out of
    the collector's reach once (at 100 requests, then 1,000 and 10,000), not at every request."""
    import gc
    import runpy
    from types import SimpleNamespace

    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    worker = SimpleNamespace()
    kept = [[index] for index in range(1000)]  # what a warm-up keeps
    frozen = gc.get_freeze_count()
    try:
        for _ in range(99):
            settings["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() == frozen
        settings["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() >= frozen + len(kept) and worker.tadamon_served == 100
        settings["post_request"](worker, None, {}, None)
        assert worker.tadamon_served == 101
    finally:
        gc.unfreeze()  # this test process collects as before
