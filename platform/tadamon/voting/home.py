"""The voting module's home-page blocks: the votes the acting organisation has not cast yet,
and the results published lately. One query each, whatever the number of votes."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from tadamon.core.actor import Actor
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.i18n import localized
from tadamon.core.times import format_date, format_datetime
from tadamon.extensions import db
from tadamon.voting import services
from tadamon.voting.models import EligibleOrganisation, VotingRound
from tadamon.workshops.models import Consultation, Phase

LIMIT = 5


def votes_to_cast(actor: Actor) -> HomeSection | None:
    """Open votes whose roll holds the acting organisation and which it has not voted in, when
    this person may cast its ballot."""
    organisation = actor.organisation
    if organisation is None or not services.may_cast_for(actor.user, organisation):
        return None
    rows = db.session.scalars(
        select(Consultation).join(VotingRound, VotingRound.consultation_id == Consultation.id)
        .join(EligibleOrganisation, EligibleOrganisation.round_id == VotingRound.id)
        .where(EligibleOrganisation.organisation_id == organisation.id, EligibleOrganisation.has_voted.is_(False),
               VotingRound.closed_at.is_(None), Consultation.phase == Phase.VOTING)
        .order_by(Consultation.closed_at, Consultation.id).options(lazyload("*")).limit(LIMIT)).all()
    if not rows:
        return None
    items = []
    for consultation in rows:
        title, language = localized(consultation, "question")
        detail = (_("Voting closes on %(date)s", date=format_datetime(consultation.closed_at, consultation.time_zone))
                  if consultation.closed_at else _("Voting is open"))
        items.append(HomeItem(title or "—", url_for("voting.ballot", consultation_id=consultation.id), detail,
                              language))
    return HomeSection("votes-to-cast", _("Votes your organisation has not cast yet"), items, attention=True,
                       order=10)


def published_results() -> HomeSection | None:
    rows = db.session.execute(
        select(Consultation, VotingRound.closed_at).join(VotingRound, VotingRound.consultation_id == Consultation.id)
        .where(Consultation.phase == Phase.RESULTS_PUBLISHED)
        .order_by(VotingRound.closed_at.desc(), Consultation.id.desc()).options(lazyload("*")).limit(3)).all()
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
    sections = [votes_to_cast(actor), published_results()]
    return [section for section in sections if section is not None]
