"""The day before a workshop: its registered organisations' representatives get a reminder with
the workshop's .ics attached, in their language. Recorded per workshop, organisation and start
time (core.reminders): never twice for the same start, owed again when the workshop moves."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core import reminders
from tadamon.core.db import utcnow
from tadamon.core.hooks import time_to_check
from tadamon.core.notifications import moment, notify, register_kind, texts
from tadamon.core.reminders import CHECK_EVERY
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_of
from tadamon.workshops.calendars import calendar_for
from tadamon.workshops.models import HOLDING_PLACE, Registration, Workshop, WorkshopStatus

AHEAD = timedelta(hours=24)
KIND = "workshop_eve"

register_kind(
    "workshops.tomorrow", category="workshops",
    subject=_l("Tomorrow: %(workshop)s"),
    text=_l("%(organisation)s is registered for the workshop %(workshop)s, which starts on %(when)s. The calendar "
            "file is attached to this e-mail."))


def remind_day_before(now: datetime | None = None) -> int:
    """The periodic task: reminds the organisations holding a place in a workshop that starts
    within 24 hours; returns how many organisations were reminded."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Registration, Workshop).join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.starts_at > now, Workshop.starts_at <= now + AHEAD,
               Workshop.status.in_((WorkshopStatus.REGISTRATION_OPEN, WorkshopStatus.PLANNED)),
               Registration.status.in_(HOLDING_PLACE))
        .order_by(Workshop.id, Registration.id)).all()
    if not rows:
        return 0
    already = set(db.session.execute(select(reminders.SentReminder.subject_id, reminders.SentReminder.organisation_id,
                                            reminders.SentReminder.due_at)
                                     .where(reminders.SentReminder.kind == KIND,
                                            reminders.SentReminder.subject_id.in_({w.id for _r, w in rows}))).all())
    reminded = 0
    for registration, workshop in rows:
        if (workshop.id, registration.organisation_id, workshop.starts_at) in already:
            continue
        if not reminders.claim(KIND, workshop.id, registration.organisation_id, workshop.starts_at):
            continue
        _remind(workshop, registration)
        reminded += 1
    return reminded


def _remind(workshop: Workshop, registration: Registration) -> None:
    people = representatives_of([registration.organisation_id])
    by_language: dict[str, list[User]] = {}
    for person in people:
        by_language.setdefault(person.preferred_language, []).append(person)
    for language, group in by_language.items():
        # Registered people may have the link to join a hybrid or online workshop.
        ics = calendar_for([workshop], language=language, shows_online_link=lambda _workshop: True)
        notify(group, "workshops.tomorrow", link=external_url("workshops.workshop", workshop_id=workshop.id),
               attachments=[(f"workshop-{workshop.id}.ics", "text/calendar", ics)],
               workshop=texts(workshop, "title"), organisation=registration.organisation.display_name,
               when=moment(workshop.starts_at, workshop.time_zone))


def check_remind_day_before() -> int:
    """The periodic hook: `remind_day_before` at most every few minutes per process."""
    if not time_to_check("workshops.reminders", CHECK_EVERY, utcnow()):
        return 0
    return remind_day_before()
