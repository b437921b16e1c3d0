"""Calendars of workshops: iCalendar files (RFC 5545, made with the icalendar library) and the
steering group's month view."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask_babel import get_locale
from icalendar import Calendar, Event

from tadamon.core.i18n import localized
from tadamon.core.urls import external_url


def calendar_for(workshops: list[Any]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tadamon//Workshops//AR-FR-EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Tadamon")
    calendar.add("x-wr-timezone", "Africa/Casablanca")
    for workshop in workshops:
        event = Event()
        event.add("uid", f"workshop-{workshop.id}@tadamon")
        event.add("summary", localized(workshop, "title")[0])
        event.add("dtstart", workshop.starts_at)
        event.add("dtend", workshop.ends_at)
        event.add("dtstamp", workshop.created_at)
        description = localized(workshop, "description")[0]
        if description:
            event.add("description", description)
        place = ", ".join(part for part in (workshop.venue, workshop.address) if part)
        if place:
            event.add("location", place)
        event.add("url", external_url("workshops.workshop", workshop_id=workshop.id))
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    locale = get_locale()
    if locale is not None:
        calendar.add("x-tadamon-language", locale.language)
    return calendar.to_ical()


@dataclass(frozen=True)
class Month:
    """A month of the steering group's calendar: its weeks, and the workshops on each day."""

    first: date
    weeks: list[list[date]]
    by_day: dict[date, list[Any]]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def following(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def month_bounds(year: int, month: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in `zone`."""
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first, datetime.min.time(), tzinfo=zone),
            datetime.combine(following, datetime.min.time(), tzinfo=zone))


def month_of(year: int, month: int, zone: tzinfo, workshops: list[Any]) -> Month:
    """Lays `workshops` on the days of the month they run (a workshop spanning days is on each)."""
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    by_day: dict[date, list[Any]] = {}
    for item in workshops:
        day = item.starts_at.astimezone(zone).date()
        while day <= item.ends_at.astimezone(zone).date() and day < following:
            if day >= first:
                by_day.setdefault(day, []).append(item)
            day += timedelta(days=1)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return Month(first, weeks, by_day)
