"""The action plan's pages: the public plan and its versions, the steering group's board and
working plan, action pages with their traceability, commitments, progress and exports."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from tadamon.action_plan import exports, forms, jobs, presentation, services
from tadamon.action_plan.models import (
    COMMITMENT_STATE_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Action,
    Commitment,
    CommitmentState,
    PlanExport,
    PlanVersion,
)
from tadamon.action_plan.permissions import (
    can_compose,
    can_export,
    can_post_update,
    can_view_action,
    can_view_version,
    can_volunteer,
)
from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.forms import show_error as _show_error
from tadamon.core.i18n import current_language, localized
from tadamon.core.permissions import require
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.permissions import can_take_part
from tadamon.membership.regions import REGIONS
from tadamon.proposals.models import Proposal
from tadamon.workshops.models import Theme

bp = Blueprint("action_plan", __name__, template_folder="templates")


def labels() -> dict[str, Any]:
    """State and role names for the plan's templates."""
    return {"status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
            "role_labels": {k.value: v for k, v in ROLE_LABELS.items()},
            "commitment_state_labels": {k.value: v for k, v in COMMITMENT_STATE_LABELS.items()}}


def _acting() -> Organisation | None:
    return current_actor().organisation


def _carry_out(operation: Callable[[], Any], done: Callable[[Any], str]) -> bool:
    """A button's use-case: commits and flashes `done(result)`, or rolls back and says why."""
    try:
        result = operation()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return False
    db.session.commit()
    flash(done(result), "success")
    return True


def _live_action(action_id: int) -> Action:
    return db.get_or_404(Action, action_id)


# --- the public plan and its versions -------------------------------------------------------


def _filters() -> presentation.PlanFilters:
    args = request.args
    return presentation.PlanFilters(theme=args.get("theme", "")[:20], region=args.get("region", "")[:10],
                                    organisation=args.get("organisation", "")[:30], status=args.get("status", "")[:12])


def _open_actions() -> list[Action]:
    """For a member organisation's people: the working plan's actions it may still offer to carry."""
    organisation = _acting()
    if organisation is None or not can_take_part(current_actor(), organisation):
        return []
    return services.open_to(organisation)


def _plan_page(version: PlanVersion, *, is_current: bool) -> Any:
    snapshot = services.snapshot_of(version)
    view = presentation.plan_view(snapshot)
    filters = _filters()
    shown = presentation.filter_actions(view.actions, filters)
    previous = services.previous_published(version)
    return render_template(
        "action_plan/plan.html", version=version, view=view, actions=shown, filters=filters, is_current=is_current,
        charts=presentation.charts(shown), timeline=presentation.timeline(shown),
        average_progress=presentation.average_progress(shown), previous=previous,
        theme_choices=view.themes, region_choices=presentation.region_choices(),
        organisation_choices=presentation.organisation_choices(snapshot, view.language),
        status_choices=presentation.status_choices(), export_form=_export_form(version),
        open_actions=_open_actions())


@bp.route("/plan")
@public
def plan() -> Any:
    version = services.current_version()
    if version is None:
        return render_template("action_plan/no_plan.html", open_actions=_open_actions()), 200
    return _plan_page(version, is_current=True)


@bp.route("/plan/versions")
@public
def version_list() -> Any:
    shown = [v for v in services.versions() if can_view_version(current_actor(), v)]
    return render_template("action_plan/versions.html", versions=shown, form=forms.VersionForm(),
                           may_compose=can_compose(current_actor()))


@bp.route("/plan/versions/<int:number>")
@public
def version(number: int) -> Any:
    item = services.version_numbered(number)
    if item is None or not can_view_version(current_actor(), item):
        abort(404)
    current = services.current_version()
    return _plan_page(item, is_current=current is not None and current.id == item.id)


@bp.route("/plan/versions/<int:number>/diff")
@public
def version_diff(number: int) -> Any:
    item = services.version_numbered(number)
    if item is None or not can_view_version(current_actor(), item):
        abort(404)
    previous = services.previous_published(item)
    new = services.snapshot_of(item)
    old = services.snapshot_of(previous) if previous else None
    changes = services.diff(old, new)
    language = current_language()
    themes = {t["id"]: presentation.pick(t["name"], language).text for t in new.get("themes", [])}
    if old:
        themes.update({t["id"]: presentation.pick(t["name"], language).text for t in old.get("themes", [])
                       if t["id"] not in themes})

    def view(action: dict[str, Any]) -> presentation.ActionView:
        return presentation.action_view(action, themes, language)

    return render_template(
        "action_plan/diff.html", version=item, previous=previous,
        added=[view(a) for a in changes.added], removed=[view(a) for a in changes.removed],
        changed=[(view(c.action), view(c.before) if c.before else None, c.fields) for c in changes.changed],
        field_labels=_field_labels(), form=ConfirmForm(), may_compose=can_compose(current_actor()))


def _field_labels() -> dict[str, str]:
    return {"title": _("Title"), "description": _("Description"), "objectives": _("Objectives"),
            "theme": _("Theme"), "territory": _("Territory"), "lead": _("Lead organisation"),
            "partners": _("Partners"), "starts_on": _("Start date"), "ends_on": _("End date"),
            "milestones": _("Milestones"), "indicators": _("Indicators"), "budget": _("Budget"),
            "status": _("Status"), "progress": _("Progress"), "sources": _("Sources")}


@bp.route("/plan/versions", methods=["POST"])
@redisplays_form
def submit_version() -> Any:
    require(can_compose(current_actor()))
    form = forms.VersionForm()
    if not form.validate():
        return render_template("action_plan/versions.html", versions=services.versions(), form=form,
                               may_compose=True), 400
    try:
        item = services.submit_for_review(current_user, form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("action_plan.version_list"))
    db.session.commit()
    flash(_("Version %(number)s is ready for review. Check its changes, then publish it.", number=item.number),
          "success")
    return redirect(url_for("action_plan.version_diff", number=item.number))


@bp.route("/plan/versions/<int:number>/publish", methods=["POST"])
def publish_version(number: int) -> Any:
    require(can_compose(current_actor()))
    item = services.version_numbered(number)
    if item is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    if not _carry_out(lambda: services.publish_version(current_user, item),
                      lambda _result: _("Version %(number)s of the plan is published.", number=number)):
        return redirect(url_for("action_plan.version_diff", number=number))
    return redirect(url_for("action_plan.plan"))


@bp.route("/plan/versions/<int:number>/discard", methods=["POST"])
def discard_version(number: int) -> Any:
    require(can_compose(current_actor()))
    item = services.version_numbered(number)
    if item is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    if not _carry_out(lambda: services.discard_review(current_user, item),
                      lambda _result: _("The version in review was sent back; the working plan is unchanged.")):
        return redirect(url_for("action_plan.version_list"))
    return redirect(url_for("action_plan.working_plan"))


@bp.route("/plan/schema.json")
@public
def schema() -> Any:
    return exports.schema()


# --- the steering group's board and working plan --------------------------------------------


@bp.route("/plan/board")
def board() -> Any:
    require(can_compose(current_actor()))
    # ?into=N: the board chooses proposals to merge into action N instead of making a new one.
    into = request.args.get("into", "")
    into_action = db.session.get(Action, int(into)) if into.isdigit() and len(into) < 10 else None
    if into_action is not None and into_action.removed_at is not None:
        into_action = None
    return render_template("action_plan/board.html", board=services.candidate_board(), into_action=into_action,
                           form=ConfirmForm(), reason_form=forms.ReasonForm(formdata=None))


@bp.route("/plan/working")
def working_plan() -> Any:
    require(can_compose(current_actor()))
    snapshot = services.build_snapshot()
    view = presentation.plan_view(snapshot)
    pending = db.session.scalars(select(Commitment).where(Commitment.state == CommitmentState.VOLUNTEERED.value)
                                 .order_by(Commitment.created_at)).all()
    in_review = next((v for v in services.versions() if v.state == "review"), None)
    return render_template("action_plan/working.html", view=view, pending=pending, in_review=in_review,
                           version_form=forms.VersionForm(formdata=None), export_form=_export_form(None))


@bp.route("/plan/candidates/<int:proposal_id>/set-aside", methods=["POST"])
@redisplays_form
def set_aside(proposal_id: int) -> Any:
    require(can_compose(current_actor()))
    proposal = db.get_or_404(Proposal, proposal_id)
    form = forms.ReasonForm()
    if form.validate():
        try:
            services.set_aside(current_user, proposal, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The proposal is set aside; the reason is on the public trail."), "success")
            return redirect(url_for("action_plan.board"))
    return render_template("action_plan/set_aside.html", proposal=proposal, form=form), 400


@bp.route("/plan/candidates/<int:proposal_id>/restore", methods=["POST"])
def restore_candidate(proposal_id: int) -> Any:
    require(can_compose(current_actor()))
    proposal = db.get_or_404(Proposal, proposal_id)
    if not ConfirmForm().validate():
        abort(400)
    _carry_out(lambda: services.restore_candidate(current_user, proposal),
               lambda _result: _("The proposal is back among the candidates."))
    return redirect(url_for("action_plan.board"))


# --- actions ----------------------------------------------------------------------------------


def _prepare_action_form(form: forms.ActionForm) -> None:
    themes = db.session.scalars(select(Theme).order_by(Theme.id)).all()
    form.theme_id.choices = [SelectChoice("", _("No theme"))] + [
        SelectChoice(t.id, localized(t, "name")[0]) for t in themes]
    form.regions.choices = [SelectChoice(r.code, r.name()) for r in REGIONS]
    while len(form.milestones.entries) < len([e for e in form.milestones.entries if e.form.title.data]) \
            + forms.BLANK_ROWS:
        form.milestones.append_entry()
    while len(form.indicators.entries) < len([e for e in form.indicators.entries if e.form.name.data]) \
            + forms.BLANK_ROWS:
        form.indicators.append_entry()


def _action_data(form: forms.ActionForm) -> services.ActionData:
    return services.ActionData(
        title_ar=form.title_ar.data or "", title_fr=form.title_fr.data or "", title_en=form.title_en.data or "",
        description_ar=form.description_ar.data or "", description_fr=form.description_fr.data or "",
        description_en=form.description_en.data or "", objectives=form.objectives.data or "",
        theme_id=form.theme_id.data, territory_scope=form.territory_scope.data or "national",
        regions=list(form.regions.data or []), provinces=form.provinces.data or "",
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, budget_estimate=form.budget_estimate.data,
        funding_sources=form.funding_sources.data or "", status=form.status.data or "planned",
        progress=form.progress.data or 0,
        milestones=[services.MilestoneData(title=e.form.title.data or "", due_on=e.form.due_on.data,
                                           done=bool(e.form.done.data)) for e in form.milestones.entries],
        indicators=[services.IndicatorData(
            name=e.form.name.data or "", unit=e.form.unit.data or "", baseline=e.form.baseline.data,
            target=e.form.target.data, current_value=e.form.current_value.data,
            indicator_id=int(e.form.indicator_id.data) if (e.form.indicator_id.data or "").isdigit() else None)
            for e in form.indicators.entries],
    )


def _fill_form(form: forms.ActionForm, data: services.ActionData) -> None:
    for name in ("title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
                 "objectives", "theme_id", "territory_scope", "regions", "provinces", "starts_on", "ends_on",
                 "budget_estimate", "funding_sources", "status", "progress"):
        getattr(form, name).data = getattr(data, name)
    for milestone in data.milestones:
        form.milestones.append_entry({"title": milestone.title, "due_on": milestone.due_on, "done": milestone.done})
    for indicator in data.indicators:
        form.indicators.append_entry({"indicator_id": indicator.indicator_id or "", "name": indicator.name,
                                      "unit": indicator.unit, "baseline": indicator.baseline,
                                      "target": indicator.target, "current_value": indicator.current_value})


def _chosen_proposals() -> list[Proposal]:
    ids = [int(v) for v in (request.values.getlist("proposal")) if v.isdigit() and len(v) < 10]
    return services.candidate_proposals(ids)


@bp.route("/plan/actions/new", methods=["GET", "POST"])
@redisplays_form
def new_action() -> Any:
    require(can_compose(current_actor()))
    form = forms.ActionForm()
    try:
        proposals = _chosen_proposals()
    except DomainError as error:
        flash(str(error.message), "error")
        if request.method == "GET":
            return redirect(url_for("action_plan.board"))
        # A posted action without its proposals: shown again, nothing typed is lost.
        _prepare_action_form(form)
        return render_template("action_plan/edit_action.html", form=form, action=None, proposals=[]), 400
    if request.method == "GET" and not form.restored:
        _fill_form(form, services.draft_from_proposals(proposals))
    _prepare_action_form(form)
    if request.method == "POST" and form.validate():
        try:
            action = services.create_action(current_user, proposals, _action_data(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The action is in the working plan. Organisations can now volunteer to carry it."), "success")
            return redirect(url_for("action_plan.action", action_id=action.id))
    status = 400 if request.method == "POST" else 200
    return render_template("action_plan/edit_action.html", form=form, action=None, proposals=proposals), status


@bp.route("/plan/actions/<int:action_id>")
@public
def action(action_id: int) -> Any:
    item = _live_action(action_id)
    if not can_view_action(current_actor(), item):
        abort(404)
    snapshot = services.build_snapshot([item])
    view = presentation.plan_view(snapshot).actions[0]
    organisation = _acting()
    return render_template(
        "action_plan/action.html", action=item, view=view, organisation=organisation,
        commitment=services.commitment_of(item, organisation),
        pending=[c for c in item.commitments if c.state == CommitmentState.VOLUNTEERED.value],
        decisions=[(d.at, presentation.decision_sentence(d.kind, json.loads(d.detail or "{}")))
                   for d in services.decisions_of(item)],
        form=ConfirmForm(), answer_form=forms.DecideCommitmentForm(formdata=None),
        may_compose=can_compose(current_actor()), may_volunteer=can_volunteer(current_actor(), item),
        has_lead=services.has_confirmed_lead(item),
        may_update=can_post_update(current_actor(), item))


@bp.route("/plan/actions/<int:action_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = _live_action(action_id)
    form = forms.ActionForm()
    if request.method == "GET" and not form.restored:
        data = services.ActionData(
            **{name: getattr(item, name) for name in (
                "title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
                "objectives", "theme_id", "territory_scope", "provinces", "starts_on", "ends_on",
                "budget_estimate", "funding_sources", "status", "progress")},
            regions=item.region_codes,
            milestones=[services.MilestoneData(m.title, m.due_on, m.done) for m in item.milestones],
            indicators=[services.IndicatorData(i.name, i.unit, i.baseline, i.target, i.current_value, i.id)
                        for i in item.indicators])
        _fill_form(form, data)
    _prepare_action_form(form)
    if request.method == "POST" and form.validate():
        try:
            services.update_action(current_user, item, _action_data(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The action is saved in the working plan."), "success")
            return redirect(url_for("action_plan.action", action_id=item.id))
    status = 400 if request.method == "POST" else 200
    return render_template("action_plan/edit_action.html", form=form, action=item, proposals=[]), status


@bp.route("/plan/actions/<int:action_id>/merge", methods=["POST"])
def merge_into_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = _live_action(action_id)
    if not ConfirmForm().validate():
        abort(400)
    if not _carry_out(lambda: services.add_sources(current_user, item, _chosen_proposals()),
                      lambda _result: _("The proposals are merged into the action; edit its text if needed.")):
        return redirect(url_for("action_plan.board", into=item.id))
    return redirect(url_for("action_plan.action", action_id=item.id))


@bp.route("/plan/actions/<int:action_id>/call-for-lead", methods=["POST"])
def call_for_lead(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = _live_action(action_id)
    if not ConfirmForm().validate():
        abort(400)
    _carry_out(lambda: services.call_for_lead(current_user, item),
               lambda told: _("The call for a lead organisation went to %(count)s representatives.", count=told))
    return redirect(url_for("action_plan.action", action_id=item.id))


@bp.route("/plan/actions/<int:action_id>/remove", methods=["GET", "POST"])
@redisplays_form
def remove_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = _live_action(action_id)
    form = forms.ReasonForm()
    if request.method == "POST" and form.validate():
        try:
            services.remove_action(current_user, item, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The action left the working plan; its page and trail remain."), "success")
            return redirect(url_for("action_plan.working_plan"))
    return render_template("action_plan/remove_action.html", action=item, form=form), \
        (400 if request.method == "POST" else 200)


# --- commitments and progress ---------------------------------------------------------------


@bp.route("/plan/actions/<int:action_id>/volunteer", methods=["GET", "POST"])
@redisplays_form
def volunteer(action_id: int) -> Any:
    item = _live_action(action_id)
    require(can_volunteer(current_actor(), item))
    organisation = _acting()
    form = forms.VolunteerForm()
    if request.method == "POST" and form.validate():
        try:
            services.volunteer(current_user, organisation, item, form.role.data, form.message.data or "")
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your organisation's offer is sent to the steering group."), "success")
            return redirect(url_for("action_plan.action", action_id=item.id))
    return render_template("action_plan/volunteer.html", action=item, form=form, organisation=organisation,
                           title=presentation.pick(services._ml(item, "title"), current_language())), \
        (400 if request.method == "POST" else 200)


@bp.route("/plan/commitments/<int:commitment_id>/<any(confirm, decline):decision>", methods=["POST"])
def decide_commitment(commitment_id: int, decision: str) -> Any:
    require(can_compose(current_actor()))
    commitment = db.get_or_404(Commitment, commitment_id)
    form = forms.DecideCommitmentForm()
    if not form.validate():
        abort(400)
    _carry_out(lambda: services.decide_commitment(current_user, commitment, decision == "confirm",
                                                  form.answer.data or ""),
               lambda _result: _("Your answer is recorded and sent to the organisation."))
    return redirect(url_for("action_plan.action", action_id=commitment.action_id))


@bp.route("/plan/actions/<int:action_id>/updates/new", methods=["GET", "POST"])
@redisplays_form
def post_update(action_id: int) -> Any:
    item = _live_action(action_id)
    require(can_post_update(current_actor(), item))
    organisation = _acting()
    form = forms.ProgressUpdateForm()
    if request.method == "GET" and not form.restored:
        form.happened_on.data = utcnow().date()
        form.progress.data = item.progress
        for indicator in item.indicators:
            form.indicator_values.append_entry({"indicator_id": str(indicator.id), "value": indicator.current_value})
    indicators = {i.id: i for i in item.indicators}
    rows = [(indicators.get(int(e.form.indicator_id.data)) if (e.form.indicator_id.data or "").isdigit() else None,
             e) for e in form.indicator_values.entries]
    if request.method == "POST" and form.validate():
        values: dict[int, Decimal] = {indicator.id: e.form.value.data for indicator, e in rows
                                      if indicator is not None and e.form.value.data is not None}
        try:
            services.post_update(current_user, organisation, item, services.UpdateData(
                happened_on=form.happened_on.data, text=form.text.data or "", progress=form.progress.data,
                indicator_values=values))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your progress update is on the action's timeline."), "success")
            return redirect(url_for("action_plan.action", action_id=item.id))
    return render_template("action_plan/post_update.html", action=item, form=form, rows=rows,
                           organisation=organisation,
                           title=presentation.pick(services._ml(item, "title"), current_language())), \
        (400 if request.method == "POST" else 200)


# --- exports ----------------------------------------------------------------------------------


def _export_form(version: PlanVersion | None, formdata: Any = None) -> forms.ExportForm:
    form = forms.ExportForm(formdata=formdata)
    choices = [SelectChoice(str(v.number), _("Version %(number)s", number=v.number)) for v in services.versions()
               if can_export(current_actor(), v)]
    if can_export(current_actor(), None):
        choices.insert(0, SelectChoice("draft", _("Working draft (not published)")))
    form.version.choices = choices
    form.file_format.choices = [SelectChoice(f.key, f.label) for f in exports.FORMATS.values()]
    if formdata is None:
        form.version.data = str(version.number) if version is not None else "draft"
        form.language.data = current_language()
    return form


@bp.route("/plan/export", methods=["GET", "POST"])
@public
def export() -> Any:
    if request.method == "GET":
        form = _export_form(services.current_version())
        if not form.version.choices:
            abort(404)
        return render_template("action_plan/export.html", form=form)
    form = _export_form(None, formdata=request.form)
    if not form.version.choices:
        abort(404)
    if not form.validate():
        return render_template("action_plan/export.html", form=form), 400
    version = None if form.version.data == "draft" else services.version_numbered(int(form.version.data))
    require(can_export(current_actor(), version))
    actor = current_user if current_user.is_authenticated else None
    item = jobs.request_export(actor, version, form.file_format.data, form.language.data)
    db.session.commit()
    queued = jobs.start(item)
    if not queued:
        db.session.refresh(item)
    return redirect(url_for("action_plan.export_status", token=item.token))


def _authorised_export(token: str) -> PlanExport:
    """Authorised at every request, not only when asked: the version's own rule, and for
    unpublished plans, the person who asked; expired links are gone."""
    item = jobs.export_by_token(token)
    if item is None or item.expires_at < utcnow():
        abort(404)
    version = services.version_numbered(item.version_number) if item.version_number is not None else None
    if item.version_number is not None and version is None:
        abort(404)
    require(can_export(current_actor(), version))
    if (version is None or not version.is_published) and item.requested_by_id != getattr(current_user, "id", None):
        abort(403)
    return item


@bp.route("/plan/exports/<token>")
@public
def export_status(token: str) -> Any:
    item = _authorised_export(token)
    return render_template("action_plan/export_status.html", export=item,
                           media=exports.FORMATS[item.file_format])


@bp.route("/plan/exports/<token>/download")
@public
def export_download(token: str) -> Any:
    item = _authorised_export(token)
    path = jobs.stored_file(item)
    if path is None:
        return redirect(url_for("action_plan.export_status", token=token))
    response = send_file(path, mimetype=exports.FORMATS[item.file_format].media_type, as_attachment=True,
                         download_name=item.file_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
