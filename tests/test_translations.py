"""The ar, fr and en catalogs are complete, and no message is built in a way translators
cannot translate (f-strings, concatenation)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("ar", "fr", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
GETTEXT_NAMES = {"_", "gettext", "_l", "lazy_gettext", "ngettext", "lazy_ngettext",
                 "gettext_isolated", "ngettext_isolated"}


def catalog(language):
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def template_ids():
    with (ROOT / "translations" / "messages.pot").open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(language):
    messages = [message for message in catalog(language) if message.id]
    problems = []
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        # A plural form may say its number in words ("تعليقان", "لا توجد أي قيود"): the count
        # `num` may be left out of a form; every other placeholder must be there.
        optional = {"num"} if isinstance(message.id, tuple) else set()
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            if text and not (expected - optional <= found <= expected):
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_holds_every_extracted_message(language):
    translated = {message.id for message in catalog(language) if message.id}
    missing = template_ids() - translated
    assert not missing, f"run `make update-catalogs` and translate: {sorted(missing)[:10]}"


def test_every_message_in_the_source_is_in_the_catalogs():
    """Extracts the messages from the source as `make extract` does: a string added to the
    code without `make update-catalogs` (so shown untranslated) fails here."""
    from babel.messages.extract import extract_from_dir

    method_map = [("platform/**.py", "python"), ("platform/**/templates/**.html", "jinja2"),
                  ("platform/**/templates/**.txt", "jinja2")]
    options = {"platform/**/templates/**.html": {"extensions": "jinja2.ext.do"},
               "platform/**/templates/**.txt": {"extensions": "jinja2.ext.do"}}
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
                "ngettext": (1, 2), "lazy_ngettext": (1, 2),
                # core.bidi: the same messages, with their arguments isolated
                "gettext_isolated": None, "ngettext_isolated": (1, 2)}
    in_source = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options, keywords=keywords):
        in_source.add(message if isinstance(message, str) else message[0])
    assert len(in_source) > 500
    for language in LANGUAGES:
        held = {message.id if isinstance(message.id, str) else message.id[0]
                for message in catalog(language) if message.id}
        missing = sorted(in_source - held)
        assert not missing, f"{language}: run `make update-catalogs` and translate: {missing[:10]}"


def test_arabic_has_six_plural_forms():
    assert catalog("ar").num_plurals == 6


def _python_sources():
    return sorted((ROOT / "platform").rglob("*.py"))


def test_no_message_is_an_f_string_or_a_concatenation():
    offenders = []
    for path in _python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in GETTEXT_NAMES
                and node.args
                and not isinstance(node.args[0], ast.Constant)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_templates_never_build_messages_from_pieces():
    pattern = re.compile(r"""_\(\s*(f["']|["'][^"']*["']\s*[~+%])""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "platform").rglob("templates/**/*.*")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
