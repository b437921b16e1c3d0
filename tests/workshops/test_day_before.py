"""The day before a workshop: its registered organisations are reminded once, with the .ics."""

from __future__ import annotations

from datetime import timedelta

from tadamon.core import notifications
from tadamon.extensions import db
from tadamon.workshops import services
from tadamon.workshops.services.reminders import remind_day_before


def test_registered_organisations_are_reminded_once_with_the_calendar(open_workshop, members, monkeypatch):
    workshop = open_workshop(capacity=1)
    (rep0, org0), (rep1, org1), _ = members
    services.register(rep0, workshop, org0, "Amina")
    services.register(rep1, workshop, org1, "Karim")  # the workshop is full: on the waiting list
    db.session.commit()
    sent: list[tuple[str, list]] = []
    real = notifications.prepare_alike

    def capture(recipients, template, **kwargs):
        sent.extend((user.email, list(kwargs.get("attachments", ()))) for user, _link, _headers in recipients)
        return real(recipients, template, **kwargs)

    monkeypatch.setattr(notifications, "prepare_alike", capture)
    start = workshop.starts_at
    assert remind_day_before(now=start - timedelta(hours=30)) == 0, "too early"
    assert remind_day_before(now=start - timedelta(hours=20)) == 1
    reminders = [(to, files) for to, files in sent if files]
    assert [to for to, _files in reminders] == [rep0.email], "the waiting list is not reminded"
    name, mimetype, content = reminders[0][1][0]
    assert name.endswith(".ics") and mimetype == "text/calendar" and b"BEGIN:VEVENT" in content
    assert remind_day_before(now=start - timedelta(hours=10)) == 0, "never twice for the same start"

    # Moved to the next day: owed again for the new start.
    workshop.starts_at = start + timedelta(days=1)
    workshop.ends_at = workshop.ends_at + timedelta(days=1)
    db.session.commit()
    assert remind_day_before(now=workshop.starts_at - timedelta(hours=20)) == 1
