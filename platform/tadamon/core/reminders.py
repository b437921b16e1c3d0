"""What reminders were sent: one row per kind, subject, organisation and due time.

Periodic tasks (vote closing, workshop tomorrow, action progress due) claim a row before they
notify: the unique key makes "never twice for the same deadline" a database rule, so two
processes ticking at once cannot both send. The due time is part of the key: when a deadline
moves, the reminders for the new one are owed again (and those already sent for the old one
stay recorded). A Loomio lesson: a reopened poll re-notified everyone (loomio #12803).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.db import utcnow
from tadamon.core.persistence import add_unless_duplicate
from tadamon.extensions import Model

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
