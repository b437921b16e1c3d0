"""A session's last use is written at most every SESSION_TOUCH_INTERVAL, after the response and
alone in its transaction: a read request neither writes during the page nor leaves the time
unwritten (accounts.services.sessions)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from tadamon.accounts.models import UserSession, token_digest
from tadamon.accounts.services import SESSION_TOUCH_INTERVAL
from tadamon.core.db import utcnow
from tadamon.extensions import db


def _session_row(session_id: str) -> UserSession:
    db.session.expire_all()
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == token_digest(session_id)))


def _updates(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]


def test_a_read_request_writes_the_last_use_once_after_the_interval(app, client, login, create_user):
    session_id = login(client, create_user(language="en"))
    long_ago = utcnow() - SESSION_TOUCH_INTERVAL - timedelta(minutes=1)
    row = _session_row(session_id)
    row.last_seen_at = long_ago
    db.session.commit()
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/workshops").status_code == 200
        assert len(_updates(statements)) == 1
        assert _session_row(session_id).last_seen_at > long_ago + SESSION_TOUCH_INTERVAL
        statements.clear()
        assert client.get("/organisations").status_code == 200
        assert _updates(statements) == []  # touched a moment ago
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_the_touch_commits_nothing_else_the_request_left(app, client, login, create_user):
    from flask import request_finished

    person = create_user(language="en")
    session_id = login(client, person)
    row = _session_row(session_id)
    row.last_seen_at = utcnow() - SESSION_TOUCH_INTERVAL - timedelta(minutes=1)
    db.session.commit()

    def change_something(sender, response, **extra):
        person.display_name = "Changed by a read request"  # never saved: the request did not commit

    request_finished.connect(change_something, app)
    try:
        client.get("/workshops")
    finally:
        request_finished.disconnect(change_something, app)
    db.session.expire_all()
    assert person.display_name != "Changed by a read request"


def test_the_user_loader_loads_the_person_with_roles_and_no_session_object(app, create_user):
    """`find_user_session` (every logged-in request) loads one entity, the person, with their
    roles joined; of the session only the columns the touch needs. Loading the session as a
    second entity with a joined eager load of its user cost an eighth more instructions."""
    from sqlalchemy import inspect

    from tadamon.accounts.models import Role
    from tadamon.accounts.services import find_user_session

    person = create_user(roles=[Role.ADMIN], language="en")
    db.session.add(UserSession(user_id=person.id, token_hash=token_digest("a-session")))
    db.session.commit()
    person_id = person.id
    db.session.expunge_all()
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with app.test_request_context("/"):
            found = find_user_session(person_id, "a-session")
            assert found is not None and found.id == person_id
            assert "role_assignments" not in inspect(found).unloaded
            assert [assignment.role for assignment in found.role_assignments] == [Role.ADMIN.value]
            assert not any(isinstance(obj, UserSession) for obj in db.session.identity_map.values())
            assert find_user_session(person_id, "another-session") is None
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 2  # one query per lookup: the roles came joined
