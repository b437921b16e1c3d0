"""The action plan's home-page blocks: how far the published actions have come, and, for the
steering group, the offers waiting for its answer. A fixed number of queries."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from tadamon.action_plan.models import Action, Commitment, CommitmentState
from tadamon.action_plan.permissions import can_compose
from tadamon.action_plan.services import plan_summary
from tadamon.action_plan.services.progress_due import due_milestones
from tadamon.core.actor import Actor
from tadamon.core.bidi import isolate
from tadamon.core.db import utcnow
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.i18n import localized
from tadamon.core.times import MOROCCO, format_date, local
from tadamon.extensions import db

LIMIT = 3


def plan_progress() -> HomeSection | None:
    """The published plan: its version, its actions' average progress, the most advanced ones.
    One query (`plan_summary`)."""
    summary_row = plan_summary(LIMIT)
    if summary_row is None:
        return None
    items = []
    for action in summary_row.leading:
        title, language = localized(action, "title")
        items.append(HomeItem(title or "—", url_for("action_plan.action", action_id=action.id),
                              _("%(progress)s done", progress=format_percent((action.progress or 0) / 100)), language))
    summary = ngettext("Version %(version)s, published on %(date)s: %(num)d action, %(progress)s done on average.",
                       "Version %(version)s, published on %(date)s: %(num)d actions, %(progress)s done on average.",
                       summary_row.count, version=summary_row.version_number,
                       date=format_date(summary_row.published_at),
                       progress=format_percent(summary_row.average_progress / 100))
    return HomeSection("plan-progress", _("The shared action plan"), items, order=40, more_url=url_for("action_plan.plan"),
                       more_label=_("The whole plan"), summary=summary)


def offers_to_answer(actor: Actor) -> HomeSection | None:
    if not can_compose(actor):
        return None
    rows = db.session.execute(
        select(Action, func.count(Commitment.id)).join(Commitment, Commitment.action_id == Action.id)
        .where(Commitment.state == CommitmentState.VOLUNTEERED, Action.removed_at.is_(None))
        .group_by(Action.id).order_by(Action.id).options(lazyload("*")).limit(5)).all()
    if not rows:
        return None
    items = []
    for action, waiting in rows:
        title, language = localized(action, "title")
        items.append(HomeItem(title or "—", url_for("action_plan.action", action_id=action.id) + "#commitments",
                              ngettext("%(num)d offer waiting for an answer", "%(num)d offers waiting for an answer",
                                       waiting), language))
    return HomeSection("offers", _("Offers to carry actions"), items, attention=True, order=50)


def progress_due(actor: Actor) -> HomeSection | None:
    """The actions the person's organisation carries whose milestones are due and not done:
    a progress update is expected. One query."""
    organisation = actor.organisation
    if organisation is None:
        return None
    rows = due_milestones([organisation.id], local(utcnow(), MOROCCO).date(), limit=LIMIT + 2)
    if not rows:
        return None
    items = []
    for milestone, action, _commitment in rows[:LIMIT + 2]:
        title, language = localized(action, "title")
        items.append(HomeItem(title or "—", url_for("action_plan.post_update", action_id=action.id),
                              _("Milestone “%(milestone)s” was due on %(date)s: post a progress update",
                                milestone=isolate(milestone.title), date=format_date(milestone.due_on)), language))
    return HomeSection("progress-due", _("Progress to report"), items, attention=True, order=30)


def home_sections(actor: Actor) -> list[HomeSection]:
    sections = [plan_progress(), offers_to_answer(actor), progress_due(actor)]
    return [section for section in sections if section is not None]
