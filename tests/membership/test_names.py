"""An approved organisation's representatives name it in Arabic, French and English; each
reader then sees it in their language (issue 14, names in the reader's language)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tadamon.core.audit import AuditEntry
from tadamon.extensions import db


@pytest.fixture
def members(create_user, complete_application):
    """Two approved member organisations, each with its representative."""
    result = []
    for index, name in enumerate(("جمعية الأمل", "جمعية الواحة")):
        representative = create_user(email=f"rep{index}@example.org", language="en")
        result.append((representative, complete_application(representative, name_ar=name, approved=True)))
    return result


def test_a_representative_gives_the_english_name_after_approval(client, login, members):
    representative, organisation = members[0]
    representative.preferred_language = "en"
    db.session.commit()
    login(client, representative)
    assert f'href="/membership/{organisation.id}/names"' in client.get(f"/membership/{organisation.id}").get_data(True)
    form = client.get(f"/membership/{organisation.id}/names").get_data(as_text=True)
    assert organisation.name_ar in form
    response = client.post(f"/membership/{organisation.id}/names",
                           data={"name_ar": organisation.name_ar, "name_fr": "Association Espoir",
                                 "name_en": "Hope Association"})
    assert response.status_code == 302
    db.session.refresh(organisation)
    assert organisation.name_en == "Hope Association"
    assert "Hope Association" in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.renamed"))
    assert entry is not None and entry.object_id == str(organisation.id)


def test_a_name_is_required_and_others_cannot_rename(app, client, login, members):
    representative, organisation = members[0]
    representative.preferred_language = "en"
    db.session.commit()
    login(client, representative)
    refused = client.post(f"/membership/{organisation.id}/names", data={"name_en": "Only English"})
    assert refused.status_code == 200 and "Give the organisation" in refused.get_data(as_text=True)
    assert 'value="Only English"' in refused.get_data(as_text=True)  # what was typed is kept
    other = app.test_client()
    login(other, members[1][0])
    assert other.post(f"/membership/{organisation.id}/names", data={"name_ar": "x"}).status_code == 403
