"""Applying on behalf of an organisation, and the steering group's decisions."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.core.audit import AuditEntry
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tests.membership.conftest import PDF, pdf_upload


def start(client):
    response = client.post("/membership/apply")
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def form_data(**overrides):
    data = {"name_ar": "", "name_fr": "Association Espoir", "legal_form": "association", "region": "CAS",
            "province": "Settat", "description_fr": "Solidarité", "contact_email": "c@example.org",
            "next_step": "save"}
    data.update(overrides)
    return data


def test_bad_input_gets_clear_messages_and_nothing_is_lost(client, create_user, login, charter, tmp_path):
    login(client, create_user())
    organisation_id = start(client)
    url = f"/membership/{organisation_id}/edit"
    big = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n"
    response = client.post(url, data={**form_data(), "statutes": pdf_upload(big)},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert "The statutes must be a PDF of at most 5 MB." in body
    assert 'value="Association Espoir"' in body
    response = client.post(url, data={**form_data(), "statutes": pdf_upload(b"hello, not a pdf", "fake.pdf")},
                           content_type="multipart/form-data")
    assert "This file is not a PDF." in response.get_data(as_text=True)
    response = client.post(url, data=form_data(region="XXX"), content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert "Choose one of Morocco&#39;s twelve regions." in body or "Choose one of Morocco's twelve regions." in body
    assert 'value="Settat"' in body
    organisation = db.session.get(Organisation, organisation_id)
    assert organisation.region == "" and organisation.statutes is None


def test_a_valid_statutes_file_is_kept_even_when_another_field_fails(client, create_user, login, charter):
    login(client, create_user())
    organisation_id = start(client)
    client.post(f"/membership/{organisation_id}/edit",
                data={**form_data(contact_email="broken"), "statutes": pdf_upload()},
                content_type="multipart/form-data")
    assert db.session.get(Organisation, organisation_id).statutes is not None


def test_missing_name_blocks_submission_with_the_list_of_what_is_missing(client, create_user, login, charter):
    login(client, create_user())
    organisation_id = start(client)
    client.post(f"/membership/{organisation_id}/edit", data=form_data(name_fr=""), content_type="multipart/form-data")
    response = client.post(f"/membership/{organisation_id}/submit", data={"adhere": "y"})
    body = response.get_data(as_text=True)
    assert "the organisation&#39;s name, in Arabic or French" in body
    assert "the statutes (PDF)" in body
    assert db.session.get(Organisation, organisation_id).state == "draft"


def test_submission_requires_adherence_to_the_charter(client, create_user, login, charter):
    login(client, create_user())
    organisation_id = start(client)
    client.post(f"/membership/{organisation_id}/edit", data={**form_data(), "statutes": pdf_upload()},
                content_type="multipart/form-data")
    response = client.post(f"/membership/{organisation_id}/submit", data={})
    assert "must adhere to the network" in response.get_data(as_text=True)
    response = client.post(f"/membership/{organisation_id}/submit", data={"adhere": "y"})
    assert response.status_code == 302
    assert db.session.get(Organisation, organisation_id).state == "submitted"


def test_the_whole_decision_cycle_is_recorded_and_notified(app, client, create_user, login, steering,
                                                         complete_application, outbox):
    applicant = create_user(email="applicant@example.org", language="ar")
    organisation = complete_application(applicant)
    reviewer = app.test_client()
    login(reviewer, steering)
    assert "جمعية الأمل للتنمية" in reviewer.get("/steering/applications").get_data(as_text=True)
    url = f"/steering/applications/{organisation.id}"
    missing_reason = reviewer.post(url, data={"decision": "reject", "message": ""})
    assert "a message is required" in missing_reason.get_data(as_text=True)
    reviewer.post(url, data={"decision": "request_changes", "message": "Merci de préciser vos activités."})
    assert organisation.state == "changes_requested"
    from tadamon.core.notifications import Notification

    note = db.session.scalar(select(Notification).where(Notification.user_id == applicant.id,
                                                        Notification.kind == "membership.changes_requested"))
    assert note is not None and "Merci de préciser vos activités." in note.params["message"]
    (email,) = [m for m in outbox(to="applicant@example.org") if "Merci de préciser" in m.text_body]
    assert email.language == "ar" and 'dir="rtl"' in email.html_body
    login(client, applicant)
    page = client.get(f"/membership/{organisation.id}").get_data(as_text=True)
    assert "Merci de préciser vos activités." in page
    client.post(f"/membership/{organisation.id}/edit", data=form_data(description_fr="Plus de détails"),
                content_type="multipart/form-data")
    client.post(f"/membership/{organisation.id}/submit", data={"adhere": "y"})
    assert organisation.state == "submitted"
    reviewer.post(url, data={"decision": "approve", "message": ""})
    assert organisation.state == "approved" and organisation.approved_at is not None
    states = [event.to_state for event in organisation.events]
    assert states == ["draft", "submitted", "changes_requested", "submitted", "approved"]
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "organisation")))
    assert {"membership.changes_requested", "membership.approved"} <= actions
    # a decided application cannot be decided again
    again = reviewer.post(url, data={"decision": "reject", "message": "late"})
    assert organisation.state == "approved"
    assert again.status_code in (200, 302)


def test_suspended_members_keep_read_access_but_cannot_take_part(app, client, create_user, login, steering,
                                                               complete_application):
    from tadamon.core.permissions import can

    representative = create_user()
    organisation = complete_application(representative, approved=True)
    reviewer = app.test_client()
    login(reviewer, steering)
    reviewer.post(f"/steering/applications/{organisation.id}/suspend", data={"message": "Cotisation impayée"})
    assert organisation.state == "suspended"
    login(client, representative)
    assert client.get(f"/membership/{organisation.id}").status_code == 200
    with app.test_request_context():
        assert not can("membership.take_part", organisation, user=representative)
    reviewer.post(f"/steering/applications/{organisation.id}/reinstate")
    with app.test_request_context():
        assert can("membership.take_part", organisation, user=representative)


def test_a_new_charter_version_requires_adherence_again(app, client, create_user, login, steering,
                                                        complete_application):
    from tadamon.core.permissions import can
    from tadamon.membership import services

    representative = create_user()
    organisation = complete_application(representative, approved=True)
    draft = services.start_charter_draft(steering)
    services.save_principle(draft, None, {"title_fr": "Participation"})
    services.publish_charter(steering, draft)
    db.session.commit()
    with app.test_request_context():
        assert not can("membership.take_part", organisation, user=representative)
    login(client, representative)
    client.post(f"/membership/{organisation.id}/adhere")
    with app.test_request_context():
        assert can("membership.take_part", organisation, user=representative)
    # the older version stays readable
    assert client.get("/charter/v1").status_code == 200


def test_statutes_are_served_only_to_the_organisation_and_the_steering_group(
        app, create_user, login, steering, complete_application):
    representative = create_user()
    organisation = complete_application(representative)
    outsider_organisation_rep = create_user()
    complete_application(outsider_organisation_rep, name_ar="جمعية أخرى")
    for user, expected in ((representative, 200), (steering, 200), (outsider_organisation_rep, 403)):
        client = app.test_client()
        login(client, user)
        response = client.get(f"/membership/{organisation.id}/statutes")
        assert response.status_code == expected
        if expected == 200:
            assert response.data == PDF
            assert response.headers["Content-Type"] == "application/pdf"
        response.close()
    anonymous = app.test_client().get(f"/membership/{organisation.id}/statutes")
    assert anonymous.status_code == 302


def test_another_organisation_cannot_see_or_edit_a_draft(app, create_user, login, charter):
    owner, stranger = create_user(), create_user()
    owner_client, stranger_client = app.test_client(), app.test_client()
    login(owner_client, owner)
    login(stranger_client, stranger)
    organisation_id = start(owner_client)
    for path in (f"/membership/{organisation_id}", f"/membership/{organisation_id}/edit",
                 f"/membership/{organisation_id}/people", f"/organisations/{organisation_id}"):
        assert stranger_client.get(path).status_code in (403, 404), path
    response = stranger_client.post(f"/membership/{organisation_id}/edit", data=form_data(),
                                    content_type="multipart/form-data")
    assert response.status_code == 403
