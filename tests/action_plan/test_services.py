"""The plan's rules: candidates, set-asides, commitments (one lead), object-level progress
permission, immutable versions and their diff."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tadamon.action_plan import services
from tadamon.action_plan.models import Commitment, PlanVersion, PublishedVersionIsImmutable
from tadamon.core.db import utcnow
from tadamon.extensions import db


def test_only_candidates_of_a_closed_vote_become_actions(results, open_vote):
    _consultation, ids = results
    assert [p.id for p in services.candidate_proposals(ids[:2])] == ids[:2]
    _open, keys = open_vote("approval")
    with pytest.raises(services.PlanError):
        services.candidate_proposals([int(keys[0][1:])])
    with pytest.raises(services.PlanError):
        services.candidate_proposals([])


def test_the_board_puts_the_winners_first_with_their_support(results):
    _consultation, ids = results
    board = services.candidate_board()
    assert len(board) == 1
    candidates = board[0].candidates
    assert [c.proposal.id for c in candidates if c.leading] == ids[:2]
    assert candidates[0].leading and not candidates[-1].leading
    assert all(c.regions == 1 for c in candidates)


def test_a_candidate_is_set_aside_once_with_a_public_reason_and_restored(results, steering, client, login):
    _consultation, ids = results
    login(client, steering)
    response = client.post(f"/plan/candidates/{ids[2]}/set-aside", data={"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.get_data(as_text=True)
    assert client.post(f"/plan/candidates/{ids[2]}/set-aside", data={"reason": "Hors du mandat."}).status_code == 302
    again = client.post(f"/plan/candidates/{ids[2]}/set-aside", data={"reason": "Encore"})
    assert again.status_code == 400 and "already set aside" in again.get_data(as_text=True)
    board = client.get("/plan/board").get_data(as_text=True)
    assert "Hors du mandat." in board
    assert client.post(f"/plan/candidates/{ids[2]}/restore").status_code == 302
    assert services.candidate_board()[0].candidates[-1].set_aside is None


def test_one_offer_per_organisation_and_one_confirmed_lead(results, members, steering, make_action):
    _consultation, ids = results
    action = make_action(ids[:1])
    (rep0, org0), (rep1, org1), (rep2, org2) = members
    first = services.volunteer(rep0, org0, action, "lead", "")
    second = services.volunteer(rep1, org1, action, "lead", "")
    partner = services.volunteer(rep2, org2, action, "partner", "")
    with pytest.raises(services.PlanError):
        services.volunteer(rep0, org0, action, "partner", "")
    services.decide_commitment(steering, first, True)
    with force_locale("en"), pytest.raises(services.PlanError, match="already has a confirmed lead"):
        services.decide_commitment(steering, second, True)
    with force_locale("en"), pytest.raises(services.PlanError, match="already answered"):
        services.decide_commitment(steering, first, False)
    services.decide_commitment(steering, second, False, "Un seul chef de file.")
    services.decide_commitment(steering, partner, True)
    db.session.commit()
    states = {c.organisation_id: c.state for c in db.session.scalars(select(Commitment))}
    assert states == {org0.id: "confirmed", org1.id: "declined", org2.id: "confirmed"}
    snapshot = services.build_snapshot([action])
    assert snapshot["actions"][0]["lead"]["id"] == f"organisation-{org0.id}"
    assert [p["id"] for p in snapshot["actions"][0]["partners"]] == [f"organisation-{org2.id}"]
    with pytest.raises(services.PlanError):
        services.call_for_lead(steering, action)


def test_only_the_actions_own_organisations_post_progress(results, members, steering, make_action, client, login):
    _consultation, ids = results
    action = make_action(ids[:1])
    (rep0, org0), (rep1, org1), _third = members
    services.decide_commitment(steering, services.volunteer(rep0, org0, action, "lead", ""), True)
    pending = services.volunteer(rep1, org1, action, "partner", "")
    db.session.commit()
    for person, expected in ((rep0, 200), (rep1, 403), (steering, 403)):
        other = client.application.test_client()
        login(other, person)
        assert other.get(f"/plan/actions/{action.id}/updates/new").status_code == expected
    login(client, rep1)
    form = {"happened_on": utcnow().date().isoformat(), "text": "Nous avons commencé.", "progress": "10"}
    assert client.get(f"/plan/actions/{action.id}/updates/new").status_code == 403
    assert client.post(f"/plan/actions/{action.id}/updates/new", data=form).status_code == 403
    with pytest.raises(services.PlanError):
        services.post_update(rep1, org1, action, services.UpdateData(happened_on=utcnow().date(), text="x"))
    services.decide_commitment(steering, pending, True)
    db.session.commit()
    assert client.post(f"/plan/actions/{action.id}/updates/new", data=form).status_code == 302
    assert services.updates_of(action)[0].organisation_id == org1.id


def test_working_actions_are_hidden_from_the_public_until_published(results, members, steering, make_action,
                                                                   client, login, create_user):
    _consultation, ids = results
    action = make_action(ids[:1])
    outsider = create_user()
    assert client.get(f"/plan/actions/{action.id}").status_code == 404
    for person, page, offer in ((outsider, 404, 403), (members[0][0], 200, 200)):
        other = client.application.test_client()
        login(other, person)
        assert other.get(f"/plan/actions/{action.id}").status_code == page
        assert other.get(f"/plan/actions/{action.id}/volunteer").status_code == offer
    services.publish_version(steering, services.submit_for_review(steering))
    db.session.commit()
    db.session.refresh(action)
    assert client.get(f"/plan/actions/{action.id}").status_code == 200


def test_published_versions_are_immutable_and_diffed(results, steering, make_action):
    _consultation, ids = results
    kept = make_action(ids[:1])
    dropped = make_action(ids[2:])
    first = services.submit_for_review(steering)
    with pytest.raises(services.PlanError):
        services.submit_for_review(steering)
    services.publish_version(steering, first)
    db.session.commit()
    with pytest.raises(services.PlanError):
        services.publish_version(steering, first)

    data = services.draft_from_proposals(services.candidate_proposals(ids[:1]))
    data.title_en, data.status, data.progress, data.theme_id = "Solidarity fund", "in_progress", 30, kept.theme_id
    services.update_action(steering, kept, data)
    services.remove_action(steering, dropped, "Fusionnée ailleurs.")
    added = make_action(ids[1:2])
    second = services.submit_for_review(steering)
    services.publish_version(steering, second)
    db.session.commit()

    changes = services.diff(services.snapshot_of(first), services.snapshot_of(second))
    assert [a["id"] for a in changes.added] == [f"action-{added.id}"]
    assert [a["id"] for a in changes.removed] == [f"action-{dropped.id}"]
    assert [(c.action["id"], sorted(c.fields)) for c in changes.changed] == [
        (f"action-{kept.id}", ["progress", "status", "title"])]

    stored = db.session.get(PlanVersion, first.id)
    before = stored.snapshot_hash
    stored.snapshot = "{}"
    with pytest.raises(PublishedVersionIsImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(PlanVersion, first.id).snapshot_hash == before
    with pytest.raises(PublishedVersionIsImmutable):
        db.session.delete(db.session.get(PlanVersion, first.id))
        db.session.flush()
    db.session.rollback()


def test_a_version_in_review_can_be_sent_back(results, steering, make_action, client, login):
    _consultation, ids = results
    make_action(ids[:1])
    login(client, steering)
    assert client.post("/plan/versions", data={"note": "Première"}).status_code == 302
    assert client.get("/plan").status_code == 200  # no published version yet
    assert "No version of the action plan is published yet" in client.get("/plan").get_data(as_text=True)
    assert client.post("/plan/versions/1/discard").status_code == 302
    assert services.versions() == []
