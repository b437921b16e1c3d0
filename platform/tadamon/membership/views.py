"""Membership pages: the charter, applying, the steering group's review, people, directory."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.forms import show_error as _show_error
from tadamon.core.i18n import current_language, localized, select_timezone
from tadamon.core.permissions import require
from tadamon.core.urls import int_arg, page_arg
from tadamon.extensions import db, limiter
from tadamon.membership import forms, services
from tadamon.membership.acting import act_for
from tadamon.membership.models import (
    LEGAL_FORM_LABELS,
    ORGANISATION_ROLE_LABELS,
    STATE_LABELS,
    Charter,
    CharterPrinciple,
    FieldOfAction,
    Invitation,
    MembershipState,
    Organisation,
    OrganisationMember,
)
from tadamon.membership.permissions import (
    can_adhere,
    can_apply,
    can_edit_application,
    can_leave,
    can_manage_charter,
    can_manage_fields,
    can_manage_people,
    can_review,
    can_view_application,
    can_view_people,
    can_view_statutes,
)
from tadamon.membership.regions import REGIONS, REGIONS_BY_CODE

bp = Blueprint("membership", __name__, template_folder="templates")

PER_PAGE = 20


def _page() -> int:
    return page_arg()


def _field_choices() -> list[SelectChoice]:
    return [SelectChoice(f.id, localized(f, "name")[0]) for f in services.active_fields()]


def _template_context() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "legal_form_labels": LEGAL_FORM_LABELS,
        "role_labels": ORGANISATION_ROLE_LABELS,
        "regions": REGIONS_BY_CODE,
        "MembershipState": MembershipState,
    }


# --- acting for an organisation --------------------------------------------------------------


@bp.route("/acting-for", methods=["POST"])
def set_acting_for() -> Any:
    form = ConfirmForm()
    organisation_id = request.form.get("organisation_id", type=int)
    organisation = (db.session.get(Organisation, organisation_id)
                    if organisation_id and 0 < organisation_id <= 2_147_483_647 else None)
    if form.validate_on_submit() and organisation is not None:
        require(services.membership_of(current_user, organisation) is not None)
        act_for(organisation)
        flash(_("You now act for %(organisation)s.", organisation=organisation.display_name), "success")
    from tadamon.core.urls import safe_next

    return redirect(safe_next(request.form.get("next"), url_for("membership.my_organisations")))


@bp.route("/membership")
def my_organisations() -> Any:
    require(can_apply(current_actor()))
    memberships = {m.organisation_id: m for m in services._memberships_by_organisation(current_user).values()}
    return render_template(
        "membership/my_organisations.html", organisations=services.organisations_of(current_user),
        memberships=memberships, start_form=ConfirmForm(), **_template_context(),
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
    found = db.session.scalar(select(Charter).where(Charter.version == version, Charter.published_at.is_not(None)))
    if found is None:
        abort(404)
    return render_template("membership/charter.html", charter=found, versions=services.published_charters())


# --- applying --------------------------------------------------------------------------------


@bp.route("/membership/apply", methods=["POST"])
def apply() -> Any:
    require(can_apply(current_actor()))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("membership.my_organisations"))
    organisation = services.start_application(current_user)
    db.session.commit()
    act_for(organisation)
    return redirect(url_for("membership.edit_application", organisation_id=organisation.id))


def _load(organisation_id: int) -> Organisation:
    return db.get_or_404(Organisation, organisation_id)


@bp.route("/membership/<int:organisation_id>")
def application(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_view_application(current_actor(), organisation))
    return render_template(
        "membership/application.html", organisation=organisation,
        missing=services.missing_for_submission(organisation),
        adheres=services.adheres_to_current_charter(organisation),
        current_charter=services.current_charter(),
        confirm_form=ConfirmForm(), **_template_context(),
    )


NUMBER_FIELDS = ("year_founded", "members_count", "volunteers_count", "staff_count")
TEXT_FIELDS = ("name_ar", "name_fr", "acronym", "legal_form", "registration_number", "region",
               "province", "description_ar", "description_fr", "description_en", "website",
               "social_links", "contact_email", "contact_phone", "address")


def _application_data(form: forms.ApplicationForm) -> services.ApplicationData:
    return services.ApplicationData(
        **{name: getattr(form, name).data or "" for name in TEXT_FIELDS},
        **{name: getattr(form, name).data for name in NUMBER_FIELDS},
        field_ids=list(form.fields.data or []),
    )


@bp.route("/membership/<int:organisation_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_application(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_edit_application(current_actor(), organisation))
    form = forms.ApplicationForm(obj=organisation if request.method == "GET" else None,
                                 field_choices=_field_choices())
    if request.method == "GET" and not form.restored:
        form.fields.data = [f.id for f in organisation.fields]
    if form.is_submitted():
        valid = form.validate()
        # The statutes are kept as soon as they are valid, even if another field is not:
        # nobody should have to pick the file again because of a typo elsewhere.
        upload = form.statutes.data
        # Never on a request that failed the CSRF check (it is only re-shown).
        if upload and getattr(upload, "filename", "") and not form.csrf_expired:
            try:
                services.attach_statutes(organisation, upload, current_user)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                _show_error(form, error)
                valid = False
        if valid:
            try:
                services.update_application(organisation, _application_data(form))
            except DomainError as error:
                db.session.rollback()
                _show_error(form, error)
            else:
                db.session.commit()
                if request.form.get("next_step") == "submit":
                    return redirect(url_for("membership.submit_application", organisation_id=organisation.id))
                flash(_("Your application is saved as a draft. You can complete it later."), "success")
                return redirect(url_for("membership.application", organisation_id=organisation.id))
    return render_template("membership/edit_application.html", form=form, organisation=organisation,
                           **_template_context())


@bp.route("/membership/<int:organisation_id>/submit", methods=["GET", "POST"])
@redisplays_form
def submit_application(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_edit_application(current_actor(), organisation))
    form = forms.SubmitApplicationForm()
    missing = services.missing_for_submission(organisation)
    if form.validate_on_submit():
        try:
            services.submit_application(organisation, current_user, adheres=form.adhere.data)
        except services.IncompleteApplication as error:
            db.session.rollback()
            missing = error.missing
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your application is submitted. The steering group will review it; you will be notified."), "success")
            return redirect(url_for("membership.application", organisation_id=organisation.id))
    return render_template("membership/submit_application.html", form=form, organisation=organisation,
                           missing=missing, charter=services.current_charter(), **_template_context())


@bp.route("/membership/<int:organisation_id>/statutes")
def statutes(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_view_statutes(current_actor(), organisation))
    document = organisation.statutes
    if document is None or not services.statutes_path(document).is_file():
        abort(404)
    return send_file(
        services.statutes_path(document), mimetype="application/pdf", as_attachment=True,
        download_name=f"statutes-{organisation.id}.pdf", max_age=0,
    )


@bp.route("/membership/<int:organisation_id>/adhere", methods=["POST"])
def adhere(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_adhere(current_actor(), organisation))
    if ConfirmForm().validate_on_submit():
        services.adhere_to_current_charter(organisation, current_user)
        db.session.commit()
        flash(_("The organisation adheres to the current charter."), "success")
    return redirect(url_for("membership.application", organisation_id=organisation.id))


@bp.route("/membership/<int:organisation_id>/leave", methods=["POST"])
def leave(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_leave(current_actor(), organisation))
    if ConfirmForm().validate_on_submit():
        try:
            services.leave_network(current_user, organisation)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The organisation has left the network."), "success")
    return redirect(url_for("membership.application", organisation_id=organisation.id))


# --- people ------------------------------------------------------------------------------------


def _current_user_key() -> str:
    return f"user:{current_user.get_id()}"


@bp.route("/membership/<int:organisation_id>/people", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_INVITATIONS"], methods=["POST"], key_func=_current_user_key)
@redisplays_form
def people(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_view_people(current_actor(), organisation))
    form = forms.InviteForm()
    if form.is_submitted():
        require(can_manage_people(current_actor(), organisation))
    if form.validate_on_submit():
        try:
            services.invite(organisation, current_user, email=form.email.data, role=form.role.data,
                            language=current_language())
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The invitation is sent to %(email)s. It works once, for seven days.", email=form.email.data), "success")
            return redirect(url_for("membership.people", organisation_id=organisation.id))
    return render_template(
        "membership/people.html", organisation=organisation, people=services.people_of(organisation),
        invitations=services.pending_invitations(organisation), form=form,
        my_membership=services.membership_of(current_user, organisation),
        role_form=forms.PersonRoleForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
        **_template_context(),
    )


def _load_person(organisation: Organisation, member_id: int) -> OrganisationMember:
    membership = db.get_or_404(OrganisationMember, member_id)
    if membership.organisation_id != organisation.id:
        abort(404)
    return membership


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/role", methods=["POST"])
def change_person_role(organisation_id: int, member_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_manage_people(current_actor(), organisation))
    membership = _load_person(organisation, member_id)
    form = forms.PersonRoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(current_user, membership, form.role.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The role is changed."), "success")
    return redirect(url_for("membership.people", organisation_id=organisation.id))


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/remove", methods=["POST"])
def remove_person(organisation_id: int, member_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_manage_people(current_actor(), organisation))
    membership = _load_person(organisation, member_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_person(current_user, membership)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The person no longer acts for the organisation."), "success")
    return redirect(url_for("membership.people", organisation_id=organisation.id))


@bp.route("/membership/<int:organisation_id>/people/<int:member_id>/hand-over", methods=["POST"])
def hand_over(organisation_id: int, member_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_manage_people(current_actor(), organisation))
    target = _load_person(organisation, member_id)
    mine = services.membership_of(current_user, organisation)
    if ConfirmForm().validate_on_submit() and mine is not None:
        services.hand_over_representation(mine, target)
        db.session.commit()
        flash(_("%(name)s is now the organisation's representative.", name=target.user.display_name), "success")
    return redirect(url_for("membership.people", organisation_id=organisation.id))


@bp.route("/membership/<int:organisation_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(organisation_id: int, invitation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_manage_people(current_actor(), organisation))
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.organisation_id != organisation.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.revoke_invitation(current_user, invitation)
        db.session.commit()
        flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("membership.people", organisation_id=organisation.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Any:
    try:
        invitation = services.find_invitation(token)
    except DomainError as error:
        return render_template("membership/invitation_problem.html", message=error.message), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            organisation = services.accept_invitation(token, current_user)
        except DomainError as error:
            db.session.rollback()
            return render_template("membership/invitation_problem.html", message=error.message), 400
        db.session.commit()
        act_for(organisation)
        flash(_("Welcome! You now act for %(organisation)s.", organisation=organisation.display_name), "success")
        return redirect(url_for("membership.application", organisation_id=organisation.id))
    return render_template("membership/invitation.html", invitation=invitation, form=form,
                           **_template_context())


# --- the steering group's review -----------------------------------------------------------


def _local_midnight(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(select_timezone()))


@bp.route("/steering/applications")
def review_queue() -> Any:
    require(can_review(current_actor()))
    form = forms.ReviewFilterForm(request.args)
    form.region.choices = forms.region_choices(_("Any region"))
    form.legal_form.choices = forms.legal_form_choices(_("Any legal form"))
    valid = form.validate()
    query = services.review_queue_query(
        state=form.state.data or "" if valid else "",
        region=form.region.data or "" if valid else "",
        legal_form=form.legal_form.data or "" if valid else "",
        since=_local_midnight(form.since.data) if valid and form.since.data else None,
        until=_local_midnight(form.until.data + timedelta(days=1)) if valid and form.until.data else None,
    )
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("membership/review_queue.html", form=form, page=page, **_template_context())


@bp.route("/steering/applications/<int:organisation_id>", methods=["GET", "POST"])
@redisplays_form
def review_application(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_review(current_actor()))
    form = forms.DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_application(current_user, organisation, form.decision.data, form.message.data or "")
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The decision is recorded and the organisation is notified."), "success")
            return redirect(url_for("membership.review_application", organisation_id=organisation.id))
    return render_template(
        "membership/review_application.html", organisation=organisation, form=form,
        reason_form=forms.ReasonForm(formdata=None),
        founding_form=forms.FoundingForm(formdata=None, founding=organisation.is_founding_member),
        confirm_form=ConfirmForm(formdata=None),
        adheres=services.adheres_to_current_charter(organisation),
        people=services.people_of(organisation),
        missing=services.missing_for_submission(organisation), **_template_context(),
    )


@bp.route("/steering/applications/<int:organisation_id>/suspend", methods=["POST"])
@redisplays_form
def suspend(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_review(current_actor()))
    form = forms.ReasonForm()
    if form.validate_on_submit():
        try:
            services.suspend_membership(current_user, organisation, form.message.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The membership is suspended and the organisation is notified."), "success")
    else:
        flash(_("Give a reason for the suspension."), "error")
    return redirect(url_for("membership.review_application", organisation_id=organisation.id))


@bp.route("/steering/applications/<int:organisation_id>/reinstate", methods=["POST"])
def reinstate(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_review(current_actor()))
    if ConfirmForm().validate_on_submit():
        try:
            services.reinstate_membership(current_user, organisation)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The membership is restored."), "success")
    return redirect(url_for("membership.review_application", organisation_id=organisation.id))


@bp.route("/steering/applications/<int:organisation_id>/founding", methods=["POST"])
def set_founding(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    require(can_review(current_actor()))
    form = forms.FoundingForm()
    if form.validate_on_submit():
        services.set_founding_member(current_user, organisation, bool(form.founding.data))
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("membership.review_application", organisation_id=organisation.id))


# --- charter management ------------------------------------------------------------------------


@bp.route("/steering/charter", methods=["GET", "POST"])
@redisplays_form
def manage_charter() -> Any:
    require(can_manage_charter(current_actor()))
    draft = services.draft_charter()
    form = forms.CharterTextForm(obj=draft if request.method == "GET" else None)
    if form.validate_on_submit():
        if draft is None:
            draft = services.start_charter_draft(current_user)
        try:
            services.update_charter_text(draft, {name: getattr(form, name).data or "" for name in (
                "title_ar", "title_fr", "title_en", "preamble_ar", "preamble_fr", "preamble_en")})
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The draft is saved."), "success")
            return redirect(url_for("membership.manage_charter"))
    return render_template(
        "membership/manage_charter.html", draft=draft, current=services.current_charter(), form=form,
        principle_form=forms.PrincipleForm(formdata=None), confirm_form=ConfirmForm(formdata=None),
    )


@bp.route("/steering/charter/draft", methods=["POST"])
def start_charter_draft() -> Any:
    require(can_manage_charter(current_actor()))
    if ConfirmForm().validate_on_submit():
        services.start_charter_draft(current_user)
        db.session.commit()
    return redirect(url_for("membership.manage_charter"))


def _draft_or_404() -> Charter:
    draft = services.draft_charter()
    if draft is None:
        abort(404)
    return draft


def _principle_texts(form: forms.PrincipleForm) -> dict[str, str]:
    return {name: getattr(form, name).data or "" for name in (
        "title_ar", "title_fr", "title_en", "explanation_ar", "explanation_fr", "explanation_en")}


@bp.route("/steering/charter/principles", methods=["POST"])
@redisplays_form
def add_principle() -> Any:
    require(can_manage_charter(current_actor()))
    draft = _draft_or_404()
    form = forms.PrincipleForm()
    if form.validate_on_submit():
        try:
            services.save_principle(draft, None, _principle_texts(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The principle is added."), "success")
            return redirect(url_for("membership.manage_charter"))
    return render_template("membership/manage_charter.html", draft=draft, current=services.current_charter(),
                           form=forms.CharterTextForm(formdata=None, obj=draft), principle_form=form,
                           confirm_form=ConfirmForm(formdata=None)), 400


def _principle(principle_id: int, draft: Charter) -> CharterPrinciple:
    principle = db.get_or_404(CharterPrinciple, principle_id)
    if principle.charter_id != draft.id:
        abort(404)
    return principle


@bp.route("/steering/charter/principles/<int:principle_id>", methods=["GET", "POST"])
@redisplays_form
def edit_principle(principle_id: int) -> Any:
    require(can_manage_charter(current_actor()))
    draft = _draft_or_404()
    principle = _principle(principle_id, draft)
    form = forms.PrincipleForm(obj=principle if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_principle(draft, principle, _principle_texts(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The principle is saved."), "success")
            return redirect(url_for("membership.manage_charter"))
    return render_template("membership/edit_principle.html", form=form, principle=principle)


@bp.route("/steering/charter/principles/<int:principle_id>/remove", methods=["POST"])
def remove_principle(principle_id: int) -> Any:
    require(can_manage_charter(current_actor()))
    draft = _draft_or_404()
    principle = _principle(principle_id, draft)
    if ConfirmForm().validate_on_submit():
        services.remove_principle(draft, principle)
        db.session.commit()
        flash(_("The principle is removed."), "success")
    return redirect(url_for("membership.manage_charter"))


@bp.route("/steering/charter/principles/<int:principle_id>/move", methods=["POST"])
def move_principle(principle_id: int) -> Any:
    require(can_manage_charter(current_actor()))
    draft = _draft_or_404()
    principle = _principle(principle_id, draft)
    if ConfirmForm().validate_on_submit():
        services.move_principle(draft, principle, -1 if request.form.get("direction") == "up" else 1)
        db.session.commit()
    return redirect(url_for("membership.manage_charter"))


@bp.route("/steering/charter/publish", methods=["POST"])
def publish_charter() -> Any:
    require(can_manage_charter(current_actor()))
    draft = _draft_or_404()
    if ConfirmForm().validate_on_submit():
        try:
            services.publish_charter(current_user, draft)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("Version %(version)s of the charter is published.", version=draft.version), "success")
            return redirect(url_for("membership.charter"))
    return redirect(url_for("membership.manage_charter"))


# --- fields of action ------------------------------------------------------------------------


@bp.route("/steering/fields", methods=["GET", "POST"])
@redisplays_form
def manage_fields() -> Any:
    require(can_manage_fields(current_actor()))
    form = forms.FieldOfActionForm()
    if form.validate_on_submit():
        try:
            services.save_field(current_user, None, {n: getattr(form, n).data or "" for n in ("name_ar", "name_fr", "name_en")},
                                bool(form.active.data))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The field of action is saved."), "success")
            return redirect(url_for("membership.manage_fields"))
    return render_template("membership/manage_fields.html", form=form, fields=services.all_fields())


@bp.route("/steering/fields/<int:field_id>", methods=["GET", "POST"])
@redisplays_form
def edit_field(field_id: int) -> Any:
    require(can_manage_fields(current_actor()))
    field_of_action = db.get_or_404(FieldOfAction, field_id)
    form = forms.FieldOfActionForm(obj=field_of_action if request.method == "GET" else None)
    if request.method == "GET":
        form.active.data = field_of_action.is_active
    if form.validate_on_submit():
        try:
            services.save_field(current_user, field_of_action,
                                {n: getattr(form, n).data or "" for n in ("name_ar", "name_fr", "name_en")},
                                bool(form.active.data))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The field of action is saved."), "success")
            return redirect(url_for("membership.manage_fields"))
    return render_template("membership/edit_field.html", form=form, field_of_action=field_of_action)


# --- the public directory ------------------------------------------------------------------


@bp.route("/organisations")
@public
def directory() -> Any:
    form = forms.DirectoryFilterForm(request.args)
    form.region.choices = forms.region_choices(_("All regions"))
    form.legal_form.choices = forms.legal_form_choices(_("All legal forms"))
    form.field.choices = [SelectChoice("", _("All fields"))] + [
        SelectChoice(str(f.id), localized(f, "name")[0]) for f in services.active_fields()]
    valid = form.validate()
    field_id = int_arg("field") if valid else None
    query = services.directory_query(
        search=form.q.data or "" if valid else "",
        region=form.region.data or "" if valid else "",
        field_id=field_id,
        legal_form=form.legal_form.data or "" if valid else "",
    )
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("membership/directory.html", form=form, page=page,
                           counts=services.members_per_region(), region_list=REGIONS, **_template_context())


@bp.route("/organisations/<int:organisation_id>")
@public
def profile(organisation_id: int) -> Any:
    organisation = _load(organisation_id)
    if organisation.membership_state is not MembershipState.APPROVED:
        if not (current_user.is_authenticated and can_view_application(current_actor(), organisation)):
            abort(404)
    from tadamon.core.hooks import profile_sections

    return render_template("membership/profile.html", organisation=organisation,
                           sections=profile_sections(organisation), **_template_context())
