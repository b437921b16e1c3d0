"""Themes: the subjects workshops are about, kept by the steering group."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.extensions import db
from tadamon.workshops.models import (
    Theme,
)
from tadamon.workshops.services.common import WorkshopError


def active_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.is_active.is_(True)).order_by(Theme.id)))


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.id)))


def save_theme(actor: User, theme: Theme | None, texts: dict[str, str], active: bool) -> Theme:
    if not any(texts.get(f"name_{code}") for code in ("ar", "fr", "en")):
        raise WorkshopError(_l("Give the theme a name in at least one language."), field="name_ar")
    if theme is None:
        theme = Theme()
        db.session.add(theme)
    for key, value in texts.items():
        setattr(theme, key, value.strip())
    theme.is_active = active
    db.session.flush()
    audit.record("theme.saved", "theme", theme.id, object_label=theme.name_fr or theme.name_ar,
                 after={**texts, "active": active}, actor=actor)
    return theme
