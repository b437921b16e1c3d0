"""Progress due: the lead organisation hears once when a milestone falls due and is not done,
and the home page lists it under "What needs you"."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tadamon.action_plan import services
from tadamon.action_plan.services.actions import MilestoneData
from tadamon.action_plan.services.progress_due import remind_progress_due
from tadamon.core.db import utcnow
from tadamon.core.notifications import Notification
from tadamon.extensions import db


def test_the_lead_is_told_once_when_a_milestone_falls_due(results, make_action, members, steering, client, login):
    _consultation, proposal_ids = results
    due = date.today() + timedelta(days=3)
    action = make_action(proposal_ids[:1], milestones=[MilestoneData("Lancement", due, False)])
    (rep, organisation), (rep_b, organisation_b), _ = members
    commitment = services.volunteer(rep, organisation, action, "lead", "Nous portons")
    services.decide_commitment(steering, commitment, True)
    db.session.commit()

    assert remind_progress_due(now=utcnow()) == 0, "not due yet"
    later = utcnow() + timedelta(days=4)
    assert remind_progress_due(now=later) == 1
    assert remind_progress_due(now=later + timedelta(hours=1)) == 0, "never twice for the same due date"
    told = list(db.session.scalars(select(Notification.user_id).where(Notification.kind == "plan.progress_due")))
    assert told == [rep.id]
