"""Notifications: a row in the person's in-app list, and an email as the person chose.

Features register each kind of notification once, with a lazily translated subject and
text using %(name)s placeholders, and the category it belongs to; a notification stores the
kind and its parameters, so it is rendered in the reader's language whenever it is read, not
when it was sent.

Each person chooses, per category, how they hear of it by email: at once, in a daily or a
weekly digest (core.digests), or never. The in-app list always has everything. The choice is
written on each notification when it is made (`email`), so a digest covers exactly what an
immediate reader was sent, whatever the person changes later before it goes out.

A new kind declares its category with `register_kind(..., category=Category.WORKSHOPS)`;
without one, the category follows the kind's prefix (`CATEGORY_OF_PREFIX`). A notification
about a consultation or a workshop says so with `notify(..., about=topic(...))`: digests group
by it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.bidi import isolate
from tadamon.core.db import utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.mail import (
    Attachment,
    OutboxMessage,
    PreparedEmail,
    emails_queued,
    outbox_rows,
    prepare_alike,
    queue_emails,
)
from tadamon.core.times import MOROCCO, format_datetime
from tadamon.extensions import Model, db


class Category(LabelledEnum):
    """What a notification is about, as the settings page lists it."""

    MEMBERSHIP = "membership", _l("My organisation's membership")
    WORKSHOPS = "workshops", _l("Workshops my organisation registers for")
    PROPOSALS = "proposals", _l("Proposals I wrote, co-signed or follow")
    VOTES = "votes", _l("Consultations and votes: phases, ballots, results")
    PLAN = "plan", _l("The action plan")
    MODERATION = "moderation", _l("Moderation (for those who moderate)")


class Frequency(LabelledEnum):
    IMMEDIATE = "immediate", _l("By email, at once")
    DAILY = "daily", _l("In a daily digest")
    WEEKLY = "weekly", _l("In a weekly digest")
    NEVER = "never", _l("No email (in Tadamon only)")


# A new member hears at once of what asks them to act or decides for them (membership,
# registrations, the vote and its results), and once a day of the rest (comments and
# co-signatures, the plan, reports to moderate): informed without being flooded.
DEFAULT_FREQUENCY: dict[Category, Frequency] = {
    Category.MEMBERSHIP: Frequency.IMMEDIATE,
    Category.WORKSHOPS: Frequency.IMMEDIATE,
    Category.PROPOSALS: Frequency.DAILY,
    Category.VOTES: Frequency.IMMEDIATE,
    Category.PLAN: Frequency.DAILY,
    Category.MODERATION: Frequency.DAILY,
}

CATEGORY_OF_PREFIX: dict[str, Category] = {
    "membership": Category.MEMBERSHIP,
    "workshops": Category.WORKSHOPS,
    "proposals": Category.PROPOSALS,
    "amendments": Category.PROPOSALS,
    "consultations": Category.VOTES,
    "voting": Category.VOTES,
    "plan": Category.PLAN,
    "moderation": Category.MODERATION,
    "reports": Category.MODERATION,
}


@dataclass(frozen=True)
class NotificationKind:
    subject: Any
    text: Any
    category: Category


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


def topic(kind: str, identifier: int, title: Any) -> dict[str, Any]:
    """What a notification is about, for digests to group by: `topic("consultation", 5,
    texts(consultation, "question"))`. `title` is a parameter (`texts(...)`, or a plain name)."""
    return {"key": f"{kind}:{identifier}", "title": title}


def _resolve_value(value: Any, language: str | None) -> Any:
    if isinstance(value, dict) and "moment" in value:
        return format_datetime(datetime.fromisoformat(value["moment"]), value["zone"], language, name_zone=True)
    if isinstance(value, dict) and "label" in value:
        return str(_LABELS.get(value["label"], {}).get(value["value"], value["value"]))
    if isinstance(value, dict) and "texts" in value:
        return isolate(pick_text(value["texts"], language).text)
    if isinstance(value, str):
        return isolate(value)
    return value


def _resolve(params: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """The parameters as the reader sees them: labels in their language, multilingual texts
    through the platform's one fallback (`pick_text`), times through `core.times`. What members
    wrote (titles, names, reasons) is isolated (core.bidi): an Arabic title keeps its direction
    in a French sentence."""
    return {key: _resolve_value(value, language) for key, value in params.items()}


def register_kind(name: str, *, subject: Any, text: Any, category: Category | str | None = None) -> None:
    # A category may be named by its value ("votes"); "general" or none: by the kind's prefix.
    chosen = Category(category) if isinstance(category, str) and category in Category._value2member_map_ \
        else category if isinstance(category, Category) else None
    if chosen is None:
        chosen = CATEGORY_OF_PREFIX.get(name.split(".", 1)[0], Category.WORKSHOPS)
    _KINDS[name] = NotificationKind(subject=subject, text=text, category=chosen)


def category_of(kind: str) -> Category:
    definition = _KINDS.get(kind)
    return definition.category if definition else CATEGORY_OF_PREFIX.get(kind.split(".", 1)[0], Category.WORKSHOPS)


class Notification(Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()
    # How the person was to hear of it by email, decided when it was made (a Frequency).
    email: Mapped[str] = mapped_column(String(10), default=Frequency.NEVER.value)
    # The digest that carried it; None while a daily or weekly one still waits.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("email_digests.id", ondelete="SET NULL"), index=True)
    # What it is about ("consultation:5"), and that thing's title as a parameter: digests group by it.
    topic_key: Mapped[str] = mapped_column(String(60), default="")
    topic_json: Mapped[str] = mapped_column(Text, default="")

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json or "{}")

    @property
    def category(self) -> Category:
        return category_of(self.kind)

    def text_in(self, language: str | None) -> str:
        kind = _KINDS.get(self.kind)
        if kind is None:
            return self.kind
        return str(kind.text) % _resolve(self.params, language)

    def subject_in(self, language: str | None) -> str:
        kind = _KINDS.get(self.kind)
        return str(kind.subject) % _resolve(self.params, language) if kind else self.kind

    def topic_title_in(self, language: str | None) -> str:
        return str(_resolve_value(json.loads(self.topic_json), language)) if self.topic_json else ""

    @property
    def text(self) -> str:
        return self.text_in(None)

    @property
    def subject(self) -> str:
        return self.subject_in(None)


class EmailDigest(Model):
    """One digest sent to one person for one period: the record that makes sending digests
    idempotent (the unique key), and that notifications point to once carried."""

    __tablename__ = "email_digests"
    __table_args__ = (UniqueConstraint("user_id", "frequency", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(10))
    # The first day of the period (the day, or the Monday of the week) on the person's clock.
    period_start: Mapped[date] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    item_count: Mapped[int] = mapped_column(default=0)


class NotificationPreference(Model):
    """A person's choice for one category; no row means the category's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def preferences_of_many(user_ids: Iterable[int]) -> dict[int, dict[Category, Frequency]]:
    """Each person's choices, defaults filled in: one query for any number of people."""
    ids = list(user_ids)
    chosen = {user_id: dict(DEFAULT_FREQUENCY) for user_id in ids}
    if ids:
        rows = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id.in_(ids)))
        for row in rows:
            if row.category in Category._value2member_map_ and row.frequency in Frequency._value2member_map_:
                chosen[row.user_id][Category(row.category)] = Frequency(row.frequency)
    return chosen


def chosen_frequency(user_id: Any, kind: str) -> Any:
    """A scalar subquery: the frequency the person `user_id` (a column) chose for the category of
    `kind`, None for the default. Loads people and their choice in one query (a ballot's
    receipt), for `preferences_for`."""
    return (select(NotificationPreference.frequency)
            .where(NotificationPreference.user_id == user_id,
                   NotificationPreference.category == category_of(kind).value).scalar_subquery())


def preferences_for(kind: str, choices: dict[int, str | None]) -> dict[int, dict[Category, Frequency]]:
    """What `preferences_of_many` tells of `kind`'s category, from choices loaded with
    `chosen_frequency` (person id -> the frequency chosen, or None): for `prepare_many`."""
    category = category_of(kind)
    preferences = {}
    for user_id, choice in choices.items():
        preferences[user_id] = dict(DEFAULT_FREQUENCY)
        if choice is not None and choice in Frequency._value2member_map_:
            preferences[user_id][category] = Frequency(choice)
    return preferences


def preferences_of(user: Any) -> dict[Category, Frequency]:
    return preferences_of_many([user.id])[user.id]


def set_preferences(user: Any, choices: dict[Category, Frequency]) -> None:
    """Saves `user`'s choices (flushes). What still waits for a digest of a category now set
    to another digest or to no email follows the new choice; what was already due at once
    stays in the digest it was waiting for (it was not sent)."""
    rows = {row.category: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for category, frequency in choices.items():
        row = rows.get(category.value)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, category=category.value, frequency=frequency.value))
        else:
            row.frequency = frequency.value
        if frequency is not Frequency.IMMEDIATE:
            kinds = [name for name, kind in _KINDS.items() if kind.category is category]
            db.session.execute(
                update(Notification).where(
                    Notification.user_id == user.id, Notification.digest_id.is_(None),
                    Notification.email.in_((Frequency.DAILY.value, Frequency.WEEKLY.value)),
                    Notification.kind.in_(kinds),
                ).values(email=frequency.value)
            )
    db.session.flush()


def absolute(link: str) -> str:
    """A link every mail client can open: a path on this site becomes an address on
    PUBLIC_BASE_URL (a relative link in an email leads nowhere)."""
    if link.startswith("/") and not link.startswith("//"):
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link
    return link


# --- unsubscribing without logging in ------------------------------------------------------

UNSUBSCRIBE_SALT = "tadamon.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: Any, scope: str) -> str:
    """A signed, unguessable token that turns off `scope` (a category, or "daily"/"weekly"
    for a digest) for `user`, with no log-in: mail clients follow it (RFC 8058)."""
    return _unsubscribe_token(current_app.config["SECRET_KEY"], user.id, scope)


@functools.lru_cache(maxsize=1024)
def _unsubscribe_token(secret_key: str | bytes, user_id: int, scope: str) -> str:
    """`unsubscribe_token`, signed once per process for a person and a scope (the token is the
    same at every signing): every ballot's receipt e-mail carries the voter's."""
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps([user_id, scope])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    if not token or len(token) > 200:
        return None
    try:
        user_id, scope = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or scope not in {*Category._value2member_map_, "daily", "weekly"}:
        return None
    return user_id, scope


def categories_of_scope(user: Any, scope: str) -> list[Category]:
    """The categories a token's scope covers: one category, or every one sent in that digest."""
    if scope in Category._value2member_map_:
        return [Category(scope)]
    return [category for category, frequency in preferences_of(user).items() if frequency.value == scope]


def unsubscribe(user: Any, scope: str) -> list[Category]:
    """Turns off email for what `scope` covers; returns those categories (flushes)."""
    categories = categories_of_scope(user, scope)
    set_preferences(user, dict.fromkeys(categories, Frequency.NEVER))
    return categories


def email_headers(user: Any, scope: str) -> tuple[dict[str, str], str]:
    """The List-Unsubscribe headers (one-click, RFC 8058) of an email, and its address."""
    from tadamon.core.urls import external_url

    address = external_url("core.unsubscribe", token=unsubscribe_token(user, scope))
    return {"List-Unsubscribe": f"<{address}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}, address


# --- notifying -----------------------------------------------------------------------------

@dataclass
class PreparedNotifications:
    """Notifications decided and rendered, not yet written (`deliver`): the in-app rows and the
    e-mails owed at once."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    emails: list[PreparedEmail] = field(default_factory=list)

    def __iadd__(self, other: PreparedNotifications) -> PreparedNotifications:
        self.rows += other.rows
        self.emails += other.emails
        return self


def prepare_many(kind: str, batches: Iterable[tuple[Iterable[Any], dict[str, Any]]], *, link: str = "",
                 about: Any = None, attachments: Sequence[Attachment] = (),
                 preferences: dict[int, dict[Category, Frequency]] | None = None) -> PreparedNotifications:
    """The notifications of `kind` for several groups of recipients, each group with its own
    parameters (a reminder names each recipient's organisation): what `notify` does for one
    group, with one query for every recipient's preferences (or none, given `preferences`)
    and nothing written yet. A person in two groups hears once per group, as with two calls."""
    definition = _KINDS[kind]
    link = absolute(link)
    groups = []
    for recipients, params in batches:
        people: dict[int, Any] = {}
        for user in recipients:
            if user is not None:
                people.setdefault(user.id, user)
        groups.append((people, params))
    if preferences is None:
        preferences = preferences_of_many({user_id for people, _ in groups for user_id in people})
    topic_key = (about or {}).get("key", "")[:60]
    topic_json = json.dumps(about["title"], ensure_ascii=False, default=str) if about else ""
    prepared = PreparedNotifications()
    for people, params in groups:
        params_json = json.dumps(params, ensure_ascii=False, default=str)
        by_language: dict[str, list[tuple[Any, str, dict[str, str]]]] = {}
        for user in people.values():
            frequency = preferences.get(user.id, DEFAULT_FREQUENCY)[definition.category]
            prepared.rows.append({"user_id": user.id, "kind": kind, "link": link, "params_json": params_json,
                                  "email": frequency.value, "topic_key": topic_key, "topic_json": topic_json})
            if frequency is Frequency.IMMEDIATE:
                headers, unsubscribe_link = email_headers(user, definition.category.value)
                by_language.setdefault(user.preferred_language, []).append((user, unsubscribe_link, headers))
        # One rendering per language: the message differs between people only by their name
        # and unsubscribe link (core.mail.prepare_alike).
        emails: list[PreparedEmail] = []
        for language, recipients in by_language.items():
            with force_locale(language):
                readable = _resolve(params, language)
                subject = str(definition.subject) % readable
                text = str(definition.text) % readable
            emails += prepare_alike(recipients, "notification", language=language, subject=subject,
                                    kind=f"notification:{kind}", text=text, link=link,
                                    category=definition.category, attachments=attachments)
        order = {user.email: position for position, user in enumerate(people.values())}
        prepared.emails += sorted(emails, key=lambda email: order[email.recipient])  # the recipients' order
    return prepared


def prepare(recipients: Iterable[Any], kind: str, *, link: str = "", about: Any = None,
            attachments: Sequence[Attachment] = (), **params: Any) -> PreparedNotifications:
    """`notify`'s work but the writing: see `deliver`."""
    return prepare_many(kind, [(recipients, params)], link=link, about=about, attachments=attachments)


def deliver(prepared: PreparedNotifications, substitutions: dict[str, str] | None = None) -> None:
    """Writes prepared notifications: one INSERT for the in-app rows, one for the e-mails,
    however many recipients. `substitutions` fills placeholders in the parameters and the
    e-mails (a value known only at the last moment, see `core.mail.queue_emails`)."""
    rows = prepared.rows
    if substitutions:
        rows = [{**row, "params_json": _fill(row["params_json"], substitutions)} for row in rows]
    if rows:
        db.session.execute(insert(Notification), rows)
        forget_unread_count()
    queue_emails(prepared.emails, substitutions)


def rows_to_deliver(prepared: PreparedNotifications) -> list[tuple[Any, list[dict[str, Any]]]]:
    """What `deliver` writes, as (table, rows), placeholders unfilled: for a caller that writes
    them within a statement of its own (a ballot's turn, see voting.services), then calls
    `delivered`."""
    tables = [(Notification.__table__, prepared.rows), (OutboxMessage.__table__, outbox_rows(prepared.emails))]
    return [(table, rows) for table, rows in tables if rows]


def delivered(prepared: PreparedNotifications, substitutions: dict[str, str]) -> None:
    """After the caller wrote `rows_to_deliver(prepared)` with its placeholders filled: what
    `deliver` does after its writes (the e-mails' sending after the commit)."""
    # Only the messages sent from memory need filling here: the kept ones were filled as written.
    emails_queued([message if message.keep_copy else message.filled(substitutions) for message in prepared.emails])


def _fill(text: str, substitutions: dict[str, str]) -> str:
    for placeholder, value in substitutions.items():
        text = text.replace(placeholder, value)
    return text


def notify(recipients: Iterable[Any], kind: str, *, link: str = "", about: Any = None,
           attachments: Sequence[Attachment] = (), **params: Any) -> None:
    """Notifies each recipient (a User) in the app and, as they chose for the kind's category,
    by email at once (in their own language) or later in a digest.

    `link` may be a path: it is made absolute on PUBLIC_BASE_URL. `about` (from `topic`) names
    the consultation or workshop the notification is about, for digests. `attachments` go with
    an immediate e-mail only (a workshop's .ics; a digest links to the page instead)."""
    deliver(prepare(recipients, kind, link=link, about=about, attachments=attachments, **params))


def unread_count_column(user_id: Any) -> Any:
    """The unread count as a column, for the statement that loads the reader (accounts' user
    loader): one round trip less on every logged-in page. See `remember_unread_count`."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def remember_unread_count(count: int) -> None:
    """The current reader's unread count, read with the reader (`unread_count_column`): the page
    header shows it without a query of its own. Forgotten when this request writes notifications."""
    if has_request_context():
        g.unread_notifications = int(count)


def forget_unread_count() -> None:
    if has_request_context():
        g.pop("unread_notifications", None)


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
    forget_unread_count()
