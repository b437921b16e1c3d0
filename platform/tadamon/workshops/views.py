"""Workshop and consultation pages: public lists and pages, calendars, registration,
the facilitators' tools and dashboard, and the steering group's themes."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.forms import show_error as _show_error
from tadamon.core.hooks import voting_methods
from tadamon.core.i18n import localized, select_timezone
from tadamon.core.permissions import can, require
from tadamon.core.urls import int_arg, page_arg
from tadamon.extensions import db
from tadamon.membership.forms import region_choices
from tadamon.membership.regions import REGIONS, REGIONS_BY_CODE
from tadamon.workshops import calendars, forms, services
from tadamon.workshops.models import (
    DOCUMENT_KIND_LABELS,
    FORMAT_LABELS,
    PARTICIPATION_LABELS,
    PHASE_ACTIVITIES,
    PHASE_LABELS,
    PHASE_ORDER,
    REGISTRATION_STATUS_LABELS,
    ROOM_RECORD_LABELS,
    WORKSHOP_STATUS_LABELS,
    WORKSHOP_STATUS_ORDER,
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopDocument,
    WorkshopFormat,
    WorkshopStatus,
)
from tadamon.workshops.permissions import (
    can_assign_facilitators,
    can_create_national_consultation,
    can_create_workshop,
    can_manage_consultation,
    can_manage_themes,
    can_manage_workshop,
    can_see_dashboard,
    can_view_calendar,
)

bp = Blueprint("workshops", __name__, template_folder="templates")
PER_PAGE = 20


def region_names(codes: list[str]) -> list[str]:
    return [REGIONS_BY_CODE[code].name() for code in codes if code in REGIONS_BY_CODE]


def _labels() -> dict[str, Any]:
    return {
        "region_names": region_names,
        "format_labels": FORMAT_LABELS, "status_labels": WORKSHOP_STATUS_LABELS,
        "registration_labels": REGISTRATION_STATUS_LABELS, "phase_labels": PHASE_LABELS,
        "phase_activities": PHASE_ACTIVITIES, "document_labels": DOCUMENT_KIND_LABELS,
        "participation_labels": PARTICIPATION_LABELS, "regions": REGIONS_BY_CODE, "methods": voting_methods(),
        "Phase": Phase, "WorkshopStatus": WorkshopStatus, "RegistrationStatus": RegistrationStatus,
        "WorkshopFormat": WorkshopFormat,
    }


def _theme_choices(blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(theme.id, localized(theme, "name")[0]) for theme in services.active_themes()]
    return ([SelectChoice("", blank)] if blank is not None else []) + choices


# --- public lists, pages and calendars -------------------------------------------------------


@bp.route("/workshops")
@public
def index() -> Any:
    form = forms.WorkshopFilterForm(request.args)
    form.theme.choices = _theme_choices(_("All themes"))
    form.region.choices = region_choices(_("All regions"))
    form.format.choices = [SelectChoice("", _("All formats"))] + [
        SelectChoice(value.value, label) for value, label in FORMAT_LABELS.items()]
    form.validate()
    query = services.workshops_query(
        when="past" if form.when.data == "past" else "upcoming",
        theme_id=int_arg("theme"),
        region=form.region.data if form.region.data in REGIONS_BY_CODE else "",
        fmt=form.format.data if form.format.data in {f.value for f in WorkshopFormat} else "",
    )
    page = db.paginate(query, page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("workshops/index.html", form=form, page=page,
                           counts=services.registration_counts([w.id for w in page.items]), **_labels())


@bp.route("/workshops/<int:workshop_id>")
@public
def workshop(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    acting = _acting_organisation()
    registration = services.registration_of(item, acting)
    return render_template(
        "workshops/workshop.html", workshop=item, registration=registration, acting=acting,
        records=services.room_records(item), room_labels=ROOM_RECORD_LABELS,
        places_taken=services.places_taken(item), confirm_form=ConfirmForm(formdata=None),
        can_register=acting is not None and can("workshops.register", (item, acting)),
        **_labels(),
    )


@bp.route("/workshops/<int:workshop_id>.ics")
@public
def workshop_ics(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    return _ics_response(calendars.calendar_for([item]), f"workshop-{item.id}.ics")


@bp.route("/workshops/calendar.ics")
@public
def calendar_feed() -> Any:
    upcoming = db.session.scalars(services.workshops_query(when="upcoming").limit(500)).all()
    return _ics_response(calendars.calendar_for(list(upcoming)), "tadamon-workshops.ics")


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/workshops/<int:workshop_id>/documents/<int:document_id>")
@public
def document(workshop_id: int, document_id: int) -> Any:
    item = db.get_or_404(WorkshopDocument, document_id)
    if item.workshop_id != workshop_id or not services.document_path(item).is_file():
        abort(404)
    from tadamon.core.uploads import MIMETYPES

    return send_file(services.document_path(item), mimetype=MIMETYPES.get(item.file_type, "application/octet-stream"),
                     as_attachment=True, download_name=f"{item.kind}-{item.id}.{item.file_type}", max_age=0)


@bp.route("/consultations/<int:consultation_id>")
@public
def consultation(consultation_id: int) -> Any:
    item = db.get_or_404(Consultation, consultation_id)
    if item.current_phase is Phase.DRAFT and not (current_user.is_authenticated and can_manage_consultation(current_actor(), item)):
        abort(404)
    return render_template("workshops/consultation.html", consultation=item, phase_order=PHASE_ORDER,
                           next_phase=services.next_phase(item), move_form=ConfirmForm(formdata=None), **_labels())


@bp.route("/steering/calendar")
def month_view() -> Any:
    require(can_view_calendar(current_actor()))
    zone = ZoneInfo(select_timezone())
    today = datetime.now(zone).date()
    year = int_arg("year", today.year, low=1900, high=2100)
    month = int_arg("month", today.month, low=1, high=12)
    first = date(year, month, 1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(next_month, datetime.min.time(), tzinfo=zone)
    by_day: dict[date, list[Workshop]] = {}
    for item in services.workshops_between(start, end):
        day = item.starts_at.astimezone(zone).date()
        while day <= item.ends_at.astimezone(zone).date() and day < next_month:
            if day >= first:
                by_day.setdefault(day, []).append(item)
            day += timedelta(days=1)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    return render_template("workshops/calendar.html", weeks=weeks, first=first, by_day=by_day,
                           previous=previous, following=next_month, **_labels())


# --- creating and running workshops --------------------------------------------------------


def _workshop_data(form: forms.WorkshopForm) -> services.WorkshopData:
    return services.WorkshopData(
        **{name: getattr(form, name).data or "" for name in (
            "title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
            "venue", "address", "online_link")},
        theme_id=form.theme_id.data or None,
        is_national=form.scope.data != "regional",
        regions=list(form.regions.data or []),
        format=form.format.data if form.format.data in {f.value for f in WorkshopFormat} else "in_person",
        starts_at=forms.to_utc(form.starts_at.data),
        ends_at=forms.to_utc(form.ends_at.data),
        capacity=form.capacity.data,
    )


def _prepare_workshop_form(form: forms.WorkshopForm) -> None:
    form.theme_id.choices = _theme_choices(_("Choose a theme"))
    form.regions.choices = [SelectChoice(region.code, region.name()) for region in REGIONS]


@bp.route("/workshops/new", methods=["GET", "POST"])
@redisplays_form
def new_workshop() -> Any:
    require(can_create_workshop(current_actor()))
    form = forms.WorkshopForm()
    _prepare_workshop_form(form)
    if form.validate_on_submit():
        try:
            item = services.create_workshop(current_user, _workshop_data(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The workshop is created. Open its registration when you are ready."), "success")
            return redirect(url_for("workshops.manage", workshop_id=item.id))
    return render_template("workshops/edit_workshop.html", form=form, workshop=None)


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_workshop(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    form = forms.WorkshopForm(obj=item if request.method == "GET" else None)
    _prepare_workshop_form(form)
    if request.method == "GET" and not form.restored:
        form.scope.data = "national" if item.is_national else "regional"
        form.regions.data = item.region_codes
        form.starts_at.data = forms.to_local(item.starts_at)
        form.ends_at.data = forms.to_local(item.ends_at)
    if form.validate_on_submit():
        try:
            services.update_workshop(current_user, item, _workshop_data(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The workshop is saved."), "success")
            return redirect(url_for("workshops.manage", workshop_id=item.id))
    return render_template("workshops/edit_workshop.html", form=form, workshop=item)


@bp.route("/workshops/<int:workshop_id>/manage", methods=["GET"])
def manage(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    facilitators_form = forms.FacilitatorsForm(formdata=None)
    facilitators_form.facilitators.choices = [SelectChoice(u.id, u.display_name) for u in services.facilitator_candidates()]
    facilitators_form.facilitators.data = [u.id for u in item.facilitators]
    index = WORKSHOP_STATUS_ORDER.index(item.workshop_status)
    next_status = WORKSHOP_STATUS_ORDER[index + 1] if index + 1 < len(WORKSHOP_STATUS_ORDER) else None
    return render_template(
        "workshops/manage.html", workshop=item, registrations=services.registrations_of(item),
        places_taken=services.places_taken(item), next_status=next_status,
        confirm_form=ConfirmForm(formdata=None), document_form=forms.DocumentForm(formdata=None),
        decision_form=forms.RegistrationDecisionForm(formdata=None), facilitators_form=facilitators_form,
        **_labels(),
    )


@bp.route("/workshops/<int:workshop_id>/status", methods=["POST"])
def move_status(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            services.move_workshop_status(current_user, item, WorkshopStatus(form.status.data))
        except (DomainError, ValueError) as error:
            db.session.rollback()
            flash(str(getattr(error, "message", _("The workshop can only move to its next stage."))), "error")
        else:
            db.session.commit()
            flash(_("The workshop is now: %(status)s.", status=WORKSHOP_STATUS_LABELS[item.workshop_status]), "success")
    return redirect(url_for("workshops.manage", workshop_id=item.id))


@bp.route("/workshops/<int:workshop_id>/facilitators", methods=["POST"])
def set_facilitators(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_assign_facilitators(current_actor()))
    form = forms.FacilitatorsForm()
    if form.validate_on_submit():
        services.set_facilitators(current_user, item, list(form.facilitators.data or []))
        db.session.commit()
        flash(_("The facilitators are saved."), "success")
    return redirect(url_for("workshops.manage", workshop_id=item.id))


@bp.route("/workshops/<int:workshop_id>/documents", methods=["POST"])
@redisplays_form
def add_document(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    form = forms.DocumentForm()
    if form.validate_on_submit():
        try:
            services.attach_document(current_user, item, form.document.data, form.kind.data, form.title.data or "")
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The document is added."), "success")
            return redirect(url_for("workshops.manage", workshop_id=item.id))
    facilitators_form = forms.FacilitatorsForm(formdata=None)
    facilitators_form.facilitators.choices = []
    return render_template(
        "workshops/manage.html", workshop=item, registrations=services.registrations_of(item),
        places_taken=services.places_taken(item), next_status=None, confirm_form=ConfirmForm(formdata=None),
        document_form=form, decision_form=forms.RegistrationDecisionForm(formdata=None),
        facilitators_form=facilitators_form, **_labels()), 400


@bp.route("/workshops/<int:workshop_id>/documents/<int:document_id>/remove", methods=["POST"])
def remove_document(workshop_id: int, document_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    doc = db.get_or_404(WorkshopDocument, document_id)
    if doc.workshop_id != item.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.remove_document(current_user, doc)
        db.session.commit()
        flash(_("The document is removed."), "success")
    return redirect(url_for("workshops.manage", workshop_id=item.id))


@bp.route("/workshops/<int:workshop_id>/room", methods=["GET", "POST"])
@redisplays_form
def in_the_room(workshop_id: int) -> Any:
    """Minutes written in the platform, and what was produced in the room."""
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    minutes_form = forms.MinutesForm(obj=item if request.method == "GET" else None,
                                     formdata=request.form if request.form.get("part") == "minutes" else None)
    record_form = forms.RoomRecordForm(formdata=request.form if request.form.get("part") == "record" else None)
    record_form.organisation_id.choices = [SelectChoice("", _("No organisation (the room as a whole)"))] + [
        SelectChoice(o.id, o.display_name) for o in services.registered_organisations(item)]
    if request.method == "POST":
        try:
            if request.form.get("part") == "minutes" and minutes_form.validate():
                services.save_minutes(current_user, item, {n: getattr(minutes_form, n).data or ""
                                                           for n in ("minutes_ar", "minutes_fr", "minutes_en")})
            elif request.form.get("part") == "record" and record_form.validate():
                services.record_in_room(current_user, item, organisation_id=record_form.organisation_id.data,
                                        kind=record_form.kind.data, title=record_form.title.data or "",
                                        body=record_form.body.data, language=record_form.language.data)
            else:
                raise _FormInvalid()
        except _FormInvalid:
            pass
        except DomainError as error:
            db.session.rollback()
            _show_error(record_form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("workshops.in_the_room", workshop_id=item.id))
    return render_template("workshops/room.html", workshop=item, minutes_form=minutes_form, record_form=record_form,
                           records=services.room_records(item), room_labels=ROOM_RECORD_LABELS, **_labels())


class _FormInvalid(Exception):
    pass


# --- registration --------------------------------------------------------------------------


def _acting_organisation() -> Any:
    return current_actor().organisation


@bp.route("/workshops/<int:workshop_id>/register", methods=["GET", "POST"])
@redisplays_form
def register(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    organisation = _acting_organisation()
    require(organisation is not None and can("workshops.register", (item, organisation)))
    form = forms.RegistrationForm()
    if form.validate_on_submit():
        try:
            registration = services.register(current_user, item, organisation, form.attendees.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            if registration.status == RegistrationStatus.WAITLISTED:
                flash(_("The workshop is full: your organisation is on the waiting list and will move up when a place frees."), "warning")
            else:
                flash(_("Your organisation is registered. The facilitator will confirm."), "success")
            return redirect(url_for("workshops.workshop", workshop_id=item.id))
    return render_template("workshops/register.html", form=form, workshop=item, organisation=organisation)


def _registration(workshop_id: int, registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    if registration.workshop_id != workshop_id:
        abort(404)
    return registration


@bp.route("/workshops/<int:workshop_id>/registrations/<int:registration_id>/withdraw", methods=["POST"])
def withdraw(workshop_id: int, registration_id: int) -> Any:
    registration = _registration(workshop_id, registration_id)
    from tadamon.membership import services as membership

    mine = membership.membership_of(current_user, registration.organisation)
    require(mine is not None and mine.is_representative)
    if ConfirmForm().validate_on_submit():
        try:
            services.withdraw(current_user, registration)
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("Your organisation's registration is withdrawn."), "success")
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id))


@bp.route("/workshops/<int:workshop_id>/registrations/<int:registration_id>/decide", methods=["POST"])
def decide_registration(workshop_id: int, registration_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    registration = _registration(workshop_id, registration_id)
    form = forms.RegistrationDecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_registration(current_user, registration, form.decision.data == "accept")
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The decision is recorded and the organisation is notified."), "success")
    return redirect(url_for("workshops.manage", workshop_id=item.id))


@bp.route("/workshops/<int:workshop_id>/attendance", methods=["GET", "POST"])
def attendance(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    form = ConfirmForm()
    registrations = [r for r in services.registrations_of(item) if r.status == RegistrationStatus.ACCEPTED]
    if form.validate_on_submit():
        marks = {}
        for registration in registrations:
            present = request.form.get(f"present-{registration.id}", type=int)
            marks[registration.id] = (request.form.get(f"attended-{registration.id}") == "y",
                                      max(0, min(present, 1000)) if present is not None else None)
        services.record_attendance(current_user, item, marks)
        db.session.commit()
        flash(_("The attendance is saved."), "success")
        return redirect(url_for("workshops.manage", workshop_id=item.id))
    return render_template("workshops/attendance.html", workshop=item, registrations=registrations, form=form)


# --- consultations -------------------------------------------------------------------------


def _consultation_data(form: forms.ConsultationForm) -> services.ConsultationData:
    def share(value: Any) -> float | None:
        return float(value) if value is not None else None

    return services.ConsultationData(
        **{name: getattr(form, name).data or "" for name in (
            "question_ar", "question_fr", "question_en", "description_ar", "description_fr", "description_en")},
        participation=form.participation.data or "all_members",
        proposals_open_at=forms.to_utc(form.proposals_open_at.data),
        deliberation_at=forms.to_utc(form.deliberation_at.data),
        voting_at=forms.to_utc(form.voting_at.data),
        closed_at=forms.to_utc(form.closed_at.data),
        amendments_allowed=bool(form.amendments_allowed.data),
        voting_method=form.voting_method.data or "",
        max_approvals=form.max_approvals.data,
        quorum=share(form.quorum.data),
        threshold=share(form.threshold.data),
        secret_ballots=bool(form.secret_ballots.data),
    )


def _prepare_consultation_form(form: forms.ConsultationForm) -> None:
    form.voting_method.choices = [SelectChoice(info.id, info.label) for info in voting_methods().values()]


def _consultation_page(form: forms.ConsultationForm, workshop: Workshop | None, consultation: Consultation | None) -> Any:
    return render_template("workshops/edit_consultation.html", form=form, workshop=workshop,
                           consultation=consultation, **_labels())


@bp.route("/workshops/<int:workshop_id>/consultations/new", methods=["GET", "POST"])
@redisplays_form
def new_consultation(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    return _save_consultation(item, None)


@bp.route("/consultations/new", methods=["GET", "POST"])
@redisplays_form
def new_national_consultation() -> Any:
    require(can_create_national_consultation(current_actor()))
    return _save_consultation(None, None)


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_consultation(consultation_id: int) -> Any:
    item = db.get_or_404(Consultation, consultation_id)
    require(can_manage_consultation(current_actor(), item))
    return _save_consultation(item.workshop, item)


def _save_consultation(workshop: Workshop | None, item: Consultation | None) -> Any:
    form = forms.ConsultationForm(obj=item if request.method == "GET" else None)
    _prepare_consultation_form(form)
    if request.method == "GET" and item is not None and not form.restored:
        for phase in ("proposals_open_at", "deliberation_at", "voting_at", "closed_at"):
            getattr(form, phase).data = forms.to_local(getattr(item, phase))
    if form.validate_on_submit():
        try:
            saved = services.save_consultation(current_user, item, workshop, _consultation_data(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The consultation is saved."), "success")
            return redirect(url_for("workshops.consultation", consultation_id=saved.id))
    return _consultation_page(form, workshop, item)


@bp.route("/consultations/<int:consultation_id>/move", methods=["POST"])
def move_phase(consultation_id: int) -> Any:
    item = db.get_or_404(Consultation, consultation_id)
    require(can_manage_consultation(current_actor(), item))
    if ConfirmForm().validate_on_submit():
        try:
            target = Phase(request.form.get("phase", ""))
            services.move_phase(current_user, item, target)
        except ValueError:
            flash(_("A consultation moves through its phases in order, one at a time."), "error")
        except DomainError as error:
            db.session.rollback()
            _show_error(None, error)
        else:
            db.session.commit()
            flash(_("The consultation is now in the phase: %(phase)s.", phase=PHASE_LABELS[item.current_phase]), "success")
    return redirect(url_for("workshops.consultation", consultation_id=item.id))


# --- dashboard and themes ------------------------------------------------------------------


@bp.route("/facilitation")
def dashboard() -> Any:
    require(can_see_dashboard(current_actor()))
    mine = services.workshops_of_facilitator(current_user)
    consultations = services.consultations_of_facilitator(current_user)
    counts = services.registration_counts([w.id for w in mine])
    from tadamon.core.hooks import dashboard_counters

    activity = dashboard_counters([c.id for c in consultations])
    return render_template("workshops/dashboard.html", workshops=mine, consultations=consultations,
                           counts=counts, activity=activity, next_phase=services.next_phase, **_labels())


@bp.route("/steering/themes", methods=["GET", "POST"])
@redisplays_form
def themes() -> Any:
    require(can_manage_themes(current_actor()))
    form = forms.ThemeForm()
    if form.validate_on_submit():
        return _save_theme(form, None) or redirect(url_for("workshops.themes"))
    return render_template("workshops/themes.html", form=form, themes=services.all_themes())


@bp.route("/steering/themes/<int:theme_id>", methods=["GET", "POST"])
@redisplays_form
def edit_theme(theme_id: int) -> Any:
    require(can_manage_themes(current_actor()))
    theme = db.get_or_404(Theme, theme_id)
    form = forms.ThemeForm(obj=theme if request.method == "GET" else None)
    if request.method == "GET":
        form.active.data = theme.is_active
    if form.validate_on_submit():
        return _save_theme(form, theme) or redirect(url_for("workshops.themes"))
    return render_template("workshops/edit_theme.html", form=form, theme=theme)


def _save_theme(form: forms.ThemeForm, theme: Theme | None) -> Any:
    texts = {name: getattr(form, name).data or "" for name in (
        "name_ar", "name_fr", "name_en", "description_ar", "description_fr", "description_en")}
    try:
        services.save_theme(current_user, theme, texts, bool(form.active.data))
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        template = "workshops/edit_theme.html" if theme else "workshops/themes.html"
        return render_template(template, form=form, theme=theme, themes=services.all_themes()), 400
    db.session.commit()
    flash(_("The theme is saved."), "success")
    return None
