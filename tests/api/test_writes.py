"""The API's remaining writes: workshop registrations, progress updates and ballots, through the
same permission predicates and services as the browser; each one checks its scope, is audited
with the token's name (a secret ballot excepted), and answers problem+json when refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tadamon.action_plan import services as plan
from tadamon.action_plan.models import ProgressUpdate
from tadamon.core.audit import AuditEntry
from tadamon.extensions import db
from tadamon.voting import services as voting
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase, WorkshopStatus
from tests.action_plan.conftest import make_action, results  # noqa: F401
from tests.api.conftest import bearer
from tests.voting.conftest import open_vote  # noqa: F401

ARABIC = re.compile("[\u0600-\u06ff]")


def _audited(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


# --- registrations -----------------------------------------------------------------------------

def test_a_token_registers_and_withdraws_its_organisation(app, members, open_workshop, make_token):
    person, organisation = members[0]
    workshop = open_workshop()
    api = app.test_client()
    secret = make_token(person, organisation, "registrations", name="agenda")
    url = f"/api/v1/workshops/{workshop.id}/registration"
    made = api.post(url, headers=bearer(secret), json={"attendees": "Salma\nYoussef"})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.json == {"workshop_id": workshop.id, "organisation_id": organisation.id, "status": "pending"}
    assert workshops.registration_of(workshop, organisation).attendees == "Salma\nYoussef"
    assert _audited("api.workshop_registered")[0].after["token_name"] == "agenda"
    # Registered twice: a conflict with what exists.
    _problem(api.post(url, headers=bearer(secret), json={"attendees": "Salma"}), 409)

    gone = api.delete(url, headers=bearer(secret))
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    assert _audited("api.workshop_registration_withdrawn")[0].after["token_name"] == "agenda"
    assert api.delete(url, headers=bearer(secret)).json["status"] == "withdrawn"  # twice: unchanged


def test_registration_refusals(app, members, open_workshop, make_token, facilitator):
    person, organisation = members[0]
    workshop = open_workshop()
    api = app.test_client()
    url = f"/api/v1/workshops/{workshop.id}/registration"
    wrong_scope = make_token(person, organisation, "proposals", "votes")
    problem = _problem(api.post(url, headers=bearer(wrong_scope, "ar"), json={"attendees": "سلمى"}), 403)
    assert ARABIC.search(problem["title"]) and "registrations" in problem["detail"]
    secret = make_token(person, organisation, "registrations")
    _problem(api.post(url, headers=bearer(secret), json={}), 422)
    _problem(api.post(url, headers=bearer(secret), json={"attendees": "x", "extra": 1}), 422)
    _problem(api.delete(url, headers=bearer(secret)), 404)  # not registered
    # Registration closed: the refusal the workshop page shows, in words.
    workshops.move_workshop_status(facilitator, workshop, WorkshopStatus.IN_PROGRESS)
    db.session.commit()
    problem = _problem(api.post(url, headers=bearer(secret), json={"attendees": "Salma"}), 403)
    assert "not open" in problem["detail"]
    assert workshops.registration_of(workshop, organisation) is None
    _problem(api.post(url, headers={}, json={"attendees": "Salma"}), 401)


# --- progress updates --------------------------------------------------------------------------

@pytest.fixture
def carried_action(results, members, steering, make_action):  # noqa: F811
    """An action with an indicator, carried by the first member organisation (confirmed lead)."""
    _consultation, ids = results
    action = make_action(ids[:1], title_fr="Former les jeunes", indicators=[plan.IndicatorData(
        name="Jeunes formés", unit="personnes", target=1000)])
    person, organisation = members[0]
    plan.decide_commitment(steering, plan.volunteer(person, organisation, action, "lead", ""), True)
    db.session.commit()
    return action


def test_a_token_posts_progress_on_an_action_its_organisation_carries(app, members, carried_action, make_token):
    person, organisation = members[0]
    api = app.test_client()
    secret = make_token(person, organisation, "progress", name="suivi")
    indicator = carried_action.indicators[0]
    url = f"/api/v1/plan/actions/{carried_action.id}/updates"
    body = {"happened_on": (date.today() - timedelta(days=1)).isoformat(), "text": "Deux sessions tenues.",
            "progress": 30, "indicator_values": [{"indicator_id": indicator.id, "value": 120}],
            "submission_key": "k-1"}
    made = api.post(url, headers=bearer(secret), json=body)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.json["progress"] == 30 and made.json["action_progress"] == 30
    db.session.refresh(carried_action)
    assert carried_action.progress == 30 and int(carried_action.indicators[0].current_value) == 120
    assert _audited("api.progress_posted")[0].after["token_name"] == "suivi"
    assert _audited("plan.progress_posted")  # the service's own record, as from the browser
    # The same submission key again: posted once.
    _problem(api.post(url, headers=bearer(secret), json=body), 422)
    assert len(db.session.scalars(select(ProgressUpdate)).all()) == 1


def test_progress_refusals(app, members, carried_action, make_token):
    person, organisation = members[0]
    other_person, other = members[1]
    api = app.test_client()
    url = f"/api/v1/plan/actions/{carried_action.id}/updates"
    body = {"happened_on": date.today().isoformat(), "text": "Fait."}
    problem = _problem(api.post(url, headers=bearer(make_token(person, organisation, "votes"), "fr"), json=body), 403)
    assert "progress" in problem["detail"]
    # Another organisation does not carry the action.
    _problem(api.post(url, headers=bearer(make_token(other_person, other, "progress")), json=body), 403)
    secret = make_token(person, organisation, "progress")
    _problem(api.post(url, headers=bearer(secret), json={**body, "progress": 150}), 422)
    _problem(api.post(url, headers=bearer(secret), json={**body, "happened_on": "not a date"}), 422)
    future = _problem(api.post(url, headers=bearer(secret), json={
        **body, "happened_on": (date.today() + timedelta(days=3)).isoformat()}), 422)
    assert "happened_on" in future.get("errors", {})
    _problem(api.post("/api/v1/plan/actions/999999/updates", headers=bearer(secret), json=body), 404)
    assert db.session.scalars(select(ProgressUpdate)).all() == []


# --- ballots -----------------------------------------------------------------------------------

def test_a_token_casts_and_changes_a_public_ballot(app, members, open_vote, make_token):
    consultation, keys = open_vote("approval")
    person, organisation = members[0]
    api = app.test_client()
    secret = make_token(person, organisation, "votes", name="vote-tool")
    url = f"/api/v1/consultations/{consultation.id}/ballot"
    first = api.post(url, headers=bearer(secret), json={"choices": {keys[0]: "yes", keys[1]: "no"}})
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["replaced"] is False and first.json["secret"] is False and first.json["credential"] is None
    vote = voting.round_of(consultation)
    assert first.json["receipt"] in {e.entry_hash for e in voting.receipts(vote)}
    assert voting.current_ballot(vote, organisation).content == voting.canonical({"approvals": [keys[0]]})
    again = api.post(url, headers=bearer(secret), json={"choices": {keys[1]: "yes", keys[2]: "yes"}})
    assert again.status_code == 201 and again.json["replaced"] is True
    assert voting.current_ballot(vote, organisation).content == voting.canonical({"approvals": keys[1:]})
    receipts = [entry.object_label for entry in _audited("api.ballot_cast")]
    assert receipts == [first.json["receipt"], again.json["receipt"]]
    # More approvals than the method allows: the ballot page's own refusal.
    _problem(api.post(url, headers=bearer(secret), json={"choices": dict.fromkeys(keys, "yes")}), 422)
    _problem(api.post(url, headers=bearer(secret), json={"choices": ["yes"]}), 422)
    _problem(api.post(url, headers=bearer(secret), json={}), 422)


def test_a_secret_ballot_returns_its_code_once_and_is_not_audited(app, members, open_vote, make_token):
    consultation, keys = open_vote("yes_no", secret=True)
    person, organisation = members[0]
    api = app.test_client()
    secret = make_token(person, organisation, "votes")
    url = f"/api/v1/consultations/{consultation.id}/ballot"
    first = api.post(url, headers=bearer(secret), json={"choices": {keys[0]: "yes"}})
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-store"
    code = first.json["credential"]
    assert first.json["secret"] is True and code
    # Without its code the ballot stands, and the answer says how to recover.
    refused = _problem(api.post(url, headers=bearer(secret), json={"choices": {keys[0]: "no"}}), 422)
    assert "voting code" in refused["detail"]
    changed = api.post(url, headers=bearer(secret), json={"choices": {keys[0]: "no"}, "credential": code})
    assert changed.status_code == 201 and changed.json["replaced"] is True
    assert _audited("api.ballot_cast") == []
    normalised = voting.normalise_credential(code)
    for entry in db.session.scalars(select(AuditEntry)):
        assert normalised not in voting.normalise_credential(f"{entry.after_json}{entry.object_label}")


def test_ballot_refusals(app, members, open_vote, make_token, create_user, complete_application, facilitator):
    consultation, keys = open_vote("approval")
    person, organisation = members[0]
    api = app.test_client()
    url = f"/api/v1/consultations/{consultation.id}/ballot"
    problem = _problem(api.post(url, headers=bearer(make_token(person, organisation, "proposals"), "ar"),
                                json={"choices": {keys[0]: "yes"}}), 403)
    assert ARABIC.search(problem["title"])
    # An organisation approved after voting opened is not on the frozen roll.
    latecomer = create_user(email="late@example.org")
    late = complete_application(latecomer, name_ar="جمعية جديدة", approved=True)
    db.session.commit()
    refused = _problem(api.post(url, headers=bearer(make_token(latecomer, late, "votes")),
                                json={"choices": {keys[0]: "yes"}}), 403)
    assert "frozen" in refused["detail"]
    # Voting closed: refused, nothing recorded.
    secret = make_token(person, organisation, "votes")
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    db.session.commit()
    _problem(api.post(url, headers=bearer(secret), json={"choices": {keys[0]: "yes"}}), 403)
    assert voting.current_ballot(voting.round_of(consultation), organisation) is None
