"""Demo votes: every consultation past its deliberation gets a frozen roll and ballots from
the organisations on it (their representatives vote, through the same service as the ballot
page); closed ones are closed, with results and a published ledger head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import OrganisationMember, OrganisationRole
from tadamon.voting import services
from tadamon.voting.methods import VoteError
from tadamon.workshops.models import Consultation, Phase

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

VOTERS = 12


def _form(method: str, keys: list[str], number: int) -> MultiDict[str, str]:
    """A plausible, deterministic ballot: organisations differ by their number."""
    shifted = keys[number % len(keys):] + keys[: number % len(keys)]
    if method == "approval":
        return MultiDict([("approve", key) for key in shifted[:2]])
    if method == "score":
        return MultiDict({f"score-{key}": str((5 - position + number) % 6) for position, key in enumerate(shifted)})
    if method == "majority_judgment":
        return MultiDict({f"grade-{key}": str(max(0, 5 - position - number % 2)) for position, key in enumerate(shifted)})
    if method == "schulze":
        return MultiDict({f"rank-{key}": str(position + 1) for position, key in enumerate(shifted[:3])})
    return MultiDict({f"vote-{key}": ("yes", "no", "abstain")[(position + number) % 3 if position else 0]
                      for position, key in enumerate(shifted)})


def representative_of(organisation_id: int) -> User | None:
    return db.session.scalar(select(User).join(OrganisationMember, OrganisationMember.user_id == User.id).where(
        OrganisationMember.organisation_id == organisation_id,
        OrganisationMember.role == OrganisationRole.REPRESENTATIVE.value).limit(1))


def seed(demo: DemoContext) -> None:
    scale = demo.scale
    consultations = db.session.scalars(select(Consultation).where(Consultation.phase.in_(
        [Phase.VOTING.value, Phase.CLOSED.value, Phase.RESULTS_PUBLISHED.value])).order_by(Consultation.id)).all()
    for number, consultation in enumerate(consultations):
        phase = consultation.phase
        if number == 1:
            consultation.secret_ballots = True  # one secret vote to compare with the public ones
        consultation.phase = Phase.VOTING.value  # ballots are cast while voting was open
        db.session.flush()
        try:
            vote = services.open_round(None, consultation)
        except VoteError:
            consultation.phase = phase
            continue
        keys = services.candidate_keys(vote)
        definition = services.definition_of(vote)
        for position, organisation_id in enumerate(definition["eligible"][: VOTERS * scale]):
            person = representative_of(organisation_id)
            if person is None or position % 5 == 4:  # not every organisation votes
                continue
            from tadamon.membership.models import Organisation

            organisation = db.session.get(Organisation, organisation_id)
            services.cast_ballot(person, consultation, organisation, _form(consultation.voting_method, keys, position))
            if position == 0:  # changed its mind: the last ballot counts
                services.cast_ballot(person, consultation, organisation,
                                     _form(consultation.voting_method, keys, position + 1))
        consultation.phase = phase
        db.session.flush()
        if phase != Phase.VOTING.value:
            services.close_round(None, consultation)
    db.session.flush()


def count() -> Any:
    from tadamon.voting.models import Ballot

    return len(db.session.scalars(select(Ballot.id).where(Ballot.is_current.is_(True))).all())
