"""Reminders before a vote closes, for the organisations on the roll that have not voted.

48 and 24 hours before the close, the people who may cast an organisation's ballot (its
representatives, and its members when it lets them vote) hear that it has not voted yet;
organisations that have voted hear nothing (Loomio reminded people who had voted, loomio #6113).
Each reminder is recorded per round, organisation and deadline (core.reminders), so it is never
sent twice for the same deadline, and it is owed again when the facilitators move the deadline.
A facilitator may also send one from the participation page, at most once every 12 hours per
consultation (audited)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from tadamon.accounts.models import User
from tadamon.core import audit, reminders
from tadamon.core.db import utcnow
from tadamon.core.hooks import time_to_check
from tadamon.core.notifications import deliver, moment, prepare_many, register_kind, texts
from tadamon.core.persistence import rows_changed
from tadamon.core.reminders import CHECK_EVERY
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.queries import voters_for
from tadamon.voting.methods import VoteError
from tadamon.voting.models import EligibleOrganisation, VotingRound
from tadamon.workshops.models import Consultation, Phase

# The most urgent first: a tick inside the last 24 hours owes the 24-hour reminder only, even
# when the 48-hour one was never sent (the vote opened late, or the site slept).
LEADS = ((timedelta(hours=24), "vote_24h"), (timedelta(hours=48), "vote_48h"))
MANUAL_EVERY = timedelta(hours=12)

register_kind(
    "voting.closing_soon", category="votes",
    subject=_l("The vote closes soon: %(question)s"),
    # Translators: sent only to people who may vote for an organisation that has not voted yet.
    text=_l("%(organisation)s has not voted yet on “%(question)s”. Voting closes on %(deadline)s: you may cast its "
            "ballot until then."))
register_kind(
    "voting.reminder", category="votes",
    subject=_l("Reminder from the facilitators: %(question)s"),
    text=_l("The facilitators remind you that %(organisation)s has not voted yet on “%(question)s”. You may cast "
            "its ballot on the consultation's ballot page while voting is open."))


def not_voted(vote: VotingRound) -> list[Organisation]:
    """The organisations on the roll that have not voted (for a secret vote too: the roll says
    whether, never how). One query."""
    return list(db.session.scalars(
        select(Organisation).join(EligibleOrganisation, EligibleOrganisation.organisation_id == Organisation.id)
        .where(EligibleOrganisation.round_id == vote.id, EligibleOrganisation.has_voted.is_(False))
        .order_by(Organisation.id)))


def _tell(organisations: list[Organisation], consultation: Consultation, kind: str, **params: Any) -> int:
    """Tells the voters of each organisation, naming it: one query for the voters, one for their
    preferences, one INSERT for the notifications and one for the e-mails, however many."""
    voters = voters_for([organisation.id for organisation in organisations])
    link = external_url("voting.ballot", consultation_id=consultation.id)
    question = texts(consultation, "question")
    deliver(prepare_many(kind, [(voters.get(organisation.id, []),
                                 {"organisation": organisation.display_name, "question": question, **params})
                                for organisation in organisations], link=link))
    return len(organisations)


def _lead_due(vote: VotingRound, deadline: datetime, now: datetime) -> str | None:
    """The reminder owed now for this deadline, if any. A mark that passed before voting opened
    is not owed: the notice that voting opened said it already."""
    for lead, kind in LEADS:
        mark = deadline - lead
        if mark <= now:
            return kind if mark >= vote.opened_at else None
    return None


def remind_before_close(now: datetime | None = None) -> int:
    """The periodic task: sends the 48- and 24-hour reminders owed; returns how many
    organisations were reminded."""
    now = now or utcnow()
    rows = db.session.execute(
        select(VotingRound, Consultation).join(Consultation, Consultation.id == VotingRound.consultation_id)
        .where(VotingRound.closed_at.is_(None), Consultation.phase == Phase.VOTING,
               Consultation.closed_at.is_not(None), Consultation.closed_at > now,
               Consultation.closed_at <= now + LEADS[-1][0])).all()
    reminded = 0
    for vote, consultation in rows:
        deadline = consultation.closed_at
        assert deadline is not None  # noqa: S101 - the query asked for it
        kind = _lead_due(vote, deadline, now)
        if kind is None:
            continue
        already = reminders.already_sent(kind, vote.id, deadline)
        pending = {organisation.id: organisation for organisation in not_voted(vote)
                   if organisation.id not in already}
        owed = [pending[organisation_id] for organisation_id in reminders.claim_many(kind, vote.id, list(pending),
                                                                                      deadline)]
        reminded += _tell(owed, consultation, "voting.closing_soon", deadline=moment(deadline, consultation.time_zone))
    return reminded


def next_manual_reminder(vote: VotingRound | None) -> datetime | None:
    """When a facilitator may send the next reminder (None: now)."""
    if vote is None or vote.reminded_at is None:
        return None
    allowed = vote.reminded_at + MANUAL_EVERY
    return allowed if allowed > utcnow() else None


def send_reminder(actor: User, consultation: Consultation, now: datetime | None = None) -> int:
    """A facilitator's reminder to the organisations on the roll that have not voted. At most
    once every 12 hours per consultation, by compare-and-set on the round (two facilitators
    clicking together send one). Audited. Returns how many organisations were reminded.
    Raises VoteError when voting is not open or the last reminder is too recent."""
    from tadamon.voting.services import round_of, window_is_open

    now = now or utcnow()
    vote = round_of(consultation)
    if vote is None or not window_is_open(consultation, vote, now):
        raise VoteError(_l("Voting is not open: there is nobody to remind."))
    if rows_changed(update(VotingRound).where(
            VotingRound.id == vote.id,
            or_(VotingRound.reminded_at.is_(None), VotingRound.reminded_at <= now - MANUAL_EVERY))
            .values(reminded_at=now).execution_options(synchronize_session=False)) != 1:
        raise VoteError(_l("A reminder was sent less than 12 hours ago: organisations are not reminded more often."))
    db.session.refresh(vote)
    pending = not_voted(vote)
    audit.record("vote.reminder_sent", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 after={"organisations": [organisation.id for organisation in pending]}, actor=actor)
    return _tell(pending, consultation, "voting.reminder")


def check_remind_before_close() -> int:
    """The periodic hook: `remind_before_close` at most every few minutes per process."""
    if not time_to_check("voting.reminders", CHECK_EVERY, utcnow()):
        return 0
    return remind_before_close()
