"""Demo votes: every consultation past its deliberation gets a frozen roll and ballots from
the organisations on it (their representatives vote, through the same service as the ballot
page); closed ones are closed, with results and a published ledger head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import Organisation, OrganisationMember, OrganisationRole
from tadamon.voting import services
from tadamon.voting.methods import VoteError, get_method
from tadamon.workshops.models import Consultation, Phase

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

VOTERS = 12


def representative_of(organisation_id: int) -> User | None:
    return db.session.scalar(select(User).join(OrganisationMember, OrganisationMember.user_id == User.id).where(
        OrganisationMember.organisation_id == organisation_id,
        OrganisationMember.role == OrganisationRole.REPRESENTATIVE).limit(1))


def seed(demo: DemoContext) -> None:
    from tadamon.membership.demo import featured_organisation

    scale = demo.scale
    featured = featured_organisation()
    consultations = db.session.scalars(select(Consultation).where(Consultation.phase.in_(
        [Phase.VOTING, Phase.CLOSED, Phase.RESULTS_PUBLISHED])).order_by(Consultation.id)).all()
    for number, consultation in enumerate(consultations):
        phase = consultation.phase
        if number == 1:
            consultation.secret_ballots = True  # one secret vote to compare with the public ones
        consultation.phase = Phase.VOTING  # ballots are cast while voting was open
        db.session.flush()
        try:
            vote = services.open_round(None, consultation)
        except VoteError:
            consultation.phase = phase
            continue
        keys = services.candidate_keys(vote)
        definition = services.definition_of(vote)
        method = get_method(definition["method"])
        for position, organisation_id in enumerate(definition["eligible"][: VOTERS * scale]):
            person = representative_of(organisation_id)
            if person is None or position % 5 == 4:  # not every organisation votes
                continue
            if phase == Phase.VOTING.value and featured is not None and organisation_id == featured.id:
                continue  # the featured member's vote is left for the visitor to cast
            organisation = db.session.get_one(Organisation, organisation_id)
            cast = services.cast_ballot(person, consultation, organisation, method.sample_form(keys, position))
            if position == 0:  # changed its mind: the last ballot counts (a secret one, with its code)
                services.cast_ballot(person, consultation, organisation, method.sample_form(keys, position + 1),
                                     credential=cast.credential)
        consultation.phase = phase
        db.session.flush()
        if phase != Phase.VOTING.value:
            services.close_round(None, consultation)
    db.session.flush()


def count() -> Any:
    from tadamon.voting.models import Ballot

    return len(db.session.scalars(select(Ballot.id).where(Ballot.is_current.is_(True))).all())
