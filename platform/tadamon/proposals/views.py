"""Proposal pages: the list of a consultation, writing, the proposal with its deliberation,
versions, and the facilitators' curation.

Each view loads and authorises its proposal (`_load`), resolves the acting organisation once
(`_acting`) and changes state only through `run_use_case`: one service call, one commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from tadamon.core import storage
from tadamon.core.actor import Actor, current_actor
from tadamon.core.auth import public
from tadamon.core.bidi import isolate
from tadamon.core.forms import ConfirmForm, edit_form, enum_choices, redisplays_form, show_error
from tadamon.core.i18n import localized
from tadamon.core.member_pages import hand_to_part, handed_to_part, register_part
from tadamon.core.permissions import require
from tadamon.core.times import format_time
from tadamon.core.uploads import MIMETYPES
from tadamon.core.urls import MAX_ID, int_arg, page_arg
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db
from tadamon.membership.forms import region_choices
from tadamon.membership.models import Organisation
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.proposals import forms, services, similarity
from tadamon.proposals.models import (
    EVALUATION_LABELS,
    TERRITORY_LABELS,
    Amendment,
    Attachment,
    Comment,
    Evaluation,
    Proposal,
    ProposalVersion,
    Report,
)
from tadamon.proposals.permissions import (
    can_amend,
    can_comment,
    can_cosign,
    can_curate,
    can_decide_amendment,
    can_edit,
    can_handle_report,
    can_moderate,
    can_record_from_room,
    can_report,
    can_see_drafts,
    can_see_moderation_queue,
    can_submit,
    can_view,
    can_withdraw,
)
from tadamon.proposals.presentation import proposal_page
from tadamon.workshops.forms import theme_choices
from tadamon.workshops.models import PHASE_LABELS, Consultation, Workshop

bp = Blueprint("proposals", __name__, template_folder="templates")
PER_PAGE = 20
SEED_KEY = "proposal_seed"
Rule = Callable[[Actor, Proposal], bool]


def _load(proposal_id: int, rule: Rule | None = None) -> Proposal:
    """The proposal; with a `rule`, only if the current person passes it (else 403)."""
    proposal = db.get_or_404(Proposal, proposal_id)
    if rule is not None:
        require(rule(current_actor(), proposal))
    return proposal


def _visible(proposal_id: int) -> Proposal:
    """The proposal, if the current person may see it: a draft is not found by others."""
    proposal = _load(proposal_id)
    if not can_view(current_actor(), proposal):
        abort(404)
    return proposal


def _acting() -> Organisation:
    """The organisation the current person acts for (refused without one)."""
    organisation = current_actor().organisation
    require(organisation is not None)
    return organisation


def _to_proposal(proposal_id: int, anchor: str = "") -> Any:
    return redirect(url_for("proposals.show", proposal_id=proposal_id) + anchor)


def _seed() -> int:
    """A per-visitor seed for the random order, kept in the session (stable across pages)."""
    from tadamon.core.member_pages import keep_personal

    keep_personal()  # this reader's order: a page in it is not kept for members of the same audience
    if SEED_KEY not in session:
        session[SEED_KEY] = secrets.randbelow(2_000_000) + 1
    return int(session[SEED_KEY])


def _filter_form() -> forms.ProposalFilterForm:
    form = forms.ProposalFilterForm(request.args)
    form.theme.choices = theme_choices(_("All themes"))
    form.region.choices = region_choices(_("All regions"))
    form.evaluation.choices = enum_choices(Evaluation, blank=_("Any evaluation"))
    form.validate()
    return form


def _filters(form: forms.ProposalFilterForm) -> dict[str, Any]:
    sort = form.sort.data if form.sort.data in services.SORTS else "recent"
    return {"search": form.q.data or "", "theme_id": int_arg("theme"), "sort": sort,
            "region": form.region.data if form.region.data in REGIONS_BY_CODE else "",
            "evaluation": form.evaluation.data if form.evaluation.data in set(EVALUATION_LABELS) else "",
            "organisation_id": int_arg("organisation"), "seed": _seed() if sort == "random" else 1}


@bp.route("/consultations/<int:consultation_id>/proposals")
@public
def index(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    form = _filter_form()
    page = db.paginate(services.list_query(consultation, **_filters(form)), page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("proposals/index.html", consultation=consultation, form=form, page=page,
                           can_submit=can_submit(current_actor(), consultation))


# --- writing ---------------------------------------------------------------------------------


def _proposal_form(proposal: Proposal | None) -> forms.ProposalForm:
    form = edit_form(forms.ProposalForm, proposal)
    form.theme_id.choices = theme_choices(_("No particular theme"))
    form.territory_region.choices = region_choices(_("Choose a region"))
    return form


def _data(form: forms.ProposalForm) -> services.ProposalData:
    return services.ProposalData(
        title=form.title.data or "", body=form.body.data or "",
        language=form.language.data if form.language.data in ("ar", "fr", "en") else "ar",
        theme_id=form.theme_id.data,
        territory_scope=form.territory_scope.data if form.territory_scope.data in TERRITORY_LABELS else "national",
        territory_region=form.territory_region.data or "", territory_province=form.territory_province.data or "",
        beneficiaries=form.beneficiaries.data or "", expected_impact=form.expected_impact.data or "",
        resources_needed=form.resources_needed.data or "", partners_sought=form.partners_sought.data or "",
        draft_key=form.draft_key.data or "")


def _upload(form: forms.ProposalForm) -> Any:
    """The attached file, if any (never from a request that failed its CSRF check)."""
    upload = form.attachment.data
    return upload if isinstance(upload, FileStorage) and upload.filename and not form.csrf_expired else None


def _submit(form: forms.ProposalForm, consultation: Consultation, proposal: Proposal | None) -> tuple[Any, Proposal | None]:
    """A submit of the writing page. Nothing is written before the form passes its CSRF check
    and its shape (an expired token, an unknown theme, a text over its limit): the page comes
    back with what was typed. Then the text (and a valid attachment) is kept as a draft
    whatever happens next, and the proposal is published, or the draft saved. Gives a
    redirect when done."""
    if not form.validate():
        return None, proposal
    valid = True
    data = _data(form)
    organisation = proposal.organisation if proposal else _acting()
    kept = run_use_case(None, lambda: services.keep_writing(consultation, organisation, current_user, data, proposal,
                                                            _upload(form))).value
    if kept is None:
        return None, proposal
    if kept.refused_attachment is not None:
        show_error(form, kept.refused_attachment)
        valid = False
    if valid and request.form.get("action") == "publish":
        if run_use_case(form, lambda: services.publish(kept.proposal, current_user, data),
                        success=_("Your proposal is published.")):
            return _to_proposal(kept.proposal.id), kept.proposal
    elif valid:
        flash(_("Your draft is saved. Only your organisation sees it."), "success")
        return redirect(url_for("proposals.edit", proposal_id=kept.proposal.id)), kept.proposal
    return None, kept.proposal


def _write(consultation: Consultation, proposal: Proposal | None) -> Any:
    form = _proposal_form(proposal)
    if proposal is None and not form.draft_key.data:
        form.draft_key.data = secrets.token_urlsafe(24)
    if form.is_submitted():
        done, proposal = _submit(form, consultation, proposal)
        if done is not None:
            return done
    return render_template("proposals/write.html", form=form, consultation=consultation, proposal=proposal,
                           similar=similarity.similar_to(proposal) if proposal is not None else [],
                           attachments=services.attachments_of(proposal) if proposal else [],
                           confirm_form=ConfirmForm(formdata=None))


@bp.route("/consultations/<int:consultation_id>/proposals/new", methods=["GET", "POST"])
@redisplays_form
def new(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_submit(current_actor(), consultation))
    return _write(consultation, None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_edit)
    return _write(proposal.consultation, proposal)


def _autosave(consultation: Consultation, proposal: Proposal | None) -> Any:
    """The writing page's script posts here every few seconds: the draft is kept on the server."""
    form = _proposal_form(proposal)
    form.validate()  # shape only: a draft keeps whatever was typed, within the column limits
    if proposal is not None and not proposal.is_draft:
        return jsonify({"message": _("Published proposals are saved when you publish them again.")}), 409
    organisation = proposal.organisation if proposal else _acting()
    saved = run_use_case(None, lambda: services.save_draft(consultation, organisation, current_user, _data(form),
                                                           proposal)).value
    if saved is None:
        abort(400)
    return jsonify({
        "id": saved.id,
        "edit_url": url_for("proposals.edit", proposal_id=saved.id),
        "autosave_url": url_for("proposals.autosave_draft", proposal_id=saved.id),
        "message": _("Draft saved at %(time)s.", time=format_time(saved.updated_at)),
    })


@bp.route("/consultations/<int:consultation_id>/proposals/autosave", methods=["POST"])
def autosave_new(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_submit(current_actor(), consultation))
    return _autosave(consultation, None)


@bp.route("/proposals/<int:proposal_id>/autosave", methods=["POST"])
def autosave_draft(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_edit)
    return _autosave(proposal.consultation, proposal)


# --- made on paper in the room ---------------------------------------------------------------


def _room_form(workshop: Workshop, record: Any) -> forms.RoomProposalForm:
    """The form, its choices built for this workshop; a room note, when given, fills it in."""
    filled: dict[str, Any] = {"made_on": services.workshop_days(workshop)[0]}
    if record is not None:
        filled.update(title=record.title, body=record.body, language=record.language,
                      organisation_id=record.organisation_id, made_on=services.day_of_note(workshop, record))
    form = forms.RoomProposalForm(**filled)
    form.consultation_id.choices = [SelectChoice("", _("Choose a consultation"))] + [
        SelectChoice(item.id, _("%(question)s (%(phase)s)", question=isolate(localized(item, "question")[0]),
                                phase=PHASE_LABELS[item.current_phase]))
        for item in services.consultations_for_room(workshop)]
    registered, others = services.organisations_for_room(workshop)
    form.organisation_id.choices = [SelectChoice("", _("Choose an organisation"))] + [
        SelectChoice(o.id, o.display_name, optgroup=_("Registered in this workshop")) for o in registered] + [
        SelectChoice(o.id, o.display_name, optgroup=_("Other member organisations")) for o in others]
    return form


@bp.route("/workshops/<int:workshop_id>/room/proposals/new", methods=["GET", "POST"])
@redisplays_form
def record_from_room(workshop_id: int) -> Any:
    """A proposal made on paper in the room becomes, in one submit, a published proposal of one
    of the workshop's consultations, on behalf of the organisation that made it."""
    workshop = db.get_or_404(Workshop, workshop_id)
    require(can_record_from_room(current_actor(), workshop))
    record = services.paper_record(workshop, int_arg("record"))
    already = services.proposal_of_record(record) if record is not None else None
    if already is not None:
        flash(_("This note of the room is already a proposal."), "info")
        return _to_proposal(already.id)
    form = _room_form(workshop, record)
    paper = services.PaperProposal(
        consultation_id=_offered_id(form.consultation_id.data), organisation_id=_offered_id(form.organisation_id.data),
        made_on=form.made_on.data, room_record_id=record.id if record is not None else None,
        data=services.ProposalData(title=form.title.data or "", body=form.body.data or "",
                                   language=form.language.data if form.language.data in ("ar", "fr", "en") else "ar"))
    done = run_use_case(form, lambda: services.record_from_room(current_user, workshop, paper),
                        success=_("The proposal made in the room is published on behalf of its organisation."))
    if done and done.value is not None:
        return _to_proposal(done.value.id)
    return render_template("proposals/record_from_room.html", form=form, workshop=workshop, record=record), (
        400 if form.is_submitted() else 200)


def _offered_id(value: Any) -> int | None:
    """An id chosen in a select (`offered_choice` has refused anything else)."""
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


@bp.route("/proposals/drafts")
def drafts() -> Any:
    """The drafts of the organisation one acts for (of one consultation with `?consultation=`):
    a draft saved and left is found again here."""
    actor = current_actor()
    require(can_see_drafts(actor))
    wanted = int_arg("consultation")
    consultation = db.session.get(Consultation, wanted) if wanted else None
    found = services.drafts_of(actor.organisation.id, consultation.id if consultation else None)
    return render_template("proposals/drafts.html", organisation=actor.organisation, consultation=consultation,
                           drafts=[(draft, can_edit(actor, draft)) for draft in found])


# --- the proposal's page ---------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>")
@public
def show(proposal_id: int) -> Any:
    proposal = services.load_for_page(proposal_id, current_actor().organisation)
    if proposal is None:
        abort(404)
    if proposal.merged_into_id is not None:
        return redirect(url_for("proposals.show", proposal_id=proposal.merged_into_id), code=301)
    if not can_view(current_actor(), proposal):
        abort(404)
    return _show_page(proposal)


def _reloaded_for_page(proposal: Proposal) -> Proposal:
    """A form redisplayed on the proposal's page: its rows loaded the way the page reads them
    (`services.load_for_page`), not one lazy load per lineage step."""
    return services.load_for_page(proposal.id, current_actor().organisation) or proposal


def _show_page(proposal: Proposal, *, comment_form: Any = None, amendment_form: Any = None) -> Any:
    if amendment_form is None:
        amendment_form = forms.AmendmentForm(formdata=None, title=proposal.title, body=proposal.body)
    page = proposal_page(current_actor(), proposal)
    hand_to_part("proposals.cosign", page.has_cosigned)
    return render_template(
        "proposals/show.html", proposal=proposal, page=page,
        amendment_form=amendment_form,
        comment_form=comment_form or forms.CommentForm(formdata=None), reason_form=forms.ReasonForm(formdata=None),
        evaluation_form=forms.EvaluationForm(formdata=None), confirm_form=ConfirmForm(formdata=None))


def _cosign_part() -> Markup:
    """The co-signing button: "co-sign" or "withdraw our co-signature", after what the reader's
    organisation did (the rest of the page is kept per audience, core.member_pages; the form's
    token stays in the page, each reader's own)."""
    def read() -> bool:
        proposal = db.session.get(Proposal, (request.view_args or {}).get("proposal_id"))
        return proposal is not None and services.has_cosigned(proposal, current_actor().organisation)

    signed = handed_to_part("proposals.cosign", read)
    template = current_app.jinja_env.get_template("proposals/_cosign.html")
    return Markup(template.render(has_cosigned=signed))  # noqa: S704 - a template's output


def _cosign_audience() -> tuple[Any, ...] | None:
    """Whom the button is the same for: the reader's organisation, on this proposal."""
    organisation = current_actor().organisation
    proposal_id = (request.view_args or {}).get("proposal_id")
    return ("organisation", organisation.id if organisation else None, proposal_id)


register_part("proposals.cosign", _cosign_part, audience=_cosign_audience)


@bp.route("/proposals/<int:proposal_id>/versions/<int:number>")
@public
def version(proposal_id: int, number: int) -> Any:
    proposal = _visible(proposal_id)
    item = db.session.scalar(db.select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id,
                                                              ProposalVersion.number == number))
    if item is None:
        abort(404)
    return render_template("proposals/version.html", proposal=proposal, item=item)


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
def withdraw(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_withdraw)
    run_use_case(ConfirmForm(), lambda: services.withdraw(proposal, current_user),
                 success=_("Your proposal is withdrawn."))
    return redirect(url_for("proposals.index", consultation_id=proposal.consultation_id))


def _cosigning_message(withdrawn: bool, signed: bool | None) -> tuple[str, str]:
    if withdrawn:
        return _("Your organisation's co-signature is withdrawn."), "success"
    if signed:
        return _("Your organisation co-signs this proposal."), "success"
    return _("Your organisation had already co-signed this proposal."), "info"


@bp.route("/proposals/<int:proposal_id>/cosign", methods=["POST"])
def cosign(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_cosign)
    organisation = _acting()
    withdrawing = request.form.get("withdraw") == "1"
    done = run_use_case(ConfirmForm(), lambda: services.withdraw_cosignature(proposal, organisation) if withdrawing
                        else services.cosign(proposal, organisation, current_user))
    if done:
        flash(*_cosigning_message(withdrawing, done.value))
    return _to_proposal(proposal.id)


def _parent_comment(form: forms.CommentForm) -> Comment | None:
    """The comment answered, if any (404 when the form names one that does not exist, or an id
    no row can have: a 20-digit number overflows the database's integer)."""
    if not form.parent_id.data:
        return None
    parent_id = str(form.parent_id.data)
    known = parent_id.isdigit() and 1 <= int(parent_id) <= MAX_ID
    parent = db.session.get(Comment, int(parent_id)) if known else None
    if parent is None:
        abort(404)
    return parent


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@redisplays_form
def comment(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_comment)
    organisation = _acting()
    form = forms.CommentForm()
    if run_use_case(form, lambda: services.add_comment(proposal, organisation, current_user, form.body.data,
                                                       form.stance.data, _parent_comment(form)),
                    success=_("Your comment is published.")):
        return _to_proposal(proposal.id, "#comments")
    return _show_page(_reloaded_for_page(proposal), comment_form=form), 400


@bp.route("/proposals/<int:proposal_id>/report", methods=["POST"])
def report(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_report)
    target_type = request.form.get("target_type", "proposal")
    target_id = request.form.get("target_id", type=int) or proposal.id
    if target_type not in ("proposal", "comment"):
        abort(400)
    form = forms.ReasonForm()
    if not run_use_case(form, lambda: services.report(target_type, target_id, proposal, current_user, form.reason.data),
                        success=_("Thank you: the moderators will look at it.")):
        flash(_("Say what is wrong, so the moderators can act."), "error")
    return _to_proposal(proposal.id)


# --- moderation ----------------------------------------------------------------------------


@bp.route("/moderation")
def moderation() -> Any:
    require(can_see_moderation_queue(current_actor()))
    return render_template("proposals/moderation.html", cases=services.open_cases(current_user),
                           form=forms.ModerationForm(formdata=None))


@bp.route("/reports/<int:report_id>/handle", methods=["POST"])
def handle_report(report_id: int) -> Any:
    item = db.get_or_404(Report, report_id)
    require(can_handle_report(current_actor(), item))
    form = forms.ModerationForm()
    if not run_use_case(form, lambda: services.handle_report(current_user, item, form.decision.data,
                                                               form.reason.data),
                        success=_("Decision recorded: the reporter and the author are told.")):
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for("proposals.moderation"))


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
def hide_comment(comment_id: int) -> Any:
    item = db.get_or_404(Comment, comment_id)
    proposal = _load(item.proposal_id, can_moderate)
    form = forms.ReasonForm()
    if not run_use_case(form, lambda: services.hide_comment(current_user, item, form.reason.data),
                        success=_("The comment is hidden; the reason is shown in its place.")):
        flash(_("Give the public reason for hiding it."), "error")
    return _to_proposal(proposal.id, "#comments")


@bp.route("/proposals/<int:proposal_id>/amendments", methods=["POST"])
@redisplays_form
def amend(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_amend)
    organisation = _acting()
    form = forms.AmendmentForm()
    if run_use_case(form, lambda: services.propose_amendment(
            proposal, organisation, current_user, title=form.title.data, body=form.body.data,
            justification=form.justification.data),
            success=_("Your amendment is sent to the proposal's organisation, which decides on it.")):
        return _to_proposal(proposal.id, "#amendments")
    return _show_page(_reloaded_for_page(proposal), amendment_form=form), 400


@bp.route("/amendments/<int:amendment_id>/decide", methods=["POST"])
def decide_amendment(amendment_id: int) -> Any:
    amendment = db.get_or_404(Amendment, amendment_id)
    require(can_decide_amendment(current_actor(), amendment))
    accept = request.form.get("decision") == "accept"
    run_use_case(ConfirmForm(), lambda: services.decide_amendment(current_user, amendment, accept),
                 success=_("The amendment is accepted: it is now the proposal's text.") if accept
                 else _("The amendment is rejected."))
    return _to_proposal(amendment.proposal_id, "#amendments")


# --- attachments -----------------------------------------------------------------------------


def _attachment(proposal: Proposal, attachment_id: int) -> Attachment:
    item = db.get_or_404(Attachment, attachment_id)
    if item.proposal_id != proposal.id:
        abort(404)
    return item


@bp.route("/proposals/<int:proposal_id>/attachments/<int:attachment_id>")
@public
def attachment(proposal_id: int, attachment_id: int) -> Any:
    proposal = _load(proposal_id)
    item = _attachment(proposal, attachment_id)
    if not can_view(current_actor(), proposal):
        abort(404)
    response = storage.send(services.attachment_key(item), mimetype=MIMETYPES[item.file_type],
                            download_name=f"proposal-{proposal.id}-{item.id}.{item.file_type}", max_age=0)
    if response is None:
        abort(404)
    return response


@bp.route("/proposals/<int:proposal_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
def remove_attachment(proposal_id: int, attachment_id: int) -> Any:
    proposal = _load(proposal_id)
    item = _attachment(proposal, attachment_id)
    require(can_edit(current_actor(), proposal))
    run_use_case(ConfirmForm(), lambda: services.remove_attachment(item), success=_("The attachment is removed."))
    return redirect(url_for("proposals.edit", proposal_id=proposal.id))


# --- curation --------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/evaluate", methods=["POST"])
def evaluate(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_curate)
    form = forms.EvaluationForm()
    done = run_use_case(form, lambda: services.evaluate(current_user, proposal, form.evaluation.data,
                                                        form.answer.data or ""),
                        success=_("The evaluation is recorded."))
    if not done:
        # The page is left for a redirect: the refusal travels as a message, not under its field.
        flash(str(done.error.message) if done.error is not None else _("Choose an evaluation."), "error")
    if done and request.form.get("then") == "next":
        following = services.next_to_evaluate(proposal)
        if following is not None:
            return _to_proposal(following.id, "#evaluate")
        flash(_("Every proposal of this consultation has its evaluation."), "info")
        return redirect(url_for("proposals.index", consultation_id=proposal.consultation_id))
    return _to_proposal(proposal.id, "#evaluate" if not done else "")


def _merge_form(target: Proposal) -> tuple[forms.MergeForm, list[Proposal]]:
    """The merge form, offering the consultation's other proposals."""
    candidates = [p for p in db.session.scalars(services.list_query(target.consultation)) if p.id != target.id]
    form = forms.MergeForm()
    form.sources.choices = [SelectChoice(p.id, p.title) for p in candidates]
    return form, candidates


@bp.route("/proposals/<int:proposal_id>/merge", methods=["GET", "POST"])
@redisplays_form
def merge(proposal_id: int) -> Any:
    target = _load(proposal_id, can_curate)
    form, candidates = _merge_form(target)
    if run_use_case(form, lambda: services.merge(
            current_user, target, [p for p in candidates if p.id in set(form.sources.data or [])], form.reason.data),
            success=_("The proposals are merged; their authors, co-signatures and comments are kept.")):
        return _to_proposal(target.id)
    return render_template("proposals/merge.html", form=form, proposal=target)


def _split_form(proposal: Proposal) -> forms.SplitForm:
    """The split form: on a first view, both parts start from the proposal's title."""
    if request.method != "GET":
        return forms.SplitForm()
    return forms.SplitForm(data={"title_1": proposal.title, "body_1": proposal.body,
                                 "title_2": proposal.title, "body_2": ""})


@bp.route("/proposals/<int:proposal_id>/split", methods=["GET", "POST"])
@redisplays_form
def split(proposal_id: int) -> Any:
    proposal = _load(proposal_id, can_curate)
    form = _split_form(proposal)
    done = run_use_case(form, lambda: services.split(current_user, proposal, [
        (form.title_1.data, form.body_1.data), (form.title_2.data, form.body_2.data)], form.reason.data),
        success=_("The proposal is split in two; both keep its authors and co-signatures."))
    if done and done.value:
        return _to_proposal(done.value[0].id)
    return render_template("proposals/split.html", form=form, proposal=proposal)
