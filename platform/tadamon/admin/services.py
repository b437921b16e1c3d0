"""Queries behind the administration pages: users and the audit log, filtered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from tadamon.accounts.models import RoleAssignment, User
from tadamon.core.audit import AuditEntry
from tadamon.core.db import contains_pattern
from tadamon.core.times import local_midnight
from tadamon.extensions import db


def users_query(search: str | None, role: str | None) -> Select[tuple[User]]:
    # The list shows each person's roles: loaded with the page, not one query per row.
    query = select(User).options(selectinload(User.role_assignments)).order_by(User.created_at.desc(), User.id.desc())
    if search:
        pattern = contains_pattern(search.strip().lower())
        query = query.where(
            or_(User.email.like(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\"))
        )
    if role:
        query = query.where(
            User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == role))
        )
    return query


def _local_midnight_utc(day: date) -> datetime:
    return local_midnight(day)


def audit_object_types() -> list[str]:
    """The kinds of object the audit log mentions, to filter by."""
    return list(db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)))


def audit_query(
    *, action: str | None, actor: str | None, object_type: str | None,
    since: date | None, until: date | None,
) -> Select[Any]:
    query = select(AuditEntry).order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.like(contains_pattern(action.strip()), escape="\\"))
    if actor:
        query = query.where(AuditEntry.actor_label.ilike(contains_pattern(actor.strip()), escape="\\"))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if since:
        query = query.where(AuditEntry.occurred_at >= _local_midnight_utc(since))
    if until:
        query = query.where(AuditEntry.occurred_at < _local_midnight_utc(until + timedelta(days=1)))
    return query


def erased_people_in(entries: Iterable[AuditEntry]) -> set[int]:
    """The ids of deleted accounts among the entries' actors and user objects: the log keeps
    its rows unchanged (it is append-only), the page shows "Former member" for them."""
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    ids |= {int(entry.object_id) for entry in entries
            if entry.object_type == "user" and entry.object_id and entry.object_id.isdigit()}
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.erased_at.is_not(None))))


# --- outgoing email ------------------------------------------------------------------------

def mail_problems_query() -> Any:
    """Emails that failed, or wait for a retry after an error, newest first."""
    from tadamon.core.mail import MailState, OutboxMessage

    return select(OutboxMessage).where(
        (OutboxMessage.state == MailState.FAILED.value)
        | ((OutboxMessage.state == MailState.QUEUED.value) & (OutboxMessage.attempts > 0))
    ).order_by(OutboxMessage.id.desc())


def mail_counts() -> dict[str, int]:
    from sqlalchemy import func

    from tadamon.core.mail import OutboxMessage

    return dict(db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())


def retry_mail(actor: Any, message: Any) -> None:
    """Queues a failed email again (audited: the administrator chose to send it once more)."""
    from flask_babel import lazy_gettext as _l

    from tadamon.core import audit, mail
    from tadamon.core.errors_domain import DomainError

    if message.state != mail.MailState.FAILED.value:
        # A sent or waiting email is never sent twice from here.
        raise DomainError(_l("Only an email that failed can be sent again."))
    mail.retry(message)
    audit.record("mail.retried", "outbox_message", message.id, object_label=message.recipient,
                 before={"error": message.last_error[:200]}, actor=actor)
    db.session.flush()
