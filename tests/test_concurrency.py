"""Invariants hold under parallel requests: one account per address, one use per token.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL, against real commits.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from tadamon.accounts.models import User
from tadamon.core.mail import OutboxMessage
from tadamon.extensions import db
from tests import support

PARALLEL = 8


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def run_in_parallel(function, count=PARALLEL):
    barrier = Barrier(count)

    def start(index):
        barrier.wait()
        return function(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_parallel_registrations_with_one_address_make_one_account(live_app):
    def register(index):
        response = live_app.test_client().post(
            "/account/register",
            data={"display_name": f"Racer {index}", "email": "race@example.org",
                  "password": "parallel olive branches", "preferred_language": "en", "consent": "y"},
        )
        return response.status_code, "already uses this email" in response.get_data(as_text=True)

    results = run_in_parallel(register)
    assert all(status == 200 for status, _ in results)
    assert sum(1 for _, refused in results if not refused) == 1
    with live_app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(User).where(User.email == "race@example.org")
        ) == 1


def test_a_reset_token_used_in_parallel_works_once(live_app):
    client = live_app.test_client()
    client.post(
        "/account/register",
        data={"display_name": "Once", "email": "once@example.org",
              "password": "parallel olive branches", "preferred_language": "en", "consent": "y"},
    )
    client.post("/account/password/forgot", data={"email": "once@example.org"})
    with live_app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.text_body).where(OutboxMessage.subject.like("%password%"))
        ).first()
    link = re.search(r"http://localhost(/account/password/reset/\S+)", body).group(1)

    def reset(index):
        response = live_app.test_client().post(link, data={"password": f"fresh mint tea number {index}"})
        return response.status_code

    statuses = run_in_parallel(reset)
    assert statuses.count(302) == 1, statuses
