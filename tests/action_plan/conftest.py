"""Fixtures for the action plan: a closed, published approval vote on three proposals, and
helpers to make actions and versions from it."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tadamon.action_plan import services
from tadamon.extensions import db
from tadamon.voting import services as voting
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.voting.conftest import open_vote  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

# Who approves what: the first two proposals win.
APPROVALS = ((0, 1), (0,), (1, 2))


@pytest.fixture
def results(open_vote, members, facilitator):  # noqa: F811
    """A consultation whose approval vote closed and whose results are published; returns
    (consultation, [proposal ids in ballot order])."""
    consultation, keys = open_vote("approval")
    for (person, organisation), chosen in zip(members, APPROVALS, strict=True):
        voting.cast_ballot(person, consultation, organisation, MultiDict([("approve", keys[i]) for i in chosen]))
    db.session.commit()
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    workshops.move_phase(facilitator, consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    return consultation, [voting.proposal_id_of(key) for key in keys]


@pytest.fixture
def make_action(steering, theme):  # noqa: F811
    """Factory: an action of the working plan made from these proposal ids."""

    def make(proposal_ids, **changes):
        proposals = services.candidate_proposals(proposal_ids)
        data = services.draft_from_proposals(proposals)
        data.theme_id = theme.id
        for name, value in changes.items():
            setattr(data, name, value)
        action = services.create_action(steering, proposals, data)
        db.session.commit()
        return action

    return make
