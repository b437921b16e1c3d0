"""One time-zone database, Moroccan formats: core.times, and that nothing goes around it."""

from __future__ import annotations

import ast
import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import tzdata
from babel.dates import format_datetime as babel_format_datetime
from flask_babel import force_locale

from tadamon.core import times

PACKAGE = Path(__file__).resolve().parents[2] / "platform" / "tadamon"
ARABIC_INDIC_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def test_zones_come_from_the_tzdata_package_and_know_moroccos_2026_change():
    casablanca = times.zone(times.MOROCCO)
    assert times.ZONE_DATA_VERSION == tzdata.IANA_VERSION
    # Morocco went back to UTC+0 on 2026-09-20 at 02:00 (UTC+1), by the rules the package carries.
    assert datetime(2026, 9, 19, 12, tzinfo=casablanca).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 9, 21, 12, tzinfo=casablanca).utcoffset() == timedelta(0)
    # Ramadan 2026 (UTC+0 from 15 February to 22 March, UTC+1 around it).
    assert datetime(2026, 2, 10, 12, tzinfo=casablanca).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 3, 1, 12, tzinfo=casablanca).utcoffset() == timedelta(0)
    assert datetime(2026, 4, 1, 12, tzinfo=casablanca).utcoffset() == timedelta(hours=1)
    # Ramadan 2027: UTC+0, like the rest of the year now.
    assert datetime(2027, 2, 20, 12, tzinfo=casablanca).utcoffset() == timedelta(0)


def test_the_application_never_reads_the_systems_zone_files(app):
    """After create_app, even a plain ZoneInfo(key) reads the tzdata package (no search path):
    the system's copy (Debian's 2025b here) still says UTC+1 after 2026-09-20."""
    assert zoneinfo.TZPATH == ()
    plain = zoneinfo.ZoneInfo(times.MOROCCO)
    moment = datetime(2026, 12, 14, 9, tzinfo=UTC)
    assert moment.astimezone(plain).utcoffset() == moment.astimezone(times.zone(times.MOROCCO)).utcoffset()


def test_unknown_or_crafted_zone_keys_are_refused():
    for key in ("", "Nowhere/City", "../etc/passwd", "Africa/../../x", "/etc/localtime"):
        assert not times.is_known_zone(key)
    assert times.is_known_zone("UTC") and times.is_known_zone("Europe/Paris")


def test_babel_formats_with_our_zone_objects_and_agrees_with_zoneinfo():
    """Babel converts with the tzinfo it is given (ours); pytz's copy is never consulted."""
    moment = datetime(2026, 12, 14, 9, tzinfo=UTC)
    assert babel_format_datetime(moment, "HH:mm", tzinfo=times.zone(times.MOROCCO), locale="fr_MA") == "09:00"


@pytest.mark.parametrize("wall,utc", [
    (datetime(2026, 9, 15, 9, 0), datetime(2026, 9, 15, 8, 0, tzinfo=UTC)),     # UTC+1, before the change
    (datetime(2026, 12, 14, 9, 0), datetime(2026, 12, 14, 9, 0, tzinfo=UTC)),   # UTC+0, after 2026-09-20
    (datetime(2026, 3, 1, 9, 0), datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),       # Ramadan 2026: UTC+0
    (datetime(2027, 2, 20, 18, 0), datetime(2027, 2, 20, 18, 0, tzinfo=UTC)),   # Ramadan 2027
])
def test_wall_times_and_instants_go_both_ways(wall, utc):
    assert times.instant_of(wall, times.MOROCCO) == utc
    assert times.wall_of(utc, times.MOROCCO) == wall


# (language, date, date-time with its zone, range on one day)
EXPECTED = {
    "ar": ("14 دجنبر 2026", "14 دجنبر 2026، 09:00 بتوقيت المغرب", "14 دجنبر 2026، 09:00–12:00"),
    "fr": ("14 décembre 2026", "14 décembre 2026, 09:00, heure du Maroc", "14 décembre 2026, 09:00\u2009–\u200912:00"),
    "en": ("14 December 2026", "14 December 2026, 09:00, Morocco time", "14 December 2026, 09:00–12:00"),
}


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_moroccan_formats_in_each_language(app, language):
    start = times.instant_of(datetime(2026, 12, 14, 9, 0), times.MOROCCO)
    end = times.instant_of(datetime(2026, 12, 14, 12, 0), times.MOROCCO)
    with app.test_request_context(), force_locale(language):
        day, with_zone, span = EXPECTED[language]
        assert times.format_date(start, times.MOROCCO) == day
        assert times.format_time(start, times.MOROCCO) == "09:00"
        assert times.format_range(start, end, times.MOROCCO).startswith(span)
        written = times.format_datetime(start, times.MOROCCO, name_zone=True)
        if language == "en" or _translated(app):
            assert written == with_zone
        for text in (written, times.format_range(start, end, times.MOROCCO, name_zone=True)):
            assert not ARABIC_INDIC_DIGITS.search(text)
            assert "09:00:00" not in text and " ص" not in text and " م" not in text and "AM" not in text
            assert "Europe" not in text and "أوروبا" not in text and "GMT" not in text


def _translated(app) -> bool:
    """Whether the catalogs already hold this branch's messages (merged separately)."""
    with app.test_request_context(), force_locale("fr"):
        return str(times.zone_name(times.MOROCCO)) != "Morocco time"


def test_moroccan_month_names_for_every_month_in_arabic(app):
    with app.test_request_context(), force_locale("ar"):
        months = [times.format_month(date(2026, month, 1)) for month in range(1, 13)]
    for moroccan in ("يناير", "يوليوز", "غشت", "شتنبر", "نونبر", "دجنبر"):
        assert any(moroccan in month for month in months)
    assert not any(eastern in " ".join(months) for eastern in ("نوفمبر", "ديسمبر", "أغسطس", "سبتمبر"))


def test_a_reader_elsewhere_sees_event_times_on_moroccos_clock_with_the_zone_said(app):
    start = times.instant_of(datetime(2026, 12, 14, 9, 0), times.MOROCCO)
    with app.test_request_context(), force_locale("en"):
        from unittest import mock

        with mock.patch.object(times, "reader_zone", return_value="Europe/Paris"):
            assert times.event_datetime_filter(start, times.MOROCCO, None) == "14 December 2026, 09:00, Morocco time"
            # a plain timestamp (a notification's) is on the reader's clock
            assert times.datetime_filter(start) == "14 December 2026, 10:00"
        assert times.event_datetime_filter(start, times.MOROCCO, None) == "14 December 2026, 09:00"


def test_nothing_converts_or_formats_times_around_core_times():
    """One module for zones and formats: no ZoneInfo(...), pytz or Babel date formatting elsewhere."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "core" / "times.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask_babel", "babel.dates"):
                names = {alias.name for alias in node.names} & {"format_date", "format_datetime", "format_time",
                                                                 "format_interval", "format_skeleton", "to_user_timezone"}
                if names:
                    found.append(f"{path.name}:{node.lineno}: {sorted(names)}")
            if isinstance(node, ast.ImportFrom) and node.module == "zoneinfo" or \
                    isinstance(node, ast.Import) and any(alias.name in ("pytz", "zoneinfo") for alias in node.names):
                found.append(f"{path.name}:{node.lineno}: imports a zone database")
    assert found == []


def test_templates_format_times_only_through_our_filters():
    found = []
    for path in sorted(PACKAGE.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (".isoformat()", "strftime", "format_datetime(", "format_date("):
            if pattern in text:
                found.append(f"{path.relative_to(PACKAGE)}: {pattern}")
    assert found == []
