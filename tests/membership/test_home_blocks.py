"""The membership blocks of the home page: the invitations waiting for the person (current
ones only, with the organisation's name and when they expire) and, for the steering group, the
applications to decide, oldest first; read in one query."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.membership.models import Invitation, MembershipState, Organisation, OrganisationRole


def _invitation(organisation, email, *, expires_at, revoked=False):
    return Invitation(organisation_id=organisation.id, email=email, role=OrganisationRole.MEMBER,
                      token_hash=secrets.token_hex(32), expires_at=expires_at,
                      revoked_at=utcnow() if revoked else None)


def test_invitations_and_applications_on_the_home_page(app, client, login, create_user):
    person = create_user(email="hind@example.org")
    steering = create_user(roles=[Role.STEERING])
    now = utcnow()
    inviting = Organisation(name_fr="Association Nour", region="CAS", state=MembershipState.APPROVED)
    revoking = Organisation(name_fr="Association Retirée", region="CAS", state=MembershipState.APPROVED)
    expired = Organisation(name_fr="Association Ancienne", region="CAS", state=MembershipState.APPROVED)
    newer = Organisation(name_fr="Candidate Récente", region="TTA", state=MembershipState.SUBMITTED,
                         submitted_at=now - timedelta(days=1))
    older = Organisation(name_fr="Candidate Ancienne", region="TTA", state=MembershipState.SUBMITTED,
                         submitted_at=now - timedelta(days=9))
    db.session.add_all([inviting, revoking, expired, newer, older])
    db.session.flush()
    expiry = datetime(2099, 3, 14, 12, tzinfo=UTC)
    db.session.add_all([_invitation(inviting, "hind@example.org", expires_at=expiry),
                        _invitation(revoking, "hind@example.org", expires_at=expiry, revoked=True),
                        _invitation(expired, "hind@example.org", expires_at=now - timedelta(days=1))])
    db.session.commit()

    login(client, person)
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Invitations to act for an organisation" in page
    assert "Association Nour" in page and "2099" in page
    assert "Association Retirée" not in page and "Association Ancienne" not in page
    assert "Applications to decide" not in page

    reviewer = app.test_client()
    login(reviewer, steering)
    page = reviewer.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Applications to decide" in page
    assert page.index("Candidate Ancienne") < page.index("Candidate Récente")  # oldest first
    assert "Invitations to act for an organisation" not in page
