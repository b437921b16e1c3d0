"""The ballot page, the public receipts, the results, and an organisation's voting rights."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.bidi import isolate
from tadamon.core.forms import ConfirmForm
from tadamon.core.i18n import current_language
from tadamon.core.member_pages import register_page_audience
from tadamon.core.permissions import require
from tadamon.core.urls import page_arg
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.voting import participation, presentation, reminders, services
from tadamon.voting.permissions import (
    can_export_pack,
    can_send_reminder,
    can_set_voting_rights,
    can_view_participation,
    can_view_receipts,
    can_view_results,
)
from tadamon.voting.results import stored_results
from tadamon.workshops.models import Consultation, Phase

bp = Blueprint("voting", __name__, template_folder="templates")


class Refusal:
    """Where `run_use_case` puts a refused ballot's message (a VoteError names `ballot`). Not a
    form field: the method's inputs are plain fields of its template, and the page shows the
    refusal once, above the ballot, rather than in the form's list of fields to correct."""

    def __init__(self) -> None:
        self.errors: list[Any] = []


class BallotForm(ConfirmForm):
    """The ballot's CSRF token, and its refusal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ballot = Refusal()


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.get_or_404(Consultation, consultation_id)
    if consultation.current_phase is Phase.DRAFT:
        abort(404)
    return consultation


def _cookie_name(organisation_id: int) -> str:
    return f"tadamon_vote_{organisation_id}"


def _credential(consultation: Consultation, organisation: Organisation | None) -> str | None:
    """A secret vote's voting code: as typed on the ballot, else the one this browser keeps."""
    if organisation is None:
        return None
    return request.form.get("credential") or request.cookies.get(_cookie_name(organisation.id))


def _keep_credential(consultation_id: int, organisation_id: int, credential: str | None) -> Any:
    """Back to the ballot; the browser keeps a secret vote's code in a cookie scoped to this
    consultation's pages (the database never does), so the organisation can change its ballot.
    By ids, known before the commit: the committed objects are not loaded again for them."""
    response = redirect(url_for("voting.ballot", consultation_id=consultation_id))
    if credential:
        response.set_cookie(_cookie_name(organisation_id), credential, max_age=120 * 86400,
                            path=f"/consultations/{consultation_id}/", httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _ballot_page(consultation: Consultation, form: BallotForm, *, sent: Any = None, status: int = 200) -> Any:
    actor = current_actor()
    page = presentation.ballot_page(consultation, actor.user, actor.organisation, sent,
                                    credential=_credential(consultation, actor.organisation))
    if page["reason"] is not None and status == 200:
        status = 403
    html = render_template("voting/ballot.html", form=form, **page)
    return html if status == 200 else (html, status)  # a plain 200 page may be stored (core.member_pages)


def _ballot_audience() -> tuple[Any, ...] | None:
    """Whom the ballot page is the same for: this person (may they cast for the organisation)
    acting for this organisation (its place on the roll, its ballot). A page read with a secret
    vote's voting code (which it shows, with the ballot it opens) is never stored."""
    actor = current_actor()
    organisation = actor.organisation
    if organisation is not None and request.cookies.get(_cookie_name(organisation.id)):
        return None
    return ("person", actor.id, organisation.id if organisation else None)


register_page_audience("voting.ballot", _ballot_audience)


def _recorded(cast: services.Cast) -> str:
    return _("Your organisation's ballot is recorded. Its receipt: %(receipt)s", receipt=isolate(cast.ballot.receipt))


@bp.route("/consultations/<int:consultation_id>/vote", methods=["GET", "POST"])
def ballot(consultation_id: int) -> Any:
    """Open to anyone logged in: a person who cannot vote is told why, in words."""
    if request.method == "GET":
        return _ballot_page(_consultation(consultation_id), BallotForm(formdata=None))
    # A ballot: the consultation, its round and the organisation's line on the roll in one query.
    organisation = current_actor().organisation
    consultation, roll = services.ballot_subject(consultation_id, organisation)
    if consultation is None or consultation.current_phase is Phase.DRAFT:
        abort(404)
    form = BallotForm()
    if organisation is None:
        return _ballot_page(consultation, form, sent=request.form, status=403 if form.validate() else 400)
    code, organisation_id = _credential(consultation, organisation), organisation.id
    # The reader's language, chosen before the commit: the success message is worded after it,
    # and the commit expires the user the choice reads (it would be loaded again for it).
    current_language()
    cast = run_use_case(form, lambda: services.cast_ballot(current_user, consultation, organisation, request.form,
                                                           credential=code, roll=roll), success=_recorded)
    if cast.value is not None:
        return _keep_credential(consultation_id, organisation_id, cast.value.credential)
    # A refused ballot or an expired token: the choices stay on the page, to be sent again.
    return _ballot_page(consultation, form, sent=request.form, status=400)


@bp.route("/consultations/<int:consultation_id>/receipts")
@public
def receipts(consultation_id: int) -> Any:
    consultation = _consultation(consultation_id)
    vote = services.round_of(consultation)
    if vote is None or not can_view_receipts(current_actor(), consultation):
        abort(404)
    entries = services.receipts(vote)
    wanted = (request.args.get("receipt") or "").strip().lower()[:64]
    found = next((entry for entry in entries if entry.entry_hash == wanted), None) if wanted else None
    return render_template("voting/receipts.html", consultation=consultation, vote=vote, entries=entries,
                           replaced=services.superseded_receipts(entries), wanted=wanted, found=found)


@bp.route("/consultations/<int:consultation_id>/results")
@public
def results(consultation_id: int) -> Any:
    consultation = _consultation(consultation_id)
    require(can_view_results(current_actor(), consultation))
    vote = services.round_for_results(consultation)
    stored = stored_results(vote) if vote is not None else None
    if vote is None or stored is None:
        abort(404)
    return render_template("voting/results.html", **presentation.results_page(
        consultation, vote, stored, page_arg(), full_ranking=request.args.get("ranking") == "all"))


@bp.route("/consultations/<int:consultation_id>/participation")
def participation_page(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_view_participation(current_actor(), consultation))
    return render_template("voting/participation.html", page=participation.participation_page(consultation),
                           form=ConfirmForm(formdata=None))


def _reminded(count: int | None) -> str:
    return ngettext("%(num)d organisation that has not voted is reminded.",
                    "%(num)d organisations that have not voted are reminded.", count or 0)


@bp.route("/consultations/<int:consultation_id>/participation/remind", methods=["POST"])
def send_reminder(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_send_reminder(current_actor(), consultation))
    run_use_case(ConfirmForm(), lambda: reminders.send_reminder(current_user, consultation), success=_reminded)
    return redirect(url_for("voting.participation_page", consultation_id=consultation.id))


@bp.route("/consultations/<int:consultation_id>/pack")
def export_pack(consultation_id: int) -> Any:
    """The consultation's export pack (ZIP), in the reader's language or ?lang=. Built in the
    request: it is JSON of one consultation, a fraction of a second even at scale."""
    from tadamon.voting import pack

    consultation = _consultation(consultation_id)
    require(can_export_pack(current_actor(), consultation))
    asked = request.args.get("lang") or ""
    language = asked if asked in ("ar", "fr", "en") else current_language()
    data = pack.build(consultation, language)
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=pack.file_name(consultation, language), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _rights_changed(allowed: bool) -> str:
    return (_("Every member of the organisation may now vote for it.") if allowed
            else _("Only the organisation's representatives may now vote for it."))


@bp.route("/organisations/<int:organisation_id>/voting-rights", methods=["POST"])
def voting_rights(organisation_id: int) -> Any:
    organisation = db.get_or_404(Organisation, organisation_id)
    require(can_set_voting_rights(current_actor(), organisation))
    allowed = request.form.get("members_may_vote") == "yes"
    if not run_use_case(ConfirmForm(), lambda: services.set_voting_rights(current_user, organisation, allowed),
                        success=_rights_changed):
        flash(_("The page had expired. Please try again."), "error")
    return redirect(url_for("membership.people", organisation_id=organisation.id))
