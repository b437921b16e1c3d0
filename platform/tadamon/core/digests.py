"""Daily and weekly digests: one email per person and period, grouped, newest first.

A notification made for someone who chose a digest for its category waits (`email` daily or
weekly, no `digest_id`). Once a period is over on the person's clock (the day, or the week
from Monday), `send_digests` sends them one email with everything that waited until the end
of that period, grouped by the consultation or workshop it is about (else by category), the
most recent group and event first, in their language and direction. The digest's row (unique
per person, frequency and period) is written in the same transaction as the email and the
notifications it carries: a digest is never sent twice, and what waited is never skipped (a
late straggler of a period already sent goes with the next one). Nothing waiting, no email.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tadamon.core.db import utcnow
from tadamon.core.mail import send_email
from tadamon.core.notifications import (
    EmailDigest,
    Frequency,
    Notification,
    email_headers,
)
from tadamon.core.times import (
    MOROCCO,
    format_date,
    format_datetime,
    is_known_zone,
    local,
    local_midnight,
)
from tadamon.extensions import Model, db

DIGESTS = (Frequency.DAILY, Frequency.WEEKLY)


def person_class() -> Any:
    # The accounts module's User, found by its table: core never imports a feature.
    return next(mapper.class_ for mapper in Model.registry.mappers if getattr(mapper.local_table, "name", "") == "users")


def _zone_of(user: Any) -> str:
    key = getattr(user, "timezone", "") or MOROCCO
    return key if is_known_zone(key) else MOROCCO


def period_start(moment: datetime, frequency: Frequency, zone_key: str) -> date:
    day = local(moment, zone_key).date()
    return day - timedelta(days=day.weekday()) if frequency is Frequency.WEEKLY else day


def last_completed_period(now: datetime, frequency: Frequency, zone_key: str) -> tuple[date, datetime]:
    """The most recent period that is over at `now`: its first day, and its end (an instant)."""
    current = period_start(now, frequency, zone_key)
    length = timedelta(days=7 if frequency is Frequency.WEEKLY else 1)
    return current - length, local_midnight(current, zone_key)


@dataclass
class DigestGroup:
    title: str
    newest: datetime
    items: list[dict[str, Any]] = field(default_factory=list)


def group_for_reader(notifications: Iterable[Notification], language: str, zone_key: str) -> list[DigestGroup]:
    """The digest's content: groups by consultation or workshop (else by category), the group
    with the latest event first, each group's events newest first."""
    groups: dict[str, DigestGroup] = {}
    ordered = sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True)
    for notification in ordered:
        key = notification.topic_key or f"category:{notification.category.value}"
        if key not in groups:
            title = notification.topic_title_in(language) or str(notification.category.label)
            groups[key] = DigestGroup(title=title, newest=notification.created_at)
        groups[key].items.append({
            "subject": notification.subject_in(language),
            "text": notification.text_in(language),
            "link": notification.link,
            "when": format_datetime(notification.created_at, zone_key, language),
        })
    return sorted(groups.values(), key=lambda group: group.newest, reverse=True)


# A digest becomes due only when a period ends (a midnight somewhere): the request-time
# scheduler looks at most this often per process, so pages do not pay a query each.
CHECK_EVERY = timedelta(minutes=5)
_last_check: dict[str, datetime] = {}


def send_digests(now: datetime | None = None) -> int:
    """The periodic task and `flask send-digests`: sends every digest that is due. Returns how
    many were sent. Idempotent: run it as often as you like, from as many places. Given `now`
    (the command, tests), it always looks; else at most every CHECK_EVERY in a process."""
    if now is None:
        now = utcnow()
        last = _last_check.get("at")
        if last is not None and now - last < CHECK_EVERY:
            return 0
        _last_check["at"] = now
    waiting = db.session.execute(
        select(Notification.user_id, Notification.email).where(
            Notification.digest_id.is_(None),
            Notification.email.in_([frequency.value for frequency in DIGESTS]),
            Notification.created_at < now,
        ).distinct()
    ).all()
    sent = 0
    people = person_class()
    for user_id, frequency_value in sorted(waiting):
        user = db.session.get(people, user_id)
        if user is None:
            continue
        sent += _send_digest(user, Frequency(frequency_value), now)
    return sent


def _send_digest(user: Any, frequency: Frequency, now: datetime) -> int:
    zone_key = _zone_of(user)
    start, end = last_completed_period(now, frequency, zone_key)
    notifications = list(db.session.scalars(
        select(Notification).where(
            Notification.user_id == user.id, Notification.digest_id.is_(None),
            Notification.email == frequency.value, Notification.created_at < end,
        )
    ))
    if not notifications:
        return 0
    try:
        with db.session.begin_nested():
            digest = EmailDigest(user_id=user.id, frequency=frequency.value, period_start=start,
                                 item_count=len(notifications))
            db.session.add(digest)
    except IntegrityError:
        # This period's digest is already sent (by another run): what still waits is a late
        # straggler, and goes with the next period's digest.
        return 0
    for notification in notifications:
        notification.digest_id = digest.id
    language = user.preferred_language
    with force_locale(language):
        groups = group_for_reader(notifications, language, zone_key)
        count = len(notifications)
        if frequency is Frequency.WEEKLY:
            subject = ngettext("Your week on Tadamon: %(num)d update", "Your week on Tadamon: %(num)d updates", count)
            period = _("The week from %(day)s", day=format_date(start, zone_key, language))
        else:
            subject = ngettext("Your day on Tadamon: %(num)d update", "Your day on Tadamon: %(num)d updates", count)
            period = _("The day of %(day)s", day=format_date(start, zone_key, language))
    headers, unsubscribe_link = email_headers(user, frequency.value)
    send_email(user.email, "digest", language=language, subject=subject, headers=headers,
               kind=f"digest:{frequency.value}", user=user, groups=groups, period=period,
               unsubscribe_link=unsubscribe_link, frequency=frequency)
    db.session.commit()
    return 1
