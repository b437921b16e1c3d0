"""An organisation co-signing twice in parallel gets one co-signature (SQLite; PostgreSQL in CI)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.proposals import services as proposals
from tadamon.proposals.models import CoSignature, Proposal
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase, Theme
from tests import support
from tests.membership.conftest import PDF
from tests.membership.test_parallel import logged_in_client, make_user
from tests.test_concurrency import run_in_parallel

PARALLEL = 8


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def _organisation(steering, email, name):
    person = make_user(email)
    organisation = membership.start_application(person)
    membership.update_application(organisation, membership.ApplicationData(
        name_fr=name, region="DTA", province="Errachidia", description_fr="x", contact_email="c@example.org"))
    membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), person)
    membership.submit_application(organisation, person, adheres=True)
    membership.decide_application(steering, organisation, "approve", "")
    return person, organisation


def test_parallel_cosignatures_of_one_organisation_make_one(live_app):
    with live_app.app_context():
        steering = make_user("steering@example.org", "steering")
        facilitator = make_user("facilitator@example.org", "facilitator")
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte"
        membership.save_principle(draft, None, {"title_fr": "Solidarité"})
        membership.publish_charter(steering, draft)
        author, author_org = _organisation(steering, "author@example.org", "Auteur")
        supporter, _ = _organisation(steering, "supporter@example.org", "Soutien")
        theme = Theme(name_fr="Thème")
        db.session.add(theme)
        db.session.flush()
        start = utcnow() + timedelta(days=2)
        workshop = workshops.create_workshop(facilitator, workshops.WorkshopData(
            title_fr="Atelier", theme_id=theme.id, venue="Salle", starts_at=start, ends_at=start + timedelta(hours=2),
            capacity=5))
        consultation = workshops.save_consultation(facilitator, None, workshop, workshops.ConsultationData(
            question_fr="Q ?", max_approvals=2))
        workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
        data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
        proposal = proposals.save_draft(consultation, author_org, author, data)
        proposals.publish(proposal, author, data)
        db.session.commit()
        proposal_id, supporter_id = proposal.id, supporter.id
    clients = [logged_in_client(live_app, supporter_id) for _ in range(PARALLEL)]
    statuses = run_in_parallel(lambda i: clients[i].post(f"/proposals/{proposal_id}/cosign").status_code, PARALLEL)
    assert statuses == [302] * PARALLEL
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoSignature)) == 1
        assert db.session.get(Proposal, proposal_id).cosignature_count == 1
