"""The REST API, version 1 (`/api/v1`): public reads, and writes with a personal access token.

Built with flask-smorest: the OpenAPI document is generated from these routes and their
marshmallow schemas, so it cannot drift from what the code answers. Views stay thin: they
authenticate the token, ask the same permission predicates as the browser with the token's
Actor, call the same services, and commit once (a DomainError rolls back and answers 422).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, NoReturn

from flask import current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from tadamon.accounts.models import token_digest
from tadamon.action_plan import permissions as plan_rules
from tadamon.action_plan import services as plan
from tadamon.action_plan.models import Action as ActionModel
from tadamon.action_plan.models import PlanVersion as PlanVersionModel
from tadamon.action_plan.models import VersionState
from tadamon.core.actor import Actor
from tadamon.core.auth import public
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.i18n import pick_text, supported_languages, texts_of
from tadamon.core.idempotency import ALREADY_SENT, claim_submission
from tadamon.extensions import csrf, db, limiter
from tadamon.membership import services as membership
from tadamon.membership.models import MembershipState
from tadamon.membership.models import Organisation as OrganisationModel
from tadamon.proposals import permissions as proposal_rules
from tadamon.proposals import services as proposals
from tadamon.proposals.models import Proposal as ProposalModel
from tadamon.proposals.models import ProposalState
from tadamon.voting import ledger
from tadamon.voting import permissions as voting_rules
from tadamon.voting import services as voting
from tadamon.voting.methods import get_method
from tadamon.voting.methods.common import field_name
from tadamon.workshops import permissions as workshop_rules
from tadamon.workshops import services as workshops
from tadamon.workshops.models import PHASE_LABELS, Phase, WorkshopStatus
from tadamon.workshops.models import Consultation as ConsultationModel
from tadamon.workshops.models import Theme as ThemeModel
from tadamon.workshops.models import Workshop as WorkshopModel

from . import schemas
from .problems import handle_http_exception, problem
from .services import audit_write, authenticate

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1",
                description="Tadamon's public data, and writes with a personal access token.")
csrf.exempt(blp)  # authenticated by a bearer token only, never by the session cookie
# Each operation's summary and description are given to `blp.doc`, not left to flask-smorest's
# reading of the view's docstring: the web instances run without docstrings
# (PYTHONOPTIMIZE=2, deploy/systemd/tadamon-web@.service), and the OpenAPI document they serve
# must say the same as everywhere else (tests/api/test_contract.py builds it both ways).

BEARER: dict[str, list[str]] = {"bearerAuth": []}


def write_limit() -> str:
    return str(current_app.config.get("RATELIMIT_API_WRITES", "60 per minute;600 per hour"))


# ---- language, caching, errors ---------------------------------------------------------------

@blp.before_request
def _language_from_header() -> None:
    """Accept-Language chooses the language of texts and messages (over a saved preference)."""
    if request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match(supported_languages())
        if best:
            g.forced_locale = best
            refresh()


@blp.after_request
def _conditional(response: Any) -> Any:
    response.vary.add("Accept-Language")
    response.vary.add("Authorization")
    if request.method == "GET" and response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


blp.register_error_handler(HTTPException, handle_http_exception)


@blp.errorhandler(500)
def _server_error(error: Exception) -> Any:
    return _unexpected(error)


@blp.errorhandler(Exception)
def _unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException) and (error.code or 500) < 500:
        return handle_http_exception(error)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return problem(500)


# ---- tokens -----------------------------------------------------------------------------------

def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def token_key() -> str:
    """Rate limits count per token (a hash of it), not per address."""
    return "api-token:" + token_digest(_bearer())[:32]


def token_required(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticates the bearer token and checks it carries `scope`; the request then acts as
    the token's owner for the token's organisation (and nobody else: the session is not read)."""

    # Above the body's parsing: an unauthenticated request learns nothing of what it sent.
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = authenticate(_bearer()) if _bearer() else None
            if found is None:
                abort(401, message=_("Send a valid, unrevoked token in the Authorization header."))
                raise AssertionError  # abort raised
            token, actor = found
            g._login_user = token.user  # Flask-Login's current user, for this request only
            g.tadamon_actors = {(token.user.id, True): actor}
            g.api_token, g.api_actor = token, actor
            if not request.headers.get("Accept-Language"):
                refresh()  # messages in the owner's saved language
            if scope not in token.scope_set:
                abort(403, message=_("This token may not do this: it lacks the scope %(scope)s.", scope=scope))
            token.last_used_at = utcnow()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def not_found() -> NoReturn:
    abort(404)
    raise AssertionError("abort raises")  # for the type checker: flask-smorest is untyped


def run_write(operation: Callable[[], Any]) -> Any:
    """One service call, one commit; a domain error rolls back and answers 422."""
    try:
        value = operation()
    except DomainError as error:
        db.session.rollback()
        errors = {error.field: [str(error.message)]} if error.field else None
        abort(422, message=str(error.message), errors=errors)
    db.session.commit()
    return value


# ---- representation ---------------------------------------------------------------------------

def _picked(obj: object, field: str) -> str:
    return pick_text(texts_of(obj, field)).text


def _cursor(last_id: int | None) -> str | None:
    """Where the next page starts. Opaque to clients (its form may change in a later version);
    it names a position, not a row, so a deleted row never breaks a walk through the pages."""
    return None if last_id is None else f"c{last_id}"


def _after(cursor: str | None) -> int:
    # Past the largest id a column holds, no row follows (PostgreSQL refuses a larger integer).
    return min(int(cursor[1:]), 2_147_483_647) if cursor else 0


def _page(query: Any, model: Any, args: dict[str, Any], present: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    limit = args["limit"]
    rows = list(db.session.scalars(query.where(model.id > _after(args["cursor"])).order_by(model.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [present(row) for row in rows], "next_cursor": _cursor(rows[-1].id) if more and rows else None}


def organisation_fields(organisation: OrganisationModel) -> dict[str, Any]:
    """An organisation as the API shows it (the personal-data export uses it too)."""
    return {
        "id": organisation.id, "name": _picked(organisation, "name"), "name_i18n": texts_of(organisation, "name"),
        "acronym": organisation.acronym, "description_i18n": texts_of(organisation, "description"),
        "region": organisation.region, "province": organisation.province, "website": organisation.website,
        "year_founded": organisation.year_founded,
        "fields_of_action": [{"id": f.id, "name": _picked(f, "name"), "name_i18n": texts_of(f, "name")}
                             for f in organisation.fields],
        "member_since": organisation.approved_at,
        "url": url_for("membership.profile", organisation_id=organisation.id, _external=True),
    }


def _consultation(consultation: ConsultationModel) -> dict[str, Any]:
    return {
        "id": consultation.id, "question": _picked(consultation, "question"),
        "question_i18n": texts_of(consultation, "question"),
        "description_i18n": texts_of(consultation, "description"),
        "workshop_id": consultation.workshop_id,
        "workshop_ics": (url_for("workshops.workshop_ics", workshop_id=consultation.workshop_id, _external=True)
                         if consultation.workshop_id else None),
        "phase": consultation.current_phase.value, "phase_label": str(PHASE_LABELS[consultation.current_phase]),
        "scheduled": {"proposals_open": consultation.proposals_open_at, "deliberation": consultation.deliberation_at,
                      "voting": consultation.voting_at, "closed": consultation.closed_at},
        "history": [{"from_phase": Phase(m.from_phase).value, "to_phase": Phase(m.to_phase).value,
                     "moved_at": m.moved_at} for m in consultation.moves],
        "voting_method": consultation.voting_method,
        "url": url_for("workshops.consultation", consultation_id=consultation.id, _external=True),
    }


def proposal_fields(proposal: ProposalModel) -> dict[str, Any]:
    """A proposal as the API lists it (the personal-data export uses it too)."""
    return {
        "id": proposal.id, "consultation_id": proposal.consultation_id, "organisation_id": proposal.organisation_id,
        "state": proposal.proposal_state.value, "title": proposal.title, "body": proposal.body,
        "language": proposal.language, "theme_id": proposal.theme_id, "territory_scope": proposal.territory_scope,
        "territory_region": proposal.territory_region,
        "evaluation": proposal.evaluation.value if proposal.evaluation else None,
        "version": proposal.version, "published_at": proposal.published_at,
        "cosignature_count": proposal.cosignature_count, "comment_count": proposal.comment_count,
        "url": url_for("proposals.show", proposal_id=proposal.id, _external=True),
    }


def _proposal_detail(proposal: ProposalModel) -> dict[str, Any]:
    return {
        **proposal_fields(proposal),
        "versions": [{"number": v.number, "title": v.title, "body": v.body, "created_at": v.created_at}
                     for v in proposals.versions(proposal)],
        "cosigners": [{"organisation_id": c.organisation_id, "name": _picked(c.organisation, "name"),
                       "cosigned_at": c.created_at} for c in proposals.cosignatures(proposal)],
    }


# ---- reads ------------------------------------------------------------------------------------

def _approved() -> Any:
    return select(OrganisationModel).where(OrganisationModel.state == MembershipState.APPROVED)


def _visible_consultations() -> Any:
    return select(ConsultationModel).where(ConsultationModel.phase != Phase.DRAFT)


def _published() -> Any:
    return select(ProposalModel).where(ProposalModel.state == ProposalState.PUBLISHED)


@blp.route("/organisations")
@blp.arguments(schemas.OrganisationArgs, location="query")
@blp.response(200, schemas.OrganisationPage)
@public
@blp.doc(summary="The network's member organisations (public profile fields only).")
def list_organisations(args: dict[str, Any]) -> Any:
    query = _approved()
    if args["region"]:
        query = query.where(OrganisationModel.region == args["region"])
    if args["field_of_action"]:
        query = query.where(OrganisationModel.fields.any(id=args["field_of_action"]))
    return _page(query, OrganisationModel, args, organisation_fields)


@blp.route("/organisations/<int:organisation_id>")
@blp.response(200, schemas.Organisation)
@public
@blp.doc(summary="One member organisation.")
def get_organisation(organisation_id: int) -> Any:
    organisation = db.session.scalar(_approved().where(OrganisationModel.id == organisation_id))
    if organisation is None:
        not_found()
    return organisation_fields(organisation)


@blp.route("/consultations")
@blp.arguments(schemas.ConsultationArgs, location="query")
@blp.response(200, schemas.ConsultationPage)
@public
@blp.doc(summary="Consultations with their phases and dates (those being prepared are not shown).")
def list_consultations(args: dict[str, Any]) -> Any:
    query = _visible_consultations()
    if args["phase"]:
        query = query.where(ConsultationModel.phase == Phase(args["phase"]))
    if args["workshop_id"]:
        query = query.where(ConsultationModel.workshop_id == args["workshop_id"])
    return _page(query, ConsultationModel, args, _consultation)


@blp.route("/consultations/<int:consultation_id>")
@blp.response(200, schemas.Consultation)
@public
@blp.doc(summary="One consultation.")
def get_consultation(consultation_id: int) -> Any:
    consultation = db.session.scalar(_visible_consultations().where(ConsultationModel.id == consultation_id))
    if consultation is None:
        not_found()
    return _consultation(consultation)


@blp.route("/proposals")
@blp.arguments(schemas.ProposalArgs, location="query")
@blp.response(200, schemas.ProposalPage)
@public
@blp.doc(summary="Published proposals.")
def list_proposals(args: dict[str, Any]) -> Any:
    query = _published()
    if args["consultation_id"]:
        query = query.where(ProposalModel.consultation_id == args["consultation_id"])
    if args["organisation_id"]:
        query = query.where(ProposalModel.organisation_id == args["organisation_id"])
    if args["region"]:
        query = query.where(ProposalModel.territory_region == args["region"])
    return _page(query, ProposalModel, args, proposal_fields)


@blp.route("/proposals/<int:proposal_id>")
@blp.response(200, schemas.ProposalDetail)
@public
@blp.doc(summary="A published proposal, with its versions and co-signing organisations.")
def get_proposal(proposal_id: int) -> Any:
    proposal = db.session.scalar(_published().where(ProposalModel.id == proposal_id))
    if proposal is None:
        not_found()
    return _proposal_detail(proposal)


@blp.route("/charter")
@blp.response(200, schemas.Charter)
@public
@blp.doc(summary="The charter in force, with its principles.")
def get_charter() -> Any:
    charter = membership.current_charter()
    if charter is None:
        not_found()
    return {"version": charter.version, "title": _picked(charter, "title"), "title_i18n": texts_of(charter, "title"),
            "preamble_i18n": texts_of(charter, "preamble"), "published_at": charter.published_at,
            "principles": [{"position": p.position, "title": _picked(p, "title"), "title_i18n": texts_of(p, "title"),
                            "explanation_i18n": texts_of(p, "explanation")} for p in charter.principles]}


@blp.route("/themes")
@blp.response(200, schemas.ThemeList)
@public
@blp.doc(summary="The themes workshops and proposals are filed under.")
def list_themes() -> Any:
    rows = db.session.scalars(select(ThemeModel).where(ThemeModel.is_active.is_(True)).order_by(ThemeModel.id))
    return {"data": [{"id": t.id, "name": _picked(t, "name"), "name_i18n": texts_of(t, "name")} for t in rows]}


def _workshop(workshop: WorkshopModel) -> dict[str, Any]:
    return {
        "id": workshop.id, "title": _picked(workshop, "title"), "title_i18n": texts_of(workshop, "title"),
        "description_i18n": texts_of(workshop, "description"), "theme_id": workshop.theme_id,
        "status": WorkshopStatus(workshop.status).value, "format": str(getattr(workshop.format, "value", workshop.format)),
        "venue": workshop.venue, "starts_at": workshop.starts_at, "ends_at": workshop.ends_at,
        "time_zone": workshop.time_zone, "capacity": workshop.capacity,
        "ics": url_for("workshops.workshop_ics", workshop_id=workshop.id, _external=True),
        "url": url_for("workshops.workshop", workshop_id=workshop.id, _external=True),
    }


@blp.route("/workshops")
@blp.arguments(schemas.WorkshopArgs, location="query")
@blp.response(200, schemas.WorkshopPage)
@public
@blp.doc(summary="Workshops, with a link to each one's calendar file.")
def list_workshops(args: dict[str, Any]) -> Any:
    query = select(WorkshopModel)
    if args["theme_id"]:
        query = query.where(WorkshopModel.theme_id == args["theme_id"])
    if args["status"]:
        query = query.where(WorkshopModel.status == WorkshopStatus(args["status"]))
    return _page(query, WorkshopModel, args, _workshop)


@blp.route("/workshops/<int:workshop_id>")
@blp.response(200, schemas.Workshop)
@public
@blp.doc(summary="One workshop.")
def get_workshop(workshop_id: int) -> Any:
    workshop = db.session.get(WorkshopModel, workshop_id)
    if workshop is None:
        not_found()
    return _workshop(workshop)


def _vote_of(consultation_id: int, allowed: Callable[[Actor, ConsultationModel], bool]) -> Any:
    """The consultation's vote, when an anonymous visitor may see what is asked (the same
    predicates as the pages)."""
    consultation = db.session.scalar(_visible_consultations().where(ConsultationModel.id == consultation_id))
    vote = voting.round_of(consultation) if consultation is not None else None
    if consultation is None or vote is None or not allowed(Actor(None), consultation):
        not_found()
    return vote


def _head(entries: list[Any]) -> dict[str, Any]:
    return {"position": entries[-1].position if entries else 0, "hash": entries[-1].entry_hash if entries else None}


@blp.route("/consultations/<int:consultation_id>/results")
@blp.response(200, schemas.Results)
@public
@blp.doc(summary="The published results of a consultation's vote.")
def get_results(consultation_id: int) -> Any:
    vote = _vote_of(consultation_id, voting_rules.can_view_results)
    data = voting.results_of(vote)
    if data is None:
        not_found()
    return {"consultation_id": consultation_id, "method": voting.definition_of(vote)["method"], "results": data}


@blp.route("/consultations/<int:consultation_id>/receipts")
@blp.response(200, schemas.Receipts)
@public
@blp.doc(summary="The ledger's receipts (from the opening of the vote), and its head.")
def list_receipts(consultation_id: int) -> Any:
    vote = _vote_of(consultation_id, voting_rules.can_view_receipts)
    entries = voting.receipts(vote)
    replaced = voting.superseded_receipts(entries)
    return {"consultation_id": consultation_id, "head": _head(entries),
            "data": [{"position": e.position, "receipt": e.entry_hash, "previous": e.previous_hash,
                      "superseded": e.entry_hash in replaced} for e in entries]}


@blp.route("/consultations/<int:consultation_id>/ballots")
@blp.response(200, schemas.Ballots)
@public
@blp.doc(summary="The anonymised ballots, once the results are published.",
         description="Before, they would let anyone count the vote ahead of the steering group's publication.")
def get_ballots(consultation_id: int) -> Any:
    vote = _vote_of(consultation_id, voting_rules.can_view_results)
    try:
        document = ledger.export_document(vote)
    except DomainError:
        not_found()
    return {"consultation_id": consultation_id, "head": _head(voting.receipts(vote)), "document": document}


def _plan_version(version: Any) -> dict[str, Any]:
    return {"number": version.number, "published_at": version.published_at, "note": version.note,
            "snapshot_hash": version.snapshot_hash,
            "url": url_for("action_plan.version", number=version.number, _external=True)}


def _published_versions() -> Any:
    return select(PlanVersionModel).where(PlanVersionModel.state == VersionState.PUBLISHED)


@blp.route("/plan/versions")
@blp.response(200, schemas.PlanVersionList)
@public
@blp.doc(summary="The published versions of the shared action plan, the latest first.")
def list_plan_versions() -> Any:
    rows = db.session.scalars(_published_versions().order_by(PlanVersionModel.number.desc()))
    return {"data": [_plan_version(version) for version in rows]}


@blp.route("/plan/versions/<int:number>")
@blp.response(200, schemas.PlanVersionDetail)
@public
@blp.doc(summary="One published version of the plan, with its actions.")
def get_plan_version(number: int) -> Any:
    version = db.session.scalar(_published_versions().where(PlanVersionModel.number == number))
    if version is None:
        not_found()
    return {**_plan_version(version), "document": plan.snapshot_of(version)}


# ---- writes -----------------------------------------------------------------------------------

def _consultation_or_404(consultation_id: int) -> ConsultationModel:
    consultation = db.session.scalar(_visible_consultations().where(ConsultationModel.id == consultation_id))
    if consultation is None:
        not_found()
    return consultation


def _proposal_or_404(proposal_id: int) -> ProposalModel:
    proposal = db.session.get(ProposalModel, proposal_id)
    if proposal is None or not proposal_rules.can_view(g.api_actor, proposal):
        not_found()
    return proposal


def _require(allowed: bool, reason: Any = None) -> None:
    """403 unless `allowed`; `reason` (the words the page shows in place of its button) when known."""
    if not allowed:
        abort(403, message=str(reason) if reason else _("Your organisation may not do this now."))


@blp.route("/consultations/<int:consultation_id>/proposals", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public  # no session: the token is the authentication
@token_required("proposals")
@blp.arguments(schemas.NewProposal)
@blp.response(201, schemas.Proposal)
@blp.doc(security=[BEARER])
@blp.doc(summary="Writes a draft proposal for the token's organisation (scope `proposals`).")
def create_proposal(data: dict[str, Any], consultation_id: int) -> ResponseReturnValue:
    consultation = _consultation_or_404(consultation_id)
    actor = g.api_actor
    _require(proposal_rules.can_submit(actor, consultation))

    def write() -> ProposalModel:
        draft = proposals.save_draft(consultation, actor.organisation, actor.user, proposals.ProposalData(
            title=data["title"], body=data["body"], language=data["language"], draft_key=data["draft_key"]))
        audit_write(g.api_token, "api.proposal_draft_saved", "proposal", draft.id, draft.title)
        return draft

    return proposal_fields(run_write(write))


@blp.route("/proposals/<int:proposal_id>/cosignatures", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("cosign")
@blp.response(201, schemas.Cosignature)
@blp.doc(security=[BEARER])
@blp.doc(summary="Co-signs a proposal for the token's organisation (scope `cosign`).")
def cosign(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_or_404(proposal_id)
    actor = g.api_actor
    _require(proposal_rules.can_cosign(actor, proposal))

    def write() -> bool:
        created = proposals.cosign(proposal, actor.organisation, actor.user)
        if created:
            audit_write(g.api_token, "api.proposal_cosigned", "proposal", proposal.id, proposal.title)
        return created

    created = run_write(write)
    return {"proposal_id": proposal.id, "organisation_id": actor.organisation.id, "created": created,
            "cosignature_count": proposal.cosignature_count}


@blp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("comments")
@blp.arguments(schemas.NewComment)
@blp.response(201, schemas.Comment)
@blp.doc(security=[BEARER])
@blp.doc(summary="Comments on a proposal in deliberation for the token's organisation (scope `comments`).")
def comment(data: dict[str, Any], proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_or_404(proposal_id)
    actor = g.api_actor
    _require(proposal_rules.can_comment(actor, proposal))

    def write() -> Any:
        made = proposals.add_comment(proposal, actor.organisation, actor.user, data["body"], data["stance"])
        audit_write(g.api_token, "api.comment_added", "comment", made.id, proposal.title)
        return made

    made = run_write(write)
    return {"id": made.id, "proposal_id": proposal.id, "organisation_id": made.organisation_id,
            "stance": made.stance, "body": made.body, "created_at": made.created_at}


# ---- workshop registrations (scope `registrations`) -------------------------------------------

def _workshop_or_404(workshop_id: int) -> WorkshopModel:
    workshop = db.session.get(WorkshopModel, workshop_id)
    if workshop is None:
        not_found()
    return workshop


def _registration(registration: Any) -> dict[str, Any]:
    return {"workshop_id": registration.workshop_id, "organisation_id": registration.organisation_id,
            "status": str(getattr(registration.status, "value", registration.status))}


@blp.route("/workshops/<int:workshop_id>/registration", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("registrations")
@blp.arguments(schemas.NewRegistration)
@blp.response(201, schemas.Registration)
@blp.doc(security=[BEARER])
@blp.doc(summary="Registers the token's organisation for a workshop (scope `registrations`).",
         description="It holds a place if one is free, else joins the waiting list. Only a representative's token may.")
def register(data: dict[str, Any], workshop_id: int) -> ResponseReturnValue:
    workshop = _workshop_or_404(workshop_id)
    actor = g.api_actor
    _require(workshop_rules.can_register(actor, (workshop, actor.organisation)),
             workshop_rules.registration_refusal(actor, workshop, actor.organisation))
    existing = workshops.registration_of(workshop, actor.organisation)
    if existing is not None and str(getattr(existing.status, "value", existing.status)) != "withdrawn":
        # A conflict with what exists, not an invalid request: the registration stands as it is.
        abort(409, message=_("Your organisation is already registered for this workshop."))

    def write() -> Any:
        made = workshops.register(actor.user, workshop, actor.organisation, data["attendees"])
        audit_write(g.api_token, "api.workshop_registered", "workshop", workshop.id, _picked(workshop, "title"))
        return made

    return _registration(run_write(write))


@blp.route("/workshops/<int:workshop_id>/registration", methods=["DELETE"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("registrations")
@blp.response(200, schemas.Registration)
@blp.doc(security=[BEARER])
@blp.doc(summary="Withdraws the token's organisation from a workshop (scope `registrations`).",
         description="A freed place goes to the waiting list. Withdrawing twice changes nothing.")
def unregister(workshop_id: int) -> ResponseReturnValue:
    workshop = _workshop_or_404(workshop_id)
    actor = g.api_actor
    registration = workshops.registration_of(workshop, actor.organisation)
    if registration is None:
        not_found()
    _require(workshop_rules.can_withdraw_registration(actor, registration))

    def write() -> Any:
        workshops.withdraw(actor.user, registration)
        audit_write(g.api_token, "api.workshop_registration_withdrawn", "workshop", workshop.id,
                    _picked(workshop, "title"))
        return registration

    return _registration(run_write(write))


# ---- progress updates (scope `progress`) ------------------------------------------------------

@blp.route("/plan/actions/<int:action_id>/updates", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("progress")
@blp.arguments(schemas.NewProgressUpdate)
@blp.response(201, schemas.ProgressUpdate)
@blp.doc(security=[BEARER])
@blp.doc(summary="Posts a dated progress update on a plan action (scope `progress`).",
         description="With indicator values, on a plan action the token's organisation carries, as its page's form does.")
def post_progress(data: dict[str, Any], action_id: int) -> ResponseReturnValue:
    action = db.session.get(ActionModel, action_id)
    actor = g.api_actor
    if action is None or not plan_rules.can_view_action(actor, action):
        not_found()
    _require(plan_rules.can_post_update(actor, action))
    update = plan.UpdateData(happened_on=data["happened_on"], text=data["text"], progress=data["progress"],
                             indicator_values={row["indicator_id"]: round(Decimal(str(row["value"])), 2)
                                               for row in data["indicator_values"]})

    def write() -> Any:
        # The form's submission key, claimed in the same transaction: sent twice, posted once.
        if data["submission_key"] and not claim_submission(data["submission_key"]):
            raise DomainError(ALREADY_SENT)
        made = plan.post_update(actor.user, actor.organisation, action, update)
        audit_write(g.api_token, "api.progress_posted", "plan_action", action.id, _picked(action, "title"))
        return made

    made = run_write(write)
    return {"id": made.id, "action_id": action.id, "organisation_id": made.organisation_id,
            "happened_on": made.happened_on, "progress": made.progress, "text": made.text,
            "action_progress": action.progress}


# ---- ballots (scope `votes`) ------------------------------------------------------------------

def _ballot_form(vote: Any, choices: dict[str, str]) -> MultiDict[str, str]:
    """The ballot page's form as the API's `choices` describe it, for the same parser: the form
    names one input per candidate (`<prefix>-<candidate>`), except approval's one checkbox list."""
    method = get_method(voting.definition_of(vote)["method"])
    prefix = str(getattr(method, "prefix", ""))  # every built-in method names its inputs so (MethodBase)
    if method.id == "approval":
        return MultiDict([(prefix, key) for key, value in choices.items() if value.lower() in ("yes", "true")])
    return MultiDict({field_name(prefix, key): value for key, value in choices.items()})


@blp.route("/consultations/<int:consultation_id>/ballot", methods=["POST"])
@limiter.limit(write_limit, key_func=token_key)
@public
@token_required("votes")
@blp.arguments(schemas.NewBallot)
@blp.response(201, schemas.CastBallot)
@blp.doc(security=[BEARER])
@blp.doc(summary="Casts or changes the token's organisation's ballot in an open vote (scope `votes`).",
         description="Under every rule of the ballot page: the frozen roll, who may vote for the organisation, the window, the method's validation, and a secret vote's voting code. Returns the receipt.")
def cast_ballot(data: dict[str, Any], consultation_id: int) -> ResponseReturnValue:
    consultation = _consultation_or_404(consultation_id)
    actor = g.api_actor
    reason = voting.refusal(actor.user, consultation, actor.organisation)
    _require(reason is None, reason)
    vote = voting.round_of(consultation)
    assert vote is not None  # the refusal says so otherwise
    replaced = voting.has_voted(vote, actor.organisation)
    secret = voting.is_secret(vote)

    def write() -> Any:
        cast = voting.cast_ballot(actor.user, consultation, actor.organisation, _ballot_form(vote, data["choices"]),
                                  credential=data["credential"])
        if not secret:
            # A secret ballot is not audited: a dated row naming the organisation, next to the
            # ledger's order, would tell which receipt is its ballot.
            audit_write(g.api_token, "api.ballot_cast", "consultation", consultation.id, cast.ballot.receipt)
        return cast

    cast = run_write(write)
    return ({"consultation_id": consultation.id, "organisation_id": actor.organisation.id,
             "receipt": cast.ballot.receipt, "replaced": replaced, "secret": secret,
             "credential": cast.credential if secret else None},
            # The voting code is in this answer: no cache keeps it.
            {"Cache-Control": "no-store"})


# ---- open data --------------------------------------------------------------------------------

@blp.route("/open-data")
@blp.response(200, schemas.OpenDataList)
@public
@blp.doc(summary="The open datasets (the /open-data page's list).",
         description="Each one's ZIP archive, with its CSV and JSON files, its data dictionary in three languages and its licence.")
def list_open_data() -> Any:
    from tadamon.opendata import services as opendata

    return {"license": opendata.license_id(), "page": url_for("opendata.index", _external=True),
            "data": [{"key": d.key, "kind": d.kind, "title": d.title(), "title_i18n": dict(d.titles),
                      "modified": d.modified, "url": url_for("opendata.download", dataset=d.key, _external=True)}
                     for d in opendata.datasets()]}
