"""Writing, publishing, co-signing, deliberating and curating proposals."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tadamon.extensions import db
from tadamon.proposals.models import Comment, CoSignature, Proposal, ProposalVersion
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests import support

LONG_ARABIC = ("نقترح إحداث صندوق جهوي للتضامن يمول مشاريع التعاونيات النسائية في العالم القروي، "
               "مع مواكبة تقنية ومالية لمدة ثلاث سنوات، وإشراك الجماعات الترابية في الحكامة. ") * 40


def publish(client, consultation, title="صندوق جهوي للتضامن", body=LONG_ARABIC, **extra):
    data = {"title": title, "body": body, "language": "ar", "territory_scope": "national", "action": "publish",
            **extra}
    return client.post(f"/consultations/{consultation.id}/proposals/new", data=data,
                       headers={"Origin": "http://localhost"})


def test_a_long_arabic_proposal_survives_an_expired_session(app, members, consultation, login):
    representative, _ = members[0]
    client = app.test_client()
    # the session has expired: the person is logged out, the form is posted anyway
    response = publish(client, consultation)
    assert response.status_code == 401  # the log-in page, carrying the text
    support.log_in_from_page(client, response.get_data(as_text=True), representative.email,
                             "correct horse battery staple")
    page = client.get(f"/consultations/{consultation.id}/proposals/new").get_data(as_text=True)
    assert LONG_ARABIC.strip()[:200] in page
    assert "صندوق جهوي للتضامن" in page


def test_every_failed_submit_keeps_a_server_draft(client, members, consultation, login):
    login(client, members[0][0])
    response = publish(client, consultation, title="abc", body="trop court")
    assert 'aria-invalid="true"' in response.get_data(as_text=True)  # beside the title, in Arabic
    draft = db.session.scalar(select(Proposal))
    assert draft.state == "draft" and draft.body == "trop court"


def test_script_in_title_and_body_is_inert(app, client, members, consultation, login):
    login(client, members[0][0])
    response = publish(client, consultation, title="<script>alert('t')</script> Fonds",
                       body="Texte <script>alert('b')</script> **gras** [lien](javascript:alert(1))")
    proposal = db.session.scalar(select(Proposal))
    page = app.test_client().get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page
    assert "<strong>gras</strong>" in page
    assert 'href="javascript:' not in page
    assert response.status_code == 302


def test_versions_are_kept_and_only_the_organisation_edits(app, client, members, consultation, login):
    login(client, members[0][0])
    publish(client, consultation)
    proposal = db.session.scalar(select(Proposal))
    client.post(f"/proposals/{proposal.id}/edit", data={"title": "صندوق جهوي للتضامن والإدماج", "body": LONG_ARABIC,
                                                        "language": "ar", "territory_scope": "national",
                                                        "action": "publish"})
    assert [v.number for v in db.session.scalars(select(ProposalVersion))] == [1, 2]
    assert app.test_client().get(f"/proposals/{proposal.id}/versions/1").status_code == 200
    outsider = app.test_client()
    login(outsider, members[1][0])
    assert outsider.get(f"/proposals/{proposal.id}/edit").status_code == 403
    assert outsider.post(f"/proposals/{proposal.id}/withdraw").status_code == 403


def test_cosigning_once_per_organisation(app, client, members, consultation, login):
    login(client, members[0][0])
    publish(client, consultation)
    proposal = db.session.scalar(select(Proposal))
    supporter = app.test_client()
    login(supporter, members[1][0])
    supporter.post(f"/proposals/{proposal.id}/cosign")
    supporter.post(f"/proposals/{proposal.id}/cosign")
    assert db.session.scalar(select(func.count()).select_from(CoSignature)) == 1
    assert proposal.cosignature_count == 1
    # its own organisation does not co-sign its proposal
    assert client.post(f"/proposals/{proposal.id}/cosign").status_code == 403


def test_deliberation_comments_replies_and_moderation(app, client, members, consultation, login, facilitator):
    login(client, members[0][0])
    publish(client, consultation)
    proposal = db.session.scalar(select(Proposal))
    commenter = app.test_client()
    login(commenter, members[1][0])
    assert commenter.post(f"/proposals/{proposal.id}/comments", data={"body": "x", "stance": "for"}).status_code == 403
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    commenter.post(f"/proposals/{proposal.id}/comments", data={"body": "Nous soutenons.", "stance": "for"})
    first = db.session.scalar(select(Comment))
    client.post(f"/proposals/{proposal.id}/comments", data={"body": "Merci !", "stance": "neutral",
                                                            "parent_id": str(first.id)})
    second = db.session.scalar(select(Comment).where(Comment.parent_id == first.id))
    commenter.post(f"/proposals/{proposal.id}/comments", data={"body": "Précision", "stance": "neutral",
                                                               "parent_id": str(second.id)})
    third = db.session.scalar(select(Comment).where(Comment.parent_id == second.id))
    too_deep = commenter.post(f"/proposals/{proposal.id}/comments", data={"body": "Encore", "stance": "neutral",
                                                                          "parent_id": str(third.id)})
    assert too_deep.status_code == 400  # refused with a message (in the commenter's French)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 3
    moderator = app.test_client()
    login(moderator, facilitator)
    moderator.post(f"/comments/{first.id}/hide", data={"reason": "Hors sujet"})
    public = app.test_client().get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Nous soutenons." not in public and "Hors sujet" in public
    assert "Nous soutenons." in moderator.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    from tadamon.core.audit import AuditEntry

    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moderation.comment_hidden"))


def test_merge_keeps_authors_cosignatures_and_comments_and_redirects(app, members, consultation, login,
                                                                      facilitator):
    (rep_a, org_a), (rep_b, org_b), (rep_c, org_c) = members
    clients = {}
    for representative in (rep_a, rep_b, rep_c):
        clients[representative.id] = app.test_client()
        login(clients[representative.id], representative)
    publish(clients[rep_a.id], consultation, title="Fonds pour les coopératives")
    publish(clients[rep_b.id], consultation, title="Fonds de soutien aux coopératives")
    target, source = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    clients[rep_c.id].post(f"/proposals/{target.id}/cosign")
    clients[rep_c.id].post(f"/proposals/{source.id}/cosign")
    clients[rep_a.id].post(f"/proposals/{source.id}/cosign")
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    clients[rep_c.id].post(f"/proposals/{source.id}/comments", data={"body": "Très utile", "stance": "for"})
    moderator = app.test_client()
    login(moderator, facilitator)
    response = moderator.post(f"/proposals/{target.id}/merge",
                              data={"sources": [str(source.id)], "reason": "Même idée"})
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(Proposal, target.id)
    assert db.session.get(Proposal, source.id).state == "merged"
    signers = set(db.session.scalars(select(CoSignature.organisation_id).where(CoSignature.proposal_id == target.id)))
    assert signers == {org_c.id}  # C once (deduplicated); A's own co-signature is its authorship now
    assert db.session.scalar(select(func.count()).where(Comment.proposal_id == target.id)) == 1
    redirect = app.test_client().get(f"/proposals/{source.id}")
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith(f"/proposals/{target.id}")
    page = app.test_client().get(f"/proposals/{target.id}").get_data(as_text=True)
    assert "Même idée" in page and "Fonds de soutien aux coopératives" in page
    assert org_b.display_name in page  # co-author
    assert app.test_client().get(f"/proposals/{source.id}/versions/1").status_code == 200


def test_list_filters_search_and_constant_queries(app, client, members, consultation, login):
    from sqlalchemy import event

    login(client, members[0][0])
    publish(client, consultation, title="التعاونيات النسائية")

    def queries(path):
        db.session.expire_all()
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            app.test_client().get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    url = f"/consultations/{consultation.id}/proposals"
    for query in ("التعاونيات", "التعاونيّات", "النسائيه"):
        assert "التعاونيات النسائية" in app.test_client().get(url, query_string={"q": query}).get_data(as_text=True)
    publish(client, consultation, title="Proposition deux")
    few = queries(url + "?sort=cosigned")
    for number in range(6):
        publish(client, consultation, title=f"Proposition numéro {number}")
    assert queries(url + "?sort=cosigned") == few
    assert app.test_client().get(url, query_string={"sort": "random", "page": "x", "theme": "y"}).status_code == 200


def test_similar_proposals_are_shown(app, client, members, consultation, login):
    login(client, members[0][0])
    publish(client, consultation, title="Fonds de garantie pour les coopératives féminines",
            body="Créer un fonds de garantie pour les coopératives féminines rurales de la région.")
    other = app.test_client()
    login(other, members[1][0])
    publish(other, consultation, title="Un fonds de garantie des coopératives de femmes",
            body="Un fonds de garantie pour aider les coopératives de femmes rurales.")
    first, second = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    page = app.test_client().get(f"/proposals/{second.id}").get_data(as_text=True)
    assert f"/proposals/{first.id}" in page


def test_pagination_keeps_the_consultation_and_the_filters(app, client, members, consultation, login):
    login(client, members[0][0])
    for number in range(22):
        publish(client, consultation, title=f"Proposition numéro {number}")
    page = app.test_client().get(f"/consultations/{consultation.id}/proposals?sort=cosigned").get_data(as_text=True)
    assert f"/consultations/{consultation.id}/proposals?sort=cosigned&amp;page=2" in page


def test_amendments_are_decided_by_the_proposals_own_organisation_only(app, client, members, consultation, login,
                                                                       facilitator):
    from tadamon.proposals.models import Amendment, CoAuthor

    (rep_a, org_a), (rep_b, org_b), (rep_c, _org_c) = members
    login(client, rep_a)
    publish(client, consultation, title="Fonds pour les coopératives")
    proposal = db.session.scalar(select(Proposal))
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    amender = app.test_client()
    login(amender, rep_b)
    incomplete = amender.post(f"/proposals/{proposal.id}/amendments",
                              data={"title": "Fonds élargi", "body": "Un fonds pour toutes les coopératives.",
                                    "justification": ""})
    assert 'aria-invalid="true"' in incomplete.get_data(as_text=True)
    assert "Un fonds pour toutes les coopératives." in incomplete.get_data(as_text=True)
    amender.post(f"/proposals/{proposal.id}/amendments",
                 data={"title": "Fonds élargi", "body": "Un fonds pour toutes les coopératives de la région.",
                       "justification": "Inclure les coopératives mixtes."})
    amendment = db.session.scalar(select(Amendment))
    # neither the amending organisation nor a third one can accept it
    for outsider in (amender, ):
        assert outsider.post(f"/amendments/{amendment.id}/decide", data={"decision": "accept"}).status_code == 403
    third = app.test_client()
    login(third, rep_c)
    assert third.post(f"/amendments/{amendment.id}/decide", data={"decision": "accept"}).status_code == 403
    client.post(f"/amendments/{amendment.id}/decide", data={"decision": "accept"})
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.title == "Fonds élargi" and proposal.version == 2
    assert db.session.scalar(select(CoAuthor.organisation_id).where(CoAuthor.proposal_id == proposal.id)) == org_b.id
    assert client.post(f"/amendments/{amendment.id}/decide", data={"decision": "reject"}).status_code == 403


def test_new_comments_are_notified_in_groups(app, client, members, consultation, login, facilitator, outbox):
    (rep_a, _), (rep_b, _), (rep_c, _) = members
    login(client, rep_a)
    publish(client, consultation)
    proposal = db.session.scalar(select(Proposal))
    supporter = app.test_client()
    login(supporter, rep_c)
    supporter.post(f"/proposals/{proposal.id}/cosign")
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    commenter = app.test_client()
    login(commenter, rep_b)
    support.email_everything_at_once(rep_a, rep_b, rep_c)
    before = len(outbox())
    for text in ("Premier avis", "Deuxième avis", "Troisième avis"):
        commenter.post(f"/proposals/{proposal.id}/comments", data={"body": text, "stance": "for"})
    # within the quarter of an hour: nothing yet, whatever the requests in between
    assert "notify_new_comments: 0" in app.test_cli_runner().invoke(args=["tick"]).output
    app.config["COMMENT_DIGEST_MINUTES"] = 0
    try:
        result = app.test_cli_runner().invoke(args=["tick"])
    finally:
        app.config["COMMENT_DIGEST_MINUTES"] = 15
    assert "notify_new_comments: 1" in result.output
    new = outbox()[before:]
    assert sorted(m.recipient for m in new if "3" in m.text_body) == ["rep0@example.org", "rep2@example.org"]
    # nothing more to say on the next tick
    assert "notify_new_comments: 0" in app.test_cli_runner().invoke(args=["tick"]).output


def test_attachments_are_checked_by_content(app, client, members, consultation, login):
    import io

    login(client, members[0][0])
    publish(client, consultation)
    proposal = db.session.scalar(select(Proposal))
    url = f"/proposals/{proposal.id}/edit"
    base = {"title": proposal.title, "body": proposal.body, "language": "ar", "territory_scope": "national",
            "action": "publish"}
    refused = client.post(url, data={**base, "attachment": (io.BytesIO(b"MZ\x90\x00 executable"), "photo.png")},
                          content_type="multipart/form-data")
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    client.post(url, data={**base, "attachment": (io.BytesIO(png), "photo.png")}, content_type="multipart/form-data")
    from tadamon.proposals.models import Attachment

    item = db.session.scalar(select(Attachment))
    assert item.file_type == "png"
    download = app.test_client().get(f"/proposals/{proposal.id}/attachments/{item.id}")
    assert download.data == png and download.headers["Content-Type"] == "image/png"
    download.close()


def test_split_keeps_the_organisation_and_cosignatures(app, client, members, consultation, login, facilitator):
    (rep_a, org_a), (rep_b, org_b), _ = members
    login(client, rep_a)
    publish(client, consultation, title="Fonds et formation pour les coopératives")
    proposal = db.session.scalar(select(Proposal))
    supporter = app.test_client()
    login(supporter, rep_b)
    supporter.post(f"/proposals/{proposal.id}/cosign")
    moderator = app.test_client()
    login(moderator, facilitator)
    response = moderator.post(f"/proposals/{proposal.id}/split", data={
        "title_1": "Un fonds pour les coopératives", "body_1": "Créer un fonds de garantie pour les coopératives.",
        "title_2": "Une formation pour les coopératives", "body_2": "Former les membres des coopératives à la gestion.",
        "reason": "Deux idées distinctes"})
    assert response.status_code == 302
    parts = db.session.scalars(select(Proposal).where(Proposal.id != proposal.id)).all()
    assert len(parts) == 2 and all(p.organisation_id == org_a.id and p.cosignature_count == 1 for p in parts)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "split"
    page = app.test_client().get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Deux idées distinctes" in page


def test_autosave_keeps_a_draft_as_people_write(client, members, consultation, login):
    login(client, members[0][0])
    response = client.post(f"/consultations/{consultation.id}/proposals/autosave",
                           data={"title": "Brouillon", "body": "Un texte en cours", "language": "fr",
                                 "territory_scope": "national"})
    answer = response.get_json()
    draft = db.session.get(Proposal, answer["id"])
    assert draft.state == "draft" and draft.body == "Un texte en cours"
    assert answer["edit_url"] == f"/proposals/{draft.id}/edit"
    client.post(answer["autosave_url"], data={"title": "Brouillon", "body": "Un texte plus long maintenant",
                                              "language": "fr", "territory_scope": "national"})
    db.session.expire_all()
    assert db.session.get(Proposal, draft.id).body == "Un texte plus long maintenant"
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_the_submit_and_an_autosave_of_one_writing_page_keep_one_draft(client, members, consultation, login):
    """The script may save the page while its form is being submitted: both name the same draft."""
    login(client, members[0][0])
    page = client.get(f"/consultations/{consultation.id}/proposals/new").get_data(as_text=True)
    draft_key = re.search(r'name="draft_key" type="hidden" value="([^"]+)"', page).group(1)
    fields = {"title": "Une caisse", "body": "Une caisse solidaire\r\npour les coopératives", "language": "fr",
              "territory_scope": "national", "draft_key": draft_key}
    autosaved = client.post(f"/consultations/{consultation.id}/proposals/autosave", data=fields).get_json()
    response = client.post(f"/consultations/{consultation.id}/proposals/new", data={**fields, "action": "publish"})
    assert response.status_code == 302
    proposals = db.session.scalars(select(Proposal)).all()
    assert [(p.id, p.state) for p in proposals] == [(autosaved["id"], "published")]
    # Line breaks are stored in one form, whatever the browser sent.
    assert proposals[0].body == "Une caisse solidaire\npour les coopératives"
    # A late autosave of the same page does not bring the draft back.
    client.post(f"/consultations/{consultation.id}/proposals/autosave", data=fields)
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_a_merged_proposal_page_costs_no_query_per_source_or_co_author(app, members, consultation, login,
                                                                         facilitator):
    """The co-authors, the lineage steps and their sources come with the proposal's own row: a
    proposal merged from two others answers in as many queries as one never merged."""

    clients = {}
    for representative, _organisation in members:
        clients[representative.id] = app.test_client()
        login(clients[representative.id], representative)
    (rep_a, _), (rep_b, org_b), (rep_c, org_c) = members
    publish(clients[rep_a.id], consultation, title="Fonds pour les coopératives")
    publish(clients[rep_b.id], consultation, title="Fonds de soutien aux coopératives")
    publish(clients[rep_c.id], consultation, title="Caisse des coopératives rurales")
    publish(clients[rep_a.id], consultation, title="Une autre idée")
    target, first, second, plain = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    db.session.commit()
    moderator = app.test_client()
    login(moderator, facilitator)
    assert moderator.post(f"/proposals/{target.id}/merge", data={"sources": [str(first.id), str(second.id)],
                                                                 "reason": "Même idée"}).status_code == 302

    def page_and_queries(proposal_id):
        response, seen = support.page_statements(app.test_client(), f"/proposals/{proposal_id}")
        return response.get_data(as_text=True), len(seen)

    merged_page, merged_queries = page_and_queries(target.id)
    _plain_page, plain_queries = page_and_queries(plain.id)
    assert merged_queries == plain_queries
    for shown in ("Fonds de soutien aux coopératives", "Caisse des coopératives rurales",
                  org_b.display_name, org_c.display_name):
        assert shown in merged_page
