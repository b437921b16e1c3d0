"""The plan's invariants under parallel requests: one offer per organisation and action, one
confirmed lead per action. Database constraints, on SQLite here and on PostgreSQL in CI."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.accounts.models import User
from tadamon.action_plan import services as plan
from tadamon.action_plan.models import Commitment
from tadamon.extensions import db
from tadamon.voting import services as voting
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests import support
from tests.membership.test_parallel import logged_in_client
from tests.proposals.test_parallel import _organisation
from tests.voting.test_parallel import _parallel, _voting_consultation

REQUESTS = 20


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def _action_with_offers(app, offers):
    """An action made from a closed vote's proposal; `offers` organisations offer to lead it.
    Returns the action id, the steering member's id and [(person id, commitment id)]."""
    consultation_id, voter_id, steering_id, keys = _voting_consultation(app)
    with app.app_context():
        from tadamon.membership.models import Organisation
        from tadamon.workshops.models import Consultation

        consultation = db.session.get(Consultation, consultation_id)
        voter = db.session.get(User, voter_id)
        steering = db.session.get(User, steering_id)
        organisation = db.session.scalar(select(Organisation).where(Organisation.name_fr == "Votante"))
        voting.cast_ballot(voter, consultation, organisation, MultiDict([("approve", keys[0])]))
        workshops.move_phase(steering, consultation, Phase.CLOSED)
        proposals = plan.candidate_proposals([voting.proposal_id_of(keys[0])])
        action = plan.create_action(steering, proposals, plan.draft_from_proposals(proposals))
        people = []
        for index in range(offers):
            person, member = _organisation(steering, f"lead{index}@example.org", f"Association {index}")
            commitment = plan.volunteer(person, member, action, "lead", "")
            people.append((person.id, commitment.id))
        db.session.commit()
        return action.id, steering_id, people


def test_parallel_confirmations_leave_one_lead(live_app):
    action_id, steering_id, offers = _action_with_offers(live_app, 4)
    clients = [logged_in_client(live_app, steering_id) for _ in offers]

    def confirm(index):
        return lambda: clients[index].post(f"/plan/commitments/{offers[index][1]}/confirm", data={}).status_code

    statuses = _parallel([confirm(i) for i in range(len(offers))])
    assert set(statuses) == {302}
    with live_app.app_context():
        states = [c.state for c in db.session.scalars(select(Commitment).where(Commitment.action_id == action_id))]
    assert states.count("confirmed") == 1 and states.count("volunteered") == len(offers) - 1


def test_parallel_offers_of_one_organisation_make_one(live_app):
    action_id, _steering_id, offers = _action_with_offers(live_app, 0)
    with live_app.app_context():
        steering = db.session.scalar(select(User).where(User.email == "steering@example.org"))
        person, _member = _organisation(steering, "offer@example.org", "Association offrante")
        db.session.commit()
        person_id = person.id
    clients = [logged_in_client(live_app, person_id) for _ in range(REQUESTS)]

    def offer(index):
        return lambda: clients[index].post(f"/plan/actions/{action_id}/volunteer",
                                           data={"role": "partner", "message": f"Offre {index}"}).status_code

    statuses = _parallel([offer(i) for i in range(REQUESTS)])
    assert set(statuses) <= {302, 400, 403} and statuses.count(302) >= 1
    with live_app.app_context():
        count = len(db.session.scalars(select(Commitment).where(Commitment.action_id == action_id)).all())
    assert count == 1
