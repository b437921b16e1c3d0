"""The day before a workshop: its registered organisations' representatives get a reminder with
the workshop's .ics attached, in their language. Recorded per workshop, organisation and start
time (core.reminders): never twice for the same start, owed again when the workshop moves."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.core import reminders
from tadamon.core.db import utcnow
from tadamon.core.hooks import time_to_check
from tadamon.core.notifications import (
    PreparedNotifications,
    deliver,
    moment,
    preferences_of_many,
    prepare_many,
    register_kind,
    texts,
)
from tadamon.core.reminders import CHECK_EVERY
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_by_organisation
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
    owed: dict[int, tuple[Workshop, list[Registration]]] = {}
    for registration, workshop in rows:
        if (workshop.id, registration.organisation_id, workshop.starts_at) not in already:
            owed.setdefault(workshop.id, (workshop, []))[1].append(registration)
    reminded = 0
    for workshop, registrations in owed.values():
        # One INSERT claims the workshop's reminders; a parallel process's claims are left out.
        claimed = set(reminders.claim_many(KIND, workshop.id, [r.organisation_id for r in registrations],
                                           workshop.starts_at))
        registrations = [r for r in registrations if r.organisation_id in claimed]
        _remind(workshop, registrations)
        reminded += len(registrations)
    return reminded


def _remind(workshop: Workshop, registrations: list[Registration]) -> None:
    """Each organisation's representatives, grouped by language (the .ics is in theirs): one
    query for the people and one for their preferences, one INSERT each for the
    notifications and the e-mails."""
    if not registrations:
        return
    people = representatives_by_organisation([r.organisation_id for r in registrations])
    preferences = preferences_of_many({person.id for group in people.values() for person in group})
    languages = sorted({person.preferred_language for group in people.values() for person in group})
    prepared = PreparedNotifications()
    link = external_url("workshops.workshop", workshop_id=workshop.id)
    for language in languages:
        # Registered people may have the link to join a hybrid or online workshop.
        ics = calendar_for([workshop], language=language, shows_online_link=lambda _workshop: True)
        prepared += prepare_many("workshops.tomorrow", [
            ([person for person in people.get(registration.organisation_id, [])
              if person.preferred_language == language],
             {"workshop": texts(workshop, "title"), "organisation": registration.organisation.display_name,
              "when": moment(workshop.starts_at, workshop.time_zone)})
            for registration in registrations], link=link, preferences=preferences,
            attachments=[(f"workshop-{workshop.id}.ics", "text/calendar", ics)])
    deliver(prepared)


def check_remind_day_before() -> int:
    """The periodic hook: `remind_day_before` at most every few minutes per process."""
    if not time_to_check("workshops.reminders", CHECK_EVERY, utcnow()):
        return 0
    return remind_day_before()
