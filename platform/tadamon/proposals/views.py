"""Proposal pages: the list of a consultation, writing, the proposal with its deliberation,
versions, and the facilitators' curation."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.forms import show_error as _show_error
from tadamon.core.i18n import localized
from tadamon.core.markup import render_markdown
from tadamon.core.permissions import require
from tadamon.core.urls import int_arg, page_arg
from tadamon.extensions import db
from tadamon.membership.forms import region_choices
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.proposals import forms, services, similarity
from tadamon.proposals.models import (
    AMENDMENT_STATE_LABELS,
    EVALUATION_LABELS,
    PROPOSAL_STATE_LABELS,
    STANCE_LABELS,
    TERRITORY_LABELS,
    TIMELINE_LABELS,
    Amendment,
    Attachment,
    Comment,
    Proposal,
    ProposalState,
    ProposalVersion,
)
from tadamon.proposals.permissions import (
    can_amend,
    can_comment,
    can_cosign,
    can_curate,
    can_decide_amendment,
    can_edit,
    can_moderate,
    can_report,
    can_submit,
    can_view,
    can_withdraw,
)
from tadamon.workshops import services as workshop_services
from tadamon.workshops.models import PHASE_LABELS, Consultation

bp = Blueprint("proposals", __name__, template_folder="templates")
PER_PAGE = 20
SEED_KEY = "proposal_seed"


def _labels() -> dict[str, Any]:
    return {"state_labels": PROPOSAL_STATE_LABELS, "evaluation_labels": EVALUATION_LABELS,
            "timeline_labels": TIMELINE_LABELS,
            "stance_labels": STANCE_LABELS, "territory_labels": TERRITORY_LABELS, "regions": REGIONS_BY_CODE,
            "phase_labels": PHASE_LABELS, "render_markdown": render_markdown}


def _seed() -> int:
    """A per-visitor seed for the random order, kept in the session (stable across pages)."""
    if SEED_KEY not in session:
        session[SEED_KEY] = secrets.randbelow(2_000_000) + 1
    return int(session[SEED_KEY])


@bp.route("/consultations/<int:consultation_id>/proposals")
@public
def index(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    form = forms.ProposalFilterForm(request.args)
    form.theme.choices = [SelectChoice("", _("All themes"))] + [
        SelectChoice(str(t.id), localized(t, "name")[0]) for t in workshop_services.active_themes()]
    form.region.choices = region_choices(_("All regions"))
    form.evaluation.choices = [SelectChoice("", _("Any evaluation"))] + [
        SelectChoice(k.value, v) for k, v in EVALUATION_LABELS.items()]
    form.validate()
    sort = form.sort.data if form.sort.data in services.SORTS else "recent"
    query = services.list_query(
        consultation, search=form.q.data or "", theme_id=int_arg("theme"),
        region=form.region.data if form.region.data in REGIONS_BY_CODE else "",
        evaluation=form.evaluation.data if form.evaluation.data in {k.value for k in EVALUATION_LABELS} else "",
        organisation_id=int_arg("organisation"), sort=sort,
        seed=_seed() if sort == "random" else 1)
    page = db.paginate(query, page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("proposals/index.html", consultation=consultation, form=form, page=page,
                           can_submit=can_submit(current_actor(), consultation), **_labels())


def _prepare(form: forms.ProposalForm) -> None:
    form.theme_id.choices = [SelectChoice("", _("No particular theme"))] + [
        SelectChoice(t.id, localized(t, "name")[0]) for t in workshop_services.active_themes()]
    form.territory_region.choices = region_choices(_("Choose a region"))


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


def _write(consultation: Consultation, proposal: Proposal | None) -> Any:
    form = forms.ProposalForm(obj=proposal if request.method == "GET" else None)
    _prepare(form)
    if proposal is None and not form.draft_key.data:
        form.draft_key.data = secrets.token_urlsafe(24)
    if form.is_submitted():
        organisation = proposal.organisation if proposal else current_actor().organisation
        valid = form.validate()
        data = _data(form)
        # Whatever happens next, the text is kept on the server as a draft.
        if proposal is None or proposal.state == ProposalState.DRAFT:
            proposal = services.save_draft(consultation, organisation, current_user, data, proposal)
            db.session.commit()
        upload = form.attachment.data
        # A valid attachment is kept at once (never on a request that failed its CSRF check).
        if upload is not None and getattr(upload, "filename", "") and not form.csrf_expired:
            try:
                services.attach(proposal, upload, current_user)
            except DomainError as error:
                db.session.rollback()
                _show_error(form, error)
                valid = False
            else:
                db.session.commit()
        if valid and request.form.get("action") == "publish":
            try:
                services.publish(proposal, current_user, data)
            except DomainError as error:
                db.session.rollback()
                _show_error(form, error)
            else:
                db.session.commit()
                flash(_("Your proposal is published."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        elif valid:
            flash(_("Your draft is saved. Only your organisation sees it."), "success")
            return redirect(url_for("proposals.edit", proposal_id=proposal.id))
    similar = similarity.similar_to(proposal) if proposal is not None else []
    return render_template("proposals/write.html", form=form, consultation=consultation, proposal=proposal,
                           similar=similar, attachments=services.attachments_of(proposal) if proposal else [],
                           confirm_form=ConfirmForm(formdata=None), **_labels())


@bp.route("/consultations/<int:consultation_id>/proposals/new", methods=["GET", "POST"])
@redisplays_form
def new(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_submit(current_actor(), consultation))
    return _write(consultation, None)


def _load(proposal_id: int) -> Proposal:
    return db.get_or_404(Proposal, proposal_id)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_edit(current_actor(), proposal))
    return _write(proposal.consultation, proposal)


@bp.route("/proposals/<int:proposal_id>")
@public
def show(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    if proposal.merged_into_id is not None:
        return redirect(url_for("proposals.show", proposal_id=proposal.merged_into_id), code=301)
    if not can_view(current_actor(), proposal):
        abort(404)
    return _show_page(proposal)


def _show_page(proposal: Proposal, *, comment_form: Any = None, amendment_form: Any = None) -> Any:
    organisation = current_actor().organisation
    comment_form = comment_form or forms.CommentForm(formdata=None)
    if amendment_form is None:
        amendment_form = forms.AmendmentForm(formdata=None, title=proposal.title, body=proposal.body)
    return render_template(
        "proposals/show.html", proposal=proposal, comments=services.comment_thread(proposal),
        amendments=services.amendments_of(proposal), amendment_form=amendment_form,
        attachments=services.attachments_of(proposal),
        amendment_labels=AMENDMENT_STATE_LABELS,
        cosignatures=services.cosignatures(proposal), coauthors=services.coauthors(proposal),
        lineage=services.lineage_of(proposal), timeline=services.timeline(proposal),
        versions=services.versions(proposal), similar=similarity.similar_to(proposal),
        has_cosigned=services.has_cosigned(proposal, organisation), comment_form=comment_form,
        reason_form=forms.ReasonForm(formdata=None), evaluation_form=forms.EvaluationForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None), can_moderate=can_moderate(current_actor(), proposal)
        if current_user.is_authenticated else False, **_labels())


@bp.route("/proposals/<int:proposal_id>/versions/<int:number>")
@public
def version(proposal_id: int, number: int) -> Any:
    proposal = _load(proposal_id)
    if not can_view(current_actor(), proposal):
        abort(404)
    item = db.session.scalar(db.select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id,
                                                              ProposalVersion.number == number))
    if item is None:
        abort(404)
    return render_template("proposals/version.html", proposal=proposal, item=item, **_labels())


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
def withdraw(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_withdraw(current_actor(), proposal))
    if ConfirmForm().validate_on_submit():
        services.withdraw(proposal, current_user)
        db.session.commit()
        flash(_("Your proposal is withdrawn."), "success")
    return redirect(url_for("proposals.index", consultation_id=proposal.consultation_id))


@bp.route("/proposals/<int:proposal_id>/cosign", methods=["POST"])
def cosign(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_cosign(current_actor(), proposal))
    organisation = current_actor().organisation
    if ConfirmForm().validate_on_submit():
        if request.form.get("withdraw") == "1":
            services.withdraw_cosignature(proposal, organisation)
            flash(_("Your organisation's co-signature is withdrawn."), "success")
        elif services.cosign(proposal, organisation, current_user):
            flash(_("Your organisation co-signs this proposal."), "success")
        else:
            flash(_("Your organisation had already co-signed this proposal."), "info")
        db.session.commit()
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@redisplays_form
def comment(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_comment(current_actor(), proposal))
    form = forms.CommentForm()
    if form.validate_on_submit():
        parent = None
        if form.parent_id.data:
            try:
                parent = db.session.get(Comment, int(form.parent_id.data))
            except ValueError:
                parent = None
            if parent is None:
                abort(404)
        try:
            services.add_comment(proposal, current_actor().organisation, current_user, form.body.data, form.stance.data,
                                 parent)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your comment is published."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id) + "#comments")
    return _show_page(proposal, comment_form=form), 400


@bp.route("/proposals/<int:proposal_id>/report", methods=["POST"])
def report(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_report(current_actor(), proposal))
    form = forms.ReasonForm()
    target_type = request.form.get("target_type", "proposal")
    target_id = request.form.get("target_id", type=int) or proposal.id
    if target_type not in ("proposal", "comment"):
        abort(400)
    if form.validate_on_submit():
        services.report(target_type, target_id, proposal, current_user, form.reason.data)
        db.session.commit()
        flash(_("Thank you: the moderators will look at it."), "success")
    else:
        flash(_("Say what is wrong, so the moderators can act."), "error")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
def hide_comment(comment_id: int) -> Any:
    item = db.get_or_404(Comment, comment_id)
    proposal = _load(item.proposal_id)
    require(can_moderate(current_actor(), proposal))
    form = forms.ReasonForm()
    if form.validate_on_submit():
        services.hide_comment(current_user, item, form.reason.data)
        db.session.commit()
        flash(_("The comment is hidden; the reason is shown in its place."), "success")
    else:
        flash(_("Give the public reason for hiding it."), "error")
    return redirect(url_for("proposals.show", proposal_id=proposal.id) + "#comments")


@bp.route("/proposals/<int:proposal_id>/evaluate", methods=["POST"])
def evaluate(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_curate(current_actor(), proposal))
    form = forms.EvaluationForm()
    if form.validate_on_submit():
        try:
            services.evaluate(current_user, proposal, form.evaluation.data, form.answer.data or "")
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The evaluation is recorded."), "success")
    else:
        flash(_("Choose an evaluation."), "error")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/merge", methods=["GET", "POST"])
@redisplays_form
def merge(proposal_id: int) -> Any:
    target = _load(proposal_id)
    require(can_curate(current_actor(), target))
    form = forms.MergeForm()
    candidates = [p for p in db.session.scalars(services.list_query(target.consultation)) if p.id != target.id]
    form.sources.choices = [SelectChoice(p.id, p.title) for p in candidates]
    if form.validate_on_submit():
        chosen = [p for p in candidates if p.id in set(form.sources.data or [])]
        try:
            services.merge(current_user, target, chosen, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The proposals are merged; their authors, co-signatures and comments are kept."), "success")
            return redirect(url_for("proposals.show", proposal_id=target.id))
    return render_template("proposals/merge.html", form=form, proposal=target, **_labels())


@bp.route("/proposals/<int:proposal_id>/amendments", methods=["POST"])
@redisplays_form
def amend(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_amend(current_actor(), proposal))
    form = forms.AmendmentForm()
    if form.validate_on_submit():
        try:
            services.propose_amendment(proposal, current_actor().organisation, current_user, title=form.title.data,
                                       body=form.body.data, justification=form.justification.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your amendment is sent to the proposal's organisation, which decides on it."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id) + "#amendments")
    return _show_page(proposal, amendment_form=form), 400


@bp.route("/amendments/<int:amendment_id>/decide", methods=["POST"])
def decide_amendment(amendment_id: int) -> Any:
    amendment = db.get_or_404(Amendment, amendment_id)
    require(can_decide_amendment(current_actor(), amendment))
    if ConfirmForm().validate_on_submit():
        accept = request.form.get("decision") == "accept"
        try:
            services.decide_amendment(current_user, amendment, accept)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The amendment is accepted: it is now the proposal's text.") if accept
                  else _("The amendment is rejected."), "success")
    return redirect(url_for("proposals.show", proposal_id=amendment.proposal_id) + "#amendments")


def _attachment(proposal_id: int, attachment_id: int) -> tuple[Proposal, Attachment]:
    proposal = _load(proposal_id)
    item = db.get_or_404(Attachment, attachment_id)
    if item.proposal_id != proposal.id:
        abort(404)
    return proposal, item


@bp.route("/proposals/<int:proposal_id>/attachments/<int:attachment_id>")
@public
def attachment(proposal_id: int, attachment_id: int) -> Any:
    from flask import send_file

    from tadamon.core.uploads import MIMETYPES

    proposal, item = _attachment(proposal_id, attachment_id)
    if not can_view(current_actor(), proposal) or not services.attachment_path(item).is_file():
        abort(404)
    return send_file(services.attachment_path(item), mimetype=MIMETYPES[item.file_type],
                     as_attachment=True, download_name=f"proposal-{proposal.id}-{item.id}.{item.file_type}", max_age=0)


@bp.route("/proposals/<int:proposal_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
def remove_attachment(proposal_id: int, attachment_id: int) -> Any:
    proposal, item = _attachment(proposal_id, attachment_id)
    require(can_edit(current_actor(), proposal))
    if ConfirmForm().validate_on_submit():
        services.remove_attachment(item)
        db.session.commit()
        flash(_("The attachment is removed."), "success")
    return redirect(url_for("proposals.edit", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/split", methods=["GET", "POST"])
@redisplays_form
def split(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_curate(current_actor(), proposal))
    form = forms.SplitForm(data={"title_1": proposal.title, "body_1": proposal.body,
                                 "title_2": proposal.title, "body_2": ""} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            parts = services.split(current_user, proposal, [(form.title_1.data, form.body_1.data),
                                                            (form.title_2.data, form.body_2.data)], form.reason.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The proposal is split in two; both keep its authors and co-signatures."), "success")
            return redirect(url_for("proposals.show", proposal_id=parts[0].id))
    return render_template("proposals/split.html", form=form, proposal=proposal, **_labels())


def _autosave(consultation: Consultation, proposal: Proposal | None) -> Any:
    """The writing page's script posts here every few seconds: the draft is kept on the server."""
    from flask import jsonify
    from flask_babel import format_time

    form = forms.ProposalForm()
    _prepare(form)
    form.validate()  # shape only: a draft keeps whatever was typed, within the column limits
    organisation = proposal.organisation if proposal else current_actor().organisation
    if proposal is not None and proposal.state != ProposalState.DRAFT:
        return jsonify({"message": _("Published proposals are saved when you publish them again.")}), 409
    proposal = services.save_draft(consultation, organisation, current_user, _data(form), proposal)
    db.session.commit()
    return jsonify({
        "id": proposal.id,
        "edit_url": url_for("proposals.edit", proposal_id=proposal.id),
        "autosave_url": url_for("proposals.autosave_draft", proposal_id=proposal.id),
        "message": _("Draft saved at %(time)s.", time=format_time(proposal.updated_at, "short")),
    })


@bp.route("/consultations/<int:consultation_id>/proposals/autosave", methods=["POST"])
def autosave_new(consultation_id: int) -> Any:
    consultation = db.get_or_404(Consultation, consultation_id)
    require(can_submit(current_actor(), consultation))
    return _autosave(consultation, None)


@bp.route("/proposals/<int:proposal_id>/autosave", methods=["POST"])
def autosave_draft(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    require(can_edit(current_actor(), proposal))
    return _autosave(proposal.consultation, proposal)
