"""Fixtures for workshops: a theme, a facilitator, member organisations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.workshops import services
from tadamon.workshops.models import Theme, WorkshopStatus
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401


@pytest.fixture
def theme(app):
    item = Theme(name_ar="الاقتصاد التضامني", name_fr="Économie solidaire", name_en="Solidarity economy")
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def facilitator(create_user):
    return create_user(roles=[Role.FACILITATOR], name="Nadia Facilitatrice", email="facilitator@example.org")


@pytest.fixture
def members(create_user, complete_application):
    """Three approved member organisations, each with its representative."""
    result = []
    for index, name in enumerate(("جمعية الأمل", "Association Atlas", "تعاونية الواحة")):
        representative = create_user(email=f"rep{index}@example.org", language=("ar", "fr", "en")[index])
        organisation = complete_application(representative, name_ar=name, approved=True)
        result.append((representative, organisation))
    return result


@pytest.fixture
def open_workshop(facilitator, theme):
    def make(capacity=2):
        start = utcnow() + timedelta(days=7)
        workshop = services.create_workshop(facilitator, services.WorkshopData(
            title_ar="ورشة التضامن", title_fr="Atelier solidarité", theme_id=theme.id, venue="Maison des associations",
            address="Rabat", starts_at=start, ends_at=start + timedelta(hours=5), capacity=capacity))
        services.move_workshop_status(facilitator, workshop, WorkshopStatus.REGISTRATION_OPEN)
        db.session.commit()
        return workshop

    return make
