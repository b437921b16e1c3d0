"""Email that works in every client and is never lost, sent as each person chose (issue 15,
items 1, 2, 5 and 6): a real SMTP server (aiosmtpd) started here, one that refuses the first
two attempts; the headers clients need; one-click unsubscribe; preferences; digests."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tadamon.core import digests, mail
from tadamon.core.db import utcnow
from tadamon.core.mail import MailState, OutboxMessage
from tadamon.core.notifications import (
    Category,
    EmailDigest,
    Frequency,
    Notification,
    notify,
    preferences_of,
    set_preferences,
    texts,
    topic,
    unsubscribe_token,
)
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tests import support


class Recorder:
    """An SMTP handler that keeps what it accepts, after refusing the first `refuse` tries."""

    def __init__(self, refuse: int = 0, code: str = "451 4.3.0 Try again later") -> None:
        self.refuse, self.code, self.tries = refuse, code, 0
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.tries += 1
        if self.tries <= self.refuse:
            return self.code
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Starts a real SMTP server and points the application at it: `smtp(refuse=2)`."""
    controllers = []

    def start(refuse: int = 0, code: str = "451 4.3.0 Try again later") -> Recorder:
        handler = Recorder(refuse, code)
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        controllers.append(controller)
        for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_USE_TLS": False,
                           "MAIL_USE_SSL": False, "MAIL_USERNAME": ""}.items():
            monkeypatch.setitem(app.config, key, value)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def _everything_due_now() -> None:
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.state == MailState.QUEUED.value)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


# --- delivery ------------------------------------------------------------------------------

def test_a_server_refusing_twice_gets_the_message_on_the_third_attempt_once(app, smtp, create_user):
    server = smtp(refuse=2)
    person = create_user(email="patient@example.org")
    with app.test_request_context():
        mail.send_email(person.email, "password_changed", language="fr", subject="Essai", user=person)
        db.session.commit()
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
        assert row.state == MailState.QUEUED

        assert mail.send_queued_mail() == 0
        db.session.refresh(row)
        assert (row.state, row.attempts) == (MailState.QUEUED, 1) and "451" in row.last_error
        assert row.next_attempt_at > utcnow()  # backs off: not retried at once
        assert mail.send_queued_mail() == 0 and server.tries == 1

        _everything_due_now()
        assert mail.send_queued_mail() == 0
        db.session.refresh(row)
        assert (row.state, row.attempts) == (MailState.QUEUED, 2)
        second_wait = row.next_attempt_at - utcnow()
        assert second_wait > timedelta(seconds=mail.RETRY_DELAYS[0])  # a longer wait each time

        _everything_due_now()
        assert mail.send_queued_mail() == 1
        db.session.refresh(row)
        assert (row.state, row.attempts, row.last_error) == (MailState.SENT, 3, "")
        _everything_due_now()
        assert mail.send_queued_mail() == 0
    assert server.tries == 3 and len(server.received) == 1
    assert server.received[0]["To"] == "patient@example.org"


def test_a_permanent_refusal_is_failed_with_its_error_and_shown_to_administrators(app, smtp, create_user, login):
    smtp(refuse=99, code="550 5.1.1 No such mailbox")
    person = create_user(email="nobody@example.org")
    with app.test_request_context():
        mail.send_email(person.email, "password_changed", language="en", subject="Hello", user=person)
        db.session.commit()
        mail.send_queued_mail()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    assert (row.state, row.attempts) == (MailState.FAILED, 1) and "550" in row.last_error

    admin = create_user(roles=[Role.ADMIN])
    client = app.test_client()
    login(client, admin)
    page = client.get("/admin/mail")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "nobody@example.org" in text and "550" in text
    # Sent again from the page: queued from its first attempt.
    assert client.post(f"/admin/mail/{row.id}/retry").status_code == 302
    db.session.refresh(row)
    assert (row.state, row.attempts) == (MailState.QUEUED, 0)
    row.state = MailState.SENT.value
    db.session.commit()
    client.post(f"/admin/mail/{row.id}/retry")  # sent: never sent twice from here
    assert row.state == MailState.SENT
    assert "Only an email that failed can be sent again." in client.get("/admin/mail").get_data(as_text=True)

    member = create_user()
    other = app.test_client()
    login(other, member)
    assert other.get("/admin/mail").status_code == 403


def test_messages_carry_the_headers_and_parts_mail_clients_need(app, smtp, create_user):
    server = smtp()
    person = create_user(email="reader@example.org", language="ar")
    notify([person], "workshops.status_changed", link="/workshops/1", workshop="ورشة", status="open")
    db.session.commit()
    with app.test_request_context():
        mail.send_queued_mail()
    (message,) = server.received
    assert message["Date"] and message["Message-ID"].endswith("@localhost>")
    assert message["Content-Language"] == "ar"
    assert message["List-Unsubscribe"].startswith("<http://localhost/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "http://localhost/workshops/1" in text and 'href="http://localhost/workshops/1"' in html
    assert '<html lang="ar" dir="rtl">' in html
    assert "overflow-wrap:anywhere" in html  # long hashes wrap on a phone
    assert support.relative_links(text, html) == []


def test_an_attachment_travels_with_the_queued_message(app, smtp, create_user):
    """The day-before reminder's .ics waits in the queue with its message and arrives with it."""
    server = smtp()
    person = create_user(email="registered@example.org")
    calendar = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    notify([person], "workshops.tomorrow", link="/workshops/1", attachments=[("atelier.ics", "text/calendar",
                                                                             calendar)],
           workshop="Atelier", organisation="Association", when="demain")
    db.session.commit()
    with app.test_request_context():
        mail.send_queued_mail()
    (message,) = server.received
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == "atelier.ics" and attached.get_content_type() == "text/calendar"
    assert attached.get_payload(decode=True) == calendar


# --- preferences and unsubscribing ---------------------------------------------------------

def test_defaults_inform_without_flooding_and_the_in_app_list_has_everything(app, create_user, outbox):
    person = create_user(email="new@example.org")
    assert preferences_of(person)[Category.MEMBERSHIP] is Frequency.IMMEDIATE
    assert preferences_of(person)[Category.PROPOSALS] is Frequency.DAILY
    notify([person], "proposals.new_comments", link="/proposals/1", title="T", count=2)
    notify([person], "membership.approved", link="/membership", organisation="Atlas")
    db.session.commit()
    assert [m.kind for m in outbox(to=person.email)] == ["notification:membership.approved"]
    assert len(db.session.scalars(select(Notification).where(Notification.user_id == person.id)).all()) == 2


def test_the_settings_page_saves_a_choice_per_category(app, create_user, login, outbox):
    person = create_user()
    client = app.test_client()
    login(client, person)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Proposals I wrote, co-signed or follow" in page and "Moderation" not in page
    choices = {category.value: "immediate" for category in Category if category is not Category.MODERATION}
    choices["workshops"] = "never"
    choices["plan"] = "weekly"
    assert client.post("/account/notifications", data=choices).status_code == 302
    chosen = preferences_of(person)
    assert chosen[Category.WORKSHOPS] is Frequency.NEVER and chosen[Category.PLAN] is Frequency.WEEKLY
    notify([person], "workshops.status_changed", link="/workshops/1", workshop="W", status="open")
    db.session.commit()
    assert outbox(to=person.email) == []
    moderator = create_user(roles=[Role.FACILITATOR])
    login(client, moderator)
    assert "Moderation" in client.get("/account/notifications").get_data(as_text=True)


def test_one_click_unsubscribe_works_without_logging_in(app, create_user, outbox):
    person = create_user(email="tired@example.org")
    notify([person], "workshops.status_changed", link="/workshops/1", workshop="W", status="open")
    db.session.commit()
    (message,) = outbox(to=person.email)
    address = message.headers["List-Unsubscribe"].strip("<>")
    assert address in message.html_body and address in message.text_body
    path = address.removeprefix("http://localhost")
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Workshops my organisation registers for" in page.get_data(as_text=True)
    assert preferences_of(person)[Category.WORKSHOPS] is Frequency.IMMEDIATE  # GET changes nothing
    # What a mail client sends (RFC 8058): no cookie, no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert preferences_of(person)[Category.WORKSHOPS] is Frequency.NEVER
    assert preferences_of(person)[Category.MEMBERSHIP] is Frequency.IMMEDIATE  # only that kind
    notify([person], "workshops.status_changed", link="/workshops/1", workshop="W", status="closed")
    db.session.commit()
    assert len(outbox(to=person.email)) == 1
    assert client.post("/unsubscribe/forged-token").status_code == 400
    with app.test_request_context():
        tampered = unsubscribe_token(person, "workshops")[:-2] + "xx"
    assert client.get(f"/unsubscribe/{tampered}").status_code == 400


# --- digests -------------------------------------------------------------------------------

def _two_consultations(reader: Any) -> list[Notification]:
    first = topic("consultation", 1, {"texts": {"ar": "أولويات الجهة", "fr": "Priorités de la région"}})
    second = topic("consultation", 2, {"texts": {"ar": "الماء في الواحات", "fr": "L'eau des oasis"}})
    notify([reader], "proposals.new_comments", link="/proposals/1", about=first, title="أ", count=1)
    notify([reader], "proposals.new_comments", link="/proposals/2", about=second, title="ب", count=2)
    notify([reader], "proposals.new_comments", link="/proposals/3", about=first, title="ج", count=3)
    db.session.flush()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == reader.id)
                              .order_by(Notification.id)).all()
    # A day of activity: morning, noon and evening of 10 December (Casablanca).
    base = utcnow().replace(year=2026, month=12, day=10, hour=8, minute=0, second=0, microsecond=0)
    for hours, row in zip((0, 4, 9), rows, strict=True):
        row.created_at = base + timedelta(hours=hours)
    db.session.commit()
    return list(rows)


def test_a_day_of_activity_makes_one_grouped_arabic_digest_newest_first(app, create_user, outbox):
    reader = create_user(email="qaria@example.org", language="ar")
    set_preferences(reader, {Category.PROPOSALS: Frequency.DAILY})
    rows = _two_consultations(reader)
    assert outbox(to=reader.email) == []  # nothing at once
    evening = rows[-1].created_at
    with app.test_request_context():
        assert digests.send_digests(evening + timedelta(hours=1)) == 0  # the day is not over
        next_day = evening + timedelta(hours=16)
        assert digests.send_digests(next_day) == 1
        assert digests.send_digests(next_day) == 0  # never twice
        assert digests.send_digests(next_day + timedelta(days=1)) == 0  # nothing new: no email
    (message,) = outbox(to=reader.email)
    assert message.kind == "digest:daily" and message.language == "ar"
    assert '<html lang="ar" dir="rtl">' in message.html_body
    html = message.html_body
    # Grouped by consultation, the group with the latest event first, newest event first.
    assert html.index("أولويات الجهة") < html.index("الماء في الواحات")
    assert html.index("/proposals/3") < html.index("/proposals/1") < html.index("/proposals/2")
    assert html.count("أولويات الجهة") == 1
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = db.session.scalar(select(EmailDigest).where(EmailDigest.user_id == reader.id))
    assert (digest.frequency, str(digest.period_start), digest.item_count) == ("daily", "2026-12-10", 3)
    assert all(row.digest_id == digest.id for row in rows)


def test_the_send_digests_command_and_a_late_event_goes_in_the_next_digest(app, create_user, outbox):
    reader = create_user(email="weekly@example.org", language="fr")
    set_preferences(reader, {Category.PROPOSALS: Frequency.WEEKLY})
    rows = _two_consultations(reader)  # Thursday 10 December 2026
    with app.test_request_context():
        monday = rows[-1].created_at + timedelta(days=4)
        assert digests.send_digests(monday) == 1
        late = Notification(user_id=reader.id, kind="proposals.new_comments", link="http://localhost/p",
                            params_json='{"title": "x", "count": 1}', email="weekly",
                            created_at=rows[0].created_at)
        db.session.add(late)
        db.session.commit()
        assert digests.send_digests(monday) == 0  # that week's digest is sent: it waits
        assert digests.send_digests(monday + timedelta(days=7)) == 1
    assert [m.kind for m in outbox(to=reader.email)] == ["digest:weekly", "digest:weekly"]
    assert "send-digests" in app.test_cli_runner().invoke(args=["--help"]).output


def test_unsubscribing_from_a_digest_turns_off_what_it_carried(app, create_user):
    reader = create_user()
    set_preferences(reader, {Category.PROPOSALS: Frequency.DAILY, Category.PLAN: Frequency.DAILY})
    with app.test_request_context():
        token = unsubscribe_token(reader, "daily")
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    chosen = preferences_of(reader)
    assert chosen[Category.PROPOSALS] is Frequency.NEVER and chosen[Category.PLAN] is Frequency.NEVER
    assert chosen[Category.VOTES] is Frequency.IMMEDIATE


def test_a_notification_link_given_as_a_path_becomes_absolute(app, create_user, outbox):
    person = create_user()
    notify([person], "plan.published", link="/plan", number=2, count=3)
    db.session.commit()
    item = db.session.scalar(select(Notification).where(Notification.user_id == person.id))
    assert item.link == "http://localhost/plan"
    _ = texts  # the helpers features use with `topic`
