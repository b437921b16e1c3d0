"""A proposal made on paper in a workshop's room becomes, in one step, a proposal of the
consultation on behalf of the organisation that made it (issue 14, deliverable 8)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tadamon.core.audit import AuditEntry
from tadamon.core.notifications import Notification
from tadamon.core.permissions import Role
from tadamon.core.times import format_date
from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tadamon.proposals.models import Proposal, ProposalVersion, RoomOrigin, TimelineEvent
from tadamon.voting import services as voting
from tadamon.voting.models import Ballot
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Participation, Phase

TITLE = "Un guichet unique pour les coopératives"
BODY = "Créer un **guichet unique** dans chaque province :\n\n- information\n- accompagnement juridique"


def _url(consultation, record=None) -> str:
    suffix = f"?record={record.id}" if record is not None else ""
    return f"/workshops/{consultation.workshop_id}/room/proposals/new{suffix}"


def _post(client, consultation, organisation, *, url=None, **changes):
    data = {"consultation_id": consultation.id, "organisation_id": organisation.id, "title": TITLE, "body": BODY,
            "language": "fr", "made_on": proposals.workshop_days(consultation.workshop)[0].isoformat(), **changes}
    return client.post(url or _url(consultation), data=data)


def _proposals() -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).order_by(Proposal.id)))


def test_a_facilitator_publishes_a_paper_proposal_in_one_step(app, client, login, facilitator, members,
                                                              consultation):
    representative, organisation = members[1]
    login(client, facilitator)
    form = client.get(_url(consultation)).get_data(as_text=True)
    assert f'<option value="{consultation.id}">' in form
    assert "Other member organisations" in form and "Association Atlas" in form

    response = _post(client, consultation, organisation)

    [proposal] = _proposals()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert proposal.is_published and proposal.version == 1
    assert proposal.organisation_id == organisation.id and proposal.consultation_id == consultation.id
    assert proposal.recorded_by_id == facilitator.id and proposal.author_id is None
    assert proposal.title == TITLE and proposal.body == BODY and proposal.language == "fr"
    assert [v.number for v in db.session.scalars(select(ProposalVersion))] == [1]
    origin = db.session.get(RoomOrigin, proposal.id)
    assert origin.workshop_id == consultation.workshop_id and origin.facilitator_id == facilitator.id
    assert origin.made_on == proposals.workshop_days(consultation.workshop)[0]
    # audited, and the organisation's representative is told
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.recorded_in_room"))
    assert entry.object_id == str(proposal.id) and entry.actor_id == facilitator.id
    notice = db.session.scalar(select(Notification).where(Notification.kind == "proposals.recorded_in_room"))
    assert notice.user_id == representative.id and notice.link.endswith(f"/proposals/{proposal.id}")
    assert "Atelier solidarité" in notice.params_json or "ورشة التضامن" in notice.params_json

    # the proposal's page says where it was made; the Markdown is rendered
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    with app.test_request_context():
        day = format_date(origin.made_on, language="en")
    assert re.search(r"Made in the room at the workshop <bdi lang=\"ar\">ورشة التضامن</bdi>.*? on "
                     + re.escape(day) + r", recorded by <bdi>Nadia Facilitatrice</bdi> \(facilitation\)", page)
    assert "<strong>guichet unique</strong>" in page
    # it is in the consultation's list, and its organisation edits or withdraws it as any other
    listing = client.get(f"/consultations/{consultation.id}/proposals").get_data(as_text=True)
    assert TITLE in listing
    owner = app.test_client()
    login(owner, representative)
    own_page = owner.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f"/proposals/{proposal.id}/edit" in own_page and f"/proposals/{proposal.id}/withdraw" in own_page
    assert owner.get(f"/proposals/{proposal.id}/edit").status_code == 200
    owner.post(f"/proposals/{proposal.id}/withdraw")
    assert db.session.get(Proposal, proposal.id).state == "withdrawn"


def test_only_the_workshops_facilitators_and_the_steering_group_record(app, login, create_user, facilitator,
                                                                        members, consultation, steering):
    organisation = members[0][1]
    outsiders = {"anonymous": None, "representative": members[0][0],
                 "other facilitator": create_user(roles=[Role.FACILITATOR])}
    for who, person in outsiders.items():
        client = app.test_client()
        if person is not None:
            login(client, person)
        # anonymous: sent to log in (a POST is kept for after it, with 401)
        expected = (302, 401) if person is None else (403,)
        assert client.get(_url(consultation)).status_code in expected, who
        assert _post(client, consultation, organisation).status_code in expected, who
    assert _proposals() == []
    client = app.test_client()
    login(client, steering)
    assert _post(client, consultation, organisation).status_code == 302
    assert len(_proposals()) == 1


def test_a_consultation_not_taking_proposals_is_refused_beside_its_field(client, login, facilitator, members,
                                                                          consultation):
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    login(client, facilitator)
    response = _post(client, consultation, members[0][1])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<select[^>]*aria-invalid="true"[^>]*id="consultation_id"|'
                     r'<select[^>]*id="consultation_id"[^>]*aria-invalid="true"', page)
    assert "This consultation is not taking proposals now" in page
    assert _proposals() == []


def test_the_services_checks(facilitator, members, consultation):
    organisation = members[0][1]
    workshop = consultation.workshop
    day = proposals.workshop_days(workshop)[0]
    data = proposals.ProposalData(title=TITLE, body=BODY, language="fr")
    registered_only = workshops.save_consultation(facilitator, None, workshop, workshops.ConsultationData(
        question_fr="Pour les inscrites", participation=Participation.REGISTERED, max_approvals=2))
    workshops.move_phase(facilitator, registered_only, Phase.PROPOSALS_OPEN)
    cases = {
        "consultation_id": proposals.PaperProposal(None, organisation.id, day, data),
        "organisation_id": proposals.PaperProposal(registered_only.id, organisation.id, day, data),
        "made_on": proposals.PaperProposal(consultation.id, organisation.id, day.replace(year=day.year - 1), data),
        "title": proposals.PaperProposal(consultation.id, organisation.id, day,
                                         proposals.ProposalData(title="abc", body=BODY)),
    }
    for field, paper in cases.items():
        with pytest.raises(proposals.ProposalError) as refused, db.session.begin_nested():
            proposals.record_from_room(facilitator, workshop, paper)
        assert refused.value.field == field
    assert _proposals() == []


def test_a_double_submit_creates_one_proposal(client, login, facilitator, members, consultation):
    login(client, facilitator)
    first = _post(client, consultation, members[0][1], submission_key="the-same-rendering")
    second = _post(client, consultation, members[0][1], submission_key="the-same-rendering")
    assert first.status_code == 302
    assert "already been sent" in second.get_data(as_text=True)
    assert len(_proposals()) == 1


def test_it_is_voted_on_when_the_consultation_votes(client, login, facilitator, members, consultation):
    login(client, facilitator)
    _post(client, consultation, members[1][1])
    [proposal] = _proposals()
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    workshops.move_phase(facilitator, consultation, Phase.VOTING)
    db.session.commit()
    key = f"p{proposal.id}"
    assert key in voting.candidate_keys(voting.round_of(consultation))
    person, organisation = members[0]
    voting.cast_ballot(person, consultation, organisation, MultiDict([("approve", key)]))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_the_provenance_stays_in_the_lineage(app, client, login, facilitator, members, consultation):
    login(client, facilitator)
    _post(client, consultation, members[1][1])
    [paper] = _proposals()
    kinds = [e.kind for e in db.session.scalars(select(TimelineEvent).where(TimelineEvent.proposal_id == paper.id)
                                                .order_by(TimelineEvent.id))]
    assert kinds == ["recorded_in_room", "published"]
    page = client.get(f"/proposals/{paper.id}").get_data(as_text=True)
    lineage = page.split("<h2>Lineage</h2>")[1].split("</ul>")[0]
    assert "Made on paper in the room at the workshop" in lineage
    assert f'href="/workshops/{consultation.workshop_id}"' in lineage
    # split: each part keeps where it was made
    parts = proposals.split(facilitator, paper, [("Première partie du guichet", BODY),
                                                 ("Seconde partie du guichet", BODY)], "Deux sujets")
    db.session.commit()
    for part in parts:
        assert db.session.get(RoomOrigin, part.id).workshop_id == consultation.workshop_id
        assert "Made on paper in the room" in client.get(f"/proposals/{part.id}").get_data(as_text=True)
    # merge: the proposal it was merged into says where the merged one was made
    representative, organisation = members[0]
    data = proposals.ProposalData(title="Un guichet pour toutes les associations", body=BODY, language="fr")
    target = proposals.save_draft(consultation, organisation, representative, data)
    proposals.publish(target, representative, data)
    proposals.merge(facilitator, target, [parts[0]], "Doublons")
    db.session.commit()
    page = client.get(f"/proposals/{target.id}").get_data(as_text=True)
    lineage = page.split("<h2>Lineage</h2>")[1].split("</ul>")[0]
    assert "Merged from" in lineage and "It had been made on paper in the room at the workshop" in lineage


def test_a_note_of_the_room_becomes_one_proposal(client, login, facilitator, members, consultation):
    workshop = consultation.workshop
    record = workshops.record_in_room(facilitator, workshop, organisation_id=None, kind="paper_proposal",
                                      title="Une radio associative", body="Une radio associative pour la région.",
                                      language="fr")
    db.session.commit()
    login(client, facilitator)
    room = client.get(f"/workshops/{workshop.id}/room").get_data(as_text=True)
    assert f"/workshops/{workshop.id}/room/proposals/new?record={record.id}" in room
    form = client.get(_url(consultation, record)).get_data(as_text=True)
    assert "Une radio associative pour la région." in form
    response = _post(client, consultation, members[2][1], url=_url(consultation, record),
                     title="Une radio associative", body="Une radio associative pour la région.")
    [proposal] = _proposals()
    assert response.status_code == 302
    assert db.session.get(RoomOrigin, proposal.id).room_record_id == record.id
    # the note is a proposal now: its link leads there
    again = client.get(_url(consultation, record))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert len(_proposals()) == 1
