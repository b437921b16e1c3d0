"""A form that creates something, sent twice (a double click, a resent request, two parallel
copies), creates it once: its rendering's `submission_key` is claimed in the same transaction as
the change (core.idempotency), and the database's unique key decides. On the demo's data, in a
committed database: SQLite, and PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tadamon.core.idempotency import ALREADY_SENT, FormSubmission
from tadamon.extensions import db
from tadamon.workshops.models import Theme
from tests.core.world import client_of, demo_world
from tests.test_concurrency import run_in_parallel

STEERING = "steering@demo.tadamon.ma"
KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with demo_world(Path(tmp_path_factory.mktemp("idempotency"))) as app:
        yield app


def in_french(app: Flask, message: object) -> str:
    from flask_babel import force_locale
    from markupsafe import escape

    with app.test_request_context(), force_locale("fr"):
        return str(escape(str(message)))


def themes_named(app: Flask, name: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Theme).where(Theme.name_fr == name))
        db.session.remove()
    return int(count or 0)


def a_theme(key: str, name: str) -> dict[str, str]:
    return {"name_fr": name, "name_ar": "موضوع", "active": "y", "submission_key": key}


def test_a_form_rendering_carries_its_own_key(world: Flask) -> None:
    client = client_of(world, STEERING)
    first = KEY.search(client.get("/steering/themes").get_data(as_text=True))
    second = KEY.search(client.get("/steering/themes").get_data(as_text=True))
    assert first and second and first.group(1) != second.group(1)


def test_the_same_form_sent_twice_in_a_row_creates_once(world: Flask) -> None:
    client = client_of(world, STEERING)
    key = KEY.search(client.get("/steering/themes").get_data(as_text=True)).group(1)
    assert client.post("/steering/themes", data=a_theme(key, "Thème envoyé deux fois")).status_code == 302
    again = client.post("/steering/themes", data=a_theme(key, "Thème envoyé deux fois"))
    assert again.status_code == 400
    assert in_french(world, ALREADY_SENT) in again.get_data(as_text=True)  # steering@ reads French
    assert themes_named(world, "Thème envoyé deux fois") == 1


def test_parallel_copies_of_one_form_create_once(world: Flask) -> None:
    clients = [client_of(world, STEERING) for _ in range(6)]
    key = KEY.search(clients[0].get("/steering/themes").get_data(as_text=True)).group(1)
    statuses = run_in_parallel(lambda i: clients[i].post(
        "/steering/themes", data=a_theme(key, "Thème en parallèle")).status_code, 6)
    assert sorted(statuses) == [302] + [400] * 5
    assert themes_named(world, "Thème en parallèle") == 1
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormSubmission)
                                 .where(FormSubmission.submission_key == key)) == 1
        db.session.remove()


def test_a_refused_submit_keeps_its_key_free_for_the_corrected_form(world: Flask) -> None:
    client = client_of(world, STEERING)
    key = KEY.search(client.get("/steering/themes").get_data(as_text=True)).group(1)
    refused = client.post("/steering/themes", data={"name_fr": "   ", "submission_key": key})
    assert refused.status_code in (200, 400)
    assert client.post("/steering/themes", data=a_theme(key, "Thème corrigé")).status_code == 302
    assert themes_named(world, "Thème corrigé") == 1
