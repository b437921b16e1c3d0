"""Calendars of workshops: iCalendar files (RFC 5545, made with the icalendar library) and the
steering group's month view."""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tadamon.core.i18n import localized
from tadamon.core.times import MOROCCO, local, zone
from tadamon.core.urls import external_url
from tadamon.workshops.models import WorkshopFormat

if TYPE_CHECKING:
    from icalendar import Event


def calendar_for(workshops: list[Any], *, language: str, shows_online_link: Callable[[Any], bool]) -> bytes:
    """An iCalendar file (RFC 5545) of `workshops`, written in `language`.

    Times are the workshop's wall-clock times with their TZID and a VTIMEZONE made from the
    platform's zone data, so a calendar app shows 09:00 whatever its own zone database says.
    Each event's UID names this installation, and SEQUENCE / LAST-MODIFIED change when a
    workshop is rescheduled or moved, so imported copies are replaced. `shows_online_link(w)`
    tells whether the requester may have the link to join (registered people, facilitators)."""
    from flask_babel import force_locale, gettext
    from icalendar import Calendar, Event, Timezone  # here: ~30 ms at every start otherwise

    calendar = Calendar()
    calendar.add("prodid", "-//Tadamon//Workshops//AR-FR-EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Tadamon")
    calendar.add("x-wr-timezone", MOROCCO)
    domain = installation_domain()
    spans: dict[str, list[date]] = {}
    events: list[Event] = []
    with force_locale(language):
        for workshop in workshops:
            zone_key = workshop.time_zone or MOROCCO
            starts, ends = local(workshop.starts_at, zone_key), local(workshop.ends_at, zone_key)
            spans.setdefault(zone_key, []).extend((starts.date(), ends.date()))
            changed = workshop.updated_at or workshop.created_at
            event = Event()
            event.add("uid", f"workshop-{workshop.id}@{domain}")
            title, title_language = localized(workshop, "title", language)
            event.add("summary", title, parameters={"LANGUAGE": title_language})
            event.add("dtstart", starts)
            event.add("dtend", ends)
            event.add("dtstamp", changed)
            event.add("created", workshop.created_at)
            event.add("last-modified", changed)
            event.add("sequence", workshop.schedule_revision or 0)
            page = external_url("workshops.workshop", workshop_id=workshop.id)
            link = workshop.online_link if workshop.online_link and shows_online_link(workshop) else ""
            description, description_language = localized(workshop, "description", language)
            lines = [description] if description else []
            if link:
                lines.append(gettext("Join online: %(link)s", link=link))
            lines.append(page)
            event.add("description", "\n\n".join(lines), parameters={"LANGUAGE": description_language})
            place = [part for part in (workshop.venue, workshop.address) if part]
            if workshop.workshop_format is not WorkshopFormat.IN_PERSON:
                place.append(link or gettext("Online"))
            if place:
                event.add("location", ", ".join(place))
            if link:
                # RFC 7986: the address to join, which calendar apps show as a "join" button.
                event.add("conference", link, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
            event.add("url", page)
            event.add("status", "CONFIRMED")
            events.append(event)
    # The zones first: some calendar apps read a TZID only if its VTIMEZONE came before.
    for zone_key, days in sorted(spans.items()):
        # Whole years around the events: a calendar app that keeps the first VTIMEZONE it met for
        # a TZID (some do, process-wide) still reads later files' events right.
        first, last = min(days), max(days)
        calendar.add_component(Timezone.from_tzinfo(zone(zone_key), first_date=first.replace(year=first.year - 1, month=1, day=1),
                                                    last_date=last.replace(year=last.year + 1, month=12, day=31)))
    for event in events:
        calendar.add_component(event)
    calendar.add("x-tadamon-language", language)
    return calendar.to_ical()


def installation_domain() -> str:
    """The host of this installation's public address: UIDs must differ between networks."""
    from flask import current_app

    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "tadamon.invalid"


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
