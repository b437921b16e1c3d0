"""Fixtures for membership: a published charter, fields of action, an applying organisation."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.membership import services
from tadamon.membership.models import FieldOfAction

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(data: bytes = PDF, name: str = "statutes.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), name, content_type="application/pdf")


@pytest.fixture
def steering(create_user):
    return create_user(roles=[Role.STEERING], name="Steering Member")


@pytest.fixture
def charter(steering):
    draft = services.start_charter_draft(steering)
    draft.title_fr = "Charte du réseau"
    draft.title_ar = "ميثاق الشبكة"
    services.save_principle(draft, None, {"title_ar": "التضامن", "title_fr": "Solidarité"})
    services.publish_charter(steering, draft)
    db.session.commit()
    return draft


@pytest.fixture
def education(app):
    field = FieldOfAction(name_ar="التعليم", name_fr="Éducation", name_en="Education")
    db.session.add(field)
    db.session.commit()
    return field


@pytest.fixture
def complete_application(charter, education):
    """Factory: an organisation whose application is complete (and submitted if asked)."""

    def make(representative, *, name_ar="جمعية الأمل للتنمية", submitted=True, approved=False):
        organisation = services.start_application(representative)
        services.update_application(
            organisation,
            services.ApplicationData(
                name_ar=name_ar, name_fr="Association Espoir", region="CAS", province="Settat",
                description_fr="Solidarité locale", contact_email="contact@example.org",
                field_ids=[education.id],
            ),
        )
        services.attach_statutes(organisation, pdf_upload(), representative)
        if submitted or approved:
            services.submit_application(organisation, representative, adheres=True)
        if approved:
            from sqlalchemy import select

            from tadamon.accounts.models import RoleAssignment, User

            steering_user = db.session.scalar(
                select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(RoleAssignment.role == "steering")
            )
            services.decide_application(steering_user, organisation, "approve", "")
        db.session.commit()
        return organisation

    return make
