"""What reminders were sent: one row per kind, subject, organisation and due time.

Periodic tasks (vote closing, workshop tomorrow, action progress due) claim a row before they
notify: the unique key makes "never twice for the same deadline" a database rule, so two
processes ticking at once cannot both send. The due time is part of the key: when a deadline
moves, the reminders for the new one are owed again (and those already sent for the old one
stay recorded). A Loomio lesson: a reopened poll re-notified everyone (loomio #12803).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.db import utcnow
from tadamon.core.persistence import add_unless_duplicate
from tadamon.extensions import Model, db

# How often a process looks for reminders owed (see core.hooks.time_to_check).
CHECK_EVERY = timedelta(minutes=5)


class SentReminder(Model):
    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "organisation_id", "due_at", name="one_reminder_per_due_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "vote_48h", "vote_24h", "workshop_eve", "progress_due": what the reminder is about.
    kind: Mapped[str] = mapped_column(String(30))
    # The voting round, the workshop or the milestone the reminder is about.
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def claim(kind: str, subject_id: int, organisation_id: int, due_at: datetime) -> bool:
    """Records that this reminder is being sent; False when it already was (by this process or
    another one at the same time): the caller then sends nothing."""
    return add_unless_duplicate(SentReminder(kind=kind, subject_id=subject_id, organisation_id=organisation_id,
                                             due_at=due_at))


def claim_many(kind: str, subject_id: int, organisation_ids: list[int], due_at: datetime) -> list[int]:
    """`claim` for many organisations at once: one INSERT … ON CONFLICT DO NOTHING, which
    returns the organisations it recorded (in the order given). Those a parallel process
    recorded first are left out: the caller reminds only the ones returned."""
    if not organisation_ids:
        return []
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(SentReminder).values([
        {"kind": kind, "subject_id": subject_id, "organisation_id": organisation_id, "due_at": due_at, "sent_at": now}
        for organisation_id in dict.fromkeys(organisation_ids)])
    claimed = set(db.session.scalars(statement.on_conflict_do_nothing(
        index_elements=["kind", "subject_id", "organisation_id", "due_at"]).returning(SentReminder.organisation_id)))
    return [organisation_id for organisation_id in dict.fromkeys(organisation_ids) if organisation_id in claimed]


def already_sent(kind: str, subject_id: int, due_at: datetime) -> set[int]:
    """The organisations this reminder was already recorded for."""
    return set(db.session.scalars(select(SentReminder.organisation_id).where(
        SentReminder.kind == kind, SentReminder.subject_id == subject_id, SentReminder.due_at == due_at)))
