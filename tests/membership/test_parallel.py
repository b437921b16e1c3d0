"""Parallel decisions and invitation acceptances leave one consistent outcome.

Real commits on a fresh database: SQLite here, PostgreSQL with TEST_DATABASE_URL (in CI).
"""

from __future__ import annotations

import io
import re
import secrets

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import RoleAssignment, User, UserSession, token_digest
from tadamon.accounts.passwords import hash_password
from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.core.mail import OutboxMessage
from tadamon.extensions import db
from tadamon.membership import services
from tadamon.membership.models import MembershipEvent, Organisation, OrganisationMember
from tests import support
from tests.membership.conftest import PDF
from tests.test_concurrency import run_in_parallel

PARALLEL = 8


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def make_user(email, role=None):
    now = utcnow()
    user = User(email=email, display_name=email.split("@")[0], password_hash=hash_password("x" * 12),
                preferred_language="fr", email_verified_at=now, privacy_consent_at=now,
                totp_secret="JBSWY3DPEHPK3PXP" if role else None, totp_enabled_at=now if role else None)
    if role:
        user.role_assignments.append(RoleAssignment(role=role))
    db.session.add(user)
    db.session.flush()
    return user


def logged_in_client(app, user_id):
    session_id = secrets.token_urlsafe(16)
    with app.app_context():
        db.session.add(UserSession(user_id=user_id, token_hash=token_digest(session_id)))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": str(user_id), "_fresh": True, "sid": session_id})
    return client


def submitted_organisation(app):
    with app.app_context():
        steering = make_user("steering@example.org", "steering")
        applicant = make_user("applicant@example.org")
        draft = services.start_charter_draft(steering)
        draft.title_fr = "Charte"
        services.save_principle(draft, None, {"title_fr": "Solidarité"})
        services.publish_charter(steering, draft)
        organisation = services.start_application(applicant)
        services.update_application(organisation, services.ApplicationData(
            name_fr="Association Parallèle", region="RSK", province="Salé", description_fr="x",
            contact_email="c@example.org"))
        services.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), applicant)
        services.submit_application(organisation, applicant, adheres=True)
        db.session.commit()
        return organisation.id, steering.id, applicant.id


def test_parallel_decisions_leave_one_outcome(live_app):
    organisation_id, steering_id, _ = submitted_organisation(live_app)
    clients = [logged_in_client(live_app, steering_id) for _ in range(PARALLEL)]

    def decide(index):
        decision = {"decision": "approve"} if index % 2 else {"decision": "reject", "message": "Non."}
        return clients[index].post(f"/steering/applications/{organisation_id}", data=decision).status_code

    statuses = run_in_parallel(decide, PARALLEL)
    assert all(status in (200, 302) for status in statuses), statuses
    with live_app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        decisions = db.session.scalars(
            select(MembershipEvent.to_state).where(
                MembershipEvent.organisation_id == organisation_id,
                MembershipEvent.to_state.in_(["approved", "rejected"]))
        ).all()
        assert len(decisions) == 1
        assert organisation.state == decisions[0]
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(["membership.approved", "membership.rejected"])))
        assert audited == 1


def test_parallel_acceptances_of_one_invitation_let_one_person_in(live_app):
    organisation_id, steering_id, applicant_id = submitted_organisation(live_app)
    with live_app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        services.decide_application(db.session.get(User, steering_id), organisation, "approve", "")
        services.invite(organisation, db.session.get(User, applicant_id), email="guest@example.org",
                        role="member", language="fr")
        people = [make_user(f"guest{n}@example.org").id for n in range(PARALLEL)]
        db.session.commit()
        body = db.session.scalar(select(OutboxMessage.text_body).where(OutboxMessage.recipient == "guest@example.org"))
    link = re.search(r"http://localhost(/invitations/\S+)", body).group(1)
    clients = [logged_in_client(live_app, person) for person in people]
    statuses = run_in_parallel(lambda index: clients[index].post(link).status_code, PARALLEL)
    assert statuses.count(302) == 1, statuses
    with live_app.app_context():
        joined = db.session.scalar(select(func.count()).select_from(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation_id, OrganisationMember.role == "member"))
        assert joined == 1
