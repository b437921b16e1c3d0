"""Texts written in the platform's three languages. Each is three fields, `<text>_ar`,
`<text>_fr` and `<text>_en`, on a model and on the data a form hands to a service alike; the
groups several models or `*Data` classes share are declared once, here, and inherited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.i18n import TEXT_LANGUAGES, texts_of


def text_fields(text: str) -> tuple[str, ...]:
    """The fields holding `text`, one a language: "title" → title_ar, title_fr, title_en."""
    return tuple(f"{text}_{code}" for code in TEXT_LANGUAGES)


def is_written(obj: object, text: str) -> bool:
    """`obj`'s `text` is written in at least one language."""
    return any(texts_of(obj, text).values())


# --- the data a form hands to a service (empty texts are "") ---------------------------------


@dataclass
class TitleTexts:
    title_ar: str = ""
    title_fr: str = ""
    title_en: str = ""


@dataclass
class DescriptionTexts:
    description_ar: str = ""
    description_fr: str = ""
    description_en: str = ""


# --- model columns: a mixin's columns are copied onto the table of each model using it -------


class TitleColumns:
    """A title of up to 200 characters in each language."""

    title_ar: Mapped[str] = mapped_column(String(200), default="")
    title_fr: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")


class DescriptionColumns:
    """A description of any length in each language."""

    description_ar: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
