"""Locale selection and text direction: Arabic first, then French and English."""

from __future__ import annotations

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
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
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
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


def localized(obj: object, field: str, language: str | None = None) -> tuple[str, str]:
    """The text of a multilingual field (`<field>_ar`, `_fr`, `_en`) in the reader's language.

    Falls back to another language when this one is empty, and says which language the
    text is in, so templates can mark it with `lang` (screen readers, fonts, direction).
    """
    language = language or current_language()
    order = [language] + [code for code in ("ar", "fr", "en") if code != language]
    for code in order:
        text = getattr(obj, f"{field}_{code}", None)
        if text:
            return text, code
    return "", language


def escape_lazy_strings() -> None:
    """Flask-Babel's LazyString declares itself safe HTML (`__html__` returns the raw text),
    so a lazy message interpolated with user input would reach the page unescaped.
    Our messages never carry markup: treat them as the plain text they are."""
    from flask_babel.speaklater import LazyString
    from markupsafe import escape

    LazyString.__html__ = lambda self: escape(str(self))  # type: ignore[method-assign]
