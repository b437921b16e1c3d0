"""Every route of the url_map, asked by every role: the expected answer is written here.

A route added without a row here fails the suite, so no endpoint escapes review.
Outcomes: "ok" (the view accepted the request: 2xx, or a redirect elsewhere than the log-in
page), "login" (sent to log in), "deny" (403), and the answers a view gives after letting the
person in: "hidden" (404: the object is not shown to them), "invalid" (400: the view refused
what was sent, a placeholder token or an empty form) and "conflict" (409). Anything else
(405, 500, ...) is never expected: a route the matrix cannot reach fails. Organisation roles are object-level: "rep" and "member" act for
organisation A (the one in the URLs), "other" is the representative of organisation B;
"facilitator" facilitates the workshop in the URLs, "other_facilitator" does not.
Each request runs in a savepoint rolled back afterwards, so no route changes the next.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import url_for
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User
from tadamon.core.mail import OutboxMessage
from tadamon.core.permissions import Role
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import FieldOfAction, MembershipState, OrganisationRole

ROLES = ("anonymous", "user", "rep", "member", "other", "facilitator", "other_facilitator", "steering",
         "admin")

OK, LOGIN, DENY = "ok", "login", "deny"
HIDDEN, INVALID, CONFLICT = "hidden", "invalid", "conflict"


def answers(default: str, anonymous: str = LOGIN, **by_role: str) -> dict[str, str]:
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = anonymous
    table.update(by_role)
    return table


EVERYONE = answers(OK, anonymous=OK)
LOGGED_IN = answers(OK)
ADMIN_ONLY = answers(DENY, admin=OK)
STEERING_AND_ADMIN = answers(DENY, steering=OK, admin=OK)
ORGANISATION_AND_STEERING = answers(DENY, rep=OK, member=OK, steering=OK, admin=OK)
REPRESENTATIVE_ONLY = answers(DENY, rep=OK)
NOBODY = answers(DENY)
WORKSHOP_MANAGERS = answers(DENY, facilitator=OK, steering=OK, admin=OK)
STEERING_ONLY_SEES = answers(HIDDEN, anonymous=HIDDEN, steering=OK, admin=OK)
FACILITATORS_AND_STEERING = answers(DENY, facilitator=OK, other_facilitator=OK, steering=OK, admin=OK)

MATRIX: dict[str, dict[str, str]] = {
    "static": EVERYONE,
    "core.home": EVERYONE,
    "core.privacy": EVERYONE,
    "core.set_language": EVERYONE,
    "core.health": EVERYONE,
    # Gated by address or token, not by role (tests/core/test_metrics.py): the test client is 127.0.0.1.
    "core.metrics": EVERYONE,
    "core.notifications": LOGGED_IN,
    "core.notification_settings": LOGGED_IN,
    # a placeholder token reaches the view, which refuses it (the flows: tests/core/test_mail.py)
    "core.unsubscribe": answers(INVALID, anonymous=INVALID),
    # registered only when SHOW_OUTBOX_PAGE=1 outside production; administrators only
    "dev.outbox": answers(HIDDEN, admin=OK),
    "dev.outbox_message": answers(HIDDEN, admin=OK),
    "accounts.register": EVERYONE,
    # a placeholder token reaches the view, which refuses it (the flows: tests/accounts)
    "accounts.verify_email": answers(INVALID, anonymous=INVALID),
    "accounts.resend_verification": EVERYONE,
    "accounts.login": EVERYONE,
    # The second step of log-in: without a first step pending, it sends back to log in.
    "accounts.two_factor": answers(LOGIN),
    "accounts.logout": LOGGED_IN,
    "accounts.forgot_password": EVERYONE,
    "accounts.reset_password": answers(INVALID, anonymous=INVALID),
    "accounts.confirm_email_change": answers(INVALID, anonymous=INVALID),
    "accounts.profile": LOGGED_IN,
    "accounts.security": LOGGED_IN,
    # an empty form: the view refuses it (the flows: tests/accounts)
    "accounts.change_password": answers(INVALID),
    "accounts.change_email": answers(INVALID),
    "accounts.end_other_sessions": LOGGED_IN,
    "accounts.two_factor_setup": LOGGED_IN,
    "admin.users": ADMIN_ONLY,
    "admin.edit_user": ADMIN_ONLY,
    "admin.audit_log": STEERING_AND_ADMIN,
    "admin.mail_queue": ADMIN_ONLY,
    # the matrix's email was not refused: the administrator is told it cannot be sent again
    "admin.retry_mail": ADMIN_ONLY,
    # membership: organisation A is an approved member
    "membership.charter": EVERYONE,
    "membership.charter_version": EVERYONE,
    "membership.directory": EVERYONE,
    "membership.profile": EVERYONE,
    "membership.accept_invitation": answers(INVALID, anonymous=INVALID),  # placeholder token
    "membership.my_organisations": LOGGED_IN,
    # acting for organisation A: only A's own people may
    "membership.set_acting_for": answers(DENY, rep=OK, member=OK),
    "membership.apply": LOGGED_IN,
    "membership.application": ORGANISATION_AND_STEERING,
    "membership.statutes": ORGANISATION_AND_STEERING,
    "membership.people": ORGANISATION_AND_STEERING,
    "membership.names": REPRESENTATIVE_ONLY,
    # an approved member's application is no longer edited (draft cases: tests/membership)
    "membership.edit_application": NOBODY,
    "membership.submit_application": NOBODY,
    "membership.adhere": REPRESENTATIVE_ONLY,
    "membership.leave": REPRESENTATIVE_ONLY,
    "membership.change_person_role": REPRESENTATIVE_ONLY,
    "membership.remove_person": REPRESENTATIVE_ONLY,
    "membership.hand_over": REPRESENTATIVE_ONLY,
    "membership.revoke_invitation": REPRESENTATIVE_ONLY,
    "membership.review_queue": STEERING_AND_ADMIN,
    "membership.review_application": STEERING_AND_ADMIN,
    "membership.suspend": STEERING_AND_ADMIN,
    "membership.reinstate": STEERING_AND_ADMIN,
    "membership.set_founding": STEERING_AND_ADMIN,
    "membership.manage_charter": STEERING_AND_ADMIN,
    "membership.start_charter_draft": STEERING_AND_ADMIN,
    "membership.add_principle": answers(DENY, steering=INVALID, admin=INVALID),  # an empty form
    "membership.edit_principle": STEERING_AND_ADMIN,
    "membership.remove_principle": STEERING_AND_ADMIN,
    "membership.move_principle": STEERING_AND_ADMIN,
    "membership.publish_charter": STEERING_AND_ADMIN,
    "membership.manage_fields": STEERING_AND_ADMIN,
    "membership.edit_field": STEERING_AND_ADMIN,
    # workshops: the workshop is open for registration, organisation A is registered
    "workshops.index": EVERYONE,
    "workshops.workshop": EVERYONE,
    "workshops.workshop_ics": EVERYONE,
    "workshops.calendar_feed": EVERYONE,
    "workshops.document": EVERYONE,
    "workshops.consultation": EVERYONE,
    "workshops.month_view": FACILITATORS_AND_STEERING,
    "workshops.dashboard": FACILITATORS_AND_STEERING,
    "workshops.new_workshop": FACILITATORS_AND_STEERING,
    "workshops.edit_workshop": WORKSHOP_MANAGERS,
    "workshops.manage": WORKSHOP_MANAGERS,
    "workshops.move_status": WORKSHOP_MANAGERS,
    "workshops.add_document": answers(DENY, facilitator=INVALID, steering=INVALID, admin=INVALID),
    "workshops.remove_document": WORKSHOP_MANAGERS,
    "workshops.decide_registration": WORKSHOP_MANAGERS,
    # an empty form: told to tick a registration, back to the manage page
    "workshops.decide_registrations": WORKSHOP_MANAGERS,
    # A's registration is pending, not declined: the page sends back to the registrations
    "workshops.reconsider_registration": WORKSHOP_MANAGERS,
    # the sheet names the people who will attend: the workshop's managers only
    "workshops.attendance_sheet_file": WORKSHOP_MANAGERS,
    "workshops.attendance": WORKSHOP_MANAGERS,
    "workshops.in_the_room": WORKSHOP_MANAGERS,
    "workshops.new_consultation": WORKSHOP_MANAGERS,
    "workshops.edit_consultation": WORKSHOP_MANAGERS,
    "workshops.move_phase": WORKSHOP_MANAGERS,
    "workshops.set_facilitators": STEERING_AND_ADMIN,
    "workshops.new_national_consultation": STEERING_AND_ADMIN,
    "workshops.themes": STEERING_AND_ADMIN,
    "workshops.edit_theme": STEERING_AND_ADMIN,
    # representatives of members taking part register; only A's own may withdraw A
    "workshops.register": answers(DENY, rep=OK, other=OK),
    "workshops.withdraw": REPRESENTATIVE_ONLY,
    # proposals: the consultation takes proposals; the proposal is organisation A's
    "proposals.index": EVERYONE,
    "proposals.show": EVERYONE,
    "proposals.version": EVERYONE,
    "proposals.new": answers(DENY, rep=OK, member=OK, other=OK),
    # the drafts of the organisation one acts for: only people acting for one
    "proposals.drafts": answers(DENY, rep=OK, member=OK, other=OK),
    "proposals.autosave_new": answers(DENY, rep=OK, member=OK, other=OK),
    # the proposal is published: its autosave answers 409 to its own organisation
    "proposals.autosave_draft": answers(DENY, rep=CONFLICT, member=CONFLICT),
    "proposals.edit": answers(DENY, rep=OK, member=OK),
    "proposals.withdraw": answers(DENY, rep=OK, member=OK),
    "proposals.cosign": answers(DENY, other=OK),
    "proposals.comment": NOBODY,  # comments open with the deliberation phase
    "proposals.report": LOGGED_IN,
    "proposals.hide_comment": WORKSHOP_MANAGERS,
    # the reports of the consultations one runs (facilitators see their workshops', the steering group all)
    "proposals.moderation": FACILITATORS_AND_STEERING,
    # an empty form: the view says what is missing, back to the queue
    "proposals.handle_report": WORKSHOP_MANAGERS,
    # who has voted (never how), and the reminder to those that have not: the workshop's managers
    "voting.participation_page": WORKSHOP_MANAGERS,
    "voting.send_reminder": WORKSHOP_MANAGERS,
    "proposals.evaluate": WORKSHOP_MANAGERS,
    "proposals.merge": WORKSHOP_MANAGERS,
    "proposals.attachment": EVERYONE,
    "proposals.remove_attachment": answers(DENY, rep=OK, member=OK),
    "proposals.split": WORKSHOP_MANAGERS,
    "proposals.amend": NOBODY,  # amendments open with the deliberation phase
    # a proposal made on paper in the room, typed in by the workshop's facilitators
    "proposals.record_from_room": WORKSHOP_MANAGERS,
    # only the proposal's own organisation decides on an amendment (B proposed it)
    "proposals.decide_amendment": answers(DENY, rep=OK, member=OK),
    # voting: a second consultation of the workshop is voting; A and B are on its roll; A lets
    # only its representatives vote. A third one is closed, its results not yet published.
    "voting.ballot": answers(DENY, rep=OK, other=OK),
    "voting.receipts": EVERYONE,
    "voting.results": answers(DENY, anonymous=DENY, facilitator=OK, steering=OK, admin=OK),
    "voting.voting_rights": REPRESENTATIVE_ONLY,
    # the closed consultation's export pack: the steering group's only
    "voting.export_pack": answers(DENY, steering=OK),
    # action plan: two actions of the working plan, made from the closed consultation's
    # proposal. A is the confirmed lead of the first; B's offer for the second awaits an answer.
    # Version 1 is in review; the export token is a draft export the steering member asked for.
    "action_plan.plan": EVERYONE,
    "action_plan.version_list": EVERYONE,
    "action_plan.version": STEERING_ONLY_SEES,  # in review: a 404 for whoever may not see it
    "action_plan.version_diff": STEERING_ONLY_SEES,
    "action_plan.schema": EVERYONE,
    # unpublished: a 404 outside the members and the steering group
    "action_plan.action": answers(OK, anonymous=HIDDEN, user=HIDDEN, facilitator=HIDDEN,
                                  other_facilitator=HIDDEN),
    "action_plan.export": STEERING_ONLY_SEES,  # no published version yet
    "action_plan.submit_version": STEERING_AND_ADMIN,
    "action_plan.publish_version": STEERING_AND_ADMIN,
    "action_plan.discard_version": STEERING_AND_ADMIN,
    "action_plan.board": STEERING_AND_ADMIN,
    "action_plan.working_plan": STEERING_AND_ADMIN,
    "action_plan.set_aside": answers(DENY, steering=INVALID, admin=INVALID),  # an empty form
    "action_plan.restore_candidate": STEERING_AND_ADMIN,
    "action_plan.new_action": STEERING_AND_ADMIN,
    "action_plan.edit_action": STEERING_AND_ADMIN,
    "action_plan.merge_into_action": STEERING_AND_ADMIN,
    "action_plan.remove_action": STEERING_AND_ADMIN,
    "action_plan.call_for_lead": STEERING_AND_ADMIN,
    "action_plan.decide_commitment": STEERING_AND_ADMIN,
    # A already carries the action; B may offer to
    "action_plan.volunteer": answers(DENY, other=OK),
    # object-level: only the action's own (confirmed) organisation posts its progress
    "action_plan.post_update": answers(DENY, rep=OK, member=OK),
    # a draft export: only the person who asked, authorised again at download time
    "action_plan.export_status": answers(DENY, anonymous=DENY, steering=OK),
    "action_plan.export_download": answers(DENY, anonymous=DENY, steering=OK),
    # the API: reads are public; writes need a bearer token, never the session: asked with the
    # session cookie alone, every role gets 401 (tests/api for the token's own rules)
    "api.openapi": EVERYONE,
    "api.docs": EVERYONE,
    "api.tokens": LOGGED_IN,
    # only the token's owner (A's representative) revokes it
    "api.revoke": answers(DENY, rep=OK),
    "api_v1.list_organisations": EVERYONE,
    "api_v1.get_organisation": EVERYONE,
    "api_v1.list_consultations": EVERYONE,
    "api_v1.get_consultation": EVERYONE,
    "api_v1.list_proposals": EVERYONE,
    "api_v1.get_proposal": EVERYONE,
    "api_v1.list_plan_versions": EVERYONE,
    "api_v1.get_charter": EVERYONE,
    "api_v1.list_themes": EVERYONE,
    "api_v1.list_workshops": EVERYONE,
    "api_v1.get_workshop": EVERYONE,
    # version 1 of the plan is in review: not in the API until published
    "api_v1.get_plan_version": answers(HIDDEN, anonymous=HIDDEN),
    # the closed vote's results are not yet published: neither they nor its ballots are shown
    "api_v1.get_results": answers(HIDDEN, anonymous=HIDDEN),
    "api_v1.get_ballots": answers(HIDDEN, anonymous=HIDDEN),
    # receipts from the opening of the vote (asked about the consultation being voted on)
    "api_v1.list_receipts": EVERYONE,
    "api_v1.create_proposal": answers(LOGIN),
    "api_v1.cosign": answers(LOGIN),
    "api_v1.comment": answers(LOGIN),
    # privacy: my data is mine; a request is followed by its requester alone (others: 404), A's
    # representative asked for its erasure; the register is the administrators'
    "privacy.my_data": LOGGED_IN,
    "privacy.request_my_data": LOGGED_IN,
    "privacy.request_status": answers(HIDDEN, rep=OK),
    "privacy.download": answers(HIDDEN),
    "privacy.delete_account": LOGGED_IN,
    "privacy.organisation_data": REPRESENTATIVE_ONLY,
    "privacy.request_organisation_data": REPRESENTATIVE_ONLY,
    "privacy.request_organisation_erasure": REPRESENTATIVE_ONLY,
    "privacy.register": ADMIN_ONLY,
    "privacy.process": ADMIN_ONLY,
    "privacy.refuse": ADMIN_ONLY,
    "api_v1.register": answers(LOGIN),
    "api_v1.unregister": answers(LOGIN),
    "api_v1.post_progress": answers(LOGIN),
    "api_v1.cast_ballot": answers(LOGIN),
    "api_v1.list_open_data": EVERYONE,
    # open data: public datasets for anyone, without an account
    "opendata.index": EVERYONE,
    "opendata.download": EVERYONE,
}

# Routes asked with another token than the accounts' placeholder.
TOKEN_FOR = {"action_plan.export_status": "export_token", "action_plan.export_download": "export_token"}

# Routes asked about another consultation than the one taking proposals.
CONSULTATION_FOR = {"voting.ballot": "voting_consultation_id", "voting.receipts": "voting_consultation_id",
                    "voting.participation_page": "voting_consultation_id",
                    "voting.send_reminder": "voting_consultation_id",
                    "voting.results": "closed_consultation_id", "voting.export_pack": "closed_consultation_id",
                    "api_v1.get_results": "closed_consultation_id",
                    "api_v1.get_ballots": "closed_consultation_id", "api_v1.list_receipts": "voting_consultation_id"}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(MATRIX) == set(), "routes missing from the authorization matrix"
    assert set(MATRIX) - endpoints == set(), "matrix rows for routes that no longer exist"


@pytest.fixture
def world(create_user):
    """People for every role, organisations A and B, a published charter, an invitation."""
    people = {
        "user": create_user(),
        "rep": create_user(),
        "member": create_user(),
        "other": create_user(),
        "facilitator": create_user(roles=[Role.FACILITATOR]),
        "other_facilitator": create_user(roles=[Role.FACILITATOR]),
        "steering": create_user(roles=[Role.STEERING]),
        "admin": create_user(roles=[Role.ADMIN]),
    }
    steering = people["steering"]
    draft = membership.start_charter_draft(steering)
    draft.title_fr = "Charte"
    principle = membership.save_principle(draft, None, {"title_fr": "Solidarité"})
    membership.publish_charter(steering, draft)
    # a second draft in progress: the principle routes edit a draft's principles
    draft = membership.start_charter_draft(steering)
    principle = membership.save_principle(draft, None, {"title_fr": "Entraide"})
    field = FieldOfAction(name_fr="Éducation")
    db.session.add(field)
    organisations = {}
    for key, representative in (("A", people["rep"]), ("B", people["other"])):
        organisation = membership.start_application(representative)
        membership.update_application(
            organisation,
            membership.ApplicationData(name_fr=f"Association {key}", region="CAS", province="Settat",
                                       description_fr="Solidarité", contact_email="a@example.org"),
        )
        membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), representative)
        membership.submit_application(organisation, representative, adheres=True)
        membership.decide_application(steering, organisation, "approve", "")
        organisations[key] = organisation
    organisation = organisations["A"]
    member_row = membership.OrganisationMember(
        organisation_id=organisation.id, user_id=people["member"].id, role=OrganisationRole.MEMBER.value
    )
    db.session.add(member_row)
    invitation = membership.invite(organisation, people["rep"], email="new@example.org", role="member",
                                   language="fr")
    from datetime import timedelta

    from tadamon.core.db import utcnow
    from tadamon.workshops import services as workshops
    from tadamon.workshops.models import Theme, WorkshopStatus

    theme = Theme(name_fr="Économie solidaire")
    db.session.add(theme)
    db.session.flush()
    start = utcnow() + timedelta(days=10)
    workshop = workshops.create_workshop(people["facilitator"], workshops.WorkshopData(
        title_fr="Atelier", theme_id=theme.id, venue="Salle", starts_at=start,
        ends_at=start + timedelta(hours=4), capacity=10))
    workshops.move_workshop_status(people["facilitator"], workshop, WorkshopStatus.REGISTRATION_OPEN)
    registration = workshops.register(people["rep"], workshop, organisation, "Amina")
    document = workshops.attach_document(people["facilitator"], workshop,
                                         FileStorage(io.BytesIO(PDF), "agenda.pdf"), "agenda", "")
    consultation = workshops.save_consultation(people["facilitator"], None, workshop, workshops.ConsultationData(
        question_fr="Quelles priorités ?", max_approvals=3))
    from tadamon.proposals import services as proposals
    from tadamon.workshops.models import Phase

    workshops.move_phase(people["facilitator"], consultation, Phase.PROPOSALS_OPEN)
    proposal_data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
    proposal = proposals.save_draft(consultation, organisation, people["rep"], proposal_data)
    proposals.publish(proposal, people["rep"], proposal_data)
    comment = proposals.add_comment(proposal, organisations["B"], people["other"], "D'accord", "for")
    attachment = proposals.attach(proposal, FileStorage(io.BytesIO(PDF), "plan.pdf"), people["rep"])
    amendment = proposals.propose_amendment(proposal, organisations["B"], people["other"], title="Un fonds élargi",
                                            body="Créer un fonds de garantie solidaire et régional.",
                                            justification="Plus large")
    voting_ids = {}
    for key, last_phase in (("voting_consultation_id", Phase.VOTING), ("closed_consultation_id", Phase.CLOSED)):
        other = workshops.save_consultation(people["facilitator"], None, workshop, workshops.ConsultationData(
            question_fr=f"Vote {key}", max_approvals=1))
        workshops.move_phase(people["facilitator"], other, Phase.PROPOSALS_OPEN)
        candidate = proposals.save_draft(other, organisation, people["rep"], proposal_data)
        proposals.publish(candidate, people["rep"], proposal_data)
        for phase in (Phase.DELIBERATION, Phase.VOTING, Phase.CLOSED):
            workshops.move_phase(people["facilitator"], other, phase)
            if phase is last_phase:
                break
        voting_ids[key] = other.id
    from tadamon.action_plan import jobs as plan_jobs
    from tadamon.action_plan import services as plan

    sources = plan.candidate_proposals([proposals_of(voting_ids["closed_consultation_id"])])
    actions = [plan.create_action(steering, sources, plan.draft_from_proposals(sources)) for _ in range(2)]
    plan.decide_commitment(steering, plan.volunteer(people["rep"], organisation, actions[0], "lead", ""), True)
    pending = plan.volunteer(people["other"], organisations["B"], actions[1], "partner", "")
    plan.submit_for_review(steering)
    draft_export = plan_jobs.request_export(steering, None, "csv", "fr")
    from tadamon.api import services as api_tokens

    api_token = api_tokens.create_token(people["rep"], organisation, "outil", ["proposals"]).token
    from tadamon.privacy import services as privacy

    data_request = privacy.request_organisation_erasure(people["rep"], organisation, "en")
    message = OutboxMessage(recipient="x@example.org", subject="s", language="en", text_body="t", html_body="h")
    db.session.add(message)
    db.session.commit()
    assert organisation.membership_state is MembershipState.APPROVED
    values = {
        "user_id": people["user"].id,
        "token": "not-a-real-token",
        "message_id": message.id,
        "filename": "css/tadamon.css",
        "organisation_id": organisation.id,
        "member_id": member_row.id,
        "invitation_id": invitation.id,
        "principle_id": principle.id,
        "field_id": field.id,
        "version": 1,
        "workshop_id": workshop.id,
        "registration_id": registration.id,
        "document_id": document.id,
        "consultation_id": consultation.id,
        "theme_id": theme.id,
        "proposal_id": proposal.id,
        "number": 1,
        "comment_id": comment.id,
        "report_id": proposals.report("comment", comment.id, proposal, people["user"], "Hors sujet").id,
        "amendment_id": amendment.id,
        "attachment_id": attachment.id,
        **voting_ids,
        "action_id": actions[0].id,
        "commitment_id": pending.id,
        "decision": "confirm",
        "export_token": draft_export.token,
        "token_id": api_token.id,
        "request_id": data_request.id,
        "file_format": "csv",
        "dataset": "organisations",  # text: the matrix reads every body as text (the PDF: tests/workshops)
    }
    return people, values, organisations


def proposals_of(consultation_id: int) -> int:
    from sqlalchemy import select

    from tadamon.proposals.models import Proposal

    return db.session.scalars(select(Proposal.id).where(Proposal.consultation_id == consultation_id)).first()


# 401: the log-in page carrying what an expired session typed (accounts.views.session_needed).
ANSWERED = {401: LOGIN, 403: DENY, 404: HIDDEN, 400: INVALID, 409: CONFLICT}


def _outcome(status, headers) -> str:
    if status in (301, 302, 303, 307, 308):
        return LOGIN if "/account/login" in headers["Location"] else OK
    if 200 <= status < 300:
        return OK
    return ANSWERED.get(status, str(status))


def _url(app, rule, values) -> str:
    with app.test_request_context():
        arguments = {name: values[name] for name in rule.arguments}
        if rule.endpoint in CONSULTATION_FOR:
            arguments["consultation_id"] = values[CONSULTATION_FOR[rule.endpoint]]
        if rule.endpoint in TOKEN_FOR:
            arguments["token"] = values[TOKEN_FOR[rule.endpoint]]
        return url_for(rule.endpoint, **arguments)


def _ask(client, connection, url, method="GET", data=None):
    """One request inside a savepoint rolled back afterwards; returns (status, headers, body)."""
    # The session's own transaction must start inside our savepoint, not around it.
    db.session.remove()
    savepoint = connection.begin_nested()
    try:
        response = client.open(url, method=method, data=data or {})
        # Files (a ZIP) are not text: their bytes are kept readable enough for the checks.
        answer = response.status_code, response.headers, response.get_data().decode("utf-8", "replace")
        response.close()
    finally:
        db.session.remove()
        savepoint.rollback()
    return answer


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, role, world, login, connection):
    people, values, organisations = world
    client = app.test_client()
    if role != "anonymous":
        login(client, people[role])
    cookie = client.get_cookie("tadamon_session")
    organisation_a = organisations["A"].id
    failures = []
    for rule in app.url_map.iter_rules():
        url = _url(app, rule, values)
        method = "GET" if "GET" in rule.methods else ("DELETE" if "DELETE" in rule.methods else "POST")
        data = {"organisation_id": organisation_a} if rule.endpoint == "membership.set_acting_for" else {}
        status, headers, _body = _ask(client, connection, url, method, data)
        got = _outcome(status, headers)
        if cookie is not None:
            # a log-out (or a session reset) was rolled back with its savepoint: carry on
            client.set_cookie("tadamon_session", cookie.value)
        expected = MATRIX[rule.endpoint][role]
        if got != expected:
            failures.append(f"{method} {url} ({rule.endpoint}) as {role}: {got} ({status}), expected {expected}")
    assert not failures, "\n".join(failures)


# GET routes that answer something other than an HTML page to whoever may open them.
NOT_A_PAGE = {
    "static": "a stylesheet",
    "core.health": "a health check",
    "core.metrics": "Prometheus' text format",
    "workshops.workshop_ics": "an iCalendar file",
    "workshops.calendar_feed": "an iCalendar feed",
    "workshops.document": "the uploaded PDF",
    "proposals.attachment": "the uploaded PDF",
    "action_plan.schema": "the JSON schema",
    "membership.statutes": "the uploaded PDF",
    "workshops.attendance_sheet_file": "the attendance sheet (CSV)",
    "voting.export_pack": "the consultation's export pack (ZIP)",
    "api.openapi": "the OpenAPI document",
    "api_v1.list_organisations": "JSON",
    "api_v1.get_organisation": "JSON",
    "api_v1.list_consultations": "JSON",
    "api_v1.get_consultation": "JSON",
    "api_v1.list_proposals": "JSON",
    "api_v1.get_proposal": "JSON",
    "api_v1.list_plan_versions": "JSON",
    "api_v1.list_receipts": "JSON",
    "api_v1.get_charter": "JSON",
    "api_v1.list_themes": "JSON",
    "api_v1.list_workshops": "JSON",
    "api_v1.get_workshop": "JSON",
    "api_v1.list_open_data": "JSON",
    "opendata.download": "a ZIP archive",
}
# API routes asked here about something not public: a problem+json 404, not a page.
API_NOT_FOUND = {"api_v1.get_plan_version": "the plan's version in review",
                 "api_v1.get_results": "results not yet published", "api_v1.get_ballots": "results not yet published"}
# GET routes that, asked as here, send elsewhere: where to.
REDIRECTS = {
    "action_plan.new_action": "/plan/board",  # no candidate chosen: back to the board
    "action_plan.export_download": "/plan/exports/",  # not rendered yet: to its status page
    "workshops.reconsider_registration": "/workshops/",  # not declined: back to the registrations
    "core.set_language": "/",  # a visitor's language switch (a GET form): back to the page, home by default
}
# GET pages only reached in the middle of a flow: asked out of it, they send to log in.
FLOW_ONLY = {"accounts.two_factor": "the second step of log-in"}
LANGUAGES = {"ar": "rtl", "fr": "ltr", "en": "ltr"}
HTML_TAG = re.compile(r"<html\b[^>]*>")


STATUS_OF = {OK: 200, INVALID: 400, HIDDEN: 404, CONFLICT: 409, DENY: 403}


def _page_role(endpoint: str) -> tuple[str, int]:
    """Who opens the page, and the status the matrix expects: anyone when anonymous visitors
    may, else the most trusted role that may (it sees the most of the page); for a route no
    one may open as it is asked here (a placeholder token, a closed application), the error
    page the view answers."""
    cells = MATRIX[endpoint]
    for answer in (OK, INVALID, HIDDEN, CONFLICT, DENY):
        if cells["anonymous"] == answer:
            return "anonymous", STATUS_OF[answer]
        allowed = [role for role in reversed(ROLES) if cells[role] == answer]
        if allowed:
            return allowed[0], STATUS_OF[answer]
    raise AssertionError(f"{endpoint}: no role in the matrix is let in")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_page_in_every_language_says_its_language_and_direction(
    app, language, world, login, connection
):
    people, values, _organisations = world
    user_ids = {role: person.id for role, person in people.items()}
    clients = {}
    failures = []
    pages = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    listed = set(NOT_A_PAGE) | set(REDIRECTS) | set(FLOW_ONLY) | set(API_NOT_FOUND)
    assert listed <= {rule.endpoint for rule in pages}, "a list here names a route that is gone"
    for rule in pages:
        if rule.endpoint in FLOW_ONLY:
            assert set(MATRIX[rule.endpoint].values()) == {LOGIN}, f"{rule.endpoint} is no longer flow-only"
            continue
        role, expected_status = _page_role(rule.endpoint)
        if role not in clients:
            client = app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
            if role != "anonymous":
                # A logged-in person reads the language saved on the account.
                person = db.session.get(User, user_ids[role])
                person.preferred_language = language
                db.session.commit()
                login(client, person)
            clients[role] = (client, client.get_cookie("tadamon_session"))
        client, cookie = clients[role]
        url = _url(app, rule, values)
        status, headers, body = _ask(client, connection, url)
        if cookie is not None:
            client.set_cookie("tadamon_session", cookie.value)
        is_html = headers.get("Content-Type", "").startswith("text/html")
        if rule.endpoint in REDIRECTS:
            if status not in (302, 303) or not headers.get("Location", "").startswith(REDIRECTS[rule.endpoint]):
                failures.append(f"{url} ({rule.endpoint}) as {role}: {status} {headers.get('Location')}, "
                                f"expected a redirect to {REDIRECTS[rule.endpoint]}")
            continue
        if rule.endpoint in API_NOT_FOUND:
            if status != 404 or not headers.get("Content-Type", "").startswith("application/problem+json"):
                failures.append(f"{url} ({rule.endpoint}): {status} {headers.get('Content-Type')}, expected "
                                f"a problem+json 404 for {API_NOT_FOUND[rule.endpoint]}")
            continue
        if rule.endpoint in NOT_A_PAGE:
            if status != 200 or is_html:
                failures.append(f"{url} ({rule.endpoint}) as {role}: {status} {headers.get('Content-Type')}, "
                                f"expected {NOT_A_PAGE[rule.endpoint]}")
            continue
        if status != expected_status or not is_html:
            failures.append(f"{url} ({rule.endpoint}) as {role}: {status} {headers.get('Location', '')} "
                            f"{headers.get('Content-Type')}, expected an HTML page ({expected_status})")
            continue
        tag = HTML_TAG.search(body)
        expected = f'<html lang="{language}" dir="{LANGUAGES[language]}">'
        if tag is None or tag.group(0) != expected:
            failures.append(f"{url} ({rule.endpoint}) as {role}: {tag and tag.group(0)}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_templates_ask_the_same_permission_layer(app, create_user, login):
    user_client, admin_client = app.test_client(), app.test_client()
    login(user_client, create_user())
    login(admin_client, create_user(roles=[Role.ADMIN]))
    assert "/admin/users" not in user_client.get("/").get_data(as_text=True)
    page = admin_client.get("/").get_data(as_text=True)
    assert "/admin/users" in page and "/admin/audit" in page


def test_an_unknown_permission_is_a_programming_error(app):
    from tadamon.core.permissions import can

    with app.test_request_context(), pytest.raises(LookupError):
        can("no.such.action")
