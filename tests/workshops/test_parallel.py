"""Parallel registrations never exceed a workshop's capacity (SQLite here; PostgreSQL in CI)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.workshops import services
from tadamon.workshops.models import Registration, Theme, WorkshopStatus
from tests import support
from tests.membership.conftest import PDF
from tests.membership.test_parallel import logged_in_client, make_user
from tests.test_concurrency import run_in_parallel

PARALLEL = 8


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def test_parallel_registrations_for_the_last_places_respect_capacity(live_app):
    with live_app.app_context():
        steering = make_user("steering@example.org", "steering")
        facilitator = make_user("facilitator@example.org", "facilitator")
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte"
        membership.save_principle(draft, None, {"title_fr": "Solidarité"})
        membership.publish_charter(steering, draft)
        representatives = []
        for index in range(PARALLEL):
            person = make_user(f"rep{index}@example.org")
            organisation = membership.start_application(person)
            membership.update_application(organisation, membership.ApplicationData(
                name_fr=f"Association {index}", region="FME", province="Fès", description_fr="x",
                contact_email="c@example.org"))
            membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), person)
            membership.submit_application(organisation, person, adheres=True)
            membership.decide_application(steering, organisation, "approve", "")
            representatives.append(person.id)
        theme = Theme(name_fr="Thème")
        db.session.add(theme)
        db.session.flush()
        start = utcnow() + timedelta(days=5)
        workshop = services.create_workshop(facilitator, services.WorkshopData(
            title_fr="Atelier", theme_id=theme.id, venue="Salle", starts_at=start,
            ends_at=start + timedelta(hours=3), capacity=3))
        services.move_workshop_status(facilitator, workshop, WorkshopStatus.REGISTRATION_OPEN)
        db.session.commit()
        workshop_id = workshop.id
    clients = [logged_in_client(live_app, person) for person in representatives]
    statuses = run_in_parallel(
        lambda index: clients[index].post(f"/workshops/{workshop_id}/register", data={"attendees": "A"}).status_code,
        PARALLEL)
    assert statuses == [302] * PARALLEL
    with live_app.app_context():
        counts = dict(db.session.execute(
            select(Registration.status, func.count()).where(Registration.workshop_id == workshop_id)
            .group_by(Registration.status)).all())
    assert counts == {"pending": 3, "waitlisted": PARALLEL - 3}
