"""A person's own profile settings."""

from __future__ import annotations

from tadamon.accounts.models import (
    User,
)


def update_profile(user: User, *, display_name: str, language: str, timezone: str) -> None:
    user.display_name = display_name.strip()
    user.preferred_language = language
    user.timezone = timezone


def set_preferred_language(user: User, language: str) -> None:
    user.preferred_language = language
