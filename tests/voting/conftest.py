"""Fixtures for voting: a consultation with three published proposals, opened for voting."""

from __future__ import annotations

import pytest

from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

SETTINGS = {
    "approval": {"max_approvals": 2},
    "score": {},
    "majority_judgment": {},
    "schulze": {},
    "yes_no": {"quorum": 0.5, "threshold": 0.5},
}
TITLES = ("صندوق تضامني للتعاونيات", "Formation des jeunes au numérique", "Water for oasis villages")


@pytest.fixture
def open_vote(facilitator, members):
    """A factory: a national consultation voting with `method`; returns (consultation, keys)."""

    def make(method="approval", secret=False):
        consultation = workshops.save_consultation(facilitator, None, None, workshops.ConsultationData(
            question_ar="ما هي أولوياتنا؟", question_fr="Quelles priorités ?", question_en="Which priorities?",
            voting_method=method, secret_ballots=secret, **SETTINGS.get(method, {})))
        workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
        keys = []
        for (person, organisation), title in zip(members, TITLES, strict=True):
            data = proposals.ProposalData(title=title, body=f"{title}: une proposition détaillée et argumentée.",
                                          language="fr")
            proposal = proposals.save_draft(consultation, organisation, person, data)
            proposals.publish(proposal, person, data)
            keys.append(f"p{proposal.id}")
        workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
        workshops.move_phase(facilitator, consultation, Phase.VOTING)
        db.session.commit()
        return consultation, keys

    return make
