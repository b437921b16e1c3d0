"""Log-in and server-side sessions."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, bindparam, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from tadamon.accounts.models import (
    User,
    UserSession,
    token_digest,
)
from tadamon.accounts.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from tadamon.accounts.services.common import (
    EmailNotVerified,
    InvalidCredentials,
    normalize_email,
)
from tadamon.core.db import utcnow
from tadamon.core.notifications import remember_unread_count, unread_count_column
from tadamon.core.persistence import rows_changed
from tadamon.extensions import db

# How often a session's "last seen" is written: not on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


def authenticate(email: str, password: str) -> User:
    """The account these credentials open. Raises InvalidCredentials or EmailNotVerified.

    The message never says whether the address exists.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        burn_verification_time()
        raise InvalidCredentials(_l("The email address or the password is not right."))
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials(_l("The email address or the password is not right."))
    if not user.is_enabled:
        raise InvalidCredentials(_l("This account has been disabled. Contact the platform's administrators."))
    if not user.email_verified:
        raise EmailNotVerified(
            _l("Please confirm your email address first: follow the link we sent you. You can ask for a new link below.")
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, *, ip_address: str | None, user_agent: str) -> str:
    """Creates a server-side session and returns its secret id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(session_id),
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
    )
    return session_id


def find_session(user_id: int, session_id: str | None) -> UserSession | None:
    if not session_id:
        return None
    found = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_digest(session_id), UserSession.user_id == user_id
        )
    )
    if found is not None:
        _touch_when_due(found)
    return found


def _touch_when_due(found: UserSession) -> None:
    """Notes that the session was used, at most every SESSION_TOUCH_INTERVAL: written after the
    response, in a transaction of its own (`touch_session`). Setting the attribute on the loaded
    row instead made every read request write (a write lock on SQLite, a transaction on
    PostgreSQL) and roll the write back at its end, so the time advanced only when a form was
    saved, and every page did the write again."""
    now = _touch_due(found.id, found.last_seen_at)
    if now is not None:
        set_committed_value(found, "last_seen_at", now)


def _touch_due(session_row_id: int, last_seen_at: datetime) -> datetime | None:
    """`_touch_when_due` for a session known by its id and last use (not loaded as an object);
    the time written after the response, or None when not due."""
    now = utcnow()
    if now - last_seen_at <= SESSION_TOUCH_INTERVAL:
        return None
    if has_request_context():
        request.environ[_TOUCH] = (session_row_id, now)
    return now


_TOUCH = "tadamon.session_touch"  # in the request's environ: (session id, time)


def touch_session(_error: BaseException | None = None) -> None:
    """`teardown_request`: the session's last use written, alone in its transaction, after
    whatever the request left uncommitted is rolled back (as the end of the request would)."""
    touch = request.environ.pop(_TOUCH, None) if has_request_context() else None
    if touch is None:
        return
    from tadamon.core.db import writing

    try:
        with writing():
            db.session.rollback()
            db.session.execute(update(UserSession).where(UserSession.id == touch[0]).values(last_seen_at=touch[1]))
            db.session.commit()
    except SQLAlchemyError:  # the next request touches it again
        db.session.rollback()
        current_app.logger.warning("the session's last use could not be written", exc_info=True)


def find_user_session(user_id: int, session_id: str | None) -> User | None:
    """The person `user_id` when `session_id` is one of their live sessions, with their roles,
    their unread notifications' count and what other modules join to the person
    (`load_with_the_person`), in one query (joins, the count a column, instead of five round
    trips); the session touched like `find_session`."""
    if not session_id:
        return None
    row = db.session.execute(_user_session_statement(),
                             {"token_hash": token_digest(session_id), "user_id": user_id}).unique().first()
    if row is None:
        return None
    user, session_row_id, last_seen_at, unread = row
    remember_unread_count(unread)  # read in the same statement: the page header's count
    _touch_due(session_row_id, last_seen_at)
    return user


# Loader options, relative to the person, that other modules add to the logged-in person's
# query (`load_with_the_person`): membership adds the organisations they act for.
_PERSON_LOADS: list[Callable[[], Any]] = []


def load_with_the_person(option: Callable[[], Any]) -> None:
    """`option()` (a loader option on `User`, such as `joinedload(User.x)`) joins what another
    module reads of every logged-in person to the query that finds their session: one statement
    for who is reading instead of one more per module. Registered when the module is set up,
    before the first request builds the query."""
    _PERSON_LOADS.append(option)
    _user_session_statement.cache_clear()


@cache
def _user_session_statement() -> Select[Any]:
    """`find_user_session`'s query, built once with bound parameters: every logged-in request
    runs it, and building it (the joined loads, then its cache key) cost more than running it.
    The person is the one entity loaded, with their roles joined by the statement itself
    (`contains_eager`); of the session, only the two columns the touch needs: a second entity
    and a joined eager load (whose aliasing is adapted again at each execution) cost an eighth
    more instructions than this query does now, on every logged-in request."""
    return (select(User, UserSession.id, UserSession.last_seen_at, unread_count_column(UserSession.user_id))
            .join(UserSession, UserSession.user_id == User.id)
            .outerjoin(User.role_assignments)
            .where(UserSession.token_hash == bindparam("token_hash", type_=String),
                   UserSession.user_id == bindparam("user_id", type_=Integer))
            .options(contains_eager(User.role_assignments), *(option() for option in _PERSON_LOADS)))


def end_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == token_digest(session_id)))


def end_other_sessions(user: User, keep_session_id: str | None) -> int:
    """Logs `user` out everywhere but the current browser; returns how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session_id:
        statement = statement.where(UserSession.token_hash != token_digest(keep_session_id))
    return rows_changed(statement)


def list_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.last_seen_at.desc())
        )
    )
