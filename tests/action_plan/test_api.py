"""The plan and the vote through the REST API: published plan versions with their actions; a
vote's results, receipts, ledger head and anonymised ballots once published."""

from __future__ import annotations

from tadamon.action_plan import services
from tadamon.extensions import db


def test_plan_versions_appear_once_published(app, results, make_action, steering):
    _consultation, proposal_ids = results
    action = make_action(proposal_ids[:1])
    api = app.test_client()
    assert api.get("/api/v1/plan/versions").json == {"data": []}
    version = services.submit_for_review(steering)
    db.session.commit()
    assert api.get(f"/api/v1/plan/versions/{version.number}").status_code == 404  # in review
    services.publish_version(steering, version)
    db.session.commit()
    listed = api.get("/api/v1/plan/versions").json["data"]
    assert [v["number"] for v in listed] == [version.number]
    detail = api.get(f"/api/v1/plan/versions/{version.number}", headers={"Accept-Language": "ar"}).json
    assert detail["document"]["format"] == "tadamon.plan/1"
    assert [a["id"] for a in detail["document"]["actions"]] == [f"action-{action.id}"]


def test_results_receipts_and_ballots_once_published(app, results):
    from tadamon.voting import services as voting
    from tadamon.voting.tally import tally_document

    consultation, _proposal_ids = results
    api = app.test_client()
    published = api.get(f"/api/v1/consultations/{consultation.id}/results").json
    vote = voting.round_of(consultation)
    assert published["results"] == voting.results_of(vote) and published["method"] == "approval"
    receipts = api.get(f"/api/v1/consultations/{consultation.id}/receipts").json
    assert len(receipts["data"]) == 3 and receipts["head"]["hash"] == receipts["data"][-1]["receipt"]
    ballots = api.get(f"/api/v1/consultations/{consultation.id}/ballots").json
    assert ballots["document"]["format"] == "tadamon-ballots/1" and len(ballots["document"]["ballots"]) == 3
    assert ballots["head"] == receipts["head"]
    recount = tally_document(ballots["document"])  # anyone can recount what the API publishes
    assert recount is not None
