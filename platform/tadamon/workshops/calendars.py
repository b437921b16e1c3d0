"""iCalendar files for workshops (RFC 5545), made with the icalendar library."""

from __future__ import annotations

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
