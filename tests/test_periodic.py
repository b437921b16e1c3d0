"""The periodic work: the request-time scheduler really throttles at the production setting,
and `flask tick` runs every registered periodic task.

The suite runs with `TICK_EVERY_SECONDS=0` (tests/support.make_test_app), which is the same
production code path with no wait; these tests put the production value back and watch a
throwaway task registered in the one hook registry.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tadamon import create_app
from tadamon.core.hooks import HOOKS, forget_last_tick


class Counting:
    """A periodic task that counts its runs (and reports one thing done per run)."""

    def __init__(self) -> None:
        self.runs = 0
        self.__name__ = "counting_task"
        self.__module__ = "tests.test_periodic"

    def __call__(self) -> int:
        self.runs += 1
        return 0


@pytest.fixture
def counting_task(app) -> Iterator[Counting]:
    task = Counting()
    HOOKS.add("periodic", task)
    forget_last_tick()
    try:
        yield task
    finally:
        HOOKS.periodic.remove(task)
        forget_last_tick()


@pytest.fixture
def production_throttle(app) -> Iterator[int]:
    saved = app.config["TICK_EVERY_SECONDS"]
    app.config["TICK_EVERY_SECONDS"] = production_tick_setting()
    try:
        yield app.config["TICK_EVERY_SECONDS"]
    finally:
        app.config["TICK_EVERY_SECONDS"] = saved


def production_tick_setting() -> int:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.config["TICK_EVERY_SECONDS"]


def test_the_production_default_is_thirty_seconds(monkeypatch):
    monkeypatch.delenv("TICK_EVERY_SECONDS", raising=False)
    assert production_tick_setting() == 30


def test_requests_within_the_interval_run_the_periodic_work_once(
    client, counting_task, production_throttle
):
    assert production_throttle == 30
    assert client.get("/").status_code == 200
    assert counting_task.runs == 1
    for page in ("/", "/workshops", "/organisations"):
        assert client.get(page).status_code == 200
    assert counting_task.runs == 1, "the scheduler ran again within TICK_EVERY_SECONDS"
    forget_last_tick()  # as if 30 seconds had passed
    assert client.get("/").status_code == 200
    assert counting_task.runs == 2


def test_static_files_never_run_the_periodic_work(client, counting_task, production_throttle):
    response = client.get("/static/css/tadamon.css")
    assert response.status_code == 200
    response.close()
    assert counting_task.runs == 0


def test_with_no_interval_every_request_runs_it(client, counting_task):
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert counting_task.runs == 3


def test_flask_tick_runs_every_periodic_task(app, counting_task):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert counting_task.runs == 1
    lines = result.output.splitlines()
    expected = [f"{task.__module__}.{task.__name__}: " for task in HOOKS.periodic]
    assert len(expected) > 1, "the modules declare periodic tasks"
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), f"{prefix!r} not run:\n{result.output}"
    assert "tests.test_periodic.counting_task: 0" in lines
