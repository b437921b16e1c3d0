"""Email: rendered in the recipient's language, queued in the database, sent with retries.

Every message has a plain-text part and an HTML part whose `lang` and `dir` follow the
recipient's language, and the headers mail clients expect (Date, Message-ID on the site's own
domain, Content-Language, and List-Unsubscribe for notifications).

Delivery never loses a message: `send_email` writes the message to `outbox_messages` in the
caller's transaction (so it exists exactly when the change that caused it was committed).
After the commit, an RQ job sends it when REDIS_URL is set; the periodic task `send_queued_mail`
(`flask tick`, and requests) sends whatever is still waiting in any case: messages whose job
was lost, and retries. A temporary SMTP failure (4xx, a refused connection) is retried with a
growing back-off; a permanent one (5xx), or the last attempt, marks the message failed with
the error, which administrators see at /admin/mail. A message is claimed before it is sent,
so two workers never send it twice.

Without a MAIL_SERVER (development, tests) a message is only kept ("kept"), for the outbox
page and the tests' `outbox` fixture. In production (MAIL_OUTBOX off) the bodies of sent
messages are cleared: the links they hold (password resets, invitations) must not outlive the
sending in the database.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime as format_mail_date
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import String, Text, event, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tadamon.core.db import utcnow
from tadamon.core.i18n import text_direction
from tadamon.core.persistence import rows_changed
from tadamon.core.urls import external_url
from tadamon.extensions import Model, db

log = logging.getLogger(__name__)

QUEUE_NAME = "tadamon-mail"
# Seconds to wait before each new attempt after a temporary failure: about a day in all.
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
# How long a claimed message may stay "sending" before another worker may take it again (a
# worker that died mid-send): longer than any SMTP conversation.
CLAIM_SECONDS = 600
BATCH = 100


class MailState(enum.StrEnum):
    QUEUED = "queued"      # waiting for its (next) attempt
    SENDING = "sending"    # claimed by a worker
    SENT = "sent"
    FAILED = "failed"      # permanently refused, or out of attempts: see `last_error`
    KEPT = "kept"          # no mail server configured: kept for the outbox page only


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # What the message is (a template name, "notification:<kind>", "digest:daily"), for the
    # administrators' page and for counting.
    kind: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(12), default=MailState.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # The earliest time of the next attempt (queued), or the end of a claim (sending).
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255), default="")
    # Headers beyond the standard ones (List-Unsubscribe, List-Unsubscribe-Post).
    headers_json: Mapped[str] = mapped_column(Text, default="{}")

    # Files sent with the message (a workshop's .ics), as [[name, MIME type, base64], …].
    attachments_json: Mapped[str] = mapped_column(Text, default="[]")

    @property
    def headers(self) -> dict[str, str]:
        return json.loads(self.headers_json or "{}")

    @property
    def attachments(self) -> list[Attachment]:
        return [(name, mimetype, base64.b64decode(content))
                for name, mimetype, content in json.loads(self.attachments_json or "[]")]


def _mail_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "tadamon.invalid"


def render_email(template: str, *, language: str, subject: Any, **context: Any) -> tuple[str, str, str, str]:
    """(language, subject, text, html) of `emails/<template>` in the recipient's language."""
    languages = current_app.config["LANGUAGES"]
    language = language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        direction = text_direction(Locale.parse(language))
        # Names typed by people end up in subjects: no line breaks or control characters there.
        subject_text = " ".join(str(subject).split())
        context = {"settings_link": external_url("core.notification_settings"), **context,
                   "subject": subject_text, "lang": language, "dir": direction}
        text_body = _render(f"emails/{template}.txt", context)
        html_body = _render(f"emails/{template}.html", context)
    return language, subject_text, text_body, html_body


def _render(name: str, context: dict[str, Any]) -> str:
    """An e-mail's template with its own context alone. Not `render_template`, which adds the
    page's context processors: they describe the reader of the request (their count of unread
    notifications, a query; the organisations they act for), not the recipient, and cost a
    ballot's receipt or a phase move's messages a query and their CPU for nothing."""
    return current_app.jinja_env.get_template(name).render(context)


# A file sent with a message: (file name, MIME type such as "text/calendar", content).
Attachment = tuple[str, str, bytes]


def build_message(*, recipient: str, subject: str, language: str, text_body: str, html_body: str,
                  date: datetime, message_id: str, headers: dict[str, str] | None = None,
                  attachments: Sequence[Attachment] = ()) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr(("", recipient))
    message["Date"] = format_mail_date(date)
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    for filename, mimetype, content in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    # After the parts: `set_content` clears every Content-* header set before it.
    message["Content-Language"] = language
    return message


def message_of(row: OutboxMessage) -> EmailMessage:
    return build_message(recipient=row.recipient, subject=row.subject, language=row.language,
                         text_body=row.text_body, html_body=row.html_body, date=row.created_at,
                         message_id=row.message_id, headers=row.headers, attachments=row.attachments)


@dataclass
class PreparedEmail:
    """A message rendered in its recipient's language, not yet queued (`queue_emails`)."""

    recipient: str
    subject: str
    language: str
    text_body: str
    html_body: str
    kind: str
    created_at: datetime
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    attachments: Sequence[Attachment] = ()
    keep_copy: bool = True

    def filled(self, substitutions: dict[str, str]) -> PreparedEmail:
        """The message with each placeholder replaced (see `queue_emails`)."""
        def fill(text: str) -> str:
            for placeholder, value in substitutions.items():
                text = text.replace(placeholder, value)
            return text

        return replace(self, subject=fill(self.subject), text_body=fill(self.text_body),
                       html_body=fill(self.html_body))

    def message(self) -> EmailMessage:
        return build_message(recipient=self.recipient, subject=self.subject, language=self.language,
                             text_body=self.text_body, html_body=self.html_body, date=self.created_at,
                             message_id=self.message_id, headers=self.headers, attachments=self.attachments)


def prepare_email(
    recipient: str, template: str, *, language: str, subject: Any, keep_copy: bool = True,
    headers: dict[str, str] | None = None, kind: str = "", attachments: Sequence[Attachment] = (),
    **context: Any,
) -> PreparedEmail:
    """Renders `emails/<template>.txt|.html` in `language` for `recipient`, without queueing it
    (`queue_emails` does, for any number of messages at once). Arguments as `send_email`."""
    language, subject_text, text_body, html_body = render_email(template, language=language, subject=subject,
                                                                **context)
    return PreparedEmail(recipient=recipient, subject=subject_text, language=language, text_body=text_body,
                         html_body=html_body, kind=(kind or template)[:80], created_at=utcnow(),
                         message_id=make_msgid(domain=_mail_domain()), headers=dict(headers or {}),
                         attachments=tuple(attachments), keep_copy=keep_copy)


@dataclass(frozen=True)
class _StandIn:
    """The recipient a message is rendered for once, in place of each real one (`prepare_alike`)."""

    display_name: str


# `prepare_alike`'s stand-ins for the name and the unsubscribe link: random, so that nothing a
# person types can hold them, and one pair per process, so that the same message renders to the
# same text at every call (`_render_alike` keeps it). They never leave the process: each is
# replaced by the recipient's own before a message is written.
_STAND_IN_NAME = "n" + secrets.token_hex(16)
_STAND_IN_LINK = "https://u" + secrets.token_hex(16) + ".invalid/"
# The messages `_render_alike` keeps, per application: a few per consultation and language.
RENDERED_ALIKE = "tadamon_rendered_alike"
RENDERED_ALIKE_SIZE = 256


def _render_alike(template: str, language: str, subject: Any, context: dict[str, Any]) -> tuple[str, str, str, str]:
    """`render_email` for `prepare_alike`'s stand-ins, kept for the same arguments: a ballot's
    receipt is the same message at every ballot of a consultation in one language (its receipt
    a placeholder, see voting.services), and its rendering cost more than the rest of the
    ballot's receipt. Not kept while templates reload (development), nor for arguments that
    cannot be a key."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    arguments = dict(context, user=_StandIn(_STAND_IN_NAME), unsubscribe_link=_STAND_IN_LINK)
    if app.jinja_env.auto_reload:
        return render_email(template, language=language, subject=subject, **arguments)
    try:
        key = (template, language, str(subject), *sorted(context.items(), key=lambda item: item[0]))
        rendered: dict[Any, tuple[str, str, str, str]] = app.extensions.setdefault(RENDERED_ALIKE, {})
        found = rendered.get(key)
    except TypeError:  # a value that is not hashable
        return render_email(template, language=language, subject=subject, **arguments)
    if found is None:
        found = render_email(template, language=language, subject=subject, **arguments)
        if len(rendered) >= RENDERED_ALIKE_SIZE:
            rendered.clear()
        rendered[key] = found
    return found


def prepare_alike(recipients: Sequence[tuple[Any, str, dict[str, str]]], template: str, *, language: str,
                  subject: Any, kind: str = "", attachments: Sequence[Attachment] = (),
                  **context: Any) -> list[PreparedEmail]:
    """The same message for many people of one language, as `prepare_email` would render it
    for each, rendered once: `recipients` are (user, unsubscribe link, headers). The templates
    are rendered for a stand-in whose name and unsubscribe link are placeholders, which are
    then replaced by each person's, filtered exactly as the templates filter them (isolated in
    the text, `<bdi>` and escaped in the HTML). A phase move tells thousands of people the
    same thing: rendering it per person cost more than everything else of the move. The
    rendering is kept for the next call with the same arguments (`_render_alike`)."""
    if not recipients:
        return []
    from markupsafe import escape

    from tadamon.core.bidi import bdi, isolate

    name, link = _STAND_IN_NAME, _STAND_IN_LINK
    language, subject_text, text_body, html_body = _render_alike(template, language, subject, context)
    prepared = []
    for user, unsubscribe_link, headers in recipients:
        own = user.display_name
        text = text_body.replace(isolate(name), isolate(own)).replace(link, unsubscribe_link)
        html = html_body.replace(str(bdi(name)), str(bdi(own))).replace(link, str(escape(unsubscribe_link)))
        prepared.append(PreparedEmail(recipient=user.email, subject=subject_text, language=language, text_body=text,
                                      html_body=html, kind=(kind or template)[:80], created_at=utcnow(),
                                      message_id=make_msgid(domain=_mail_domain()), headers=dict(headers),
                                      attachments=tuple(attachments)))
    return prepared


def queue_emails(prepared: Sequence[PreparedEmail], substitutions: dict[str, str] | None = None) -> None:
    """Queues prepared messages in the caller's transaction: one INSERT for all of them.

    `substitutions` replaces placeholders in subjects and bodies: a message rendered before a
    value existed (a ballot's receipt, known only once the ballot is in the ledger) is rendered
    outside the ledger's lock and completed under it by a string replacement."""
    if substitutions:
        prepared = [message.filled(substitutions) for message in prepared]
    rows = outbox_rows(prepared)
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
    emails_queued(prepared)


def outbox_rows(prepared: Sequence[PreparedEmail]) -> list[dict[str, Any]]:
    """The `outbox_messages` rows `queue_emails` writes: the messages to keep (queued when a
    server sends them, else only kept), none when nothing could send them nor anyone read them."""
    server = bool(current_app.config["MAIL_SERVER"])
    if not server and not current_app.config["MAIL_OUTBOX"]:
        return []  # nothing could send them and nobody reads the outbox
    return [{
        "created_at": m.created_at, "recipient": m.recipient, "subject": m.subject[:300], "language": m.language,
        "text_body": m.text_body, "html_body": m.html_body, "kind": m.kind,
        "state": (MailState.QUEUED if server else MailState.KEPT).value,
        "next_attempt_at": m.created_at if server else None, "message_id": m.message_id,
        "headers_json": json.dumps(m.headers, ensure_ascii=False),
        "attachments_json": json.dumps([[name, mimetype, base64.b64encode(content).decode("ascii")]
                                        for name, mimetype, content in m.attachments]),
    } for m in prepared if m.keep_copy]


def emails_queued(prepared: Sequence[PreparedEmail]) -> None:
    """Once the caller wrote `outbox_rows(prepared)` (`queue_emails`, or a statement of its own):
    after the commit, the messages kept nowhere are sent, and the worker's job is asked for
    the others (with a server, every message kept is queued)."""
    if not current_app.config["MAIL_SERVER"]:
        return
    # Built into messages after the commit (`_send_after_commit`): a secret ballot's e-mail is
    # queued in the ledger's turn, which lasts until the commit.
    db.session.info.setdefault(PENDING_KEY, []).extend(m for m in prepared if not m.keep_copy)
    if any(m.keep_copy for m in prepared):
        db.session.info[QUEUED_KEY] = True


def send_email(
    recipient: str, template: str, *, language: str, subject: Any, keep_copy: bool = True,
    headers: dict[str, str] | None = None, kind: str = "", attachments: Sequence[Attachment] = (),
    **context: Any,
) -> EmailMessage:
    """Renders `emails/<template>.txt|.html` in `language` and queues it for `recipient`.

    `subject` may be a lazy string: it is rendered in the recipient's language too. `headers`
    adds headers (List-Unsubscribe); `attachments` go with it (kept with the queued message). The message is sent after the caller's transaction
    commits, never for a change that is rolled back; SMTP failures are retried, not raised.

    `keep_copy=False` keeps it out of the database entirely: for a message carrying a secret
    that the database must never hold (a secret ballot's voting credential). Such a message is
    sent once the transaction commits, from memory, with a few immediate retries.
    """
    prepared = prepare_email(recipient, template, language=language, subject=subject, keep_copy=keep_copy,
                             headers=headers, kind=kind, attachments=attachments, **context)
    queue_emails([prepared])
    return prepared.message()


PENDING_KEY = "tadamon_outgoing_mail"
QUEUED_KEY = "tadamon_mail_queued"


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending: list[PreparedEmail] = session.info.pop(PENDING_KEY, [])
    for prepared in pending:
        message = prepared.message()
        for _attempt in range(3):
            if _deliver(message) is None:
                break
    if session.info.pop(QUEUED_KEY, False):
        _start_worker_job()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(QUEUED_KEY, None)


def _start_worker_job() -> None:
    """Asks an RQ worker to send the queue now. Without Redis, or if Redis does not answer,
    the periodic task sends it: the message is in the database either way."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return
    try:
        from rq import Queue

        from tadamon.core.background import redis_client

        queue_name = current_app.config.get("MAIL_QUEUE") or QUEUE_NAME
        Queue(queue_name, connection=redis_client(redis_url)).enqueue(
            "tadamon.core.mail.send_queued_job", job_timeout=600, result_ttl=60)
    except Exception:  # noqa: BLE001 - the periodic task is the fallback, the request must stand
        log.warning("could not start the mail job; the scheduler will send the queue", exc_info=True)


def send_queued_job() -> None:
    """The RQ job: runs inside an application (the worker's own, created here)."""
    from flask import has_app_context

    if has_app_context():
        send_queued_mail()
        return
    from tadamon import create_app

    with create_app().app_context():
        send_queued_mail()


def _deliver(message: EmailMessage) -> tuple[str, bool] | None:
    """Sends one message: None when the server took it, else (the error, whether to retry)."""
    # Here, not at the top: a web worker only queues e-mails (the mail queue's worker sends
    # them), and it would hold smtplib for nothing (issue 18).
    import smtplib

    config = current_app.config
    try:
        smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        return f"recipients refused: {error.recipients}", not all(500 <= code < 600 for code in codes)
    except smtplib.SMTPAuthenticationError as error:
        return f"{error.smtp_code} {error.smtp_error!r}", True  # the settings, not the message
    except smtplib.SMTPResponseException as error:
        return f"{error.smtp_code} {error.smtp_error!r}", not 500 <= error.smtp_code < 600
    except (smtplib.SMTPException, OSError) as error:
        return f"{type(error).__name__}: {error}", True
    return None


def send_queued_mail(now: datetime | None = None) -> int:
    """The periodic task (and the RQ job): sends every queued message that is due, one claim
    and one commit each. Returns how many were sent."""
    if not current_app.config["MAIL_SERVER"]:
        return 0
    now = now or utcnow()
    due = list(db.session.scalars(
        select(OutboxMessage.id).where(
            or_(OutboxMessage.state == MailState.QUEUED.value, OutboxMessage.state == MailState.SENDING.value),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ).order_by(OutboxMessage.id).limit(BATCH)
    ))
    sent = 0
    for message_id in due:
        if _claim(message_id, now):
            sent += _send_claimed(message_id, now)
    return sent


def _claim(message_id: int, now: datetime) -> bool:
    """Takes the message for this worker (an atomic compare-and-set), committed at once."""
    claimed = rows_changed(
        update(OutboxMessage).where(
            OutboxMessage.id == message_id,
            or_(OutboxMessage.state == MailState.QUEUED.value, OutboxMessage.state == MailState.SENDING.value),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ).values(state=MailState.SENDING.value, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    )
    db.session.commit()
    return bool(claimed)


def _send_claimed(message_id: int, now: datetime) -> int:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        return 0
    problem = _deliver(message_of(row))
    row.attempts += 1
    if problem is None:
        row.state, row.sent_at, row.next_attempt_at, row.last_error = MailState.SENT.value, utcnow(), None, ""
        if not current_app.config["MAIL_OUTBOX"]:
            row.text_body = row.html_body = ""
    else:
        error, temporary = problem
        max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", len(RETRY_DELAYS) + 1)
        row.last_error = error[:2000]
        if temporary and row.attempts < max_attempts:
            delay = RETRY_DELAYS[min(row.attempts - 1, len(RETRY_DELAYS) - 1)]
            row.state, row.next_attempt_at = MailState.QUEUED.value, now + timedelta(seconds=delay)
        else:
            row.state, row.next_attempt_at = MailState.FAILED.value, None
        log.warning("email %s to %s not sent (attempt %s): %s", row.id, row.recipient, row.attempts, error)
    db.session.commit()
    return 1 if problem is None else 0


def retry(row: OutboxMessage) -> None:
    """Queues a failed message again, from its first attempt (an administrator's action)."""
    row.state, row.attempts, row.next_attempt_at = MailState.QUEUED.value, 0, utcnow()
    db.session.info[QUEUED_KEY] = True
