"""Reminders before a vote closes: only to who may vote for an organisation on the roll that has
not voted, never twice for one deadline, planned again when the deadline moves; and the
facilitators' reminder from the participation page, at most once every 12 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership.models import OrganisationMember, OrganisationRole
from tadamon.voting import services
from tadamon.voting.reminders import remind_before_close


def reminded(kind: str = "voting.closing_soon") -> list[int]:
    return list(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)
                                   .order_by(Notification.id)))


def vote(member, consultation, key) -> None:
    person, organisation = member
    services.cast_ballot(person, consultation, organisation, MultiDict({"approve": [key]}))
    db.session.commit()


def test_48h_and_24h_reminders_skip_the_organisations_that_voted(open_vote, members, create_user, outbox):
    consultation, keys = open_vote("approval")
    start = utcnow()
    consultation.closed_at = start + timedelta(hours=72)
    # A plain member of the third organisation, which lets only its representatives vote.
    plain = create_user(email="plain@example.org")
    db.session.add(OrganisationMember(organisation_id=members[2][1].id, user_id=plain.id,
                                      role=OrganisationRole.MEMBER.value))
    db.session.commit()
    (rep0, _), (rep1, _), (rep2, _) = members

    assert remind_before_close(now=start + timedelta(hours=1)) == 0, "too early: 71 hours before the close"
    vote(members[0], consultation, keys[0])

    # 47 hours before the close: the two organisations that have not voted, their representatives only.
    assert remind_before_close(now=start + timedelta(hours=25)) == 2
    assert sorted(reminded()) == sorted([rep1.id, rep2.id])
    assert remind_before_close(now=start + timedelta(hours=26)) == 0, "never twice for the same deadline"

    vote(members[1], consultation, keys[1])
    # 23 hours before the close: the one that voted since is skipped.
    assert remind_before_close(now=start + timedelta(hours=49)) == 1
    assert reminded()[2:] == [rep2.id]
    assert remind_before_close(now=start + timedelta(hours=50)) == 0
    assert plain.id not in reminded()
    assert rep0.id not in reminded()

    # The deadline moves: its reminders are owed again, still only to whoever has not voted.
    consultation.closed_at = start + timedelta(hours=100)
    db.session.commit()
    assert remind_before_close(now=start + timedelta(hours=53)) == 1
    assert reminded()[3:] == [rep2.id]
    text = outbox(to=rep2.email)[-1].text_body  # rep2 reads English
    assert "has not voted yet" in text and "Which priorities?" in text


def test_a_mark_passed_before_voting_opened_is_not_sent(open_vote, members):
    consultation, _keys = open_vote("approval")
    consultation.closed_at = utcnow() + timedelta(hours=30)
    db.session.commit()
    # 30 hours before the close: the 48-hour mark is before the opening, which was announced.
    assert remind_before_close(now=utcnow()) == 0
    assert remind_before_close(now=utcnow() + timedelta(hours=7)) == 3


def test_members_vote_when_their_organisation_allows_it(open_vote, members, create_user):
    consultation, _keys = open_vote("approval")
    organisation = members[2][1]
    organisation.members_may_vote = True
    plain = create_user(email="plain2@example.org")
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=plain.id,
                                      role=OrganisationRole.MEMBER.value))
    consultation.closed_at = utcnow() + timedelta(hours=72)
    db.session.commit()
    remind_before_close(now=utcnow() + timedelta(hours=25))
    assert plain.id in reminded()


def test_a_secret_vote_is_reminded_from_the_roll(open_vote, members):
    consultation, keys = open_vote("approval", secret=True)
    consultation.closed_at = utcnow() + timedelta(hours=72)
    db.session.commit()
    vote(members[0], consultation, keys[0])
    assert remind_before_close(now=utcnow() + timedelta(hours=25)) == 2
    assert members[0][0].id not in reminded()


def test_the_participation_page_lists_who_voted_and_sends_one_reminder_per_12_hours(
        client, login, open_vote, members, steering, create_user):
    consultation, keys = open_vote("approval")
    vote(members[0], consultation, keys[0])
    steering.preferred_language = "en"  # a national consultation: the steering group runs it
    db.session.commit()
    login(client, steering)
    page = client.get(f"/consultations/{consultation.id}/participation")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "1 of 3 organisations on the roll have voted" in body
    assert "Not voted yet" in body and "Send a reminder" in body

    answer = client.post(f"/consultations/{consultation.id}/participation/remind", follow_redirects=True)
    assert "2 organisations that have not voted are reminded" in answer.get_data(as_text=True)
    assert sorted(reminded("voting.reminder")) == sorted([members[1][0].id, members[2][0].id])
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.reminder_sent")) is not None

    again = client.post(f"/consultations/{consultation.id}/participation/remind", follow_redirects=True)
    assert "less than 12 hours ago" in again.get_data(as_text=True)
    assert len(reminded("voting.reminder")) == 2

    someone = create_user(language="en")
    client.get("/account/logout")
    other = client.application.test_client()
    login(other, someone)
    assert other.get(f"/consultations/{consultation.id}/participation").status_code == 403


def test_the_participation_page_answers_in_a_fixed_number_of_queries(client, login, open_vote, members, steering,
                                                                     create_user, complete_application):
    from sqlalchemy import event

    consultation, _keys = open_vote("approval")
    login(client, steering)

    def count() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/consultations/{consultation.id}/participation").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    # Each state asked twice: the first request after a commit reloads the logged-in person.
    count()
    first = count()
    vote(members[0], consultation, _keys[0])
    vote(members[1], consultation, _keys[1])
    count()
    assert count() == first
