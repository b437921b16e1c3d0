"""People act for organisations; invitations; the public directory and its Arabic-aware search."""

from __future__ import annotations

import re

from sqlalchemy import select

from tadamon.extensions import db
from tadamon.membership.models import Invitation, OrganisationMember


def invitation_link(messages):
    """The invitation's path, from the message (or the first of `messages`) that carries one."""
    for message in messages if isinstance(messages, list) else [messages]:
        found = re.search(r"http://localhost(/invitations/\S+)", message.text_body)
        if found:
            return found.group(1)
    raise AssertionError("no invitation link in these messages")


def test_invite_a_colleague_without_an_account_who_then_acts_for_the_organisation(
        app, client, create_user, login, complete_application, outbox):
    representative = create_user(email="rep@example.org")
    organisation = complete_application(representative, approved=True)
    login(client, representative)
    response = client.post(f"/membership/{organisation.id}/people",
                           data={"email": "Newcomer@Example.org", "role": "member"})
    assert response.status_code == 302
    (message,) = outbox(to="newcomer@example.org")
    link = invitation_link(message)
    newcomer = app.test_client()
    page = newcomer.get(link).get_data(as_text=True)
    assert "/account/register?next=" in page and "/account/login?next=" in page
    # the newcomer registers (verified through the factory here) and logs in
    person = create_user(email="newcomer@example.org")
    login(newcomer, person)
    response = newcomer.post(link)
    assert response.status_code == 302
    row = db.session.scalar(select(OrganisationMember).where(OrganisationMember.user_id == person.id))
    assert row.organisation_id == organisation.id and row.role == "member"
    header = newcomer.get("/").get_data(as_text=True)
    assert 'class="acting-for"' in header and "جمعية الأمل للتنمية" in header
    # single use
    assert app.test_client().get(link).status_code == 400


def test_expired_invitation_is_refused(app, client, create_user, login, complete_application, outbox):
    from datetime import timedelta

    from tadamon.core.db import utcnow

    representative = create_user()
    organisation = complete_application(representative, approved=True)
    login(client, representative)
    client.post(f"/membership/{organisation.id}/people", data={"email": "late@example.org", "role": "member"})
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = app.test_client().get(invitation_link(outbox(to="late@example.org")))
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_an_organisation_always_keeps_a_representative(client, create_user, login, complete_application):
    representative = create_user()
    organisation = complete_application(representative, approved=True)
    login(client, representative)
    mine = db.session.scalar(select(OrganisationMember).where(OrganisationMember.user_id == representative.id))
    client.post(f"/membership/{organisation.id}/people/{mine.id}/role", data={"role": "member"})
    assert mine.role == "representative"


def test_hand_over_the_representative_role(client, create_user, login, complete_application):
    representative, colleague = create_user(), create_user()
    organisation = complete_application(representative, approved=True)
    row = OrganisationMember(organisation_id=organisation.id, user_id=colleague.id, role="member")
    db.session.add(row)
    db.session.commit()
    login(client, representative)
    client.post(f"/membership/{organisation.id}/people/{row.id}/hand-over")
    roles = dict(db.session.execute(
        select(OrganisationMember.user_id, OrganisationMember.role)
        .where(OrganisationMember.organisation_id == organisation.id)).all())
    assert roles == {colleague.id: "representative", representative.id: "member"}


def test_a_person_in_two_organisations_chooses_which_one_they_act_for(
        client, create_user, login, complete_application):
    person = create_user()
    first = complete_application(person, name_ar="جمعية الأولى", approved=True)
    second = complete_application(person, name_ar="جمعية الثانية", approved=True)
    login(client, person)
    client.post("/acting-for", data={"organisation_id": second.id, "next": "/"})
    header = client.get("/").get_data(as_text=True)
    acting = header.split('class="acting-for"')[1].split("</strong>")[0]
    assert "جمعية الثانية" in acting
    client.post("/acting-for", data={"organisation_id": first.id, "next": "/"})
    acting = client.get("/").get_data(as_text=True).split('class="acting-for"')[1].split("</strong>")[0]
    assert "جمعية الأولى" in acting


def test_another_organisations_people_cannot_manage_people(app, create_user, login, complete_application):
    a_rep, b_rep = create_user(), create_user()
    organisation_a = complete_application(a_rep, approved=True)
    complete_application(b_rep, name_ar="جمعية باء", approved=True)
    client = app.test_client()
    login(client, b_rep)
    assert client.get(f"/membership/{organisation_a.id}/people").status_code == 403
    assert client.post(f"/membership/{organisation_a.id}/people",
                       data={"email": "x@example.org", "role": "representative"}).status_code == 403


def test_directory_search_ignores_arabic_spelling_variants(client, create_user, complete_application):
    representative = create_user()
    organisation = complete_application(representative, name_ar="جمعيّة الأمل للتنمية", approved=True)
    for query in ("جمعية", "جمعيه", "جمعـــية", "الامل", "الأمل", "جَمْعِيَّة", "espoir"):
        page = client.get("/organisations", query_string={"q": query}).get_data(as_text=True)
        assert f"/organisations/{organisation.id}" in page, query
    page = client.get("/organisations", query_string={"q": "غير موجود"}).get_data(as_text=True)
    assert f"/organisations/{organisation.id}" not in page


def test_directory_filters_and_counts(client, create_user, complete_application, education):
    organisation = complete_application(create_user(), approved=True)
    assert f"/organisations/{organisation.id}" in client.get(
        "/organisations", query_string={"region": "CAS", "field": education.id, "legal_form": "association"}
    ).get_data(as_text=True)
    assert f"/organisations/{organisation.id}" not in client.get(
        "/organisations", query_string={"region": "ORI"}).get_data(as_text=True)
    # bad filter values are ignored, never a 500
    assert client.get("/organisations", query_string={"field": "abc", "page": "x"}).status_code == 200
    assert client.get(f"/organisations/{organisation.id}").status_code == 200


def test_directory_pages_use_a_constant_number_of_queries(app, client, create_user, complete_application,
                                                          monkeypatch):
    from sqlalchemy import event

    # The periodic work runs at most every 30 s in production, not on every request as in tests
    # (what it does depends on what is due, so it would make the counts differ).
    monkeypatch.setitem(app.config, "TICK_EVERY_SECONDS", 3600)
    client.get("/organisations")  # the first request runs the periodic work

    def queries(path):
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    rep = create_user()
    complete_application(rep, name_ar="جمعية 1", approved=True)
    few = queries("/organisations")
    for number in range(2, 12):
        complete_application(create_user(), name_ar=f"جمعية {number}", approved=True)
    assert queries("/organisations") == few


def test_pending_applications_are_not_in_the_directory(client, create_user, complete_application):
    organisation = complete_application(create_user(), submitted=True)
    assert f"/organisations/{organisation.id}" not in client.get("/organisations").get_data(as_text=True)
    assert client.get(f"/organisations/{organisation.id}").status_code == 404
