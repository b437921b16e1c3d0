"""Work that flows for facilitators (issue 14, deliverable 8): a confirmation before each
phase move, undoing a decline, deciding several registrations at once, the attendance sheet,
the dashboard's workshop column and a way back from every form."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tadamon.core.audit import AuditEntry
from tadamon.core.notifications import Notification
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.workshops import services
from tadamon.workshops.models import (
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    WorkshopStatus,
)
from tests.workshops.test_consultations import consultation_form, put_a_proposal

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _register_all(app, login, workshop, members, attendees=("Amina Idrissi\nYoussef Alami", "Claire Martin", "")):
    for (representative, organisation), names in zip(members, attendees, strict=False):
        other = app.test_client()
        login(other, representative)
        other.post(f"/workshops/{workshop.id}/register", data={"attendees": names or "—"})
    return {organisation.id: services.registration_of(workshop, organisation) for _, organisation in members}


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


# --- a confirmation before each phase move ---------------------------------------------------


def test_each_phase_move_is_confirmed_on_a_page_saying_who_is_told_and_what_becomes_final(
        app, client, login, facilitator, members, open_workshop):
    workshop = open_workshop(capacity=5)
    _register_all(app, login, workshop, members)
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/consultations/new", data=consultation_form())
    consultation = db.session.scalar(select(Consultation))
    expected = {
        "proposals_open": ("Move to: Proposals open", "can submit proposals"),
        "deliberation": ("Move to: Deliberation", "can no longer be submitted or edited"),
        "voting": ("Open the vote", "list of organisations allowed to vote"),
        "closed": ("Close the vote", "become final"),
        "results_published": ("Publish the results", "visitors included"),
    }
    for phase, (button, effect) in expected.items():
        # The consultation page offers a link to the confirmation, not a button that moves at once.
        page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
        link = f"/consultations/{consultation.id}/move?phase={phase}"
        assert f'href="{link}"' in page
        assert f'action="/consultations/{consultation.id}/move"' not in page
        confirm = client.get(link)
        text = confirm.get_data(as_text=True)
        assert confirm.status_code == 200
        assert f">{button}</button>" in text and effect in text
        assert "3 people will be notified" in text  # the three registered organisations' representatives
        assert "cannot be undone" in text
        assert f'<a href="/consultations/{consultation.id}">Cancel</a>' in text
        assert f'name="phase" value="{phase}"' in text
        assert consultation.phase != phase  # looking at the page moved nothing
        client.post(f"/consultations/{consultation.id}/move", data={"phase": phase})
        assert consultation.phase == phase
        if phase == "proposals_open":
            put_a_proposal(consultation, *members[0])
    # Nothing left to move to, or a page asked for a phase already passed: back to the consultation.
    stale = client.get(f"/consultations/{consultation.id}/move?phase=voting")
    assert stale.status_code == 302 and stale.headers["Location"].endswith(f"/consultations/{consultation.id}")


def test_a_member_cannot_reach_the_confirmation_of_a_move(app, client, login, facilitator, members, open_workshop):
    workshop = open_workshop()
    consultation = services.save_consultation(facilitator, None, workshop, services.ConsultationData(
        question_fr="Quelles priorités ?", max_approvals=2))
    services.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
    db.session.commit()
    login(client, members[0][0])
    assert client.get(f"/consultations/{consultation.id}/move").status_code == 403
    assert client.post(f"/consultations/{consultation.id}/move", data={"phase": "deliberation"}).status_code == 403
    assert consultation.phase == Phase.PROPOSALS_OPEN


# --- undoing a decline -----------------------------------------------------------------------


def test_a_declined_registration_can_be_reconsidered_back_to_pending_with_a_notice_and_an_audit_entry(
        app, client, login, facilitator, members, open_workshop, outbox):
    workshop = open_workshop(capacity=3)
    registrations = _register_all(app, login, workshop, members)
    declined = registrations[members[1][1].id]
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/registrations/{declined.id}/decide", data={"decision": "decline"})
    assert declined.status == RegistrationStatus.DECLINED
    manage = client.get(f"/workshops/{workshop.id}/manage").get_data(as_text=True)
    link = f"/workshops/{workshop.id}/registrations/{declined.id}/reconsider"
    assert f'href="{link}"' in manage and "Reconsider (undo the decline)" in manage
    page = client.get(link).get_data(as_text=True)
    assert "A place is free: the registration takes it again." in page
    assert "will be notified" in page and f'href="/workshops/{workshop.id}/manage">Cancel</a>' in page
    before = len(outbox(to="rep1@example.org"))
    response = client.post(link, data={"decision": "pending"})
    assert response.status_code == 302
    assert declined.status == RegistrationStatus.PENDING
    (entry,) = _audit("registration.reconsidered")
    assert entry.before == {"status": "declined"} and entry.after == {"status": "pending"}
    assert entry.actor_id == facilitator.id
    assert len(outbox(to="rep1@example.org")) == before + 1
    notice = db.session.scalars(select(Notification).where(
        Notification.kind == "workshops.registration_reconsidered")).one()
    assert notice.user_id == members[1][0].id
    # Not declined any more: the page sends back, nothing changes.
    again = client.get(link)
    assert again.status_code == 302 and declined.status == RegistrationStatus.PENDING


def test_reconsidering_when_places_allow_accepts_and_when_full_goes_to_the_waiting_list(
        app, client, login, facilitator, members, open_workshop):
    workshop = open_workshop(capacity=1)
    first, second, _third = members
    registrations = _register_all(app, login, workshop, members[:1])
    login(client, facilitator)
    declined = registrations[first[1].id]
    client.post(f"/workshops/{workshop.id}/registrations/{declined.id}/decide", data={"decision": "decline"})
    link = f"/workshops/{workshop.id}/registrations/{declined.id}/reconsider"
    # A place is free: accepted at once when asked.
    client.post(link, data={"decision": "accept"})
    assert declined.status == RegistrationStatus.ACCEPTED
    client.post(f"/workshops/{workshop.id}/registrations/{declined.id}/decide", data={"decision": "decline"})
    # Meanwhile another organisation takes the only place: the reconsidered one waits.
    _register_all(app, login, workshop, [second])
    page = client.get(link).get_data(as_text=True)
    assert "The workshop is full: the registration goes onto the waiting list" in page
    client.post(link, data={"decision": "accept"})
    assert declined.status == RegistrationStatus.WAITLISTED


def test_reconsidering_is_for_the_workshops_managers_and_not_once_it_is_over(
        app, client, login, facilitator, members, open_workshop, create_user):
    workshop = open_workshop(capacity=3)
    registration = _register_all(app, login, workshop, members[:1])[members[0][1].id]
    services.decide_registration(facilitator, registration, accept=False)
    db.session.commit()
    link = f"/workshops/{workshop.id}/registrations/{registration.id}/reconsider"
    for person in (members[0][0], create_user(roles=[Role.FACILITATOR])):
        other = app.test_client()
        login(other, person)
        assert other.get(link).status_code == 403
        assert other.post(link, data={"decision": "accept"}).status_code == 403
    for status in (WorkshopStatus.IN_PROGRESS, WorkshopStatus.CLOSED):
        services.move_workshop_status(facilitator, workshop, status)
    db.session.commit()
    login(client, facilitator)
    page = client.post(link, data={"decision": "accept"}).get_data(as_text=True)
    assert "This workshop is over" in page
    assert registration.status == RegistrationStatus.DECLINED


# --- several registrations at once -----------------------------------------------------------


def test_several_registrations_are_accepted_at_once_each_audited_and_told(
        app, client, login, facilitator, members, open_workshop, outbox):
    workshop = open_workshop(capacity=5)
    registrations = _register_all(app, login, workshop, members)
    login(client, facilitator)
    manage = client.get(f"/workshops/{workshop.id}/manage").get_data(as_text=True)
    assert manage.count('type="checkbox" name="registrations"') == 3
    assert "Accept the ticked registrations" in manage and "Decline the ticked registrations" in manage
    chosen = [registrations[members[0][1].id], registrations[members[2][1].id]]
    before = len(outbox())
    response = client.post(f"/workshops/{workshop.id}/registrations/decide",
                           data={"registrations": [str(r.id) for r in chosen], "decision": "accept"},
                           follow_redirects=True)
    assert "2 decisions are recorded" in response.get_data(as_text=True)
    assert [r.status for r in chosen] == [RegistrationStatus.ACCEPTED] * 2
    assert registrations[members[1][1].id].status == RegistrationStatus.PENDING
    entries = _audit("registration.accepted")
    assert sorted(e.object_label for e in entries) == sorted(r.organisation.original_name for r in chosen)
    assert {m.recipient for m in outbox()[before:]} == {"rep0@example.org", "rep2@example.org"}
    # Declining two at once: the same service as one decision, one audit entry each.
    client.post(f"/workshops/{workshop.id}/registrations/decide",
                data={"registrations": [str(r.id) for r in chosen], "decision": "decline"})
    assert [r.status for r in chosen] == [RegistrationStatus.DECLINED] * 2
    assert len(_audit("registration.declined")) == 2


def test_a_refused_decision_leaves_the_others_done_and_says_which(
        app, client, login, facilitator, members, open_workshop):
    workshop = open_workshop(capacity=1)
    registrations = _register_all(app, login, workshop, members[:2])
    holding, waiting = registrations[members[0][1].id], registrations[members[1][1].id]
    assert waiting.status == RegistrationStatus.WAITLISTED
    login(client, facilitator)
    response = client.post(f"/workshops/{workshop.id}/registrations/decide",
                           data={"registrations": [str(holding.id), str(waiting.id)], "decision": "accept"},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "1 decision is recorded" in text
    assert "Not decided for" in text and "The workshop is full" in text
    assert holding.status == RegistrationStatus.ACCEPTED and waiting.status == RegistrationStatus.WAITLISTED
    # Nothing ticked: said, nothing done.
    nothing = client.post(f"/workshops/{workshop.id}/registrations/decide", data={"decision": "decline"},
                          follow_redirects=True)
    assert "Tick at least one registration." in nothing.get_data(as_text=True)
    assert holding.status == RegistrationStatus.ACCEPTED


def test_a_member_cannot_decide_registrations_at_once(app, client, login, facilitator, members, open_workshop):
    workshop = open_workshop(capacity=3)
    registration = _register_all(app, login, workshop, members[:1])[members[0][1].id]
    login(client, members[0][0])
    response = client.post(f"/workshops/{workshop.id}/registrations/decide",
                           data={"registrations": [str(registration.id)], "decision": "accept"})
    assert response.status_code == 403
    assert registration.status == RegistrationStatus.PENDING


def test_registrations_of_another_workshop_are_not_decided_through_this_one(
        app, client, login, facilitator, members, open_workshop):
    first, second = open_workshop(capacity=3), open_workshop(capacity=3)
    elsewhere = _register_all(app, login, second, members[:1])[members[0][1].id]
    login(client, facilitator)
    client.post(f"/workshops/{first.id}/registrations/decide",
                data={"registrations": [str(elsewhere.id)], "decision": "decline"})
    assert elsewhere.status == RegistrationStatus.PENDING


# --- the attendance sheet --------------------------------------------------------------------


def test_the_attendance_sheet_csv_has_a_row_per_person_to_sign(app, client, login, facilitator, members,
                                                                open_workshop):
    workshop = open_workshop(capacity=5)
    registrations = _register_all(app, login, workshop, members)
    services.decide_registration(facilitator, registrations[members[0][1].id], accept=True)
    services.decide_registration(facilitator, registrations[members[2][1].id], accept=False)
    db.session.commit()
    login(client, facilitator)
    response = client.get(f"/workshops/{workshop.id}/attendance-sheet.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="attendance-workshop-{workshop.id}.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Organisation", "Person", "Registration", "Signature"]
    # Accepted first, then pending; the declined organisation is not on the sheet.
    assert [row[1:3] for row in rows[1:]] == [["Amina Idrissi", "Accepted"], ["Youssef Alami", "Accepted"],
                                              ["Claire Martin", "Waiting for the facilitator"]]
    assert rows[1][0] == "جمعية الأمل" and rows[1][3] == ""
    assert _audit("workshop.attendance_sheet_exported")[-1].after == {"format": "csv"}


def test_the_attendance_sheet_csv_never_hands_a_formula_to_a_spreadsheet(app, client, login, facilitator, members,
                                                                          open_workshop):
    workshop = open_workshop(capacity=5)
    _register_all(app, login, workshop, members[:1], attendees=("=HYPERLINK(\"http://x\")",))
    login(client, facilitator)
    rows = list(csv.reader(io.StringIO(client.get(f"/workshops/{workshop.id}/attendance-sheet.csv")
                                       .data.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_attendance_sheet_pdf_is_in_the_readers_language(app, client, login, facilitator, members,
                                                              open_workshop, language):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is missing: `make system-packages` installs it")
    workshop = open_workshop(capacity=5)
    _register_all(app, login, workshop, members[:2])
    facilitator.preferred_language = language
    db.session.commit()
    login(client, facilitator)
    response = client.get(f"/workshops/{workshop.id}/attendance-sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"attendance-sheet-{language}.pdf").write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    words = " ".join(text.split())
    title = {"ar": "ورشة التضامن", "fr": "Atelier solidarité"}[language]
    assert title in words
    assert "Maison des associations" in words and "Rabat" in words
    assert "Amina Idrissi" in words and "Claire Martin" in words
    if language == "fr":
        assert "Signature" in words and "heure du Maroc" in words
    # The date range is on it, as the pages write it (the year at least), and blank rows to fill.
    assert re.search(r"20\d\d", words)
    assert words.count("Amina Idrissi") == 1


def test_the_attendance_sheet_is_for_the_workshops_managers_only(app, client, login, facilitator, members,
                                                                  open_workshop, create_user, steering):
    workshop = open_workshop(capacity=5)
    _register_all(app, login, workshop, members[:1])
    for person, status in ((members[0][0], 403), (create_user(roles=[Role.FACILITATOR]), 403), (steering, 200),
                           (facilitator, 200)):
        other = app.test_client()
        login(other, person)
        for file_format in ("csv", "pdf"):
            assert other.get(f"/workshops/{workshop.id}/attendance-sheet.{file_format}").status_code == status
    assert app.test_client().get(f"/workshops/{workshop.id}/attendance-sheet.csv").status_code == 302
    login(client, facilitator)
    manage = client.get(f"/workshops/{workshop.id}/manage").get_data(as_text=True)
    assert f'href="/workshops/{workshop.id}/attendance-sheet.pdf"' in manage
    assert f'href="/workshops/{workshop.id}/attendance-sheet.csv"' in manage


# --- the dashboard and the way back ----------------------------------------------------------


def test_the_dashboard_tells_identical_questions_apart_by_their_workshop(client, login, facilitator, open_workshop):
    first, second = open_workshop(), open_workshop()
    second.title_fr = "Atelier de Fès"
    for workshop in (first, second):
        services.save_consultation(facilitator, None, workshop, services.ConsultationData(
            question_fr="Comment renforcer les coopératives ?", max_approvals=2))
    db.session.commit()
    login(client, facilitator)
    client.post("/language", data={"language": "fr"})
    page = client.get("/facilitation").get_data(as_text=True)
    table = page[page.index("<h2>Consultations</h2>"):]
    assert table.count("Comment renforcer les coopératives ?") == 2
    assert f'href="/workshops/{first.id}/manage"' in table and f'href="/workshops/{second.id}/manage"' in table
    assert "Atelier de Fès" in table and "Atelier solidarité" in table


def test_every_facilitation_form_has_a_way_back_to_where_the_person_came_from(
        client, login, facilitator, open_workshop, members, app):
    workshop = open_workshop()
    registration = _register_all(app, login, workshop, members[:1])[members[0][1].id]
    services.decide_registration(facilitator, registration, accept=True)
    consultation = services.save_consultation(facilitator, None, workshop, services.ConsultationData(
        question_fr="Quelles priorités ?", max_approvals=2))
    db.session.commit()
    login(client, facilitator)
    cases = {
        "/workshops/new": "/facilitation",
        f"/workshops/{workshop.id}/edit": f"/workshops/{workshop.id}/manage",
        f"/workshops/{workshop.id}/consultations/new": f"/workshops/{workshop.id}/manage",
        f"/consultations/{consultation.id}/edit": f"/consultations/{consultation.id}",
        f"/workshops/{workshop.id}/attendance": f"/workshops/{workshop.id}/manage",
    }
    for url, back in cases.items():
        page = client.get(url).get_data(as_text=True)
        assert f'<a href="{back}">Cancel</a>' in page, url
    # Came from the dashboard: the way back is the dashboard.
    page = client.get(f"/workshops/{workshop.id}/edit", headers={"Referer": "http://localhost/facilitation"})
    assert '<a href="/facilitation">Cancel</a>' in page.get_data(as_text=True)
    # Another site, or a page that cannot be opened again (a POST-only address): the usual way back.
    for referrer in ("https://evil.example/facilitation", f"http://localhost/workshops/{workshop.id}/documents"):
        page = client.get(f"/workshops/{workshop.id}/edit", headers={"Referer": referrer}).get_data(as_text=True)
        assert f'<a href="/workshops/{workshop.id}/manage">Cancel</a>' in page, referrer
    assert db.session.scalar(select(Registration)).status == RegistrationStatus.ACCEPTED
