"""Fixtures for open data: a consultation whose results are published and version 1 of the plan."""

from __future__ import annotations

from tests.action_plan.conftest import make_action, results  # noqa: F401
from tests.action_plan.test_exports import published_plan  # noqa: F401
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.voting.conftest import open_vote  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401
