"""The append-only audit log of privileged actions.

Services call `record(...)` in the same transaction as the change they log, so an
action and its record commit or roll back together. Rows are never updated or
deleted: the ORM refuses, and database triggers (see the migration) refuse too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.db import utcnow
from tadamon.extensions import Model, db


class AuditLogIsAppendOnly(RuntimeError):
    pass


class AuditEntry(Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key on purpose: the log outlives accounts, and a cascade would have to
    # update rows the log never lets change.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The actor's name at the time: the log stays readable if the account changes.
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(50), index=True)
    object_id: Mapped[str | None] = mapped_column(String(64))
    object_label: Mapped[str] = mapped_column(String(300), default="")
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    @property
    def before(self) -> Any:
        return json.loads(self.before_json) if self.before_json else None

    @property
    def after(self) -> Any:
        return json.loads(self.after_json) if self.after_json else None


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    object_label: str = "",
    before: Any = None,
    after: Any = None,
    actor: Any = None,
) -> AuditEntry:
    """Adds an entry for `action` on an object; the caller's transaction commits it.

    `actor` defaults to the current user; the request's address is kept when there is one.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "display_name", "") or "")[:200],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        object_label=object_label[:300],
        before_json=_dump(before),
        after_json=_dump(after),
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
