"""The plan through the REST API: its published versions, with their actions."""

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
