"""The proposals module's home-page blocks: the acting organisation's drafts and the amendments
waiting for its answer; for moderators, the reports not yet handled. One query for them all."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Integer, Select, bindparam, cast, func, null, select

from tadamon.core.actor import Actor
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.permissions import Role, has_role
from tadamon.core.short_lists import ShortList, read_short_lists, short_lists_statement
from tadamon.membership.permissions import is_steering
from tadamon.proposals.models import Amendment, AmendmentState, Proposal, ProposalState, Report
from tadamon.workshops.models import Consultation, workshop_facilitators

LIMIT = 5


@cache
def _statement(own: bool, reports: bool, every_report: bool) -> Select[Any] | None:
    """The module's blocks a person sees, as lists read in one query (`short_lists`), built once
    per kind of person: the organisation's drafts and its proposals with pending amendments
    (`own`); for moderators, the proposals with reports not yet handled (all of them for the
    steering group, else those of the workshops the person facilitates). The detail is the
    count of what waits."""
    lists: dict[str, ShortList] = {}
    no_count = cast(null(), Integer).label("detail")
    if own:
        mine = Proposal.organisation_id == bindparam("organisation_id", type_=Integer)
        lists["drafts"] = ShortList(
            select(Proposal.id.label("id"), no_count).where(mine, Proposal.state == ProposalState.DRAFT),
            (Proposal.updated_at.desc(), Proposal.id), LIMIT)
        lists["amendments"] = ShortList(
            select(Proposal.id.label("id"), func.count(Amendment.id).label("detail"))
            .join(Amendment, Amendment.proposal_id == Proposal.id)
            .where(mine, Amendment.state == AmendmentState.PENDING).group_by(Proposal.id),
            (Proposal.id,), LIMIT)
    if reports:
        waiting = (select(Proposal.id.label("id"), func.count(Report.id).label("detail"))
                   .join(Report, Report.proposal_id == Proposal.id)
                   .where(Report.resolved_at.is_(None)).group_by(Proposal.id))
        if not every_report:
            waiting = (waiting.join(Consultation, Consultation.id == Proposal.consultation_id)
                       .join(workshop_facilitators, workshop_facilitators.c.workshop_id == Consultation.workshop_id)
                       .where(workshop_facilitators.c.user_id == bindparam("person_id", type_=Integer)))
        lists["reports"] = ShortList(waiting, (func.min(Report.created_at), Proposal.id), LIMIT)
    return short_lists_statement(Proposal, lists) if lists else None


def drafts(rows: list[tuple[Proposal, int | None]]) -> HomeSection | None:
    if not rows:
        return None
    items = [HomeItem(p.title or _("Untitled draft"), url_for("proposals.edit", proposal_id=p.id),
                      _("Draft, not published"), p.language) for p, _none in rows]
    return HomeSection("drafts", _("Your organisation's drafts"), items, attention=True, order=30)


def amendments_to_answer(rows: list[tuple[Proposal, int]]) -> HomeSection | None:
    if not rows:
        return None
    items = [HomeItem(p.title, url_for("proposals.show", proposal_id=p.id) + "#amendments",
                      ngettext("%(num)d amendment waiting for your answer",
                               "%(num)d amendments waiting for your answer", waiting), p.language)
             for p, waiting in rows]
    return HomeSection("amendments", _("Amendments to answer"), items, attention=True, order=35)


def reports_to_handle(rows: list[tuple[Proposal, int]]) -> HomeSection | None:
    """Reports on proposals and comments, for the people who moderate them (the steering group,
    and the facilitators of the consultation's workshop)."""
    if not rows:
        return None
    items = [HomeItem(p.title, url_for("proposals.show", proposal_id=p.id),
                      ngettext("%(num)d report waiting for a moderator", "%(num)d reports waiting for a moderator",
                               waiting), p.language)
             for p, waiting in rows]
    return HomeSection("reports", _("Reports to moderate"), items, attention=True, order=45)


def home_sections(actor: Actor) -> list[HomeSection]:
    """One query for all of the module's blocks."""
    steering = is_steering(actor)
    statement = _statement(actor.organisation is not None, steering or has_role(actor, Role.FACILITATOR), steering)
    found = read_short_lists(statement, {"organisation_id": actor.organisation.id if actor.organisation else None,
                                         "person_id": actor.id})
    sections = [drafts(found.get("drafts", [])), amendments_to_answer(found.get("amendments", [])),
                reports_to_handle(found.get("reports", []))]
    return [section for section in sections if section is not None]
