"""Bad input never reaches a 500, and development conveniences cannot leak (issue 13, items 6, 7).

NUL bytes (which PostgreSQL text refuses) in a query, a form value or an uploaded file's name
get a 400 page in the reader's language; unknown and oversized ids are field errors or 404;
a comment form sent twice, even in parallel, publishes one comment; the outbox page is off
unless SHOW_OUTBOX_PAGE=1, and then shown to administrators only. On the demo's data, in a
committed database: SQLite, and PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import func, select

from tadamon.accounts.models import User
from tadamon.config import load_config
from tadamon.core.actor import actor_for
from tadamon.core.errors import UNSTORABLE_INPUT
from tadamon.extensions import db
from tadamon.proposals.models import Comment, Proposal
from tadamon.proposals.permissions import can_comment
from tests.core.world import client_of, demo_world
from tests.test_concurrency import run_in_parallel

MEMBER = "member@demo.tadamon.ma"
# Represents an organisation taking part in the demo's consultation in deliberation.
COMMENTER = "person15@demo.tadamon.ma"
NUL_MESSAGE = "invisible control character"
OFFERED_MESSAGE = "Choose one of the options offered."


def in_arabic(app: Flask, message: object) -> str:
    """A message as member@ reads it: the demo's member reads Arabic (the account's language)."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ar"):
        return str(message)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with demo_world(tmp_path_factory.mktemp("bad-input")) as app:
        yield app


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return int(value or 0)


def _commentable(app: Flask) -> int:
    """A proposal the commenter may comment on (published, in deliberation)."""
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == COMMENTER))
        actor = actor_for(member)
        proposal_id = next(p.id for p in db.session.scalars(select(Proposal).order_by(Proposal.id))
                           if can_comment(actor, p))
        db.session.remove()
        return proposal_id


def _writable_consultation(app: Flask) -> int:
    from tadamon.workshops.models import Consultation, Phase

    with app.app_context():
        found = db.session.scalar(select(func.min(Consultation.id)).where(Consultation.phase == Phase.PROPOSALS_OPEN))
        db.session.remove()
        assert found is not None
        return int(found)


@pytest.mark.parametrize("path", ["/organisations?q=a%00b", "/workshops?q=%00", "/?x%00=1"])
def test_a_nul_in_a_query_gets_a_400_page_in_the_readers_language(world: Flask, path: str) -> None:
    response = world.test_client().get(path)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)
    arabic = world.test_client().get(path, headers={"Accept-Language": "ar"})
    assert arabic.status_code == 400 and 'dir="rtl"' in arabic.get_data(as_text=True)


def test_a_nul_in_a_comment_is_refused_and_nothing_is_written(world: Flask) -> None:
    proposal_id = _commentable(world)
    before = _count(world, Comment)
    response = client_of(world, COMMENTER).post(f"/proposals/{proposal_id}/comments",
                                             data={"body": "a\x00b", "stance": "for"})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    assert _count(world, Comment) == before


def test_a_nul_in_an_uploaded_file_name_is_refused(world: Flask) -> None:
    consultation_id = _writable_consultation(world)
    before = _count(world, Proposal)
    response = client_of(world, MEMBER).post(
        f"/consultations/{consultation_id}/proposals/new",
        data={"title": "A title", "body": "A body long enough to publish.", "language": "en",
              "territory_scope": "national", "attachment": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "a\x00.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and in_arabic(world, UNSTORABLE_INPUT) in response.get_data(as_text=True)
    assert _count(world, Proposal) == before


@pytest.mark.parametrize("theme_id", ["99999999999999999999", "999999", "-1", "x"])
def test_an_unknown_or_oversized_theme_is_a_field_error_and_saves_nothing(world: Flask, theme_id: str) -> None:
    consultation_id = _writable_consultation(world)
    before = _count(world, Proposal)
    response = client_of(world, MEMBER).post(
        f"/consultations/{consultation_id}/proposals/new",
        data={"title": "A title", "body": "A body long enough to publish.", "language": "en",
              "territory_scope": "national", "theme_id": theme_id, "action": "publish"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert in_arabic(world, lazy_gettext(OFFERED_MESSAGE)) in page
    assert "A body long enough to publish." in page  # what was typed is shown again
    assert _count(world, Proposal) == before


@pytest.mark.parametrize("parent_id", ["99999999999999999999", "2147483648", "999999", "-3"])
def test_a_reply_to_an_impossible_comment_is_not_found(world: Flask, parent_id: str) -> None:
    proposal_id = _commentable(world)
    before = _count(world, Comment)
    response = client_of(world, COMMENTER).post(f"/proposals/{proposal_id}/comments",
                                             data={"body": "A reply", "stance": "for", "parent_id": parent_id})
    assert response.status_code == 404
    assert _count(world, Comment) == before


def test_a_comment_form_sent_twice_in_parallel_publishes_one_comment(world: Flask) -> None:
    proposal_id = _commentable(world)
    page = client_of(world, COMMENTER).get(f"/proposals/{proposal_id}").get_data(as_text=True)
    import re

    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page)
    assert key, "the comment form carries a submission key"
    clients = [client_of(world, COMMENTER) for _ in range(6)]
    body = "Sent twice by an impatient click"
    statuses = run_in_parallel(lambda i: clients[i].post(
        f"/proposals/{proposal_id}/comments",
        data={"body": body, "stance": "for", "submission_key": key.group(1)}).status_code, 6)
    # One copy publishes; the others are told the form was already sent (core.idempotency).
    assert sorted(statuses) == [302] + [400] * 5
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.body == body)) == 1
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.comment_count == db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.proposal_id == proposal_id))
        db.session.remove()
    # A new rendering of the form is a new comment, even with the same words.
    assert clients[0].post(f"/proposals/{proposal_id}/comments",
                           data={"body": body, "stance": "for"}).status_code == 302
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.body == body)) == 2
        db.session.remove()


def test_the_outbox_page_is_off_unless_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOW_OUTBOX_PAGE", raising=False)
    assert load_config(tmp_path, {"ENV": "development"})["SHOW_OUTBOX_PAGE"] is False
    monkeypatch.setenv("SHOW_OUTBOX_PAGE", "1")
    assert load_config(tmp_path, {"ENV": "development"})["SHOW_OUTBOX_PAGE"] is True
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert load_config(tmp_path, {"ENV": "production"})["SHOW_OUTBOX_PAGE"] is False


@pytest.mark.parametrize(("email", "status"), [(None, 302), (MEMBER, 404), ("steering@demo.tadamon.ma", 404),
                                               ("admin@demo.tadamon.ma", 200)])
def test_the_outbox_page_is_for_administrators_only_even_from_the_machine_itself(
        world: Flask, email: str | None, status: int) -> None:
    response = client_of(world, email).get("/dev/outbox", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == status
