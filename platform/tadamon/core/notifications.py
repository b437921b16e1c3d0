"""Notifications: a row in the person's in-app list, and an email in their language.

Features register each kind of notification once, with a lazily translated subject and
text using %(name)s placeholders; a notification stores the kind and its parameters, so
it is rendered in the reader's language whenever it is read, not when it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import ForeignKey, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.bidi import isolate
from tadamon.core.db import utcnow
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.mail import send_email
from tadamon.core.times import MOROCCO, format_datetime
from tadamon.extensions import Model, db


@dataclass(frozen=True)
class NotificationKind:
    subject: Any
    text: Any
    # What kind of news it is, for the people's notification preferences ("votes", "proposals",
    # "moderation", "workshops", "plan", "membership"); "general" when a kind does not say.
    category: str = "general"


_KINDS: dict[str, NotificationKind] = {}
# Named label tables (enum value -> lazy label), so a notification stores the value and the
# reader sees the label in their own language.
_LABELS: dict[str, dict[str, Any]] = {}


def register_labels(name: str, labels: dict[Any, Any]) -> None:
    _LABELS[name] = {str(getattr(key, "value", key)): value for key, value in labels.items()}


def label(table: str, value: Any) -> dict[str, str]:
    """A parameter rendered from a label table at reading time."""
    return {"label": table, "value": str(getattr(value, "value", value))}


def texts(obj: Any, field: str) -> dict[str, dict[str, str]]:
    """A parameter holding a multilingual field: the reader sees their language's text."""
    return {"texts": texts_of(obj, field)}


def moment(value: datetime, zone_key: str = MOROCCO) -> dict[str, str]:
    """A parameter holding an event's time: the reader sees it written in their language, on
    the event's clock, with its zone said ("14 décembre 2026, 09:00, heure du Maroc")."""
    return {"moment": value.astimezone(UTC).isoformat(), "zone": zone_key}


def _resolve(params: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """The parameters as the reader sees them: labels in their language, multilingual texts
    through the platform's one fallback (`pick_text`), times through `core.times`. What members
    wrote (titles, names, reasons) is isolated (core.bidi): an Arabic title keeps its direction
    in a French sentence."""
    resolved: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict) and "moment" in value:
            resolved[key] = format_datetime(datetime.fromisoformat(value["moment"]), value["zone"], language,
                                            name_zone=True)
        elif isinstance(value, dict) and "label" in value:
            resolved[key] = str(_LABELS.get(value["label"], {}).get(value["value"], value["value"]))
        elif isinstance(value, dict) and "texts" in value:
            resolved[key] = isolate(pick_text(value["texts"], language).text)
        elif isinstance(value, str):
            resolved[key] = isolate(value)
        else:
            resolved[key] = value
    return resolved


def register_kind(name: str, *, subject: Any, text: Any, category: str = "general") -> None:
    _KINDS[name] = NotificationKind(subject=subject, text=text, category=category)


class Notification(Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json or "{}")

    @property
    def text(self) -> str:
        kind = _KINDS.get(self.kind)
        if kind is None:
            return self.kind
        return str(kind.text) % _resolve(self.params)

    @property
    def subject(self) -> str:
        kind = _KINDS.get(self.kind)
        return str(kind.subject) % _resolve(self.params) if kind else self.kind


def notify(recipients: Iterable[Any], kind: str, *, link: str = "", attachments: Sequence[Any] = (),
           **params: Any) -> None:
    """Notifies each recipient (a User) in the app and by email, in their own language;
    `attachments` go with the email only (a workshop's .ics): `core.mail.Attachment` tuples."""
    definition = _KINDS[kind]
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.add(
            Notification(
                user_id=user.id, kind=kind, link=link,
                params_json=json.dumps(params, ensure_ascii=False, default=str),
            )
        )
        with force_locale(user.preferred_language):
            readable = _resolve(params, user.preferred_language)
            subject = str(definition.subject) % readable
            text = str(definition.text) % readable
        send_email(
            user.email, "notification", language=user.preferred_language, subject=subject,
            user=user, text=text, link=link, attachments=attachments,
        )


def unread_count(user: Any) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0


def recent(user: Any, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        )
    )


def mark_all_read(user: Any) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
