"""Publishing a version of the plan is confirmed on a page that says what will happen
(issue 14, deliverable 8)."""

from __future__ import annotations

from tadamon.action_plan.models import PlanVersion
from tadamon.extensions import db
from tests import support


def test_publishing_a_version_is_confirmed_first_saying_who_is_told_and_what_becomes_final(
        results, members, steering, make_action, client, login, outbox):
    _consultation, proposal_ids = results
    make_action([proposal_ids[0]], title_en="Water for oasis villages")
    login(client, steering)
    assert client.post("/plan/versions", data={"note": "Première"}).status_code == 302
    diff = client.get("/plan/versions/1/diff").get_data(as_text=True)
    # The diff offers a link to the confirmation, not a button that publishes at once.
    assert 'href="/plan/versions/1/publish"' in diff and 'action="/plan/versions/1/publish"' not in diff
    page = client.get("/plan/versions/1/publish")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Version 1 becomes the public plan" in text and "can no longer change" in text
    assert "3 people will be notified" in text  # the three member organisations' representatives
    assert "1 added, 0 removed, 0 changed." in text
    assert '<a href="/plan/versions/1/diff">Cancel</a>' in text
    assert db.session.scalar(db.select(PlanVersion).where(PlanVersion.number == 1)).state == "review"
    support.email_everything_at_once(*(person for person, _ in members))
    before = len(outbox())
    assert client.post("/plan/versions/1/publish").status_code == 302
    assert db.session.scalar(db.select(PlanVersion).where(PlanVersion.number == 1)).state == "published"
    assert {m.recipient for m in outbox()[before:]} == {person.email for person, _ in members}
    # Published: the confirmation page sends back to the version's changes.
    again = client.get("/plan/versions/1/publish")
    assert again.status_code == 302 and again.headers["Location"].endswith("/plan/versions/1/diff")


def test_a_member_cannot_reach_the_publication_confirmation(results, members, steering, make_action, client, login):
    from tadamon.action_plan import services

    _consultation, proposal_ids = results
    make_action([proposal_ids[0]])
    services.submit_for_review(steering)
    db.session.commit()
    login(client, members[0][0])
    assert client.get("/plan/versions/1/publish").status_code == 403
    assert client.post("/plan/versions/1/publish").status_code == 403
