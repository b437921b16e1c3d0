"""The demo tells one coherent story: the featured member can vote and register, every
consultation is described in the three languages, its proposals are its own and distinct, and
its winners are its own proposals. The home page shows the network alive in a fixed number of
queries, whatever the data's size."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tadamon import demo
from tadamon.accounts.models import User
from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.permissions import can
from tadamon.extensions import db
from tadamon.membership.demo import FEATURED_EMAIL, featured_organisation
from tadamon.membership.models import MembershipState, Organisation
from tadamon.proposals.models import Proposal, ProposalState
from tadamon.voting import services as voting
from tadamon.workshops.models import (
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
)

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture
def seeded(app):
    demo.build(scale=1)
    db.session.commit()
    return db.session.scalar(select(User).where(User.email == FEATURED_EMAIL))


def _actor(user):
    return Actor(user, featured_organisation())


def test_the_featured_member_can_vote_in_the_open_vote_and_register_for_the_open_workshop(app, seeded, client, login):
    organisation = featured_organisation()
    open_votes = db.session.scalars(select(Consultation).where(Consultation.phase == Phase.VOTING)).all()
    assert open_votes
    with app.test_request_context():
        assert all(can("voting.cast", c, _actor(seeded)) for c in open_votes)
        assert not any(voting.has_voted(voting.round_of(c), organisation) for c in open_votes)
        open_workshops = db.session.scalars(select(Workshop).where(
            Workshop.status == WorkshopStatus.REGISTRATION_OPEN)).all()
        assert any(can("workshops.register", (w, organisation), _actor(seeded)) for w in open_workshops)
    seeded.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    login(client, seeded)
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Votes your organisation has not cast yet" in page
    assert f'href="/consultations/{open_votes[0].id}/vote"' in page


def test_every_consultation_is_described_in_three_languages_with_its_own_distinct_proposals(seeded):
    consultations = db.session.scalars(select(Consultation)).all()
    assert len({c.question_fr for c in consultations}) == len(consultations)
    for consultation in consultations:
        assert consultation.description_ar and consultation.description_fr and consultation.description_en
        titles = Counter(db.session.scalars(select(Proposal.title).where(
            Proposal.consultation_id == consultation.id, Proposal.state != ProposalState.WITHDRAWN)))
        assert all(number == 1 for number in titles.values()), titles


def test_the_winners_belong_to_their_consultation(seeded):
    published = db.session.scalars(select(Consultation).where(Consultation.phase == Phase.RESULTS_PUBLISHED)).all()
    assert published
    for consultation in published:
        results = voting.results_of(voting.round_of(consultation))
        assert results["winners"]
        for key in results["winners"]:
            proposal = db.session.get(Proposal, voting.proposal_id_of(key))
            assert proposal is not None and proposal.consultation_id == consultation.id


def test_the_deliberation_shows_every_feature(seeded):
    from tadamon.proposals.models import Amendment, Comment, Report

    published = db.session.scalars(select(Proposal).where(Proposal.state == ProposalState.PUBLISHED,
                                                          Proposal.consultation.has(Consultation.phase.in_(
                                                              [Phase.DELIBERATION, Phase.VOTING,
                                                               Phase.RESULTS_PUBLISHED])))).all()
    commented = {c.proposal_id for c in db.session.scalars(select(Comment))}
    assert len(commented & {p.id for p in published}) * 2 > len(published)  # most of them
    assert {c.stance for c in db.session.scalars(select(Comment))} >= {"for", "against", "neutral"}
    assert db.session.scalars(select(Amendment).where(Amendment.state == "pending")).first() is not None
    assert db.session.scalars(select(Report).where(Report.resolved_at.is_(None))).first() is not None


def _queries(client, path="/"):
    db.session.expire_all()
    seen = []

    def listener(conn, cursor, statement, *args):
        # The test harness's own savepoints are not the page's queries.
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path, headers={"Accept-Language": "en"}).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def _more_of_everything(featured, facilitator):
    """Twice the activity the home page lists: workshops, registrations, consultations, drafts."""
    from tadamon.workshops.models import Theme

    now = utcnow()
    theme_id = db.session.scalars(select(Theme.id)).first()
    for number in range(8):
        start = now + timedelta(days=3 + number)
        workshop = Workshop(title_fr=f"Atelier {number}", theme_id=theme_id, starts_at=start, ends_at=start + timedelta(hours=3),
                            capacity=10, status=WorkshopStatus.REGISTRATION_OPEN, is_national=True)
        workshop.facilitators = [facilitator]
        db.session.add(workshop)
        db.session.flush()
        db.session.add(Registration(workshop_id=workshop.id, organisation_id=featured.id,
                                    status=RegistrationStatus.PENDING, attendees="Amina"))
        consultation = Consultation(workshop_id=workshop.id, question_fr=f"Question {number} ?",
                                    phase=Phase.PROPOSALS_OPEN, next_move_at=now + timedelta(days=number + 1))
        db.session.add(consultation)
        db.session.flush()
        db.session.add(Proposal(consultation_id=consultation.id, organisation_id=featured.id, title=f"Brouillon {number}",
                                body="Texte", language="fr"))
        db.session.add(Organisation(name_fr=f"Candidate {number}", region="TTA", state=MembershipState.SUBMITTED,
                                    submitted_at=now))
    db.session.commit()


def test_the_home_page_keeps_its_query_count_whatever_the_data(seeded, app, login):
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.tadamon.ma"))
    steering = db.session.scalar(select(User).where(User.email == "steering@demo.tadamon.ma"))
    clients = {"anonymous": app.test_client(), "member": app.test_client(), "facilitator": app.test_client(),
               "steering": app.test_client()}
    for person in (seeded, facilitator, steering):
        person.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    login(clients["member"], seeded)
    login(clients["facilitator"], facilitator)
    login(clients["steering"], steering)
    for client in clients.values():
        _queries(client)  # the first request runs the periodic work
    before = {name: _queries(client) for name, client in clients.items()}
    _more_of_everything(featured_organisation(), facilitator)
    after = {name: _queries(client) for name, client in clients.items()}
    assert after == before
    steering_page = clients["steering"].get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Applications to decide" in steering_page
    facilitator_page = clients["facilitator"].get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Registrations to decide" in facilitator_page and "Reports to moderate" in facilitator_page
    member_page = clients["member"].get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for heading in ("Workshops your organisation is registered for", "drafts", "Amendments to answer",
                    "Open consultations", "Upcoming workshops", "Results published lately", "The shared action plan"):
        assert heading in member_page, heading
