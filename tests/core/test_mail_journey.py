"""A new organisation's journey, counting its emails with the default preferences (issue 15's
acceptance): apply → approved → register for a workshop → propose → be co-signed → vote →
results → carry an action. The README quotes these numbers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.action_plan import services as plan
from tadamon.core import digests
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.proposals import services as proposals
from tadamon.voting import services as voting
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Participation, Phase
from tests import support
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

# With the defaults, what reaches the new organisation's representative at once during the
# journey, and what its first daily digest gathers.
IMMEDIATE_EMAILS = 9
DIGEST_EMAILS = 1


def test_a_new_organisations_journey_gets_a_bounded_useful_set_of_emails(  # noqa: F811
        app, create_user, complete_application, steering, facilitator, members, open_workshop, theme, outbox):
    newcomer = create_user(email="nouvelle@example.org", language="ar", name="Salma")
    organisation = complete_application(newcomer, name_ar="جمعية جديدة", submitted=True)
    membership.decide_application(steering, organisation, "approve", "مرحبا")
    db.session.commit()

    workshop = open_workshop(capacity=10)
    for person, member in [(newcomer, organisation), *members]:
        registration = workshops.register(person, workshop, member, "2")
        workshops.decide_registration(facilitator, registration, True)
    db.session.commit()
    consultation = workshops.save_consultation(facilitator, None, workshop, workshops.ConsultationData(
        question_ar="ما هي أولوياتنا؟", question_fr="Quelles priorités ?", participation=Participation.REGISTERED,
        max_approvals=2))
    workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
    data = proposals.ProposalData(title="صندوق جهوي", body="صندوق جهوي للتضامن: مقترح مفصل ومعلل.", language="ar")
    proposal = proposals.save_draft(consultation, organisation, newcomer, data)
    proposals.publish(proposal, newcomer, data)
    proposals.cosign(proposal, members[0][1], members[0][0])
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    workshops.move_phase(facilitator, consultation, Phase.VOTING)
    db.session.commit()
    for person, member in [(newcomer, organisation), *members]:
        voting.cast_ballot(person, consultation, member, MultiDict([("approve", f"p{proposal.id}")]))
    db.session.commit()
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    workshops.move_phase(facilitator, consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()

    proposals_chosen = plan.candidate_proposals([proposal.id])
    draft = plan.draft_from_proposals(proposals_chosen)
    draft.theme_id = theme.id
    action = plan.create_action(steering, proposals_chosen, draft)
    plan.call_for_lead(steering, action)
    commitment = plan.volunteer(newcomer, organisation, action, "lead", "نحن مستعدون")
    plan.decide_commitment(steering, commitment, True, "شكرا")
    db.session.commit()

    at_once = outbox(to=newcomer.email)
    kinds = [message.kind for message in at_once]
    print("immediate emails:", len(at_once), kinds)  # noqa: T201 - the README's figure
    # Every email says something the organisation must know or do, in Arabic, with live links.
    assert all(message.language == "ar" for message in at_once)
    assert all(support.relative_links(m.text_body, m.html_body) == [] for m in at_once)
    assert all("/unsubscribe/" in m.text_body for m in at_once if m.kind.startswith("notification:"))
    assert "notification:membership.approved" in kinds
    assert "notification:workshops.registration_accepted" in kinds
    assert "notification:voting.receipt" in kinds
    # Comments, co-signatures and the plan wait for the daily digest: not one email each.
    assert not [kind for kind in kinds if kind.startswith(("notification:plan.", "notification:proposals."))]
    assert len(at_once) == IMMEDIATE_EMAILS

    waiting = db.session.scalars(select(Notification).where(
        Notification.user_id == newcomer.id, Notification.email == "daily")).all()
    assert waiting, "the plan's news waits for the digest"
    with app.test_request_context():
        sent = digests.send_digests(max(n.created_at for n in waiting) + timedelta(days=1))
    assert sent >= DIGEST_EMAILS
    digest_mails = [m for m in outbox(to=newcomer.email) if m.kind == "digest:daily"]
    assert len(digest_mails) == DIGEST_EMAILS
    assert 'dir="rtl"' in digest_mails[0].html_body
