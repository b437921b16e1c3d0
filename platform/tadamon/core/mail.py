"""Email: rendered in the recipient's language, sent over SMTP, kept in an outbox.

Every message has a plain-text part and an HTML part whose `lang` and `dir` follow
the recipient's language. Outside production each message also lands in the outbox
table, which tests read and developers browse at /dev/outbox.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from tadamon.core.db import utcnow
from tadamon.core.i18n import text_direction
from tadamon.extensions import Model, db

log = logging.getLogger(__name__)


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)


# A file sent with a message: (file name, MIME type such as "text/calendar", content).
Attachment = tuple[str, str, bytes]


def send_email(
    recipient: str, template: str, *, language: str, subject: Any, keep_copy: bool = True,
    attachments: Sequence[Attachment] = (), **context: Any
) -> EmailMessage:
    """Renders `emails/<template>.txt|.html` in `language` and sends it to `recipient`.

    `keep_copy=False` keeps it out of the outbox table: for a message carrying a secret that the
    database must never hold (a secret ballot's voting credential).

    `subject` may be a lazy string: it is rendered in the recipient's language too.
    `attachments` go with the message (the outbox keeps the text, not the files).
    SMTP failures are logged, not raised: the action that caused the email stands.
    """
    languages = current_app.config["LANGUAGES"]
    language = language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        direction = text_direction(Locale.parse(language))
        # Names typed by people end up in subjects: no line breaks or control characters there.
        subject_text = " ".join(str(subject).split())
        context = {**context, "subject": subject_text, "lang": language, "dir": direction}
        text_body = render_template(f"emails/{template}.txt", **context)
        html_body = render_template(f"emails/{template}.html", **context)

    message = EmailMessage()
    message["Subject"] = subject_text
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr(("", recipient))
    message["Message-ID"] = make_msgid(domain="tadamon.local")
    message["Content-Language"] = language
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    for filename, mimetype, content in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)

    if current_app.config["MAIL_OUTBOX"] and keep_copy:
        db.session.add(
            OutboxMessage(
                recipient=recipient,
                subject=subject_text[:300],
                language=language,
                text_body=text_body,
                html_body=html_body,
            )
        )
    if current_app.config["MAIL_SERVER"]:
        # Sent once the transaction commits: never for a change that is rolled back, and the
        # SMTP round trip happens after the database locks are released.
        db.session.info.setdefault(PENDING_KEY, []).append(message)
    return message


PENDING_KEY = "tadamon_outgoing_mail"


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    for message in pending:
        _deliver(message)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    try:
        smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send email to %s", message["To"])
