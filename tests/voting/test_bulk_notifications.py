"""Phase moves and reminders at scale: a fixed number of queries however many organisations
are told, and the same notifications and e-mails as one rendering per person gives."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import event, insert, select

from tadamon.accounts.models import User
from tadamon.core.db import utcnow
from tadamon.core.mail import OutboxMessage, prepare_email
from tadamon.core.notifications import (
    _KINDS,
    Category,
    Frequency,
    Notification,
    _resolve,
    email_headers,
    preferences_of_many,
    set_preferences,
)
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import (
    CharterAdherence,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.voting import reminders as vote_reminders
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase


def _add_organisations(count: int, start: int) -> None:
    """`count` approved organisations with one representative each, in three languages, some
    with an Arabic name, one representative preferring a daily digest of votes."""
    now = utcnow()
    languages = ("ar", "fr", "en")
    db.session.execute(insert(User), [
        {"email": f"rep{n}@bulk.example.org", "stored_name": f"ممثل {n}" if n % 2 else f"Rep <{n}> & co",
         "password_hash": "x", "preferred_language": languages[n % 3], "email_verified_at": now,
         "privacy_consent_at": now} for n in range(start, start + count)])
    db.session.execute(insert(Organisation), [
        {"name_fr": f"Association {n}", "name_ar": f"جمعية {n}", "search_name": f"association {n}",
         "acronym": "BULK", "region": "DTA", "state": MembershipState.APPROVED, "approved_at": now} for n in range(start, start + count)])
    people = db.session.scalars(select(User.id).where(User.email.like("rep%@bulk.example.org"))
                                .order_by(User.id)).all()[start:]
    organisations = db.session.scalars(select(Organisation.id).where(Organisation.acronym == "BULK")
                                       .order_by(Organisation.id)).all()[start:]
    db.session.execute(insert(OrganisationMember), [
        {"organisation_id": o, "user_id": p, "role": OrganisationRole.REPRESENTATIVE}
        for p, o in zip(people, organisations, strict=True)])
    charter = membership.current_charter()
    if charter is not None:  # adhering, so that they are on a vote's roll
        db.session.execute(insert(CharterAdherence), [
            {"organisation_id": o, "charter_id": charter.id, "adhered_by_id": p}
            for p, o in zip(people, organisations, strict=True)])
    set_preferences(db.session.get(User, people[0]), {Category.VOTES: Frequency.DAILY})


def _queries(function):
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = function()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements), result


def _expected_emails(notifications: list[Notification]) -> list[tuple[str, str, str, str]]:
    """What the e-mails of these notifications are, rendered for each person on their own."""
    users = {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_({n.user_id for n in notifications})))}
    preferences = preferences_of_many(users)
    expected = []
    for notification in notifications:
        user, kind = users[notification.user_id], _KINDS[notification.kind]
        if preferences[user.id][kind.category] is not Frequency.IMMEDIATE:
            continue
        with force_locale(user.preferred_language):
            readable = _resolve(notification.params, user.preferred_language)
            subject, text = str(kind.subject) % readable, str(kind.text) % readable
        _headers, unsubscribe = email_headers(user, kind.category.value)
        message = prepare_email(user.email, "notification", language=user.preferred_language, subject=subject,
                                user=user, text=text, link=notification.link, unsubscribe_link=unsubscribe,
                                category=kind.category)
        expected.append((message.recipient, message.subject, message.text_body, message.html_body))
    return sorted(expected)


def _sent(since_id: int) -> list[tuple[str, str, str, str]]:
    return sorted((m.recipient, m.subject, m.text_body, m.html_body) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > since_id)))


def _last(model) -> int:
    return db.session.scalar(select(db.func.max(model.id))) or 0


def test_a_phase_move_takes_the_same_queries_for_ten_or_forty_organisations(facilitator):
    counts = []
    for start, count in ((0, 10), (10, 30)):
        _add_organisations(count, start)
        consultation = workshops.save_consultation(facilitator, None, None, workshops.ConsultationData(
            question_ar="ما هي أولوياتنا؟", question_fr="Quelles priorités ?", question_en="Which priorities?", max_approvals=2))
        db.session.flush()
        first_notification, first_mail = _last(Notification), _last(OutboxMessage)
        queries, _ = _queries(lambda c=consultation: workshops.move_phase(facilitator, c, Phase.PROPOSALS_OPEN))
        counts.append(queries)
        made = db.session.scalars(select(Notification).where(Notification.id > first_notification)).all()
        organisations = db.session.scalar(select(db.func.count()).select_from(Organisation).where(
            Organisation.state == MembershipState.APPROVED))
        assert len(made) >= organisations - 5  # every representative (the fixtures' members too)
        assert {n.kind for n in made} == {"consultations.phase_changed"}
        assert _sent(first_mail) == _expected_emails(made)
    assert counts[0] == counts[1], counts


def test_vote_reminders_take_the_same_queries_for_ten_or_forty_organisations(facilitator, open_vote, members):
    from tadamon.voting import services as voting

    counts = []
    for start, count in ((0, 10), (10, 30)):
        _add_organisations(count, start)
        consultation, _keys = open_vote()
        vote = voting.round_of(consultation)
        consultation.closed_at = utcnow() + timedelta(hours=30)
        vote.opened_at = utcnow() - timedelta(days=2)
        db.session.flush()
        first_notification, first_mail = _last(Notification), _last(OutboxMessage)
        queries, reminded = _queries(lambda: vote_reminders.remind_before_close(now=utcnow()))
        counts.append(queries)
        assert reminded == vote.eligible_count
        made = db.session.scalars(select(Notification).where(Notification.id > first_notification)).all()
        assert {n.kind for n in made} == {"voting.closing_soon"}
        assert _sent(first_mail) == _expected_emails(made)
        assert vote_reminders.remind_before_close(now=utcnow()) == 0, "never twice for the same deadline"
        consultation.closed_at = utcnow()  # closes this one: the next round reminds its own
        db.session.flush()
    assert counts[0] == counts[1], counts
