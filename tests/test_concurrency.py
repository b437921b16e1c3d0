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
        return response.status_code

    # Every racer gets the same answer (no account enumeration); the owner of the one
    # account made gets its verification link, and a warning for each other attempt.
    results = run_in_parallel(register)
    assert results == [200] * len(results)
    with live_app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(User).where(User.email == "race@example.org")
        ) == 1
        subjects = db.session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.recipient == "race@example.org")).all()
    assert sum("Confirm your email" in subject for subject in subjects) == 1
    assert sum("Someone tried" in subject for subject in subjects) == len(results) - 1


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
