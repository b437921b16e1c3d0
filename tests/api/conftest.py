"""Fixtures for the API: a consultation taking proposals, member organisations, tokens."""

from __future__ import annotations

import pytest

from tadamon.api import services as tokens
from tadamon.extensions import db
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.proposals.conftest import consultation  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401


@pytest.fixture
def make_token():
    def make(person, organisation, *scopes, name="outil"):
        made = tokens.create_token(person, organisation, name, scopes)
        db.session.commit()
        return made.secret

    return make


def bearer(secret, language="en"):
    return {"Authorization": f"Bearer {secret}", "Accept-Language": language}
