"""Themes: the subjects workshops are about, kept by the steering group."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core.kept_lists import save_kept_item
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
    return save_kept_item(actor, Theme, theme, texts, active, kind="theme",
                          unnamed=WorkshopError(_l("Give the theme a name in at least one language."), field="name_ar"))
