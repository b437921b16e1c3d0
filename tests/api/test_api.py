"""The REST API: tokens made on the account page, writes through the same rules and services as
the browser, problem+json errors in the caller's language, pagination and ETags."""

from __future__ import annotations

import re

from sqlalchemy import select

from tadamon.api.models import ApiToken
from tadamon.core.audit import AuditEntry
from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tadamon.proposals.models import Proposal, ProposalState
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.api.conftest import bearer

ARABIC_TITLE = "صندوق التضامن للجمعيات المحلية"


def _create_token_on_the_account_page(client, name, scopes):
    page = client.post("/account/tokens", data={"name": name, "scopes": scopes})
    assert page.status_code == 200
    match = re.search(r'<code dir="ltr" id="new-token">([^<]+)</code>', page.get_data(as_text=True))
    assert match, "the new token is shown once"
    return match.group(1)


def test_a_member_writes_a_draft_in_arabic_is_refused_cosigning_and_revokes(
        app, client, login, members, consultation):
    person, organisation = members[0]
    login(client, person)
    secret = _create_token_on_the_account_page(client, "أداة التحرير", ["proposals"])
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == person.id))
    assert token.token_hash != secret and secret not in token.token_hash  # only a hash is kept
    assert secret not in client.get("/account/tokens").get_data(as_text=True)  # shown once

    api = app.test_client()  # no session cookie: the token alone
    response = api.post(f"/api/v1/consultations/{consultation.id}/proposals", headers=bearer(secret, "ar"),
                        json={"title": ARABIC_TITLE, "body": "نقترح إنشاء صندوق للتضامن.", "language": "ar"})
    assert response.status_code == 201, response.get_data(as_text=True)
    draft_id = response.json["id"]
    assert response.json["state"] == "draft" and response.json["organisation_id"] == organisation.id
    draft = db.session.get(Proposal, draft_id)
    assert draft.state == ProposalState.DRAFT and draft.author_id == person.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api.proposal_draft_saved"))
    assert entry.after["token_name"] == "أداة التحرير" and entry.actor_id == person.id

    # The browser shows the draft to its organisation.
    page = client.get(f"/proposals/{draft_id}")
    assert page.status_code == 200 and ARABIC_TITLE in page.get_data(as_text=True)

    # Another organisation's published proposal: the token lacks the cosign scope.
    other_person, other = members[1]
    data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.",
                                  language="fr")
    published = proposals.save_draft(consultation, other, other_person, data)
    proposals.publish(published, other_person, data)
    db.session.commit()
    refused = api.post(f"/api/v1/proposals/{published.id}/cosignatures", headers=bearer(secret, "ar"))
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 403 and re.search("[\u0600-\u06ff]", refused.json["title"])
    assert published.cosignature_count == 0

    # Revoked on the account page: the next call is 401.
    client.post(f"/account/tokens/{token.id}/revoke")
    again = api.post(f"/api/v1/consultations/{consultation.id}/proposals", headers=bearer(secret, "ar"),
                     json={"title": "مسودة أخرى"})
    assert again.status_code == 401 and again.mimetype == "application/problem+json"
    assert again.headers["WWW-Authenticate"].startswith("Bearer")


def test_cosign_and_comment_ask_the_same_rules_as_the_browser(app, members, consultation, facilitator,
                                                             make_token):
    (author, own), (person, other) = members[0], members[1]
    data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
    proposal = proposals.save_draft(consultation, own, author, data)
    proposals.publish(proposal, author, data)
    db.session.commit()
    api = app.test_client()
    secret = make_token(person, other, "cosign", "comments")
    response = api.post(f"/api/v1/proposals/{proposal.id}/cosignatures", headers=bearer(secret))
    assert response.status_code == 201 and response.json["created"] is True
    assert response.json["cosignature_count"] == 1
    again = api.post(f"/api/v1/proposals/{proposal.id}/cosignatures", headers=bearer(secret))
    assert again.status_code == 201 and again.json["created"] is False
    # The author's own organisation may not co-sign its proposal, API or not.
    own_secret = make_token(author, own, "cosign")
    assert api.post(f"/api/v1/proposals/{proposal.id}/cosignatures", headers=bearer(own_secret)).status_code == 403
    # Comments open with deliberation, as in the browser.
    too_early = api.post(f"/api/v1/proposals/{proposal.id}/comments", headers=bearer(secret),
                         json={"body": "D'accord", "stance": "for"})
    assert too_early.status_code == 403
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    made = api.post(f"/api/v1/proposals/{proposal.id}/comments", headers=bearer(secret),
                    json={"body": "D'accord", "stance": "for"})
    assert made.status_code == 201 and made.json["organisation_id"] == other.id
    invalid = api.post(f"/api/v1/proposals/{proposal.id}/comments", headers=bearer(secret, "fr"),
                       json={"body": "x", "stance": "maybe"})
    assert invalid.status_code == 422 and "stance" in invalid.json["errors"]["json"]
    assert invalid.mimetype == "application/problem+json"


def test_the_session_cookie_never_authenticates_the_api(app, client, login, members, consultation):
    person, _organisation = members[0]
    login(client, person)
    response = client.post(f"/api/v1/consultations/{consultation.id}/proposals", json={"title": "Sans jeton"})
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(select(Proposal).where(Proposal.title == "Sans jeton")) is None


def test_reads_are_public_paginated_translated_and_cacheable(app, members, consultation):
    api = app.test_client()
    first = api.get("/api/v1/organisations?limit=2", headers={"Accept-Language": "ar"})
    assert first.status_code == 200 and len(first.json["data"]) == 2
    names = [o["name"] for o in first.json["data"]]
    assert names[0] == "جمعية الأمل" and set(first.json["data"][0]["name_i18n"]) == {"ar", "fr", "en"}
    second = api.get(f"/api/v1/organisations?limit=2&cursor={first.json['next_cursor']}")
    assert len(second.json["data"]) == 1 and second.json["next_cursor"] is None
    assert {o["id"] for o in first.json["data"]}.isdisjoint(o["id"] for o in second.json["data"])
    assert "contact_email" not in first.json["data"][0]
    # ETag / If-None-Match
    etag = first.headers["ETag"]
    cached = api.get("/api/v1/organisations?limit=2", headers={"Accept-Language": "ar", "If-None-Match": etag})
    assert cached.status_code == 304
    consultation_json = api.get(f"/api/v1/consultations/{consultation.id}", headers={"Accept-Language": "fr"}).json
    assert consultation_json["question"] == "Quelles priorités ?" and consultation_json["phase"] == "proposals_open"
    assert consultation_json["workshop_ics"].endswith(".ics")
    assert consultation_json["history"][-1]["to_phase"] == "proposals_open"
    bad = api.get("/api/v1/organisations?cursor=nonsense", headers={"Accept-Language": "fr"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    missing = api.get("/api/v1/proposals/999999", headers={"Accept-Language": "ar"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert re.search("[\u0600-\u06ff]", missing.json["title"])


def test_the_openapi_document_and_its_page(app):
    api = app.test_client()
    document = api.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/consultations/{consultation_id}/proposals" in document["paths"]
    page = api.get("/api/docs")
    assert page.status_code == 200 and "POST /api/v1/proposals/{proposal_id}/cosignatures" in page.get_data(as_text=True)


def test_writes_are_rate_limited_per_token(app, members, consultation, make_token, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_API_WRITES", "2 per minute")
    person, organisation = members[0]
    first, second = make_token(person, organisation, "proposals"), make_token(person, organisation, "proposals")
    api = app.test_client()
    url = f"/api/v1/consultations/{consultation.id}/proposals"
    codes = [api.post(url, headers=bearer(first), json={"title": f"Brouillon {n}"}).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    limited = api.post(url, headers=bearer(first), json={"title": "Encore"})
    assert limited.mimetype == "application/problem+json"
    # another token of the same person and address has its own allowance
    assert api.post(url, headers=bearer(second), json={"title": "Autre outil"}).status_code == 201


def test_charter_themes_and_workshops(app, members, consultation, theme):
    api = app.test_client()
    charter = api.get("/api/v1/charter", headers={"Accept-Language": "fr"}).json
    assert charter["version"] >= 1 and isinstance(charter["principles"], list)
    themes = api.get("/api/v1/themes").json["data"]
    assert theme.id in [t["id"] for t in themes]
    workshops = api.get(f"/api/v1/workshops?theme_id={theme.id}", headers={"Accept-Language": "ar"}).json["data"]
    assert workshops and workshops[0]["title"] == "ورشة التضامن" and workshops[0]["ics"].endswith(".ics")
    one = api.get(f"/api/v1/workshops/{workshops[0]['id']}").json
    assert one["id"] == workshops[0]["id"] and one["title_i18n"]["fr"] == "Atelier solidarité"


def test_unstorable_characters_in_a_body(app, members, consultation, make_token):
    person, organisation = members[0]
    secret = make_token(person, organisation, "proposals")
    api = app.test_client()
    url = f"/api/v1/consultations/{consultation.id}/proposals"
    refused = api.post(url, headers=bearer(secret), json={"title": "nul \x00 here"})
    assert refused.status_code == 422 and "title" in refused.json["errors"]["json"]
    kept = api.post(url, headers={**bearer(secret), "Content-Type": "application/json"},
                    data='{"title": "lone \\udabe surrogate"}')
    assert kept.status_code == 201 and kept.json["title"] == "lone \ufffd surrogate"


def test_the_token_page_names_the_organisation_in_the_readers_language(client, login, members):
    person, organisation = members[1]  # a French-speaking representative
    organisation.name_fr = "Association Atlas du Nord"
    db.session.commit()
    login(client, person)
    page = client.get("/account/tokens").get_data(as_text=True)
    # A placeholder written as %(name)s inside {% trans %} is never substituted: Jinja names
    # variables {{ name }} there.
    assert "%(name)s" not in page
    assert re.search(r"Il agira pour <bdi[^>]*>Association Atlas du Nord</bdi>", page), page
