"""The proposals module's home-page blocks: the acting organisation's drafts and the amendments
waiting for its answer; for moderators, the reports not yet handled. One query each."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from tadamon.core.actor import Actor
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.permissions import Role, has_role
from tadamon.extensions import db
from tadamon.membership.permissions import is_steering
from tadamon.proposals.models import Amendment, AmendmentState, Proposal, ProposalState, Report
from tadamon.workshops.models import Consultation, workshop_facilitators

LIMIT = 5


def drafts(actor: Actor) -> HomeSection | None:
    if actor.organisation is None:
        return None
    rows = db.session.scalars(select(Proposal).where(
        Proposal.organisation_id == actor.organisation.id, Proposal.state == ProposalState.DRAFT)
        .order_by(Proposal.updated_at.desc()).options(lazyload("*")).limit(LIMIT)).all()
    if not rows:
        return None
    items = [HomeItem(p.title or _("Untitled draft"), url_for("proposals.edit", proposal_id=p.id),
                      _("Draft, not published"), p.language) for p in rows]
    return HomeSection("drafts", _("Your organisation's drafts"), items, attention=True, order=30)


def amendments_to_answer(actor: Actor) -> HomeSection | None:
    if actor.organisation is None:
        return None
    rows = db.session.execute(
        select(Proposal, func.count(Amendment.id)).join(Amendment, Amendment.proposal_id == Proposal.id)
        .where(Proposal.organisation_id == actor.organisation.id, Amendment.state == AmendmentState.PENDING)
        .group_by(Proposal.id).order_by(Proposal.id).options(lazyload("*")).limit(LIMIT)).all()
    if not rows:
        return None
    items = [HomeItem(p.title, url_for("proposals.show", proposal_id=p.id) + "#amendments",
                      ngettext("%(num)d amendment waiting for your answer",
                               "%(num)d amendments waiting for your answer", waiting), p.language)
             for p, waiting in rows]
    return HomeSection("amendments", _("Amendments to answer"), items, attention=True, order=35)


def reports_to_handle(actor: Actor) -> HomeSection | None:
    """Reports on proposals and comments, for the people who moderate them (the steering group,
    and the facilitators of the consultation's workshop)."""
    if not (is_steering(actor) or has_role(actor, Role.FACILITATOR)):
        return None
    query = (select(Proposal, func.count(Report.id)).join(Report, Report.proposal_id == Proposal.id)
             .where(Report.resolved_at.is_(None)).group_by(Proposal.id).order_by(func.min(Report.created_at))
             .options(lazyload("*")).limit(LIMIT))
    if not is_steering(actor):
        query = (query.join(Consultation, Consultation.id == Proposal.consultation_id)
                 .join(workshop_facilitators, workshop_facilitators.c.workshop_id == Consultation.workshop_id)
                 .where(workshop_facilitators.c.user_id == actor.id))
    rows = db.session.execute(query).all()
    if not rows:
        return None
    items = [HomeItem(p.title, url_for("proposals.show", proposal_id=p.id),
                      ngettext("%(num)d report waiting for a moderator", "%(num)d reports waiting for a moderator",
                               waiting), p.language)
             for p, waiting in rows]
    return HomeSection("reports", _("Reports to moderate"), items, attention=True, order=45)


def home_sections(actor: Actor) -> list[HomeSection]:
    sections = [drafts(actor), amendments_to_answer(actor), reports_to_handle(actor)]
    return [section for section in sections if section is not None]
