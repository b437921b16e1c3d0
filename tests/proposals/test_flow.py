"""Work that flows (issue 14, deliverable 8): evaluating proposals one after the other, and
finding a saved draft again."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.proposals import services
from tadamon.proposals.models import Proposal


def _published(consultation, members, titles):
    proposals = []
    for (person, organisation), title in zip(members, titles, strict=False):
        data = services.ProposalData(title=title, body="Un texte assez long pour être publié tel quel.", language="fr")
        proposal = services.save_draft(consultation, organisation, person, data)
        services.publish(proposal, person, data)
        proposals.append(proposal)
    db.session.commit()
    return proposals


def test_the_evaluation_links_to_the_previous_and_next_proposal_still_waiting(
        client, login, facilitator, members, consultation):
    first, second, third = _published(consultation, members, ["Un fonds", "Une école", "Un marché"])
    login(client, facilitator)
    page = client.get(f"/proposals/{second.id}").get_data(as_text=True)
    assert f'href="/proposals/{first.id}#evaluate" rel="prev"' in page
    assert f'href="/proposals/{third.id}#evaluate" rel="next"' in page
    assert 'name="then" value="next"' in page
    # Once the first is evaluated, the second has no previous one left to evaluate.
    services.evaluate(facilitator, first, "accepted", "")
    db.session.commit()
    page = client.get(f"/proposals/{second.id}").get_data(as_text=True)
    assert 'rel="prev"' not in page and f'href="/proposals/{third.id}#evaluate" rel="next"' in page


def test_save_and_next_goes_round_the_proposals_waiting_then_back_to_the_list(
        client, login, facilitator, members, consultation):
    first, second, third = _published(consultation, members, ["Un fonds", "Une école", "Un marché"])
    login(client, facilitator)
    response = client.post(f"/proposals/{second.id}/evaluate", data={"evaluation": "accepted", "then": "next"})
    assert response.headers["Location"].endswith(f"/proposals/{third.id}#evaluate")
    # From the last one, back to the first still waiting.
    response = client.post(f"/proposals/{third.id}/evaluate", data={"evaluation": "not_retained",
                                                                  "answer": "Hors sujet", "then": "next"})
    assert response.headers["Location"].endswith(f"/proposals/{first.id}#evaluate")
    response = client.post(f"/proposals/{first.id}/evaluate", data={"evaluation": "accepted", "then": "next"},
                           follow_redirects=True)
    assert response.request.path == f"/consultations/{consultation.id}/proposals"
    assert "Every proposal of this consultation has its evaluation." in response.get_data(as_text=True)
    assert [p.evaluation for p in (first, second, third)] == ["accepted", "accepted", "not_retained"]
    # Without "next", the facilitator stays on the proposal.
    response = client.post(f"/proposals/{first.id}/evaluate", data={"evaluation": "changes_requested",
                                                                  "answer": "Précisez le budget"})
    assert response.headers["Location"].endswith(f"/proposals/{first.id}")
    # A refusal (no public answer for a proposal not accepted) is said, and does not move on.
    response = client.post(f"/proposals/{second.id}/evaluate", data={"evaluation": "not_retained",
                                                                   "then": "next"}, follow_redirects=True)
    assert response.request.path == f"/proposals/{second.id}"
    assert "Give the organisation a public answer." in response.get_data(as_text=True)
    assert second.evaluation == "accepted"
    # An evaluation not chosen is not recorded, and does not move on.
    response = client.post(f"/proposals/{second.id}/evaluate", data={"then": "next"})
    assert response.headers["Location"].endswith(f"/proposals/{second.id}#evaluate")


def test_a_member_sees_no_evaluation_nor_its_neighbours(client, login, members, consultation):
    first, second = _published(consultation, members, ["Un fonds", "Une école"])
    login(client, members[2][0])
    page = client.get(f"/proposals/{first.id}").get_data(as_text=True)
    assert 'rel="next"' not in page and "/evaluate" not in page
    assert client.post(f"/proposals/{second.id}/evaluate", data={"evaluation": "accepted",
                                                                 "then": "next"}).status_code == 403
    assert second.evaluation is None


def test_a_saved_draft_is_found_again_from_the_consultation_and_the_home_page(
        app, client, login, members, consultation, create_user):
    representative, organisation = members[0]
    representative.preferred_language = "en"  # the account's language wins over Accept-Language
    login(client, representative)
    client.post(f"/consultations/{consultation.id}/proposals/new",
                data={"title": "Brouillon à finir", "body": "Pas fini", "language": "fr",
                      "territory_scope": "national", "action": "draft"})
    draft = db.session.scalar(select(Proposal).where(Proposal.state == "draft"))
    assert draft is not None
    # Reachable from the consultation page, the list of proposals and the home page.
    for url in (f"/consultations/{consultation.id}", f"/consultations/{consultation.id}/proposals", "/"):
        page = client.get(url).get_data(as_text=True)
        assert "My drafts" in page, url
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'href="/proposals/drafts?consultation={consultation.id}"' in page
    drafts = client.get(f"/proposals/drafts?consultation={consultation.id}").get_data(as_text=True)
    assert "Brouillon à finir" in drafts and f'href="/proposals/{draft.id}/edit"' in drafts
    assert "Brouillon à finir" in client.get("/proposals/drafts").get_data(as_text=True)
    # Another organisation's people do not see it.
    other = app.test_client()
    members[1][0].preferred_language = "en"
    login(other, members[1][0])
    page = other.get("/proposals/drafts").get_data(as_text=True)
    assert "Brouillon à finir" not in page and "No draft" in page
    # A person acting for no organisation has no drafts page, and no link to one.
    nobody = app.test_client()
    login(nobody, create_user(roles=[Role.FACILITATOR]))
    assert nobody.get("/proposals/drafts").status_code == 403
    assert "My drafts" not in nobody.get("/").get_data(as_text=True)
    assert app.test_client().get("/proposals/drafts").status_code == 302  # to log in


def test_a_draft_of_a_consultation_past_its_proposals_is_listed_without_an_edit_link(
        client, login, facilitator, members, consultation):
    from tadamon.workshops import services as workshops
    from tadamon.workshops.models import Phase

    representative, organisation = members[0]
    draft = services.save_draft(consultation, organisation, representative,
                                services.ProposalData(title="Trop tard", body="Pas fini", language="fr"))
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    representative.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    login(client, representative)
    page = client.get("/proposals/drafts").get_data(as_text=True)
    assert "Trop tard" in page and f"/proposals/{draft.id}/edit" not in page
    assert "Proposals are closed in this consultation." in page
