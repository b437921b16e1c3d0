"""The voting module's home-page blocks: the votes the acting organisation has not cast yet,
and the results published lately. One query for both, whatever the number of votes."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, cast, null, select

from tadamon.core.actor import Actor
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.i18n import localized
from tadamon.core.short_lists import ShortList, read_short_lists, short_lists_statement
from tadamon.core.times import format_date, format_datetime
from tadamon.voting import services
from tadamon.voting.models import EligibleOrganisation, VotingRound
from tadamon.workshops.models import Consultation, Phase

LIMIT = 5


@cache
def _statement(to_cast: bool) -> Select[Any]:
    """The module's blocks, read in one query (`short_lists`), built once per kind of person:
    the open votes whose roll holds the acting organisation and which it has not voted in
    (`to_cast`: this person may cast its ballot); the results published lately, with the day
    their vote closed (the detail)."""
    lists: dict[str, ShortList] = {}
    if to_cast:
        lists["to-cast"] = ShortList(
            select(Consultation.id.label("id"), cast(null(), VotingRound.closed_at.type).label("detail"))
            .join(VotingRound, VotingRound.consultation_id == Consultation.id)
            .join(EligibleOrganisation, EligibleOrganisation.round_id == VotingRound.id)
            .where(EligibleOrganisation.organisation_id == bindparam("organisation_id", type_=Integer),
                   EligibleOrganisation.has_voted.is_(False), VotingRound.closed_at.is_(None),
                   Consultation.phase == Phase.VOTING),
            (Consultation.closed_at, Consultation.id), LIMIT)
    lists["results"] = ShortList(
        select(Consultation.id.label("id"), VotingRound.closed_at.label("detail"))
        .join(VotingRound, VotingRound.consultation_id == Consultation.id)
        .where(Consultation.phase == Phase.RESULTS_PUBLISHED),
        (VotingRound.closed_at.desc(), Consultation.id.desc()), 3)
    return short_lists_statement(Consultation, lists)


def votes_to_cast(rows: list[tuple[Consultation, None]]) -> HomeSection | None:
    if not rows:
        return None
    items = []
    for consultation, _none in rows:
        title, language = localized(consultation, "question")
        detail = (_("Voting closes on %(date)s", date=format_datetime(consultation.closed_at, consultation.time_zone))
                  if consultation.closed_at else _("Voting is open"))
        items.append(HomeItem(title or "—", url_for("voting.ballot", consultation_id=consultation.id), detail,
                              language))
    return HomeSection("votes-to-cast", _("Votes your organisation has not cast yet"), items, attention=True,
                       order=10)


def published_results(rows: list[tuple[Consultation, datetime | None]]) -> HomeSection | None:
    if not rows:
        return None
    items = []
    for consultation, closed_at in rows:
        title, language = localized(consultation, "question")
        items.append(HomeItem(title or "—", url_for("voting.results", consultation_id=consultation.id),
                              _("Vote closed on %(date)s", date=format_date(closed_at)) if closed_at else "",
                              language))
    return HomeSection("published-results", _("Results published lately"), items, order=30)


def home_sections(actor: Actor) -> list[HomeSection]:
    """One query for both blocks."""
    organisation = actor.organisation
    to_cast = organisation is not None and services.may_cast_for(actor.user, organisation)
    found = read_short_lists(_statement(to_cast), {"organisation_id": organisation.id} if to_cast else {})
    sections = [votes_to_cast(found.get("to-cast", [])), published_results(found.get("results", []))]
    return [section for section in sections if section is not None]
