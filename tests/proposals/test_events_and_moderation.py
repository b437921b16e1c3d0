"""What the organisations behind a proposal are told (amendments, co-signatures, evaluation,
merges, splits), and the moderation queue: reports shown to the consultation's facilitators,
hidden or kept with a reason told to the reporter and the author, audited."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.core.audit import AuditEntry
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.proposals import services
from tadamon.proposals.models import Comment, Report
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase


def told(user, kind: str) -> int:
    return db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)) or 0


def published(consultation, member, title: str):
    person, organisation = member
    data = services.ProposalData(title=title, body=f"{title}: une proposition détaillée et argumentée.", language="fr")
    proposal = services.save_draft(consultation, organisation, person, data)
    services.publish(proposal, person, data)
    db.session.commit()
    return proposal


def test_amendments_cosignatures_and_curation_are_told(members, consultation, facilitator):
    (rep_a, _org_a), (rep_b, org_b), (rep_c, org_c) = members
    proposal = published(consultation, members[0], "Fonds pour les coopératives")
    other = published(consultation, members[2], "Fonds pour les coopératives rurales")

    assert services.cosign(proposal, org_b, rep_b)
    assert told(rep_a, "proposals.cosigned") == 1
    assert not services.cosign(proposal, org_b, rep_b)
    assert told(rep_a, "proposals.cosigned") == 1, "a second click tells nobody again"

    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    amendment = services.propose_amendment(proposal, org_b, rep_b, title="Fonds élargi",
                                           body="Un fonds pour toutes les coopératives du pays.",
                                           justification="Plus large")
    assert told(rep_a, "proposals.amendment_proposed") == 1
    assert told(rep_b, "proposals.amendment_proposed") == 0
    services.decide_amendment(rep_a, amendment, accept=True)
    assert told(rep_b, "proposals.amendment_accepted") == 1
    assert told(rep_a, "proposals.amendment_accepted") == 0, "who decided is not told of it"

    services.evaluate(facilitator, proposal, "changes_requested", "Précisez le budget.")
    # The proposal's organisation and its new co-author (the accepted amendment's) hear.
    assert told(rep_a, "proposals.evaluated_with_answer") == 1
    assert told(rep_b, "proposals.evaluated_with_answer") == 1

    services.merge(facilitator, proposal, [other], "Doublons")
    assert told(rep_c, "proposals.merged") == 1
    assert told(rep_a, "proposals.merged_into_yours") == 1
    db.session.commit()

    services.split(facilitator, proposal, [("Fonds urbain", "Un fonds pour les coopératives des villes."),
                                           ("Fonds rural", "Un fonds pour les coopératives des campagnes.")],
                   "Deux publics")
    assert told(rep_a, "proposals.split") == 1
    assert told(rep_c, "proposals.split") == 1, "a co-author through the merge"


def test_a_reported_comment_is_handled_from_the_queue(app, client, login, members, consultation, facilitator,
                                                      create_user, outbox):
    (rep_a, _org_a), (rep_b, org_b), _ = members
    proposal = published(consultation, members[0], "Fonds pour les coopératives")
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    comment = services.add_comment(proposal, org_b, rep_b, "Un commentaire blessant", "against")
    facilitator.preferred_language = "en"
    db.session.commit()

    reporter = app.test_client()
    rep_a.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    login(reporter, rep_a)
    answer = reporter.post(f"/proposals/{proposal.id}/report",
                           data={"target_type": "comment", "target_id": comment.id, "reason": "Insultant"})
    assert answer.status_code == 302
    assert told(facilitator, "proposals.report_received") == 1
    # A comment of another proposal cannot be reported through this one.
    other = published(consultation, members[2], "Autre proposition à discuter")
    reporter.post(f"/proposals/{other.id}/report",
                  data={"target_type": "comment", "target_id": comment.id, "reason": "x"})
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 1

    page = reporter.get(f"/proposals/{proposal.id}")
    assert "Report this comment" in page.get_data(as_text=True)

    login(client, facilitator)
    queue = client.get("/moderation")
    assert queue.status_code == 200
    body = queue.get_data(as_text=True)
    assert "Un commentaire blessant" in body and "Insultant" in body
    report = db.session.scalar(select(Report))
    refused = client.post(f"/reports/{report.id}/handle", data={"decision": "hide", "reason": ""},
                          follow_redirects=True)
    assert db.session.get(Report, report.id).resolved_at is None
    assert refused.status_code == 200
    client.post(f"/reports/{report.id}/handle", data={"decision": "hide", "reason": "Propos injurieux"})
    db.session.expire_all()
    assert db.session.get(Report, report.id).decision == "hide"
    assert db.session.get(Comment, comment.id).hidden_reason == "Propos injurieux"
    assert told(rep_a, "proposals.report_handled") == 1
    assert told(rep_b, "proposals.content_moderated") == 1
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moderation.report_handled")) is not None
    assert "No report waits for a decision." in client.get("/moderation").get_data(as_text=True)
    # Handled once: a second decision is refused.
    assert client.post(f"/reports/{report.id}/handle",
                       data={"decision": "keep", "reason": "Non"}).status_code == 403

    outsider = app.test_client()
    login(outsider, create_user(roles=[], language="en"))
    assert outsider.get("/moderation").status_code == 403


def test_a_hidden_proposal_shows_the_reason_and_leaves_the_vote(members, consultation, facilitator):
    from tadamon.voting.services import candidates_of

    (rep_a, _), (rep_b, _), _ = members
    proposal = published(consultation, members[0], "Fonds pour les coopératives")
    report = services.report("proposal", 0, proposal, rep_b, "Publicité")
    services.handle_report(facilitator, report, "hide", "Publicité commerciale")
    db.session.commit()
    assert proposal.hidden_reason == "Publicité commerciale"
    assert proposal not in candidates_of(consultation)
    assert told(rep_a, "proposals.content_moderated") == 1
    assert told(rep_b, "proposals.report_handled") == 1
