"""Locale selection and text direction: Arabic first, then French and English."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import NamedTuple

from babel import Locale, localedata
from babel.core import get_global
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_login import current_user

LOCALE_COOKIE = "tadamon_lang"

# The names each language is known by in itself: a switcher shows these, never translated.
LANGUAGE_NATIVE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The user's saved choice, else the cookie, else Accept-Language, else Arabic."""
    languages = supported_languages()
    trim_locale_data(languages)
    if not has_request_context():
        # Commands and background jobs: messages in the platform's default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    forced = g.get("forced_locale")
    if forced in languages:
        return forced
    if current_user and current_user.is_authenticated:
        preferred = getattr(current_user, "preferred_language", None)
        if preferred in languages:
            return preferred
    # What the choice was read from, for `Vary` (core.delivery): a cache keyed on the address
    # alone would otherwise serve one visitor's language to the next.
    g.locale_sources = ("Cookie",)
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    g.locale_sources = ("Cookie", "Accept-Language")
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


# CLDR data Babel loads with a locale that the platform never shows (issue 18: in every web
# worker, a language's data weighed ~1.4 MB and Babel's global data 2.2 MB, most of it the
# entries below). Names of other languages, countries, scripts, currencies, units and time
# zones: the language switcher writes each language in itself (LANGUAGE_NATIVE_NAMES), no page
# shows money or units, numbers are written in full (no "1,2 k"), times never name a zone in
# CLDR's words (core.times: "heure du Maroc" is ours) and no time is relative ("in 3 days").
# What the platform writes with Babel (dates, times, intervals, numbers, percentages, lists,
# text direction) reads none of them; tests/core/test_locale_data.py compares every kind with
# untrimmed data in ar, fr and en.
UNSHOWN_LOCALE_DATA = (
    "languages", "territories", "scripts", "variants",
    "currency_names", "currency_names_plural", "currency_symbols", "currency_formats",
    "currency_unit_patterns", "compact_currency_formats",
    "unit_patterns", "unit_display_names", "compound_unit_patterns", "compact_decimal_formats",
    "time_zones", "meta_zones", "date_fields",
)
# Babel's global data used only to guess a locale that has no data of its own (likely subtags
# and aliases: the platform asks only for its languages and FORMATTING_LOCALES, which all have
# data), and to tell which languages and currencies a country uses.
UNSHOWN_GLOBAL_DATA = ("likely_subtags", "territory_languages", "territory_currencies", "territory_aliases",
                       "language_aliases", "all_currencies")


@cache
def trim_locale_data(languages: tuple[str, ...]) -> None:
    """Loads the locale data of `languages` (and of the locales their dates are written with)
    once per process, without UNSHOWN_LOCALE_DATA, and empties UNSHOWN_GLOBAL_DATA.

    `babel.localedata.load` returns the very dictionary Babel keeps for a locale (a locale's
    data is a copy of its parent's with its own merged in, so each of the chain is trimmed);
    `get_global` the very mapping of the global data. A locale loaded later (none the
    platform asks for) keeps its data whole."""
    from tadamon.core.times import FORMATTING_LOCALES

    names = {name for language in languages for name in (language, FORMATTING_LOCALES.get(language, language))}
    for first in sorted(names):
        name: str | None = first
        while name:
            data = localedata.load(name)
            for key in UNSHOWN_LOCALE_DATA:
                data.pop(key, None)
            name = _parent_locale(name)
    for key in UNSHOWN_GLOBAL_DATA:
        get_global(key).clear()  # type: ignore[arg-type,attr-defined]


def _parent_locale(name: str) -> str | None:
    """The locale whose data `name`'s inherits, as `babel.localedata.load` finds it (en_GB's is
    en_001, then en, then root); None for root."""
    if name == "root":
        return None
    parent = get_global("parent_exceptions").get(name)
    if parent:
        return str(parent)
    return name.rsplit("_", 1)[0] if "_" in name else "root"


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        zone = getattr(current_user, "timezone", None)
        if zone:
            return zone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def text_direction(locale: Locale | None = None) -> str:
    """'rtl' or 'ltr', from Babel's knowledge of the locale (not a hard-coded list)."""
    locale = locale or get_locale() or Locale.parse("ar")
    return "rtl" if locale.text_direction == "rtl" else "ltr"


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "ar"


TEXT_LANGUAGES = ("ar", "fr", "en")


class LocalText(NamedTuple):
    """A text picked for a reader: the text, the language it is in, and whether it is another
    language than the reader's (pages mark it "not yet translated" and set `lang` on it)."""

    text: str
    language: str
    untranslated: bool = False


def pick_text(texts: Mapping[str, str | None] | None, language: str | None = None) -> LocalText:
    """The one language fallback of the platform, for pages, notifications and exports alike:
    the reader's language, then Arabic, French and English, the first that has a text."""
    language = language or current_language()
    texts = texts or {}
    if texts.get(language):
        return LocalText(str(texts[language]), language)
    for code in TEXT_LANGUAGES:
        if code != language and texts.get(code):
            return LocalText(str(texts[code]), code, untranslated=True)
    return LocalText("", language, untranslated=True)


def texts_of(obj: object, field: str) -> dict[str, str]:
    """A multilingual field's texts (`<field>_ar`, `_fr`, `_en`), by language."""
    return {code: getattr(obj, f"{field}_{code}", None) or "" for code in TEXT_LANGUAGES}


def localized(obj: object, field: str, language: str | None = None) -> tuple[str, str]:
    """The text of a multilingual field in the reader's language, and the language it is in
    (templates mark it with `lang`: screen readers, fonts, direction). See `pick_text`."""
    picked = pick_text(texts_of(obj, field), language)
    return picked.text, picked.language


def escape_lazy_strings() -> None:
    """Flask-Babel's LazyString declares itself safe HTML (`__html__` returns the raw text),
    so a lazy message interpolated with user input would reach the page unescaped.
    Our messages never carry markup: treat them as the plain text they are."""
    from flask_babel.speaklater import LazyString
    from markupsafe import escape

    LazyString.__html__ = lambda self: escape(str(self))


def translations_in_force() -> NullTranslations:
    """The catalogue of the language in force, looked up once per request and language.

    Flask-Babel's own lookup (its domain, its per-request context, the locale, then a cache keyed
    by the locale's name) costs ~7 µs, and templates translate some fifty strings a page. Kept
    with the locale object Flask-Babel holds for the request: `force_locale` (an export, an
    e-mail in another language) and `refresh` put another locale object there, and so get the
    catalogue of that language."""
    locale = get_locale()
    if locale is None:  # no application context: Flask-Babel's empty catalogue
        return get_translations()
    held = g.get("translations_in_force")
    if held is not None and held[0] is locale:
        return held[1]
    translations = get_translations()
    g.translations_in_force = (locale, translations)
    return translations


def install_template_translations(app: Flask) -> None:
    """Templates' `_`, `gettext`, `ngettext` and `{% trans %}` through `translations_in_force`,
    in place of the callables Flask-Babel installs (same catalogue, same newstyle escaping and
    `%(name)s` formatting by Jinja's i18n extension)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: translations_in_force().ugettext(message),
        ngettext=lambda singular, plural, count: translations_in_force().ungettext(singular, plural, count),
        pgettext=lambda context, message: translations_in_force().upgettext(context, message),
        npgettext=lambda context, singular, plural, count: translations_in_force().unpgettext(
            context, singular, plural, count),
        newstyle=True,
    )
