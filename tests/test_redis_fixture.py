"""The Redis database tests use: configurable, never the application's, cleaned up after."""

from __future__ import annotations

import os
import uuid

import redis

from tests import support


def test_redis_url_is_configurable_and_not_the_applications_database(redis_url):
    assert redis_url == os.environ.get("TEST_REDIS_URL", support.TEST_REDIS_URL)
    assert not redis_url.rstrip("/").endswith("/0")


def test_each_xdist_worker_has_a_redis_database_of_its_own(monkeypatch):
    urls = set()
    for worker in ("gw0", "gw1", "gw2", "gw3"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        urls.add(support._test_redis_url())
    assert len(urls) == 4 and not any(url.endswith("/0") for url in urls)


def test_what_a_test_writes_to_redis_is_deleted_after_it(redis_url):
    key = f"tadamon-test-{uuid.uuid4().hex}"
    connection = redis.Redis.from_url(redis_url)
    try:
        with support.redis_database(redis_url):
            connection.set(key, "x")
            assert connection.exists(key)
        assert not connection.exists(key)
    finally:
        connection.close()
