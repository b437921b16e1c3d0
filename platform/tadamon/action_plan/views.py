"""The action plan's pages: the public plan and its versions, the steering group's board and
working plan, action pages with their traceability, commitments, progress and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from tadamon.action_plan import exports, forms, jobs, presentation, services
from tadamon.action_plan.models import (
    COMMITMENT_STATE_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Action,
    Commitment,
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
from tadamon.core import storage
from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.i18n import current_language, localized
from tadamon.core.member_pages import register_part
from tadamon.core.permissions import require
from tadamon.core.use_case import NOT_SUBMITTED, Message, Outcome, run_use_case
from tadamon.extensions import db
from tadamon.membership.permissions import can_take_part
from tadamon.membership.regions import REGIONS
from tadamon.proposals.models import Proposal
from tadamon.workshops.models import Theme

bp = Blueprint("action_plan", __name__, template_folder="templates")


def labels() -> dict[str, Any]:
    """State and role names for the plan's templates."""
    return {"status_labels": STATUS_LABELS, "role_labels": ROLE_LABELS,
            "commitment_state_labels": COMMITMENT_STATE_LABELS}


def _press(form: FlaskForm, operation: Callable[[], Any], success: Message) -> Outcome[Any]:
    """A button's use-case: a form that does not validate (no valid token) is a bad request."""
    outcome = run_use_case(form, operation, success=success)
    if not outcome and outcome.error is None:
        abort(400)
    return outcome


def _form_page(template: str, **context: Any) -> Any:
    """A form's page: 400 when it comes back from a refused submission."""
    return render_template(template, **context), (400 if request.method == "POST" else 200)


def _with_reason(operation: Callable[[str], Any], success: Message, done_url: str, template: str,
                 **context: Any) -> Any:
    """A decision taken with a public reason: done, to `done_url`; else its page, with the form."""
    form = forms.ReasonForm()
    if run_use_case(form, lambda: operation(form.reason.data), success=success):
        return redirect(done_url)
    return _form_page(template, form=form, **context)


# --- the public plan and its versions -------------------------------------------------------


def _filters() -> presentation.PlanFilters:
    args = request.args
    return presentation.PlanFilters(theme=args.get("theme", "")[:20], region=args.get("region", "")[:10],
                                    organisation=args.get("organisation", "")[:30], status=args.get("status", "")[:12])


def _open_actions() -> list[Action]:
    """For a member organisation's people: the working plan's actions it may still offer to carry."""
    actor = current_actor()
    if actor.organisation is None or not can_take_part(actor, actor.organisation):
        return []
    return services.open_to(actor.organisation)


def _plan_page(version: PlanVersion, *, is_current: bool) -> Any:
    snapshot = services.snapshot_of(version)
    view = presentation.plan_view(snapshot)
    filters = _filters()
    shown = presentation.filter_actions(view.actions, filters)
    return render_template(
        "action_plan/plan.html", version=version, view=view, actions=shown, filters=filters, is_current=is_current,
        charts=presentation.charts(shown), timeline=presentation.timeline(shown),
        average_progress=presentation.average_progress(shown), previous=services.previous_published(version),
        theme_choices=view.themes, region_choices=presentation.region_choices(),
        organisation_choices=presentation.organisation_choices(snapshot, view.language),
        status_choices=presentation.status_choices(), export_form=_export_form(version))


def _open_actions_part() -> Markup:
    """The plan page's list of actions the reader's organisation may offer to carry: the reader's
    own, written for each reader even when the rest of the page is stored (core.member_pages)."""
    template = current_app.jinja_env.get_template("action_plan/_open_actions.html")
    return Markup(template.render(open_actions=_open_actions()))  # noqa: S704 - a template's output


def _open_actions_audience() -> tuple[Any, ...] | None:
    """Whom the list is the same for: the organisation the reader acts for, when they may take
    part for it (the list reads nothing else of the reader); nobody's when they may not."""
    actor = current_actor()
    if actor.organisation is None or not can_take_part(actor, actor.organisation):
        return ("nobody",)
    return ("organisation", actor.organisation.id)


# Kept per organisation (core.member_pages): up to 50 links, ~2.5 ms a page at ten times the
# network's size, the plan page's largest cost once its content was kept.
register_part("action_plan.open_actions", _open_actions_part, audience=_open_actions_audience)


def _visible_version(number: int) -> PlanVersion:
    """Version `number`, or 404 when it does not exist or the reader may not see it."""
    item = services.version_numbered(number)
    if item is None or not can_view_version(current_actor(), item):
        abort(404)
    return item


def _version_to_decide(number: int) -> PlanVersion:
    require(can_compose(current_actor()))
    item = services.version_numbered(number)
    if item is None:
        abort(404)
    return item


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
    return render_template("action_plan/versions.html", versions=shown, form=forms.VersionForm())


@bp.route("/plan/versions/<int:number>")
@public
def version(number: int) -> Any:
    item = _visible_version(number)
    current = services.current_version()
    return _plan_page(item, is_current=current is not None and current.id == item.id)


@bp.route("/plan/versions/<int:number>/diff")
@public
def version_diff(number: int) -> Any:
    item = _visible_version(number)
    previous = services.previous_published(item)
    changes = presentation.diff_view(services.snapshot_of(item), services.snapshot_of(previous) if previous else None)
    return render_template("action_plan/diff.html", version=item, previous=previous, added=changes.added,
                           removed=changes.removed, changed=changes.changed,
                           field_labels=presentation.field_labels(), form=ConfirmForm())


@bp.route("/plan/versions", methods=["POST"])
@redisplays_form
def submit_version() -> Any:
    require(can_compose(current_actor()))
    form = forms.VersionForm()
    done = run_use_case(form, lambda: services.submit_for_review(current_user, form.note.data or ""), success=lambda v: _(
        "Version %(number)s is ready for review. Check its changes, then publish it.", number=v.number))
    if done.value is not None:
        return redirect(url_for("action_plan.version_diff", number=done.value.number))
    if done.error is None:
        return render_template("action_plan/versions.html", versions=services.versions(), form=form), 400
    return redirect(url_for("action_plan.version_list"))


@bp.route("/plan/versions/<int:number>/publish", methods=["GET", "POST"])
def publish_version(number: int) -> Any:
    """GET: what publishing does (who is told, what becomes final), the button and a way back
    to the changes; POST: publishes."""
    item = _version_to_decide(number)
    if request.method == "GET":
        if item.is_published:
            flash(_("Version %(number)s of the plan is published.", number=number), "info")
            return redirect(url_for("action_plan.version_diff", number=number))
        previous = services.previous_published(item)
        changes = presentation.diff_view(services.snapshot_of(item),
                                         services.snapshot_of(previous) if previous else None)
        return render_template("action_plan/publish_version.html", version=item, previous=previous, changes=changes,
                               notified=services.publication_audience(), form=ConfirmForm(),
                               cancel_url=url_for("action_plan.version_diff", number=number))
    if _press(ConfirmForm(), lambda: services.publish_version(current_user, item),
              _("Version %(number)s of the plan is published.", number=number)):
        return redirect(url_for("action_plan.plan"))
    return redirect(url_for("action_plan.version_diff", number=number))


@bp.route("/plan/versions/<int:number>/discard", methods=["POST"])
def discard_version(number: int) -> Any:
    item = _version_to_decide(number)
    if _press(ConfirmForm(), lambda: services.discard_review(current_user, item),
              _("The version in review was sent back; the working plan is unchanged.")):
        return redirect(url_for("action_plan.working_plan"))
    return redirect(url_for("action_plan.version_list"))


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
    into_action = services.live_action(int(into)) if into.isdigit() and len(into) < 10 else None
    return render_template("action_plan/board.html", board=services.candidate_board(), into_action=into_action,
                           form=ConfirmForm(), reason_form=forms.ReasonForm(formdata=None))


@bp.route("/plan/working")
def working_plan() -> Any:
    require(can_compose(current_actor()))
    view = presentation.plan_view(services.build_snapshot())
    return render_template("action_plan/working.html", view=view, pending=services.pending_commitments(),
                           in_review=services.version_in_review(), version_form=forms.VersionForm(formdata=None),
                           export_form=_export_form(None))


@bp.route("/plan/candidates/<int:proposal_id>/set-aside", methods=["POST"])
@redisplays_form
def set_aside(proposal_id: int) -> Any:
    require(can_compose(current_actor()))
    proposal = db.get_or_404(Proposal, proposal_id)
    return _with_reason(lambda reason: services.set_aside(current_user, proposal, reason),
                        _("The proposal is set aside; the reason is on the public trail."),
                        url_for("action_plan.board"), "action_plan/set_aside.html", proposal=proposal)


@bp.route("/plan/candidates/<int:proposal_id>/restore", methods=["POST"])
def restore_candidate(proposal_id: int) -> Any:
    require(can_compose(current_actor()))
    proposal = db.get_or_404(Proposal, proposal_id)
    _press(ConfirmForm(), lambda: services.restore_candidate(current_user, proposal),
           _("The proposal is back among the candidates."))
    return redirect(url_for("action_plan.board"))


# --- actions ----------------------------------------------------------------------------------


def _prepare_action_form(form: forms.ActionForm) -> None:
    themes = db.session.scalars(select(Theme).order_by(Theme.id)).all()
    form.theme_id.choices = [SelectChoice("", _("No theme"))] + [
        SelectChoice(t.id, localized(t, "name")[0]) for t in themes]
    form.regions.choices = [SelectChoice(r.code, r.name()) for r in REGIONS]
    form.add_blank_rows()


def _chosen_proposals() -> list[Proposal]:
    ids = [int(v) for v in (request.values.getlist("proposal")) if v.isdigit() and len(v) < 10]
    return services.candidate_proposals(ids)


def _chosen_or_said_why() -> list[Proposal] | None:
    """The proposals chosen on the board, or None after flashing why they cannot be used (a
    posted action without its proposals is shown again: nothing typed is lost)."""
    try:
        return _chosen_proposals()
    except DomainError as error:
        flash(str(error.message), "error")
        return None


@bp.route("/plan/actions/new", methods=["GET", "POST"])
@redisplays_form
def new_action() -> Any:
    require(can_compose(current_actor()))
    form = forms.ActionForm()
    proposals = _chosen_or_said_why()
    if proposals is None and request.method == "GET":
        return redirect(url_for("action_plan.board"))
    chosen = proposals or []
    if chosen and request.method == "GET" and not form.restored:
        form.fill(services.draft_from_proposals(chosen))
    _prepare_action_form(form)
    created = run_use_case(form, lambda: services.create_action(current_user, chosen, form.action_data()), success=_(
        "The action is in the working plan. Organisations can now volunteer to carry it.")) if chosen else NOT_SUBMITTED
    if created.value is not None:
        return redirect(url_for("action_plan.action", action_id=created.value.id))
    return _form_page("action_plan/edit_action.html", form=form, action=None, proposals=chosen)


@bp.route("/plan/actions/<int:action_id>")
@public
def action(action_id: int) -> Any:
    actor = current_actor()
    item = services.load_action(action_id, actor.organisation)
    if item is None:
        abort(404)
    if not can_view_action(actor, item):
        abort(404)
    # Loaded once for the document, the source consultations' links and the decision trail.
    related = services.load_related([item], trails=True)
    view = presentation.plan_view(services.build_snapshot([item], related=related)).actions[0]
    return render_template(
        "action_plan/action.html", action=item, view=view, consultations=related.consultations,
        commitment=services.commitment_of(item, actor.organisation), has_lead=services.has_confirmed_lead(item),
        decisions=presentation.decision_trail(services.trail_of(item, related)),
        form=ConfirmForm(), answer_form=forms.DecideCommitmentForm(formdata=None))


@bp.route("/plan/actions/<int:action_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = db.get_or_404(Action, action_id)
    form = forms.ActionForm()
    if request.method == "GET" and not form.restored:
        form.fill(services.ActionData.of(item))
    _prepare_action_form(form)
    if run_use_case(form, lambda: services.update_action(current_user, item, form.action_data()),
                    success=_("The action is saved in the working plan.")):
        return redirect(url_for("action_plan.action", action_id=item.id))
    return _form_page("action_plan/edit_action.html", form=form, action=item, proposals=[])


@bp.route("/plan/actions/<int:action_id>/merge", methods=["POST"])
def merge_into_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = db.get_or_404(Action, action_id)
    if _press(ConfirmForm(), lambda: services.add_sources(current_user, item, _chosen_proposals()),
              _("The proposals are merged into the action; edit its text if needed.")):
        return redirect(url_for("action_plan.action", action_id=item.id))
    return redirect(url_for("action_plan.board", into=item.id))


@bp.route("/plan/actions/<int:action_id>/call-for-lead", methods=["POST"])
def call_for_lead(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = db.get_or_404(Action, action_id)
    _press(ConfirmForm(), lambda: services.call_for_lead(current_user, item),
           lambda told: ngettext("The call for a lead organisation went to %(num)d representative.",
                                 "The call for a lead organisation went to %(num)d representatives.", told))
    return redirect(url_for("action_plan.action", action_id=item.id))


@bp.route("/plan/actions/<int:action_id>/remove", methods=["GET", "POST"])
@redisplays_form
def remove_action(action_id: int) -> Any:
    require(can_compose(current_actor()))
    item = db.get_or_404(Action, action_id)
    return _with_reason(lambda reason: services.remove_action(current_user, item, reason),
                        _("The action left the working plan; its page and trail remain."),
                        url_for("action_plan.working_plan"), "action_plan/remove_action.html", action=item)


# --- commitments and progress ---------------------------------------------------------------


@bp.route("/plan/actions/<int:action_id>/volunteer", methods=["GET", "POST"])
@redisplays_form
def volunteer(action_id: int) -> Any:
    item = db.get_or_404(Action, action_id)
    actor = current_actor()
    require(can_volunteer(actor, item))
    form = forms.VolunteerForm()
    if run_use_case(form, lambda: services.volunteer(actor.user, actor.organisation, item, form.role.data,
                                                     form.message.data or ""),
                    success=_("Your organisation's offer is sent to the steering group.")):
        return redirect(url_for("action_plan.action", action_id=item.id))
    return _form_page("action_plan/volunteer.html", action=item, form=form, organisation=actor.organisation,
                      title=presentation.title_of(item))


@bp.route("/plan/commitments/<int:commitment_id>/<any(confirm, decline):decision>", methods=["POST"])
def decide_commitment(commitment_id: int, decision: str) -> Any:
    require(can_compose(current_actor()))
    commitment = db.get_or_404(Commitment, commitment_id)
    form = forms.DecideCommitmentForm()
    _press(form, lambda: services.decide_commitment(current_user, commitment, decision == "confirm",
                                                    form.answer.data or ""),
           _("Your answer is recorded and sent to the organisation."))
    return redirect(url_for("action_plan.action", action_id=commitment.action_id))


@bp.route("/plan/actions/<int:action_id>/updates/new", methods=["GET", "POST"])
@redisplays_form
def post_update(action_id: int) -> Any:
    item = db.get_or_404(Action, action_id)
    actor = current_actor()
    require(can_post_update(actor, item))
    form = forms.ProgressUpdateForm()
    if request.method == "GET" and not form.restored:
        form.start_from(item, utcnow().date())
    rows = form.indicator_rows(item)
    if run_use_case(form, lambda: services.post_update(actor.user, actor.organisation, item, form.update_data(rows)),
                    success=_("Your progress update is on the action's timeline.")):
        return redirect(url_for("action_plan.action", action_id=item.id))
    return _form_page("action_plan/post_update.html", action=item, form=form, rows=rows,
                      organisation=actor.organisation, title=presentation.title_of(item))


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


def _request_export(form: forms.ExportForm) -> Any:
    """Records the export asked for (if the reader may have it), then renders or queues it."""
    version = None if form.version.data == "draft" else services.version_numbered(int(form.version.data))
    actor = current_actor()
    require(can_export(actor, version))
    asked = run_use_case(None, lambda: jobs.request_export(actor.user if actor.is_authenticated else None, version,
                                                           form.file_format.data, form.language.data))
    if asked.value is None:
        return redirect(url_for("action_plan.export"))
    jobs.start(asked.value)
    return redirect(url_for("action_plan.export_status", token=asked.value.token))


@bp.route("/plan/export", methods=["GET", "POST"])
@public
def export() -> Any:
    posted = request.method == "POST"
    form = _export_form(None, formdata=request.form) if posted else _export_form(services.current_version())
    if not form.version.choices:
        abort(404)
    if posted and form.validate():
        return _request_export(form)
    return _form_page("action_plan/export.html", form=form)


def _authorised_export(token: str) -> PlanExport:
    """Authorised at every request, not only when asked: the version's own rule, and for
    unpublished plans, the person who asked; expired links are gone."""
    item = jobs.export_by_token(token)
    if item is None or item.expires_at < utcnow():
        abort(404)
    version = services.version_numbered(item.version_number) if item.version_number is not None else None
    if item.version_number is not None and version is None:
        abort(404)
    actor = current_actor()
    require(can_export(actor, version))
    if (version is None or not version.is_published) and item.requested_by_id != actor.id:
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
    key = jobs.stored_key(item)
    response = None if key is None else storage.send(key, mimetype=exports.FORMATS[item.file_format].media_type,
                                                     download_name=item.file_name, max_age=0)
    if response is None:
        return redirect(url_for("action_plan.export_status", token=token))
    response.headers["Cache-Control"] = "private, no-store"
    return response
