"""The CLDR data a web worker keeps (core.i18n.trim_locale_data): what the platform writes with
Babel reads the same with the unshown data dropped as with Babel's whole data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from babel import Locale, localedata
from babel.core import get_global
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from tadamon.core import i18n, times

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ar", "fr", "en")


def samples() -> dict[str, Any]:
    """Every kind of value the platform writes with Babel, in each language: the core.times
    formats (dates, times, ranges on one day and over two, months, weekdays, skeletons) and what
    Flask-Babel's number filters, format_list, the text direction and plural rules give."""
    start = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
    end = datetime(2026, 12, 14, 11, 30, tzinfo=UTC)
    later = datetime(2027, 3, 2, 17, 45, tzinfo=UTC)
    found: dict[str, Any] = {}
    for language in LANGUAGES:
        locale = Locale.parse(language)
        found[language] = {
            "date": times.format_date(start, times.MOROCCO, language),
            "day": times.format_date(date(2026, 11, 30), times.MOROCCO, language),
            "time": times.format_time(later, times.MOROCCO, language),
            "datetime": times.format_datetime(start, times.MOROCCO, language),
            "range, one day": times.format_range(start, end, times.MOROCCO, language),
            "range, two days": times.format_range(start, later, times.MOROCCO, language),
            "month": times.format_month(date(2026, 12, 1), language),
            "weekdays": [times.format_weekday(date(2026, 12, day), language) for day in range(14, 21)],
            "skeletons": [times.format_skeleton_pattern(skeleton, language) for skeleton in ("yMMMMd", "yMMMM", "Hm")],
            "decimals": [format_decimal(value, locale=locale) for value in (0, 7, 1234, 1234567.891, -3.5)],
            "decimal patterns": [format_decimal(2.345, format="0.##", locale=locale),
                                 format_decimal(12345.6, format="#,##0.##", locale=locale)],
            "percents": [format_percent(value, locale=locale) for value in (0, 0.5, 0.1234, 1)],
            "lists": [format_list(items, locale=language) for items in (["a"], ["a", "b"], ["a", "b", "c"])],
            "direction": locale.text_direction,
            "plural forms": [locale.plural_form(count) for count in (0, 1, 2, 3, 11, 100, 101)],
        }
    return found


def test_what_the_platform_writes_reads_the_same_with_the_unshown_data_dropped() -> None:
    # Babel's whole data, in a process that never trimmed it.
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    whole = subprocess.run([sys.executable, "-c", "import json; from tests.core.test_locale_data import samples; "  # noqa: S603
                            "print(json.dumps(samples()))"], cwd=ROOT, env=environment, check=True,
                           capture_output=True, text=True).stdout
    i18n.trim_locale_data(LANGUAGES)
    assert samples() == json.loads(whole.splitlines()[-1])


def test_a_request_leaves_only_the_data_the_platform_shows(client) -> None:
    client.get("/", headers={"Accept-Language": "fr"})
    for name in ("root", "ar", "ar_MA", "fr", "fr_MA", "en", "en_001", "en_GB"):
        kept = localedata.load(name)
        assert not kept.keys() & set(i18n.UNSHOWN_LOCALE_DATA), name
        assert {"months", "number_symbols", "datetime_skeletons"} <= kept.keys(), name
    assert not any(get_global(key) for key in i18n.UNSHOWN_GLOBAL_DATA)  # type: ignore[arg-type]
    assert get_global("parent_exceptions")["en_GB"] == "en_001"  # what loading a locale reads
