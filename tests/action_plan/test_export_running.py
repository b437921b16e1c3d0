"""Exports never in the way: no transaction held while a file renders (SQLite's write lock),
and without Redis the render runs in a background thread behind the usual status page."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tadamon.action_plan import exports, jobs
from tadamon.action_plan.models import ExportState, PlanExport
from tadamon.core.storage import storage
from tadamon.extensions import db
from tests import support


@pytest.fixture
def file_app(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An app on its own SQLite file, committed for real (not the rolled-back test session),
    so that a second connection sees its locks."""
    path = tmp_path / "lock.sqlite3"
    app = support.make_test_app(f"sqlite:///{path}", EXPORT_FOLDER=str(tmp_path / "exports"))
    with app.app_context():
        support.upgrade_database()
        yield app, path
        db.session.remove()
        db.engine.dispose()


def _write_elsewhere(path: Path) -> None:
    """A write on another connection, with a short wait: it fails if anyone holds the lock."""
    other = sqlite3.connect(path, timeout=0.3)
    try:
        other.execute("create table if not exists probe (x integer)")
        other.execute("insert into probe values (1)")
        other.commit()
    finally:
        other.close()


@pytest.fixture
def render_then_write(monkeypatch: pytest.MonkeyPatch, file_app: tuple[Flask, Path]) -> list[int]:
    """Every render, once done, writes from another connection: a render inside a transaction
    would make that write fail with "database is locked"."""
    _app, path = file_app
    real = exports.render
    writes: list[int] = []

    def render(snapshot: Any, file_format: str, language: str) -> bytes:
        data = real(snapshot, file_format, language)
        _write_elsewhere(path)
        writes.append(1)
        return data

    monkeypatch.setattr(exports, "render", render)
    return writes


def test_the_export_command_renders_outside_any_transaction(file_app, render_then_write, tmp_path):
    output = tmp_path / "plan.csv"
    assert jobs.export_to_file(None, "csv", "fr", output) > 0
    assert render_then_write == [1]


def test_a_queued_export_renders_outside_any_transaction(file_app, render_then_write):
    export = jobs.request_export(None, None, "md", "ar")
    db.session.commit()
    jobs.run_export(export.id)
    db.session.expire_all()
    assert db.session.get(PlanExport, export.id).state == ExportState.DONE
    assert render_then_write == [1]


def test_without_redis_the_export_runs_in_a_thread_behind_the_status_page(file_app, monkeypatch):
    app, _path = file_app
    app.config.update(REDIS_URL=None, EXPORT_IN_BACKGROUND=True)
    release = threading.Event()
    real = exports.render

    def slow_render(snapshot: Any, file_format: str, language: str) -> bytes:
        assert release.wait(10)
        return real(snapshot, file_format, language)

    monkeypatch.setattr(exports, "render", slow_render)
    export = jobs.request_export(None, None, "csv", "en")
    db.session.commit()
    export_id, token = export.id, export.token
    with app.test_request_context("/"):
        assert jobs.start(export) is True  # returned while the render waits
    db.session.expire_all()
    assert db.session.get(PlanExport, export_id).state != ExportState.DONE
    db.session.rollback()  # this test's own read must not hold SQLite's lock either
    release.set()
    for thread in threading.enumerate():
        if thread.name == f"tadamon-export-{export_id}":
            thread.join(20)
    db.session.expire_all()
    done = db.session.get(PlanExport, export_id)
    assert done.state == ExportState.DONE and done.progress == 100
    assert storage().load(f"exports/{done.stored_path}").startswith("\ufeff".encode())
    assert token == done.token
