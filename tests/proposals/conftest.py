"""Fixtures for proposals: a consultation taking proposals and member organisations."""

from __future__ import annotations

import pytest

from tadamon.extensions import db
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401


@pytest.fixture
def consultation(facilitator, open_workshop):
    workshop = open_workshop(capacity=10)
    item = workshops.save_consultation(facilitator, None, workshop, workshops.ConsultationData(
        question_ar="ما هي أولوياتنا؟", question_fr="Quelles priorités ?", max_approvals=3))
    workshops.move_phase(facilitator, item, Phase.PROPOSALS_OPEN)
    db.session.commit()
    return item
