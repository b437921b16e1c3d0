"""Consultations move through their phases in order, by hand or by schedule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.workshops import services
from tadamon.workshops.models import Consultation, Phase


def consultation_form(**overrides):
    data = {"question_ar": "ما هي أولوياتنا؟", "question_fr": "Quelles sont nos priorités ?",
            "participation": "registered", "voting_method": "approval", "max_approvals": "3"}
    data.update(overrides)
    return data


def test_facilitator_moves_a_consultation_through_every_phase(app, client, login, facilitator, members,
                                                               open_workshop, outbox):
    workshop = open_workshop(capacity=5)
    for representative, _ in members:
        representative_client = app.test_client()
        login(representative_client, representative)
        representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    login(client, facilitator)
    response = client.post(f"/workshops/{workshop.id}/consultations/new", data=consultation_form())
    assert response.status_code == 302
    consultation = db.session.scalar(select(Consultation))
    # a draft is not public
    assert app.test_client().get(f"/consultations/{consultation.id}").status_code == 404
    before = len(outbox())
    for phase in ("proposals_open", "deliberation", "voting", "closed", "results_published"):
        # skipping a phase is refused
        if phase != "results_published":
            later = list(Phase)[list(Phase).index(Phase(phase)) + 1].value
            client.post(f"/consultations/{consultation.id}/move", data={"phase": later})
            assert consultation.phase != later
        client.post(f"/consultations/{consultation.id}/move", data={"phase": phase})
        assert consultation.phase == phase
        if phase == "proposals_open":
            put_a_proposal(consultation, *members[0])  # voting opens only with something to vote on
        public = app.test_client().get(f"/consultations/{consultation.id}", headers={"Accept-Language": "fr"})
        assert 'aria-current="step"' in public.get_data(as_text=True)
    # In the order they were written (a query without ORDER BY has none on PostgreSQL: a CI flake).
    moves = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation.phase_changed")
                               .order_by(AuditEntry.id)).all()
    assert [m.after["phase"] for m in moves] == ["proposals_open", "deliberation", "voting", "closed",
                                                 "results_published"]
    notified = {m.recipient for m in outbox()[before:]}
    assert notified == {"rep0@example.org", "rep1@example.org", "rep2@example.org"}


def test_settings_that_define_the_vote_freeze_once_voting_opens(client, login, facilitator, open_workshop, members):
    workshop = open_workshop()
    login(client, facilitator)
    client.post(f"/workshops/{workshop.id}/consultations/new", data=consultation_form())
    consultation = db.session.scalar(select(Consultation))
    for phase in ("proposals_open", "deliberation", "voting"):
        client.post(f"/consultations/{consultation.id}/move", data={"phase": phase})
        if phase == "proposals_open":
            put_a_proposal(consultation, *members[0])
    assert consultation.phase == "voting"
    response = client.post(f"/consultations/{consultation.id}/edit", data=consultation_form(max_approvals="5"))
    assert "can no longer change" in response.get_data(as_text=True)
    assert consultation.max_approvals == 3
    # the text can still be corrected
    client.post(f"/consultations/{consultation.id}/edit",
                data=consultation_form(question_fr="Quelles sont nos trois priorités ?"))
    assert consultation.question_fr == "Quelles sont nos trois priorités ?"


def test_bad_consultation_input_gets_messages(client, login, facilitator, open_workshop):
    workshop = open_workshop()
    login(client, facilitator)
    cases = [
        (consultation_form(question_ar="", question_fr=""), "Write the question in at least one language."),
        (consultation_form(max_approvals=""), "Say how many proposals"),
        (consultation_form(voting_method="yes_no", quorum="2"), "between 0 and 1"),
        (consultation_form(proposals_open_at="2027-01-10T09:00", deliberation_at="2027-01-09T09:00"),
         "Each phase must start after the previous one."),
        (consultation_form(voting_method="lottery"), "Choose a voting method."),
    ]
    for data, message in cases:
        body = client.post(f"/workshops/{workshop.id}/consultations/new", data=data).get_data(as_text=True)
        assert message in body, message
    assert db.session.scalar(select(Consultation)) is None


def test_the_schedule_moves_phases_on_requests_and_with_the_tick_command(app, client, facilitator, open_workshop,
                                                                        members):
    workshop = open_workshop()
    now = utcnow()
    consultation = services.save_consultation(facilitator, None, workshop, services.ConsultationData(
        question_fr="Q ?", max_approvals=2, proposals_open_at=now - timedelta(hours=2),
        deliberation_at=now - timedelta(hours=1), voting_at=now + timedelta(days=1)))
    db.session.commit()
    client.get("/")  # any request runs the schedule
    assert consultation.phase == "deliberation"
    assert [move.moved_by_id for move in consultation.moves] == [None, None]
    put_a_proposal(consultation, *members[0])
    consultation.voting_at = now - timedelta(minutes=1)
    consultation.next_move_at = consultation.voting_at
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["tick"])
    assert "move_due_phases: 1" in result.output
    assert consultation.phase == "voting"


def test_national_consultation_is_for_the_steering_group(client, login, steering, facilitator):
    login(client, steering)
    response = client.post("/consultations/new", data=consultation_form(participation="all_members"))
    assert response.status_code == 302
    response = client.post("/consultations/new", data=consultation_form(participation="registered"))
    assert "open to every member organisation" in response.get_data(as_text=True)


def test_dashboard_shows_my_workshops_and_next_moves(client, login, facilitator, open_workshop, members, app):
    workshop = open_workshop()
    representative_client = app.test_client()
    login(representative_client, members[0][0])
    representative_client.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    services.save_consultation(facilitator, None, workshop, services.ConsultationData(
        question_fr="Q ?", max_approvals=2, proposals_open_at=utcnow() + timedelta(days=2)))
    db.session.commit()
    login(client, facilitator)
    page = client.get("/facilitation").get_data(as_text=True)
    assert f"/workshops/{workshop.id}/manage" in page
    assert "Proposals open" in page


def put_a_proposal(consultation, person, organisation):
    from tadamon.proposals import services as proposals

    data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
    proposal = proposals.save_draft(consultation, organisation, person, data)
    proposals.publish(proposal, person, data)
    db.session.commit()
