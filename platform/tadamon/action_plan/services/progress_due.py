"""Progress due: when an action's milestone falls due and is not done, its lead organisation is
asked to report progress. The milestones' dates are the schedule (indicators carry no dates of
their own); each reminder is recorded per milestone, organisation and due date (core.reminders),
so it is sent once, and again only if the steering group moves the date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.action_plan.models import (
    Action,
    Commitment,
    CommitmentRole,
    CommitmentState,
    Milestone,
)
from tadamon.core import reminders
from tadamon.core.db import utcnow
from tadamon.core.hooks import time_to_check
from tadamon.core.notifications import notify, register_kind, texts
from tadamon.core.reminders import CHECK_EVERY
from tadamon.core.times import MOROCCO, local, local_midnight
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_of

KIND = "progress_due"
# A milestone long past when reminders started (or when the lead was confirmed) is not
# announced as news: the home page lists it instead.
LOOKBACK = timedelta(days=30)

register_kind(
    "plan.progress_due", category="plan",
    subject=_l("Progress due: %(action)s"),
    text=_l("The milestone “%(milestone)s” of the action “%(action)s”, which %(organisation)s leads, was due on "
            "%(due)s. Post a progress update: what was done, and the indicators' values."))


def _today(now: datetime) -> date:
    return local(now, MOROCCO).date()


def due_milestones(organisation_ids: list[int] | None, today: date, since: date | None = None,
                   limit: int | None = None) -> list[tuple[Milestone, Action, Commitment]]:
    """Milestones due by `today` and not done, of live actions with a confirmed lead (only those
    of `organisation_ids` as lead or confirmed partner when given). One query."""
    query = (select(Milestone, Action, Commitment).join(Action, Action.id == Milestone.action_id)
             .join(Commitment, Commitment.action_id == Action.id)
             .where(Milestone.done.is_(False), Milestone.due_on.is_not(None), Milestone.due_on <= today,
                    Action.removed_at.is_(None), Commitment.state == CommitmentState.CONFIRMED))
    if organisation_ids is None:
        query = query.where(Commitment.role == CommitmentRole.LEAD)
    else:
        query = query.where(Commitment.organisation_id.in_(organisation_ids))
    if since is not None:
        query = query.where(Milestone.due_on >= since)
    query = query.order_by(Milestone.due_on, Milestone.id)
    if limit is not None:
        query = query.limit(limit)
    return [(m, a, c) for m, a, c in db.session.execute(query).all()]


def remind_progress_due(now: datetime | None = None) -> int:
    """The periodic task: tells each lead organisation once per milestone falling due."""
    now = now or utcnow()
    today = _today(now)
    due = due_milestones(None, today, since=today - LOOKBACK)
    if not due:
        return 0
    # Most ticks find every reminder already sent: one query rather than a refused insert each.
    already = set(db.session.execute(
        select(reminders.SentReminder.subject_id, reminders.SentReminder.organisation_id, reminders.SentReminder.due_at)
        .where(reminders.SentReminder.kind == KIND,
               reminders.SentReminder.subject_id.in_({milestone.id for milestone, _a, _c in due}))).all())
    reminded = 0
    for milestone, action, commitment in due:
        assert milestone.due_on is not None  # noqa: S101 - the query asked for it
        due_at = local_midnight(milestone.due_on, MOROCCO)
        if (milestone.id, commitment.organisation_id, due_at) in already:
            continue
        if not reminders.claim(KIND, milestone.id, commitment.organisation_id, due_at):
            continue
        notify(representatives_of([commitment.organisation_id]), "plan.progress_due",
               link=external_url("action_plan.post_update", action_id=action.id),
               action=texts(action, "title"), milestone=milestone.title,
               organisation=commitment.organisation.display_name, due=milestone.due_on.isoformat())
        reminded += 1
    return reminded


def check_remind_progress_due() -> int:
    """The periodic hook: `remind_progress_due` at most every few minutes per process."""
    if not time_to_check("plan.progress_due", CHECK_EVERY, utcnow()):
        return 0
    return remind_progress_due()
