"""Locale selection and text direction: Arabic first, then French and English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from babel import Locale
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
