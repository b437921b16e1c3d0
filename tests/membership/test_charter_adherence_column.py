"""The charter adherence a page reads within its own query says what
`adheres_to_current_charter` says: before any charter, after one is published, after adhering,
and after a new version is published."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.extensions import db
from tadamon.membership import services
from tadamon.membership.models import MembershipState, Organisation


def _column_says(organisation):
    return bool(db.session.scalar(select(services.current_charter_adherence(organisation.id))))


def _service_says(app, organisation):
    with app.test_request_context("/"):  # a fresh request: nothing remembered
        return services.adheres_to_current_charter(organisation)


def test_the_column_agrees_with_the_service(app, steering, create_user):
    organisation = Organisation(name_fr="Association Nour", region="CAS", state=MembershipState.APPROVED)
    other = Organisation(name_fr="Association Amal", region="CAS", state=MembershipState.APPROVED)
    db.session.add_all([organisation, other])
    db.session.commit()
    assert _column_says(organisation) is _service_says(app, organisation) is True  # nothing to adhere to yet

    draft = services.start_charter_draft(steering)
    draft.title_fr = "Charte"
    services.save_principle(draft, None, {"title_ar": "التضامن", "title_fr": "Solidarité"})
    services.publish_charter(steering, draft)
    db.session.commit()
    assert _column_says(organisation) is _service_says(app, organisation) is False

    services.adhere_to_current_charter(organisation, create_user())
    db.session.commit()
    assert _column_says(organisation) is _service_says(app, organisation) is True
    assert _column_says(other) is _service_says(app, other) is False  # adherence is per organisation

    second = services.start_charter_draft(steering)
    services.save_principle(second, None, {"title_ar": "الشفافية", "title_fr": "Transparence"})
    services.publish_charter(steering, second)
    db.session.commit()
    assert _column_says(organisation) is _service_says(app, organisation) is False  # the new version is not adhered


def test_a_remembered_answer_spares_the_query(app, steering):
    organisation = Organisation(name_fr="Association Nour", region="CAS", state=MembershipState.APPROVED)
    db.session.add(organisation)
    db.session.commit()
    with app.test_request_context("/"):
        services.remember_adherence(organisation.id, False)  # what a page's own query read
        assert services.adheres_to_current_charter(organisation) is False
