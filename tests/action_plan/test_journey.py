"""The acceptance journey through the pages: two winning proposals become one action, a
lead is called for, an organisation volunteers and is confirmed and posts progress, and the
steering group publishes versions and reads their diff."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.action_plan import services
from tadamon.action_plan.models import Action, Commitment, Decision, PlanVersion
from tadamon.core.audit import AuditEntry
from tadamon.extensions import db
from tests import support


def _action_form(proposal_ids, **overrides):
    data = {
        "proposal": [str(i) for i in proposal_ids],
        "title_fr": "Fonds solidaire et formation numérique des jeunes",
        "title_ar": "صندوق تضامني وتكوين الشباب في المجال الرقمي",
        "description_fr": "Un fonds pour les coopératives, et des formations.",
        "objectives": "Cent coopératives financées\nMille jeunes formés",
        "theme_id": "", "territory_scope": "regions", "regions": ["CAS", "RSK"], "provinces": "",
        "starts_on": "2027-01-01", "ends_on": "2028-06-30",
        "milestones-0-title": "Lancement", "milestones-0-due_on": "2027-02-01",
        "indicators-0-indicator_id": "", "indicators-0-name": "Jeunes formés", "indicators-0-unit": "personnes",
        "indicators-0-baseline": "0", "indicators-0-target": "1 000", "indicators-0-current_value": "",
        "budget_estimate": "250000,50", "funding_sources": "Fondation", "status": "planned", "progress": "0",
    }
    data.update(overrides)
    return data


def _publish(client, number):
    response = client.post("/plan/versions", data={"note": f"Version {number}"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post(f"/plan/versions/{number}/publish").status_code == 302


def test_from_two_winning_proposals_to_a_published_second_version(
        results, members, steering, client, login, make_action, outbox):
    _consultation, proposal_ids = results
    # Version 1 holds one action made from the third proposal.
    make_action([proposal_ids[2]], title_en="Water for oasis villages")
    login(client, steering)
    _publish(client, 1)

    board = client.get("/plan/board").get_data(as_text=True)
    assert "Formation des jeunes au numérique" in board and "Leading" in board

    # The new-action form starts from the two proposals' text: nothing typed twice.
    query = f"/plan/actions/new?proposal={proposal_ids[0]}&proposal={proposal_ids[1]}"
    page = client.get(query).get_data(as_text=True)
    assert "صندوق تضامني للتعاونيات" in page and "Formation des jeunes au numérique: une proposition" in page

    # A bad date keeps everything typed and says what is wrong.
    bad = client.post("/plan/actions/new", data=_action_form(proposal_ids[:2], ends_on="2026-01-01"))
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "The end date comes before the start date." in text and "Fonds solidaire et formation" in text

    response = client.post("/plan/actions/new", data=_action_form(proposal_ids[:2]))
    assert response.status_code == 302
    action = db.session.scalars(select(Action).order_by(Action.id.desc())).first()
    assert [s.proposal_id for s in action.sources] == proposal_ids[:2]
    assert action.region_codes == ["CAS", "RSK"] and str(action.budget_estimate) == "250000.50"
    assert action.indicators[0].target == 1000 and action.milestones[0].title == "Lancement"

    # The steering member calls for a lead: every member organisation's representative is told.
    support.email_everything_at_once(members[1][0])
    assert client.post(f"/plan/actions/{action.id}/call-for-lead").status_code == 302
    person, organisation = members[1]
    assert any(f"/plan/actions/{action.id}" in m.text_body for m in outbox(to=person.email))

    # The organisation finds the action among those it can carry, and volunteers to lead.
    member_client = client.application.test_client()
    login(member_client, person)
    assert f'href="/plan/actions/{action.id}"' in member_client.get("/plan").get_data(as_text=True)
    page = member_client.get(f"/plan/actions/{action.id}")
    assert page.status_code == 200 and f"/plan/actions/{action.id}/volunteer" in page.get_data(as_text=True)
    response = member_client.post(f"/plan/actions/{action.id}/volunteer",
                                  data={"role": "lead", "message": "Nous avons 20 formateurs."})
    assert response.status_code == 302, response.get_data(as_text=True)
    commitment = db.session.scalar(select(Commitment).where(Commitment.action_id == action.id))
    assert commitment.state == "volunteered"
    # Offered: no longer among the actions the organisation is invited to carry.
    assert f'href="/plan/actions/{action.id}"' not in member_client.get("/plan").get_data(as_text=True)
    # Not yet confirmed: no progress update.
    assert member_client.get(f"/plan/actions/{action.id}/updates/new").status_code == 403

    response = client.post(f"/plan/commitments/{commitment.id}/confirm", data={"answer": "Merci !"})
    assert response.status_code == 302
    db.session.refresh(commitment)
    assert commitment.state == "confirmed"
    assert any("Merci !" in m.text_body for m in outbox(to=person.email))

    indicator = action.indicators[0]
    response = member_client.post(f"/plan/actions/{action.id}/updates/new", data={
        "happened_on": "2026-11-01", "text": "Première promotion de 40 jeunes formée à Settat.", "progress": "15",
        "indicator_values-0-indicator_id": str(indicator.id), "indicator_values-0-value": "40"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(action)
    assert action.progress == 15 and action.indicators[0].current_value == 40
    page = client.get(f"/plan/actions/{action.id}").get_data(as_text=True)
    assert "Première promotion de 40 jeunes" in page and "Association" in page
    # Traceability: both proposals, their consultation, the vote and the ledger head.
    vote_head = services.snapshot_of(services.version_numbered(1))["actions"][0]["sources"][0]["vote"]["ledger_head"]
    assert vote_head and vote_head in page
    assert "Formation des jeunes au numérique" in page and "صندوق تضامني للتعاونيات" in page
    assert "Head of the vote&#39;s ledger" in page or "Head of the vote's ledger" in page
    assert "called for a lead organisation" in page and "confirmed as Lead" in page

    # Version 2: its diff against version 1 shows the new action, and it is published.
    _publish(client, 2)
    diff = client.get("/plan/versions/2/diff").get_data(as_text=True)
    # No English title: an English reader gets the platform's one fallback (Arabic, then French,
    # core.i18n.pick_text), marked as not yet translated.
    assert "Actions added" in diff and "صندوق تضامني وتكوين الشباب في المجال الرقمي" in diff
    assert "Fonds solidaire et formation numérique des jeunes" not in diff and "(not yet translated)" in diff
    assert "1 added" in diff
    plan = client.get("/plan").get_data(as_text=True)
    assert "Version 2" in plan and "صندوق تضامني وتكوين الشباب" in plan
    versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.number)).all()
    assert [v.state for v in versions] == ["published", "published"]
    assert db.session.scalar(select(Decision).where(Decision.action_id == action.id, Decision.kind == "published"))
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"plan.action_created", "plan.lead_requested", "plan.volunteered", "plan.commitment_confirmed",
            "plan.version_submitted", "plan.version_published"} <= actions
