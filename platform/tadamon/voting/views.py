"""The ballot page, the public receipts, the results, and an organisation's voting rights."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadamon.core import audit
from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.forms import ConfirmForm
from tadamon.core.permissions import require
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.voting import presentation, services
from tadamon.voting.methods import VoteError, method
from tadamon.voting.methods.majority_judgment import GRADE_LABELS
from tadamon.voting.methods.yes_no import VOTE_LABELS
from tadamon.voting.models import EligibleOrganisation
from tadamon.voting.permissions import can_set_voting_rights, can_view_receipts, can_view_results
from tadamon.workshops.models import Consultation
from tadamon.workshops.permissions import can_manage_consultation

bp = Blueprint("voting", __name__, template_folder="templates")


def labels() -> dict[str, Any]:
    """The method names and explanations every voting template shows."""
    from tadamon.voting.registry import METHODS

    return {"method_labels": {key: info.label for key, info in METHODS.items()},
            "method_explanations": {key: info.explanation for key, info in METHODS.items()}}


def _acting() -> Organisation | None:
    return current_actor().organisation


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.get_or_404(Consultation, consultation_id)
    if consultation.phase == "draft":
        abort(404)
    return consultation


def _ballot_page(consultation: Consultation, *, values: dict[str, Any] | None = None, error: Any = None,
                 form: ConfirmForm | None = None, status: int = 200) -> Any:
    vote = services.round_of(consultation)
    organisation = _acting()
    reason = services.refusal(current_user, consultation, organisation)
    current = services.current_ballot(vote, organisation) if vote is not None and organisation is not None else None
    definition = services.definition_of(vote) if vote is not None else None
    module = method(definition["method"]) if definition else None
    if values is None:
        values = module.prefill(json.loads(current.content)) if current is not None and module else {}
    if reason is not None and status == 200:
        status = 403
    return render_template(
        "voting/ballot.html", consultation=consultation, vote=vote, definition=definition, module=module,
        organisation=organisation, reason=reason, current=current, values=values, error=error,
        form=form or ConfirmForm(formdata=None), proposals=services.proposals_by_key(vote) if vote else {},
        grade_labels=GRADE_LABELS, vote_labels=VOTE_LABELS), status


@bp.route("/consultations/<int:consultation_id>/vote", methods=["GET", "POST"])
def ballot(consultation_id: int) -> Any:
    """Open to anyone logged in: a person who cannot vote is told why, in words."""
    consultation = _consultation(consultation_id)
    if request.method == "GET":
        return _ballot_page(consultation)
    form = ConfirmForm()
    vote = services.round_of(consultation)
    definition = services.definition_of(vote) if vote is not None else None
    typed = _typed_values(definition) if definition else {}
    if not form.validate():
        # An expired token: the choices stay on the page, to be sent again.
        return _ballot_page(consultation, values=typed, form=form, status=400)
    organisation = _acting()
    if organisation is None:
        return _ballot_page(consultation, values=typed, status=403)
    try:
        cast = services.cast_ballot(current_user, consultation, organisation, request.form)
    except VoteError as error:
        db.session.rollback()
        return _ballot_page(consultation, values=typed, error=error.message, status=400)
    db.session.commit()
    flash(_("Your organisation's ballot is recorded. Its receipt: %(receipt)s", receipt=cast.receipt), "success")
    return redirect(url_for("voting.ballot", consultation_id=consultation.id))


def _typed_values(definition: dict[str, Any]) -> dict[str, Any]:
    """What the person chose, as the form shows it, even when it does not validate."""
    module = method(definition["method"])
    candidates = [c["id"] for c in definition["candidates"]]
    if module.FIELD_PREFIX == "approve":
        chosen = set(request.form.getlist("approve"))
        return {c: True for c in candidates if c in chosen}
    return {c: request.form.get(f"{module.FIELD_PREFIX}-{c}", "") for c in candidates
            if request.form.get(f"{module.FIELD_PREFIX}-{c}")}


@bp.route("/consultations/<int:consultation_id>/receipts")
@public
def receipts(consultation_id: int) -> Any:
    consultation = _consultation(consultation_id)
    if not can_view_receipts(current_actor(), consultation):
        abort(404)
    vote = services.round_of(consultation)
    if vote is None:
        abort(404)
    entries = services.receipts(vote)
    replaced = services.superseded_receipts(entries)
    wanted = (request.args.get("receipt") or "").strip().lower()[:64]
    found = next((entry for entry in entries if entry.entry_hash == wanted), None) if wanted else None
    return render_template("voting/receipts.html", consultation=consultation, vote=vote, entries=entries,
                           replaced=replaced, wanted=wanted, found=found)


@bp.route("/consultations/<int:consultation_id>/results")
@public
def results(consultation_id: int) -> Any:
    consultation = _consultation(consultation_id)
    require(can_view_results(current_actor(), consultation))
    vote = services.round_of(consultation)
    data = services.results_of(vote) if vote is not None else None
    if vote is None or data is None:
        abort(404)
    proposals = services.proposals_by_key(vote)
    view = presentation.results_view(data, proposals)
    by_region = presentation.participation_rows(services.participation_by(vote, EligibleOrganisation.region), "region")
    by_form = presentation.participation_rows(
        services.participation_by(vote, EligibleOrganisation.legal_form), "legal_form")
    ballots = services.public_ballots(vote)
    summaries = [presentation.summarise(data["method"], ballot, proposals) for _organisation, ballot in ballots]
    return render_template("voting/results.html", consultation=consultation, vote=vote, results=data, view=view,
                           by_region=by_region, by_form=by_form, proposals=proposals,
                           public_ballots=ballots, ballot_summaries=summaries, grade_labels=GRADE_LABELS,
                           vote_labels=VOTE_LABELS, definition=services.definition_of(vote),
                           is_manager=can_manage_consultation(current_actor(), consultation))


@bp.route("/organisations/<int:organisation_id>/voting-rights", methods=["POST"])
def voting_rights(organisation_id: int) -> Any:
    organisation = db.get_or_404(Organisation, organisation_id)
    require(can_set_voting_rights(current_actor(), organisation))
    if ConfirmForm().validate_on_submit():
        allowed = request.form.get("members_may_vote") == "yes"
        before = organisation.members_may_vote
        organisation.members_may_vote = allowed
        audit.record("organisation.voting_rights", "organisation", organisation.id,
                     object_label=organisation.display_name, before={"members_may_vote": before},
                     after={"members_may_vote": allowed}, actor=current_user)
        db.session.commit()
        flash(_("Every member of the organisation may now vote for it.") if allowed
              else _("Only the organisation's representatives may now vote for it."), "success")
    else:
        flash(_("The page had expired. Please try again."), "error")
    return redirect(url_for("membership.people", organisation_id=organisation.id))
