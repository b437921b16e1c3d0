"""Time zones and how dates and times are written: the platform's one module for both.

One time-zone database. Zones come from the `tzdata` package (a pinned, upgradable dependency),
never from the machine's /usr/share/zoneinfo: Debian's copy and the one bundled with pytz
(Flask-Babel's) disagreed about Africa/Casablanca from 2026-09-20 (Morocco's return to UTC+0,
in tzdata 2026f), so a time typed as 09:00 was stored with one copy and shown with the other,
an hour off. Every conversion here uses `zone()`; Babel only formats the result (it is given
our tzinfo objects, never a zone name it would look up in pytz).

One way to write each kind of value, in Moroccan conventions: ar_MA and fr_MA month names
(نونبر, دجنبر), 24-hour times without seconds, Western digits, and no zone names in prose:
where the zone matters it is said in words ("heure du Maroc"). Pages (the Jinja filters),
emails, notifications and exports all call the functions below.

Events (workshops, consultation phases) keep the wall-clock time they were typed in and their
zone, besides the instant: if the zone's rules change (a tzdata upgrade), `instant_of` gives the
new instant of the same 09:00, and the workshops module re-pins future events.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import tzdata
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval as babel_format_interval
from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Workshops and votes happen in Morocco: their times are typed and shown in this zone.
MOROCCO = "Africa/Casablanca"
# The release of the zone rules in use (e.g. "2026f"): the README tells how to upgrade it.
ZONE_DATA_VERSION: str = tzdata.IANA_VERSION

# The locale each interface language formats with: Moroccan Arabic and French month names;
# British English for day-month-year order (CLDR has no en_MA).
FORMATTING_LOCALES = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}

# The zones named in words, where a time needs its zone said ("14 décembre 2026, 09:00, heure
# du Maroc"): never CLDR's "heure normale d'Europe de l'Ouest".
ZONE_NAMES = {MOROCCO: _l("Morocco time"), "UTC": _l("UTC")}


def use_bundled_zones() -> None:
    """Makes `zoneinfo.ZoneInfo(key)` read the `tzdata` package too (an empty search path), so
    no code path of this process, ours or a library's, reaches the system's copy."""
    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()


@lru_cache(maxsize=64)
def zone(key: str) -> zoneinfo.ZoneInfo:
    """The zone `key` (e.g. "Africa/Casablanca"), read from the `tzdata` package explicitly.

    Raises `zoneinfo.ZoneInfoNotFoundError` for an unknown key."""
    parts = key.split("/") if key else []
    if not parts or any(part in ("", ".", "..") for part in parts):
        raise zoneinfo.ZoneInfoNotFoundError(key)
    try:
        with resources.files("tzdata").joinpath("zoneinfo", *parts).open("rb") as data:
            return zoneinfo.ZoneInfo.from_file(data, key=key)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
        raise zoneinfo.ZoneInfoNotFoundError(key) from None


def is_known_zone(key: str) -> bool:
    try:
        zone(key)
    except zoneinfo.ZoneInfoNotFoundError:
        return False
    return True


# --- wall-clock times and instants ----------------------------------------------------------

def instant_of(wall: datetime, zone_key: str) -> datetime:
    """The UTC instant of the wall-clock time `wall` (naive) in `zone_key`, by today's rules.

    In the hour skipped when clocks go forward, the time is read with the offset before the
    change (PEP 495's fold=0), so 02:30 on such a night becomes 03:30."""
    if wall.tzinfo is not None:
        raise ValueError("a wall-clock time is naive")
    return wall.replace(tzinfo=zone(zone_key)).astimezone(UTC)


def wall_of(moment: datetime, zone_key: str) -> datetime:
    """The wall-clock time (naive) that the aware `moment` shows in `zone_key`."""
    if moment.tzinfo is None:
        raise ValueError("an instant is timezone-aware")
    return moment.astimezone(zone(zone_key)).replace(tzinfo=None)


def local(moment: datetime, zone_key: str | None = None) -> datetime:
    """`moment` in `zone_key` (the reader's zone by default), aware."""
    return moment.astimezone(zone(zone_key or reader_zone()))


def local_midnight(day: date, zone_key: str | None = None) -> datetime:
    """The first instant of `day` in `zone_key` (the reader's zone by default), aware."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone(zone_key or reader_zone()))


def reader_zone() -> str:
    """The reader's zone: their profile's, else the platform's (Casablanca)."""
    from flask import has_app_context

    if not has_app_context():
        return MOROCCO
    from tadamon.core.i18n import select_timezone

    key = select_timezone()
    return key if is_known_zone(key) else MOROCCO


# --- writing dates and times ---------------------------------------------------------------

def formatting_locale(language: str | None = None) -> Locale:
    """The Babel locale dates are written with for `language` (the reader's by default)."""
    if language is None:
        current = get_locale()
        language = current.language if current is not None else "ar"
    return Locale.parse(FORMATTING_LOCALES.get(language, "ar_MA"))


def _aware(moment: datetime, zone_key: str | None) -> datetime:
    if moment.tzinfo is None:
        # Every stored timestamp is UTC (core.db.UTCDateTime); a naive one is a bug upstream,
        # but showing it as UTC beats failing a page.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(zone_key or reader_zone()))


def format_date(value: date | datetime | None, zone_key: str | None = None,
                language: str | None = None) -> str:
    """A date, e.g. "14 دجنبر 2026", "14 décembre 2026", "14 December 2026"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _aware(value, zone_key).date()
    return babel_format_date(value, format_skeleton_pattern("yMMMMd", language), locale=formatting_locale(language))


def format_time(value: datetime | None, zone_key: str | None = None, language: str | None = None) -> str:
    """A time of day, 24-hour, no seconds: "09:00"."""
    if value is None:
        return ""
    return format_skeleton("Hm", _aware(value, zone_key), locale=formatting_locale(language))


def format_datetime(value: datetime | None, zone_key: str | None = None, language: str | None = None,
                    *, name_zone: bool = False) -> str:
    """A date and time: "14 décembre 2026, 09:00"; with `name_zone`, "…, heure du Maroc"."""
    if value is None:
        return ""
    locale = formatting_locale(language)
    glue = str(locale.datetime_formats["long"]).replace("'", "")
    text = glue.replace("{1}", format_date(value, zone_key, language)).replace(
        "{0}", format_time(value, zone_key, language))
    return with_zone_name(text, zone_key, language) if name_zone else text


def format_range(start: datetime | None, end: datetime | None, zone_key: str | None = None,
                 language: str | None = None, *, name_zone: bool = False) -> str:
    """A span of time: "14 décembre 2026, 09:00 – 12:00" on one day, else two date-times."""
    if start is None:
        return ""
    if end is None:
        return format_datetime(start, zone_key, language, name_zone=name_zone)
    locale = formatting_locale(language)
    first, last = _aware(start, zone_key), _aware(end, zone_key)
    if first.date() == last.date():
        glue = str(locale.datetime_formats["long"]).replace("'", "")
        hours = babel_format_interval(first.replace(tzinfo=None), last.replace(tzinfo=None), "Hm", locale=locale)
        text = glue.replace("{1}", format_date(first, zone_key, language)).replace("{0}", hours)
    else:
        fallback = str(locale.interval_formats.get(None) or "{0} – {1}")
        text = fallback.replace("{0}", format_datetime(first, zone_key, language)).replace(
            "{1}", format_datetime(last, zone_key, language))
    return with_zone_name(text, zone_key, language) if name_zone else text


def format_month(value: date, language: str | None = None) -> str:
    """A month and year: "دجنبر 2026" (the month calendar's title)."""
    return babel_format_date(value, format_skeleton_pattern("yMMMM", language), locale=formatting_locale(language))


def format_weekday(value: date, language: str | None = None) -> str:
    """A short day name (the month calendar's columns)."""
    return babel_format_date(value, "EEE", locale=formatting_locale(language))


def format_skeleton_pattern(skeleton: str, language: str | None = None) -> str:
    """The locale's pattern for a CLDR skeleton (so "yMMMMd" is "d MMMM y" in ar_MA and fr_MA)."""
    locale = formatting_locale(language)
    return str(locale.datetime_skeletons[skeleton])


def zone_name(zone_key: str | None = None) -> str:
    """The zone in words ("Morocco time"); for a zone without a name of ours, its key's city."""
    key = zone_key or reader_zone()
    name = ZONE_NAMES.get(key)
    return str(name) if name is not None else key.rsplit("/", 1)[-1].replace("_", " ")


def with_zone_name(text: str, zone_key: str | None = None, language: str | None = None) -> str:
    from flask_babel import force_locale, gettext

    def render() -> str:
        # Translators: a date and time followed by its zone, e.g. "14 December 2026, 09:00, Morocco time".
        return str(gettext("%(moment)s, %(zone)s", moment=text, zone=zone_name(zone_key)))

    if language is None:
        return render()
    with force_locale(language):
        return render()


# --- Jinja filters ------------------------------------------------------------------------

# Flask-Babel's filters took a width ("short", "full"...). The platform has one format per
# kind, so a width still written in a template is accepted and ignored.

def datetime_filter(value: datetime | None, width: str | None = None) -> str:
    return format_datetime(value)


def date_filter(value: date | datetime | None, width: str | None = None) -> str:
    return format_date(value)


def time_filter(value: datetime | None, width: str | None = None) -> str:
    return format_time(value)


def event_datetime_filter(value: datetime | None, zone_key: str = MOROCCO, named: bool | None = True) -> str:
    """An event's time on its own clock (a workshop in Casablanca shows Casablanca time to a
    reader in Paris too). `named`: say the zone; None: only when the reader's zone differs."""
    return format_datetime(value, zone_key, name_zone=_names_zone(zone_key, named))


def event_range_filter(start: datetime | None, end: datetime | None, zone_key: str = MOROCCO,
                       named: bool | None = True) -> str:
    return format_range(start, end, zone_key, name_zone=_names_zone(zone_key, named))


def _names_zone(zone_key: str, named: bool | None) -> bool:
    return named if named is not None else zone_key != reader_zone()


def iso_instant(value: datetime | None, zone_key: str = MOROCCO) -> str:
    """The machine-readable instant of `<time datetime="…">`, on the event's clock with its
    offset ("2026-12-14T09:00+00:00"), to the minute."""
    return value.astimezone(zone(zone_key)).isoformat(timespec="minutes") if value else ""


def filters() -> dict[str, Any]:
    """The date filters of every template; they replace Flask-Babel's (which convert with pytz)."""
    return {
        "datetimeformat": datetime_filter,
        "dateformat": date_filter,
        "timeformat": time_filter,
        "monthformat": format_month,
        "weekdayformat": format_weekday,
        "event_datetime": event_datetime_filter,
        "event_range": event_range_filter,
        "isotime": iso_instant,
    }
