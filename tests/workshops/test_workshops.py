"""Creating workshops with bad input, registration with a waiting list, attendance, calendars."""

from __future__ import annotations

import io

from icalendar import Calendar
from sqlalchemy import func, select

from tadamon.core.audit import AuditEntry
from tadamon.extensions import db
from tadamon.workshops.models import Registration, Workshop
from tests.membership.conftest import PDF


def form(theme, **overrides):
    data = {"title_fr": "Atelier régional", "theme_id": str(theme.id), "scope": "national", "format": "in_person",
            "venue": "Salle", "address": "Fès", "starts_at": "2027-03-14T09:30", "ends_at": "2027-03-14T17:00",
            "capacity": "20"}
    data.update(overrides)
    return data


def test_bad_input_gets_clear_messages_and_nothing_is_lost(client, login, facilitator, theme):
    login(client, facilitator)
    cases = [
        (form(theme, ends_at="2027-03-14T08:00"), "The end must come after the start."),
        (form(theme, capacity="0"), "The capacity is at least one organisation."),
        (form(theme, format="online", venue="", address="", online_link=""), "needs the link to join it"),
        (form(theme, scope="regional"), "Choose the regions of a regional workshop"),
        (form(theme, starts_at="not a date"), "Enter a date and time"),
    ]
    for data, message in cases:
        response = client.post("/workshops/new", data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, message
        assert message in body, message
        assert 'value="Atelier régional"' in body
    assert db.session.scalar(select(Workshop)) is None


def test_a_20_mb_agenda_is_refused_and_a_pdf_accepted(client, login, facilitator, open_workshop):
    workshop = open_workshop()
    login(client, facilitator)
    big = io.BytesIO(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024) + b"\n%%EOF\n")
    response = client.post(f"/workshops/{workshop.id}/documents", data={"kind": "agenda", "document": (big, "agenda.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code in (400, 413)
    text = response.get_data(as_text=True)
    assert "10 MB" in text or "File too large" in text
    response = client.post(f"/workshops/{workshop.id}/documents",
                           data={"kind": "agenda", "document": (io.BytesIO(b"MZ not a document"), "agenda.pdf")},
                           content_type="multipart/form-data")
    assert "Send a PDF or an office document" in response.get_data(as_text=True)
    response = client.post(f"/workshops/{workshop.id}/documents",
                           data={"kind": "agenda", "title": "Ordre du jour", "document": (io.BytesIO(PDF), "agenda.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    (document,) = workshop.documents
    download = client.get(f"/workshops/{workshop.id}/documents/{document.id}")
    assert download.data == PDF
    download.close()


def test_office_documents_are_recognised_by_content():
    import zipfile

    from tadamon.core.uploads import sniff

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert sniff(buffer.getvalue()) == "docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert sniff(buffer.getvalue()) == "odt"
    assert sniff(b"PK\x03\x04garbage") is None
    assert sniff(b"%PDF-1.7 but no end") is None


def test_three_organisations_for_two_places_the_third_waits_and_moves_up(
        app, login, members, open_workshop, facilitator, outbox):
    workshop = open_workshop(capacity=2)
    clients = []
    for representative, _organisation in members:
        client = app.test_client()
        login(client, representative)
        response = client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina\nYoussef"})
        assert response.status_code == 302
        clients.append(client)
    statuses = [db.session.scalar(select(Registration.status).where(Registration.organisation_id == o.id))
                for _, o in members]
    assert statuses == ["pending", "pending", "waitlisted"]
    # the second organisation withdraws: the third moves up and is told
    second = db.session.scalar(select(Registration).where(Registration.organisation_id == members[1][1].id))
    clients[1].post(f"/workshops/{workshop.id}/registrations/{second.id}/withdraw")
    third = db.session.scalar(select(Registration).where(Registration.organisation_id == members[2][1].id))
    assert third.status == "pending"
    assert any(m.recipient == "rep2@example.org" and "place" in m.subject.lower() for m in outbox())
    # registering twice is refused with a message
    again = clients[0].post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    assert 'flash-error' in again.get_data(as_text=True)  # shown in the representative's Arabic
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.organisation_id == members[0][1].id)) == 1


def test_facilitator_accepts_declines_and_records_attendance(app, client, login, members, open_workshop, facilitator):
    workshop = open_workshop(capacity=1)
    for representative, _ in members[:2]:
        representative_client = app.test_client()
        login(representative_client, representative)
        representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Une personne"})
    first, second = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    assert (first.status, second.status) == ("pending", "waitlisted")
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/registrations/{first.id}/decide", data={"decision": "decline"})
    assert first.status == "declined" and second.status == "pending"
    client.post(f"/workshops/{workshop.id}/registrations/{second.id}/decide", data={"decision": "accept"})
    assert second.status == "accepted"
    client.post(f"/workshops/{workshop.id}/attendance", data={f"attended-{second.id}": "y", f"present-{second.id}": "3"})
    assert second.attended is True and second.attendees_present == 3
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"registration.declined", "registration.accepted", "workshop.attendance_recorded"} <= actions


def test_a_facilitator_of_workshop_a_cannot_manage_workshop_b(app, create_user, login, open_workshop):
    from tadamon.core.permissions import Role

    workshop = open_workshop()
    stranger = create_user(roles=[Role.FACILITATOR])
    client = app.test_client()
    login(client, stranger)
    assert client.get(f"/workshops/{workshop.id}/manage").status_code == 403
    assert client.post(f"/workshops/{workshop.id}/status", data={"status": "in_progress"}).status_code == 403


def test_online_link_is_shown_only_to_registered_organisations(app, login, members, facilitator, theme):
    from datetime import timedelta

    from tadamon.core.db import utcnow
    from tadamon.workshops import services
    from tadamon.workshops.models import WorkshopStatus

    start = utcnow() + timedelta(days=3)
    workshop = services.create_workshop(facilitator, services.WorkshopData(
        title_fr="En ligne", theme_id=theme.id, format="online", online_link="https://meet.example.org/solidarite",
        starts_at=start, ends_at=start + timedelta(hours=2), capacity=5))
    services.move_workshop_status(facilitator, workshop, WorkshopStatus.REGISTRATION_OPEN)
    db.session.commit()
    anonymous = app.test_client().get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "meet.example.org" not in anonymous
    registered = app.test_client()
    login(registered, members[0][0])
    registered.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    assert "meet.example.org" in registered.get(f"/workshops/{workshop.id}").get_data(as_text=True)


def test_icalendar_file_and_feed(client, open_workshop):
    workshop = open_workshop()
    response = client.get(f"/workshops/{workshop.id}.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["summary"]) in ("Atelier solidarité", "ورشة التضامن")
    assert event.decoded("dtstart") == workshop.starts_at.replace(microsecond=0)
    feed = Calendar.from_ical(client.get("/workshops/calendar.ics").data)
    assert len(feed.walk("VEVENT")) == 1


def test_lists_filter_and_stay_constant_in_queries(client, open_workshop, theme):
    from sqlalchemy import event

    open_workshop()
    page = client.get("/workshops", query_string={"theme": theme.id, "format": "in_person", "region": "CAS"})
    assert "Atelier solidarité" in page.get_data(as_text=True) or "ورشة التضامن" in page.get_data(as_text=True)
    assert "Atelier" not in client.get("/workshops", query_string={"format": "online"}).get_data(as_text=True)
    assert client.get("/workshops", query_string={"when": "past", "theme": "x", "page": "y"}).status_code == 200

    def queries():
        db.session.expire_all()
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get("/workshops")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    for _ in range(2):
        open_workshop()
    few = queries()
    for _ in range(6):
        open_workshop()
    assert queries() == few


def test_steering_calendar_month_view(client, login, steering, open_workshop):
    workshop = open_workshop()
    login(client, steering)
    local = workshop.starts_at
    page = client.get("/steering/calendar", query_string={"year": local.year, "month": local.month})
    assert f"/workshops/{workshop.id}" in page.get_data(as_text=True)
    assert client.get("/steering/calendar", query_string={"year": "x", "month": "13"}).status_code == 200


def test_what_was_produced_in_the_room_keeps_its_provenance(app, client, login, members, open_workshop, facilitator):
    workshop = open_workshop()
    representative, organisation = members[0]
    representative_client = app.test_client()
    login(representative_client, representative)
    representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    login(client, facilitator)
    outsider = members[2][1]
    refused = client.post(f"/workshops/{workshop.id}/room", data={
        "part": "record", "kind": "paper_proposal", "organisation_id": str(outsider.id),
        "body": "Créer un fonds de garantie", "language": "fr"})
    assert "Choose an organisation registered in this workshop." in refused.get_data(as_text=True)
    assert "Créer un fonds de garantie" in refused.get_data(as_text=True)
    client.post(f"/workshops/{workshop.id}/room", data={
        "part": "record", "kind": "paper_proposal", "organisation_id": str(organisation.id),
        "title": "صندوق ضمان", "body": "إحداث صندوق ضمان للتعاونيات النسائية", "language": "ar"})
    client.post(f"/workshops/{workshop.id}/room", data={
        "part": "minutes", "minutes_fr": "Vingt organisations présentes.\n\nTrois propositions retenues."})
    page = app.test_client().get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "إحداث صندوق ضمان للتعاونيات النسائية" in page
    assert "Recorded at the workshop by <bdi>Nadia Facilitatrice</bdi> (facilitation)" in page
    assert "جمعية الأمل" in page
    assert "Trois propositions retenues." in page


def test_the_public_profile_lists_the_workshops_an_organisation_took_part_in(app, client, login, members,
                                                                               open_workshop, facilitator):
    workshop = open_workshop()
    representative, organisation = members[0]
    representative_client = app.test_client()
    login(representative_client, representative)
    representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    registration = db.session.scalar(select(Registration))
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/registrations/{registration.id}/decide", data={"decision": "accept"})
    page = app.test_client().get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert f"/workshops/{workshop.id}" in page


def test_notifications_speak_the_readers_language(app, client, login, members, open_workshop, facilitator):
    from tadamon.core.notifications import Notification
    from tadamon.workshops.models import REGISTRATION_STATUS_LABELS

    workshop = open_workshop()
    representative, _ = members[0]  # prefers Arabic
    representative_client = app.test_client()
    login(representative_client, representative)
    representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    registration = db.session.scalar(select(Registration))
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/registrations/{registration.id}/decide", data={"decision": "accept"},
                headers={"Accept-Language": "fr"})
    # An acceptance says when the workshop starts (core.times), in the reader's language.
    note = db.session.scalar(select(Notification).where(Notification.kind == "workshops.registration_accepted"))
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        from flask_babel import force_locale

        from tadamon.core import times

        with force_locale("ar"):
            text = note.text
            expected = times.format_datetime(workshop.starts_at, workshop.time_zone)
    assert expected in text and "ورشة التضامن" in text
    client.post(f"/workshops/{workshop.id}/registrations/{registration.id}/decide", data={"decision": "decline"})
    note = db.session.scalar(select(Notification).where(Notification.kind == "workshops.registration_decided"))
    with app.test_request_context(), force_locale("ar"):
        assert str(REGISTRATION_STATUS_LABELS["declined"]) in note.text


def test_an_organisation_that_leaves_gives_its_place_back(app, login, members, open_workshop):
    workshop = open_workshop(capacity=1)
    clients = []
    for representative, _ in members[:2]:
        representative_client = app.test_client()
        login(representative_client, representative)
        representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
        clients.append(representative_client)
    leaving = members[0][1]
    clients[0].post(f"/membership/{leaving.id}/leave")
    statuses = dict(db.session.execute(select(Registration.organisation_id, Registration.status)).all())
    assert statuses == {leaving.id: "withdrawn", members[1][1].id: "pending"}
