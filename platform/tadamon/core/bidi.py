"""Bidirectional text, done once: member content inside a sentence is isolated, so an Arabic
title in a French sentence (or a French name in an Arabic one) keeps its own direction and
leaves the sentence's punctuation, "et"/"و" and numbers where the sentence put them.

Two outputs, one rule:
- plain text (e-mails' text part, notifications, flash messages, page titles, subjects):
  U+2068 FIRST STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE around each value (`isolate`);
- HTML: `<bdi>` around each value (`bdi`), with `lang` when the value's language is known.

Sentences with %(name)s placeholders get isolated arguments through `gettext_isolated` (Python)
and the `bdi` filter on each argument (templates: Jinja's newstyle gettext escapes arguments
unless they are markup, so a `<bdi>` built here arrives intact and the value inside is escaped).

Quotation marks: the catalogues carry them around placeholders (each translator writes their
language's marks); text built here uses `quote`, with the platform's convention:
French « » with no-break spaces inside, English “ ”, Arabic « » without spaces (the marks of
Moroccan and Maghreb print; they are mirrored characters, so the same code points read right
in an Arabic sentence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from numbers import Number
from typing import Any

import flask_babel
from babel.lists import format_list
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from tadamon.core.i18n import LocalText, current_language

FSI = "\u2068"  # FIRST STRONG ISOLATE: the value's direction comes from its first letter
LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE: for numbers with signs, codes, hashes
RLI = "\u2067"  # RIGHT-TO-LEFT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE: closes either

QUOTES: dict[str, tuple[str, str]] = {
    "ar": ("«", "»"),
    "fr": ("«\u00a0", "\u00a0»"),
    "en": ("“", "”"),
}


class Isolated(str):
    """Text already laid out for a sentence (quoted titles, a joined list): `isolate` leaves it
    as it is. Isolating it again would hide its letters from the direction guess of the new
    isolate, so a list of Arabic titles would be laid out left to right."""


def _language(language: str | None) -> str:
    return language or current_language()


def isolate(value: Any) -> str:
    """`value` as plain text isolated from the sentence around it ("" stays "")."""
    if isinstance(value, Isolated):
        return value
    text = str(value.text if isinstance(value, LocalText) else value)
    if not text or (text.startswith((FSI, LRI)) and text.endswith(PDI)):
        return text
    return f"{FSI}{text}{PDI}"


def isolate_ltr(value: Any) -> str:
    """A left-to-right value (a signed number, a code) that must not be reordered in RTL text:
    "(+3)" stays "(+3)" in Arabic instead of reading "(3+)"."""
    text = str(value)
    return f"{LRI}{text}{PDI}" if text else text


def isolated(params: Mapping[str, Any]) -> dict[str, Any]:
    """Placeholder values for a translated sentence: texts isolated, numbers left as they are
    (a `%(num)d` needs a number, and digits keep their place in both directions), and the
    platform's own labels (lazy translations: already in the sentence's language) too."""
    return {
        key: value if isinstance(value, Number | LazyString) or value is None else isolate(value)
        for key, value in params.items()
    }


def gettext_isolated(message: str, **params: Any) -> str:
    """`gettext(message, **params)` with every text parameter isolated: for flash messages,
    subjects and any plain-text sentence that embeds what members wrote. Extracted like
    `gettext` (babel.cfg keywords): callers pass the literal message."""
    # Called through the module: the literal is the caller's, not a message built here.
    return flask_babel.gettext(message, **isolated(params))


def ngettext_isolated(singular: str, plural: str, num: int, **params: Any) -> str:
    return flask_babel.ngettext(singular, plural, num, **isolated(params))


def quote(value: Any, language: str | None = None) -> str:
    """`value` between the reader's language's quotation marks, isolated inside them (the
    marks belong to the sentence, so they sit outside the isolate)."""
    start, end = QUOTES.get(_language(language), QUOTES["en"])
    return Isolated(f"{start}{isolate(value)}{end}")


def join(items: Iterable[Any], language: str | None = None, *, quoted: bool = False) -> str:
    """Plain-text list in the reader's language ("A, B et C", "A وB وC"), each item isolated,
    or quoted (`quote`: the marks stay outside the isolate, in the sentence's direction)."""
    wrap = (lambda item: quote(item, language)) if quoted else isolate
    values = [wrap(item) for item in items if str(item)]
    if not values:
        return ""
    return Isolated(format_list(values, locale=_language(language)))


def untranslated_marker() -> Markup:
    """The small note after a text shown in another language than the reader's."""
    from flask_babel import gettext

    return Markup(' <span class="untranslated">({})</span>').format(gettext("not yet translated"))


def bdi(value: Any, lang: str | None = None, marker: bool = True) -> Markup:
    """`value` as isolated HTML: `<bdi>`; a LocalText also gets its `lang` and, when it stands
    in for a missing translation, the "not yet translated" note (unless `marker=False`)."""
    note = Markup("")
    if isinstance(value, LocalText):
        lang = lang or value.language
        if value.untranslated and value.text and marker:
            note = untranslated_marker()
        value = value.text
    if value is None or str(value) == "":
        return Markup("")
    if lang:
        return Markup('<bdi lang="{}">{}</bdi>').format(lang, value) + note
    return Markup("<bdi>{}</bdi>").format(value) + note


def bdi_ltr(value: Any) -> Markup:
    """A signed number or code kept left to right inside RTL text (HTML)."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def quoted(value: Any, language: str | None = None) -> Markup:
    """`value` in `<bdi>` between the reader's quotation marks (HTML)."""
    start, end = QUOTES.get(_language(language), QUOTES["en"])
    return Markup("{}{}{}").format(start, bdi(value, marker=False), end)


def join_html(items: Iterable[Any], language: str | None = None) -> Markup:
    """HTML list in the reader's language, each item in its own `<bdi>`: Babel's pattern is
    applied to placeholders, then the escaped pattern receives the isolated items."""
    cells = [bdi(item) for item in items]
    cells = [cell for cell in cells if cell]
    if not cells:
        return Markup("")
    tokens = [f"\x00{index}\x00" for index in range(len(cells))]
    pattern = str(escape(format_list(tokens, locale=_language(language))))
    for token, cell in zip(tokens, cells, strict=True):
        pattern = pattern.replace(token, str(cell))
    return Markup(pattern)  # noqa: S704 - the pattern was escaped; the cells are escaped <bdi>s


def signed(number: int) -> str:
    """A count with its sign, "+3" or "-2", in the reader's number format; isolate it (plain
    text: `isolate_ltr`, HTML: `signed_html`) where the sentence runs right to left."""
    from flask_babel import format_decimal

    return f"+{format_decimal(number)}" if number > 0 else format_decimal(number)


def signed_html(number: int) -> Markup:
    """"(+3)" stays "(+3)" in an Arabic page: the sign and digits in a left-to-right `<bdi>`
    (the bidi algorithm otherwise treats the leading "+" as neutral and shows "3+")."""
    return bdi_ltr(signed(number))


# --- the direction of a block, decided on the server ---------------------------------------------
# Renderers that ignore dir="auto" (WeasyPrint, Word, spreadsheets) need the direction written out:
# the Unicode rule (first strong character, UAX #9 P2-P3), else the direction of the text's language.

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


def first_strong_direction(text: str) -> str | None:
    """"ltr" or "rtl" from the first letter with a strong direction, None when there is none
    (digits, punctuation, an empty text)."""
    import unicodedata

    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def direction_of(text: str, language: str | None = None) -> str:
    """The paragraph direction of `text`: its first strong letter, else its language's."""
    return first_strong_direction(text) or ("rtl" if (language or "") in RTL_LANGUAGES else "ltr")


def _has_strong(text: str, direction: str) -> bool:
    """Whether `text` has a letter of `direction` ("ltr": L; "rtl": R or AL)."""
    import unicodedata

    kinds = ("L",) if direction == "ltr" else ("R", "AL")
    return any(unicodedata.bidirectional(character) in kinds for character in text)


def inline_directed(document_language: str) -> Callable[..., Markup]:
    """For documents laid out by renderers that ignore dir="auto" (WeasyPrint): a function that
    writes a value inside a sentence: in a `<span lang dir>` when its language is not the
    document's (the tagged PDF keeps the language of the part); between isolate controls
    (LRI/RLI … PDI) when only its direction differs from the document's, or it holds letters of
    the other direction; as plain escaped text otherwise.

    Why not a span around every value: each is an inline box WeasyPrint lays out, draws and tags;
    in a 200-action plan the spans that changed nothing (French names in a French document) were
    a fifth of the PDF's CPU, and the direction-only spans of the Arabic one a tenth."""
    import re

    # Digits joined by single separators: the bidi algorithm keeps such a number left to right in
    # a right-to-left sentence (UAX #9 W2, W4: after Arabic letters they are Arabic numbers, and
    # "1,000" stays one), no span needed. Not a percent sign nor a space: after Arabic letters
    # "35%" shows as "%35" and "1 000" as "000 1" without one.
    plain_number = re.compile(r"[0-9\u0660-\u0669]+(?:[.,\u066b\u066c][0-9\u0660-\u0669]+)*|\u2014")
    document_direction = "rtl" if document_language in RTL_LANGUAGES else "ltr"
    other_direction = "ltr" if document_direction == "rtl" else "rtl"

    def write(text: Any, language: str | None = None, direction: str | None = None,
              html: Markup | None = None) -> Markup:
        """`text` (or its rendering `html`, e.g. inline Markdown) in the document; `language` and
        `direction` when they are known, else the document's language and the text's first
        strong letter."""
        text = "" if text is None else str(text)
        language = language or document_language
        direction = direction or direction_of(text, language)
        content = escape(text) if html is None else html
        if language == document_language and (
                (direction == document_direction and not _has_strong(text, other_direction))
                or plain_number.fullmatch(text)):
            return Markup(content)  # noqa: S704 - escaped above, or Markup given by the caller
        if language == document_language:
            # Isolated by Unicode's controls, which Pango's bidi honours: the same lines as a
            # <span dir>, without a box (the controls have no glyph and pdftotext leaves them out).
            return Markup("{}{}{}").format(LRI if direction == "ltr" else RLI, content, PDI)
        return Markup('<span lang="{}" dir="{}">{}</span>').format(language, direction, content)

    return write
