"""Membership pages: the charter, applying, the steering group's review, people, directory.

Each view loads its object and asks its rule (`_organisation`, `_person`, `_principle`), then
hands its one service call to `core.use_case.run_use_case`. Labels come from the module's
`labels` (see `membership/__init__.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from tadamon.core import storage
from tadamon.core.actor import Actor, current_actor
from tadamon.core.auth import public
from tadamon.core.bidi import isolate
from tadamon.core.forms import ConfirmForm, edit_form, redisplays_form
from tadamon.core.hooks import profile_sections
from tadamon.core.i18n import current_language, localized
from tadamon.core.permissions import require
from tadamon.core.urls import page_arg, safe_next
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db, limiter
from tadamon.membership import forms, services
from tadamon.membership.acting import act_for
from tadamon.membership.models import (
    Charter,
    CharterPrinciple,
    FieldOfAction,
    Invitation,
    Organisation,
    OrganisationMember,
)
from tadamon.membership.permissions import (
    can_adhere,
    can_apply,
    can_edit_application,
    can_hand_over,
    can_leave,
    can_manage_charter,
    can_manage_fields,
    can_manage_people,
    can_remove_person,
    can_rename,
    can_review,
    can_view_application,
    can_view_people,
    can_view_statutes,
)
from tadamon.membership.regions import REGIONS

bp = Blueprint("membership", __name__, template_folder="templates")

PER_PAGE = 20
Rule = Callable[[Actor, Any], bool]


# --- loading and authorising -------------------------------------------------------------------


def _organisation(organisation_id: int, allowed: Rule) -> Organisation:
    """The organisation (404 if none), once `allowed` lets the current actor at it (403)."""
    organisation = db.get_or_404(Organisation, organisation_id)
    require(allowed(current_actor(), organisation))
    return organisation


def _person(organisation_id: int, member_id: int, allowed: Rule | None = None) -> OrganisationMember:
    """One of the people of an organisation the current actor manages, once `allowed` on it."""
    organisation = _organisation(organisation_id, can_manage_people)
    person = db.get_or_404(OrganisationMember, member_id)
    if person.organisation_id != organisation.id:
        abort(404)
    if allowed is not None:
        require(allowed(current_actor(), person))
    return person


def _draft() -> Charter:
    require(can_manage_charter(current_actor()))
    draft = services.draft_charter()
    if draft is None:
        abort(404)
    return draft


def _principle(principle_id: int) -> tuple[Charter, CharterPrinciple]:
    draft = _draft()
    principle = db.get_or_404(CharterPrinciple, principle_id)
    if principle.charter_id != draft.id:
        abort(404)
    return draft, principle


def _to(endpoint: str, **values: Any) -> Response:
    return redirect(url_for(f"membership.{endpoint}", **values))


def _field_choices() -> list[SelectChoice]:
    return [SelectChoice(f.id, localized(f, "name")[0]) for f in services.active_fields()]


# --- acting for an organisation --------------------------------------------------------------


@bp.route("/acting-for", methods=["POST"])
def set_acting_for() -> Any:
    organisation_id = request.form.get("organisation_id", type=int)
    organisation = (db.session.get(Organisation, organisation_id)
                    if organisation_id and 0 < organisation_id <= 2_147_483_647 else None)
    if ConfirmForm().validate_on_submit() and organisation is not None:
        require(services.membership_of(current_user, organisation) is not None)
        act_for(organisation)
        flash(_("You now act for %(organisation)s.", organisation=isolate(organisation.display_name)), "success")
    return redirect(safe_next(request.form.get("next"), url_for("membership.my_organisations")))


@bp.route("/membership")
def my_organisations() -> Any:
    require(can_apply(current_actor()))
    return render_template(
        "membership/my_organisations.html", organisations=services.organisations_of(current_user),
        memberships=services.memberships_by_organisation(current_user), start_form=ConfirmForm(),
    )


# --- the charter ---------------------------------------------------------------------------


@bp.route("/charter")
@public
def charter() -> Any:
    return render_template("membership/charter.html", charter=services.current_charter(),
                           versions=services.published_charters())


@bp.route("/charter/v<int:version>")
@public
def charter_version(version: int) -> Any:
    found = services.published_charter(version)
    if found is None:
        abort(404)
    return render_template("membership/charter.html", charter=found, versions=services.published_charters())


# --- applying --------------------------------------------------------------------------------


def _start_application() -> Organisation:
    organisation = services.start_application(current_user)
    act_for(organisation)
    return organisation


@bp.route("/membership/apply", methods=["POST"])
def apply() -> Any:
    require(can_apply(current_actor()))
    started = run_use_case(ConfirmForm(), _start_application)
    if started.value is None:
        return _to("my_organisations")
    return _to("edit_application", organisation_id=started.value.id)


@bp.route("/membership/<int:organisation_id>")
def application(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_view_application)
    return render_template(
        "membership/application.html", organisation=organisation,
        missing=services.missing_for_submission(organisation),
        adheres=services.adheres_to_current_charter(organisation),
        current_charter=services.current_charter(), confirm_form=ConfirmForm(),
    )


NUMBER_FIELDS = ("year_founded", "members_count", "volunteers_count", "staff_count")
TEXT_FIELDS = ("name_ar", "name_fr", "name_en", "acronym", "legal_form", "registration_number", "region",
               "province", "description_ar", "description_fr", "description_en", "website",
               "social_links", "contact_email", "contact_phone", "address")


def _application_data(form: forms.ApplicationForm) -> services.ApplicationData:
    values: dict[str, Any] = {**forms.texts(form, *TEXT_FIELDS),
                              **{name: getattr(form, name).data for name in NUMBER_FIELDS}}
    return services.ApplicationData(**values, field_ids=list(form.fields.data or []))


def _application_form(organisation: Organisation) -> forms.ApplicationForm:
    form = forms.ApplicationForm(obj=organisation if request.method == "GET" else None,
                                 field_choices=_field_choices())
    if request.method == "GET" and not form.restored:
        form.fields.data = [f.id for f in organisation.fields]
    return form


def _keep_statutes(form: forms.ApplicationForm, organisation: Organisation) -> bool:
    """The statutes are kept as soon as they are valid, even if another field is not: nobody
    should have to pick the file again because of a typo elsewhere. Never on a request that
    failed the CSRF check (it is only re-shown). False when they were refused."""
    upload = forms.StatutesForm()
    if form.csrf_expired or not upload.has_file():
        return True
    kept = run_use_case(upload, lambda: services.attach_statutes(organisation, upload.statutes.data, current_user))
    if not kept:  # the other fields' errors are shown too
        form.validate()
        form.statutes.errors = [*form.statutes.errors, *upload.statutes.errors]
    return bool(kept)


@bp.route("/membership/<int:organisation_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_application(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_edit_application)
    form = _application_form(organisation)
    if form.is_submitted() and _keep_statutes(form, organisation) and run_use_case(
            form, lambda: services.update_application(organisation, _application_data(form))):
        if request.form.get("next_step") == "submit":
            return _to("submit_application", organisation_id=organisation.id)
        flash(_("Your application is saved as a draft. You can complete it later."), "success")
        return _to("application", organisation_id=organisation.id)
    return render_template("membership/edit_application.html", form=form, organisation=organisation)


@bp.route("/membership/<int:organisation_id>/names", methods=["GET", "POST"])
@redisplays_form
def names(organisation_id: int) -> Any:
    """The organisation's name in each language, for its representatives at any time."""
    organisation = _organisation(organisation_id, can_rename)
    form = edit_form(forms.NamesForm, organisation)
    if run_use_case(form, lambda: services.rename_organisation(current_user, organisation, form.data),
                    success=_("The organisation's names are saved.")):
        return _to("application", organisation_id=organisation.id)
    return render_template("membership/names.html", form=form, organisation=organisation)


@bp.route("/membership/<int:organisation_id>/submit", methods=["GET", "POST"])
@redisplays_form
def submit_application(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_edit_application)
    form = forms.SubmitApplicationForm()
    # What is missing is shown, not tried: the service would refuse it the same way.
    missing = services.missing_for_submission(organisation)
    if not missing and run_use_case(
            form, lambda: services.submit_application(organisation, current_user, adheres=form.adhere.data),
            success=_("Your application is submitted. The steering group will review it; you will be notified.")):
        return _to("application", organisation_id=organisation.id)
    return render_template("membership/submit_application.html", form=form, organisation=organisation,
                           missing=missing, charter=services.current_charter())


@bp.route("/membership/<int:organisation_id>/statutes")
def statutes(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_view_statutes)
    document = organisation.statutes
    response = None if document is None else storage.send(
        services.statutes_key(document), mimetype="application/pdf",
        download_name=f"statutes-{organisation.id}.pdf", max_age=0)
    if response is None:
        abort(404)
    return response


@bp.route("/membership/<int:organisation_id>/adhere", methods=["POST"])
def adhere(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_adhere)
    run_use_case(ConfirmForm(), lambda: services.adhere_to_current_charter(organisation, current_user),
                 success=_("The organisation adheres to the current charter."))
    return _to("application", organisation_id=organisation.id)


@bp.route("/membership/<int:organisation_id>/leave", methods=["POST"])
def leave(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_leave)
    run_use_case(ConfirmForm(), lambda: services.leave_network(current_user, organisation),
                 success=_("The organisation has left the network."))
    return _to("application", organisation_id=organisation.id)


# --- people ------------------------------------------------------------------------------------


def _current_user_key() -> str:
    return f"user:{current_user.get_id()}"


def _invite(organisation: Organisation, form: forms.InviteForm) -> Any:
    require(can_manage_people(current_actor(), organisation))
    return run_use_case(
        form, lambda: services.invite(organisation, current_user, email=form.email.data, role=form.role.data,
                                      language=current_language()),
        success=_("The invitation is sent to %(email)s. It works once, for seven days.", email=isolate(form.email.data)))


@bp.route("/membership/<int:organisation_id>/people", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_INVITATIONS"], methods=["POST"], key_func=_current_user_key)
@redisplays_form
def people(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_view_people)
    form = forms.InviteForm()
    if form.is_submitted() and _invite(organisation, form):
        return _to("people", organisation_id=organisation.id)
    return render_template(
        "membership/people.html", organisation=organisation, people=services.people_of(organisation),
        invitations=services.pending_invitations(organisation), form=form,
        role_form=forms.PersonRoleForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
    )


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/role", methods=["POST"])
def change_person_role(organisation_id: int, member_id: int) -> Any:
    person = _person(organisation_id, member_id)
    form = forms.PersonRoleForm()
    run_use_case(form, lambda: services.change_role(current_user, person, form.role.data),
                 success=_("The role is changed."))
    return _to("people", organisation_id=organisation_id)


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/remove", methods=["POST"])
def remove_person(organisation_id: int, member_id: int) -> Any:
    person = _person(organisation_id, member_id, can_remove_person)
    run_use_case(ConfirmForm(), lambda: services.remove_person(current_user, person),
                 success=_("The person no longer acts for the organisation."))
    return _to("people", organisation_id=organisation_id)


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/hand-over", methods=["POST"])
def hand_over(organisation_id: int, member_id: int) -> Any:
    person = _person(organisation_id, member_id, can_hand_over)
    run_use_case(ConfirmForm(), lambda: services.hand_over_to(current_user, person),
                 success=_("%(name)s is now the organisation's representative.", name=isolate(person.user.display_name)))
    return _to("people", organisation_id=organisation_id)


@bp.route("/membership/<int:organisation_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(organisation_id: int, invitation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_manage_people)
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.organisation_id != organisation.id:
        abort(404)
    run_use_case(ConfirmForm(), lambda: services.revoke_invitation(current_user, invitation),
                 success=_("The invitation is withdrawn."))
    return _to("people", organisation_id=organisation.id)


def _accept_invitation(token: str) -> Organisation:
    organisation = services.accept_invitation(token, current_user)
    act_for(organisation)
    return organisation


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    try:
        invitation = services.find_invitation(token)
    except services.MembershipError as error:
        return render_template("membership/invitation_problem.html", message=error.message), 400
    form = ConfirmForm()
    if form.validate_on_submit() and not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    accepted = run_use_case(form, lambda: _accept_invitation(token), success=lambda organisation: _(
        "Welcome! You now act for %(organisation)s.", organisation=isolate(organisation.display_name)))
    if accepted.value is not None:
        return _to("application", organisation_id=accepted.value.id)
    return render_template("membership/invitation.html", invitation=invitation, form=form), \
        400 if accepted.error else 200


# --- the steering group's review -----------------------------------------------------------


@bp.route("/steering/applications")
def review_queue() -> Any:
    require(can_review(current_actor()))
    form = forms.ReviewFilterForm(request.args)
    page = db.paginate(services.review_queue_query(**form.criteria()), page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("membership/review_queue.html", form=form, page=page)


@bp.route("/steering/applications/<int:organisation_id>", methods=["GET", "POST"])
@redisplays_form
def review_application(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_review)
    form = forms.DecisionForm()
    if run_use_case(form, lambda: services.decide_application(current_user, organisation, form.decision.data,
                                                              form.message.data or ""),
                    success=_("The decision is recorded and the organisation is notified.")):
        return _to("review_application", organisation_id=organisation.id)
    return render_template(
        "membership/review_application.html", organisation=organisation, form=form,
        reason_form=forms.ReasonForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
        founding_form=forms.FoundingForm(formdata=None, founding=organisation.is_founding_member),
        adheres=services.adheres_to_current_charter(organisation), people=services.people_of(organisation),
        missing=services.missing_for_submission(organisation),
    )


@bp.route("/steering/applications/<int:organisation_id>/suspend", methods=["POST"])
@redisplays_form
def suspend(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_review)
    form = forms.ReasonForm()
    suspended = run_use_case(form, lambda: services.suspend_membership(current_user, organisation, form.message.data),
                             success=_("The membership is suspended and the organisation is notified."))
    if not suspended and (suspended.error is None or suspended.error.field):
        flash(_("Give a reason for the suspension."), "error")
    return _to("review_application", organisation_id=organisation.id)


@bp.route("/steering/applications/<int:organisation_id>/reinstate", methods=["POST"])
def reinstate(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_review)
    run_use_case(ConfirmForm(), lambda: services.reinstate_membership(current_user, organisation),
                 success=_("The membership is restored."))
    return _to("review_application", organisation_id=organisation.id)


@bp.route("/steering/applications/<int:organisation_id>/founding", methods=["POST"])
def set_founding(organisation_id: int) -> Any:
    organisation = _organisation(organisation_id, can_review)
    form = forms.FoundingForm()
    run_use_case(form, lambda: services.set_founding_member(current_user, organisation, bool(form.founding.data)),
                 success=_("Saved."))
    return _to("review_application", organisation_id=organisation.id)


# --- charter management ------------------------------------------------------------------------


def _charter_page(draft: Charter | None, form: forms.CharterTextForm, principle_form: forms.PrincipleForm) -> str:
    return render_template(
        "membership/manage_charter.html", draft=draft, current=services.current_charter(), form=form,
        principle_form=principle_form, confirm_form=ConfirmForm(formdata=None),
    )


def _save_charter_text(draft: Charter | None, texts: dict[str, str]) -> Charter:
    draft = draft or services.start_charter_draft(current_user)
    services.update_charter_text(draft, texts)
    return draft


@bp.route("/steering/charter", methods=["GET", "POST"])
@redisplays_form
def manage_charter() -> Any:
    require(can_manage_charter(current_actor()))
    draft = services.draft_charter()
    form = edit_form(forms.CharterTextForm, draft)
    if run_use_case(form, lambda: _save_charter_text(draft, form.texts()), success=_("The draft is saved.")):
        return _to("manage_charter")
    return _charter_page(draft, form, forms.PrincipleForm(formdata=None))


@bp.route("/steering/charter/draft", methods=["POST"])
def start_charter_draft() -> Any:
    require(can_manage_charter(current_actor()))
    run_use_case(ConfirmForm(), lambda: services.start_charter_draft(current_user))
    return _to("manage_charter")


@bp.route("/steering/charter/principles", methods=["POST"])
@redisplays_form
def add_principle() -> Any:
    draft = _draft()
    form = forms.PrincipleForm()
    if run_use_case(form, lambda: services.save_principle(draft, None, form.texts()),
                    success=_("The principle is added.")):
        return _to("manage_charter")
    return _charter_page(draft, forms.CharterTextForm(formdata=None, obj=draft), form), 400


@bp.route("/steering/charter/principles/<int:principle_id>", methods=["GET", "POST"])
@redisplays_form
def edit_principle(principle_id: int) -> Any:
    draft, principle = _principle(principle_id)
    form = edit_form(forms.PrincipleForm, principle)
    if run_use_case(form, lambda: services.save_principle(draft, principle, form.texts()),
                    success=_("The principle is saved.")):
        return _to("manage_charter")
    return render_template("membership/edit_principle.html", form=form, principle=principle)


@bp.route("/steering/charter/principles/<int:principle_id>/remove", methods=["POST"])
def remove_principle(principle_id: int) -> Any:
    draft, principle = _principle(principle_id)
    run_use_case(ConfirmForm(), lambda: services.remove_principle(draft, principle),
                 success=_("The principle is removed."))
    return _to("manage_charter")


@bp.route("/steering/charter/principles/<int:principle_id>/move", methods=["POST"])
def move_principle(principle_id: int) -> Any:
    draft, principle = _principle(principle_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    run_use_case(ConfirmForm(), lambda: services.move_principle(draft, principle, offset))
    return _to("manage_charter")


@bp.route("/steering/charter/publish", methods=["POST"])
def publish_charter() -> Any:
    draft = _draft()
    if run_use_case(ConfirmForm(), lambda: services.publish_charter(current_user, draft),
                    success=_("Version %(version)s of the charter is published.", version=draft.version)):
        return _to("charter")
    return _to("manage_charter")


# --- fields of action ------------------------------------------------------------------------


def _save_field(form: forms.FieldOfActionForm, field_of_action: FieldOfAction | None) -> Any:
    return run_use_case(
        form, lambda: services.save_field(current_user, field_of_action, form.names(), bool(form.active.data)),
        success=_("The field of action is saved."))


@bp.route("/steering/fields", methods=["GET", "POST"])
@redisplays_form
def manage_fields() -> Any:
    require(can_manage_fields(current_actor()))
    form = forms.FieldOfActionForm()
    if _save_field(form, None):
        return _to("manage_fields")
    return render_template("membership/manage_fields.html", form=form, fields=services.all_fields())


@bp.route("/steering/fields/<int:field_id>", methods=["GET", "POST"])
@redisplays_form
def edit_field(field_id: int) -> Any:
    require(can_manage_fields(current_actor()))
    field_of_action = db.get_or_404(FieldOfAction, field_id)
    form = edit_form(forms.FieldOfActionForm, field_of_action, active=field_of_action.is_active)
    if _save_field(form, field_of_action):
        return _to("manage_fields")
    return render_template("membership/edit_field.html", form=form, field_of_action=field_of_action)


# --- the public directory ------------------------------------------------------------------


@bp.route("/organisations")
@public
def directory() -> Any:
    form = forms.DirectoryFilterForm(request.args, field_choices=[
        SelectChoice(str(f.id), localized(f, "name")[0]) for f in services.active_fields()])
    page = db.paginate(services.directory_query(**form.criteria()), page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("membership/directory.html", form=form, page=page,
                           counts=services.members_per_region(), region_list=REGIONS)


@bp.route("/organisations/<int:organisation_id>")
@public
def profile(organisation_id: int) -> Any:
    organisation = db.get_or_404(Organisation, organisation_id)
    if not (organisation.is_public or can_view_application(current_actor(), organisation)):
        abort(404)
    return render_template("membership/profile.html", organisation=organisation,
                           sections=profile_sections(organisation))
