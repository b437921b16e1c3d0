"""Workshop and consultation pages: public lists and pages, calendars, registration,
the facilitators' tools and dashboard, and the steering group's themes.

Each view loads its object, authorises it (`_managed`, `_managed_consultation`), and changes
state only through `run_use_case`: one service call, one commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from tadamon.core import storage, times
from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.bidi import isolate
from tadamon.core.forms import ConfirmForm, edit_form, enum_choices, redisplays_form
from tadamon.core.hooks import consultation_notices, dashboard_counters, voting_methods
from tadamon.core.i18n import current_language
from tadamon.core.member_pages import hand_to_part, handed_to_part, register_part
from tadamon.core.permissions import require
from tadamon.core.uploads import MIMETYPES
from tadamon.core.urls import int_arg, page_arg
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db
from tadamon.membership.forms import region_choices
from tadamon.membership.regions import REGIONS, REGIONS_BY_CODE
from tadamon.workshops import attendance_sheet, calendars, forms, presentation, services
from tadamon.workshops.models import (
    PHASE_LABELS,
    PHASE_ORDER,
    REGISTRATION_STATUS_LABELS,
    WORKSHOP_STATUS_LABELS,
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopDocument,
    WorkshopFormat,
)
from tadamon.workshops.permissions import (
    can_assign_facilitators,
    can_create_national_consultation,
    can_create_workshop,
    can_manage_consultation,
    can_manage_themes,
    can_manage_workshop,
    can_print_attendance_sheet,
    can_reconsider_registration,
    can_register,
    can_see_dashboard,
    can_view_calendar,
    can_view_online_link,
    can_withdraw_registration,
    registration_refusal,
)

bp = Blueprint("workshops", __name__, template_folder="templates")
PER_PAGE = 20


def _managed(workshop_id: int) -> Workshop:
    """The workshop, if the current person manages it (else 404 or 403)."""
    item = db.get_or_404(Workshop, workshop_id)
    require(can_manage_workshop(current_actor(), item))
    return item


def _managed_consultation(consultation_id: int) -> Consultation:
    item = db.get_or_404(Consultation, consultation_id)
    require(can_manage_consultation(current_actor(), item))
    return item


def _to_manage(item: Workshop) -> Any:
    return redirect(url_for("workshops.manage", workshop_id=item.id))


def _known_format(value: str | None, default: str = "") -> str:
    return value if value in set(WorkshopFormat) else default


# --- public lists, pages and calendars -------------------------------------------------------


def _filter_form() -> forms.WorkshopFilterForm:
    form = forms.WorkshopFilterForm(request.args)
    form.theme.choices = forms.theme_choices(_("All themes"))
    form.region.choices = region_choices(_("All regions"))
    form.format.choices = enum_choices(WorkshopFormat, blank=_("All formats"))
    form.validate()
    return form


@bp.route("/workshops")
@public
def index() -> Any:
    form = _filter_form()
    query = services.workshops_query(
        when="past" if form.when.data == "past" else "upcoming", theme_id=int_arg("theme"),
        region=form.region.data if form.region.data in REGIONS_BY_CODE else "", fmt=_known_format(form.format.data))
    page = db.paginate(query, page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template("workshops/index.html", form=form, page=page,
                           counts=services.registration_counts([w.id for w in page.items]))


@bp.route("/workshops/<int:workshop_id>")
@public
def workshop(workshop_id: int) -> Any:
    # With its few facilitators in the same query: the page names them.
    item = db.first_or_404(select(Workshop).where(Workshop.id == workshop_id)
                           .options(joinedload(Workshop.facilitators)))
    actor = current_actor()
    consultations = [c for c in item.consultations
                     if c.current_phase is not Phase.DRAFT or can_manage_consultation(actor, c)]
    return render_template(
        "workshops/workshop.html", workshop=item, registration=services.registration_of(item, actor.organisation),
        acting=actor.organisation, records=services.room_records(item), places_taken=services.places_taken(item),
        consultations=consultations, confirm_form=ConfirmForm(formdata=None),
        registration_refusal=registration_refusal(actor, item, actor.organisation))


@bp.route("/workshops/<int:workshop_id>.ics")
@public
def workshop_ics(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    return _ics_response([item], f"workshop-{item.id}.ics")


@bp.route("/workshops/calendar.ics")
@public
def calendar_feed() -> Any:
    upcoming = db.session.scalars(services.workshops_query(when="upcoming").limit(500)).all()
    return _ics_response(list(upcoming), "tadamon-workshops.ics")


def _calendar_language() -> str:
    """`?lang=` first: a calendar server that subscribes sends no cookie and no useful
    Accept-Language, so the address itself carries the language (pages link with it)."""
    asked = request.args.get("lang", "")
    return asked if asked in current_app.config["LANGUAGES"] else current_language()


def _ics_response(workshops: list[Workshop], filename: str) -> Response:
    actor = current_actor()
    body = calendars.calendar_for(workshops, language=_calendar_language(),
                                  shows_online_link=lambda workshop: can_view_online_link(actor, workshop))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/workshops/<int:workshop_id>/documents/<int:document_id>")
@public
def document(workshop_id: int, document_id: int) -> Any:
    item = db.get_or_404(WorkshopDocument, document_id)
    if item.workshop_id != workshop_id:
        abort(404)
    response = storage.send(services.document_key(item), mimetype=MIMETYPES.get(item.file_type, "application/octet-stream"),
                            download_name=f"{item.kind}-{item.id}.{item.file_type}", max_age=0)
    if response is None:
        abort(404)
    return response


@bp.route("/consultations/<int:consultation_id>")
@public
def consultation(consultation_id: int) -> Any:
    item = db.get_or_404(Consultation, consultation_id)
    if item.current_phase is Phase.DRAFT and not can_manage_consultation(current_actor(), item):
        abort(404)
    hand_to_part("workshops.consultation_notices", consultation_notices(current_actor(), item))
    return render_template("workshops/consultation.html", consultation=item, phase_order=PHASE_ORDER,
                           next_phase=services.next_phase(item))


def _notices_part() -> Markup:
    """What the consultation page tells the reader's organisation (why it cannot vote, say):
    each reader's own, the rest of the page kept per audience (core.member_pages)."""
    def read() -> list[Any]:
        item = db.session.get(Consultation, (request.view_args or {}).get("consultation_id"))
        return consultation_notices(current_actor(), item) if item is not None else []

    notices = handed_to_part("workshops.consultation_notices", read)
    template = current_app.jinja_env.get_template("workshops/_consultation_notices.html")
    return Markup(template.render(notices=notices))  # noqa: S704 - a template's output


def _notices_audience() -> tuple[Any, ...] | None:
    """Whom the notices are the same for: this person (their roles) acting for this
    organisation, on this consultation."""
    actor = current_actor()
    return ("person", actor.id, actor.organisation.id if actor.organisation else None,
            (request.view_args or {}).get("consultation_id"))


register_part("workshops.consultation_notices", _notices_part, audience=_notices_audience)


@bp.route("/steering/calendar")
def month_view() -> Any:
    require(can_view_calendar(current_actor()))
    zone = times.zone(times.reader_zone())
    today = datetime.now(zone).date()
    year = int_arg("year", today.year, low=1900, high=2100) or today.year
    month = int_arg("month", today.month, low=1, high=12) or today.month
    workshops = services.workshops_between(*calendars.month_bounds(year, month, zone))
    return render_template("workshops/calendar.html", month=calendars.month_of(year, month, zone, workshops))


# --- creating and running workshops --------------------------------------------------------


def _workshop_data(form: forms.WorkshopForm) -> services.WorkshopData:
    return services.WorkshopData(
        **{name: getattr(form, name).data or "" for name in (
            "title_ar", "title_fr", "title_en", "description_ar", "description_fr", "description_en",
            "venue", "address", "online_link")},
        theme_id=form.theme_id.data or None,
        is_national=form.scope.data != "regional",
        regions=list(form.regions.data or []),
        format=WorkshopFormat(_known_format(form.format.data, WorkshopFormat.IN_PERSON)),
        starts_at=forms.to_utc(form.starts_at.data),
        ends_at=forms.to_utc(form.ends_at.data),
        capacity=form.capacity.data,
    )


def _workshop_form(item: Workshop | None) -> forms.WorkshopForm:
    """The workshop form with its choices; on a first GET of an existing workshop, its values."""
    first_view = item is not None and request.method == "GET"
    form = forms.WorkshopForm(obj=item if first_view else None)
    form.theme_id.choices = forms.theme_choices(_("Choose a theme"))
    form.regions.choices = [SelectChoice(region.code, region.name()) for region in REGIONS]
    if item is not None and first_view and not form.restored:
        form.scope.data = "national" if item.is_national else "regional"
        form.regions.data = item.region_codes
        form.starts_at.data = forms.to_local(item.starts_at)
        form.ends_at.data = forms.to_local(item.ends_at)
    return form


@bp.route("/workshops/new", methods=["GET", "POST"])
@redisplays_form
def new_workshop() -> Any:
    require(can_create_workshop(current_actor()))
    form = _workshop_form(None)
    done = run_use_case(form, lambda: services.create_workshop(current_user, _workshop_data(form)),
                        success=_("The workshop is created. Open its registration when you are ready."))
    if done and done.value is not None:
        return _to_manage(done.value)
    return render_template("workshops/edit_workshop.html", form=form, workshop=None)


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_workshop(workshop_id: int) -> Any:
    item = _managed(workshop_id)
    form = _workshop_form(item)
    if run_use_case(form, lambda: services.update_workshop(current_user, item, _workshop_data(form)),
                    success=_("The workshop is saved.")):
        return _to_manage(item)
    return render_template("workshops/edit_workshop.html", form=form, workshop=item)


def _manage_page(item: Workshop, document_form: forms.DocumentForm | None = None) -> str:
    facilitators_form = forms.FacilitatorsForm(formdata=None)
    facilitators_form.facilitators.choices = [
        SelectChoice(u.id, u.display_name) for u in services.facilitator_candidates()]
    facilitators_form.facilitators.data = [u.id for u in item.facilitators]
    registrations = services.registrations_of(item)
    return render_template(
        "workshops/manage.html", workshop=item, registrations=registrations,
        any_decidable=any(r.is_decidable for r in registrations),
        places_taken=services.places_taken(item), next_status=item.next_status,
        confirm_form=ConfirmForm(formdata=None), document_form=document_form or forms.DocumentForm(formdata=None),
        decisions_form=forms.BulkDecisionForm(formdata=None), facilitators_form=facilitators_form)


@bp.route("/workshops/<int:workshop_id>/manage", methods=["GET"])
def manage(workshop_id: int) -> Any:
    return _manage_page(_managed(workshop_id))


@bp.route("/workshops/<int:workshop_id>/status", methods=["POST"])
def move_status(workshop_id: int) -> Any:
    item = _managed(workshop_id)
    form = forms.StatusForm()
    run_use_case(form, lambda: services.move_workshop_status(current_user, item, form.status.data),
                 success=lambda _done: _("The workshop is now: %(status)s.",
                                         status=WORKSHOP_STATUS_LABELS[item.workshop_status]))
    return _to_manage(item)


@bp.route("/workshops/<int:workshop_id>/facilitators", methods=["POST"])
def set_facilitators(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    require(can_assign_facilitators(current_actor()))
    form = forms.FacilitatorsForm()
    run_use_case(form, lambda: services.set_facilitators(current_user, item, list(form.facilitators.data or [])),
                 success=_("The facilitators are saved."))
    return _to_manage(item)


@bp.route("/workshops/<int:workshop_id>/documents", methods=["POST"])
@redisplays_form
def add_document(workshop_id: int) -> Any:
    item = _managed(workshop_id)
    form = forms.DocumentForm()
    if run_use_case(form, lambda: services.attach_document(current_user, item, form.document.data, form.kind.data,
                                                           form.title.data or ""),
                    success=_("The document is added.")):
        return _to_manage(item)
    return _manage_page(item, document_form=form), 400


@bp.route("/workshops/<int:workshop_id>/documents/<int:document_id>/remove", methods=["POST"])
def remove_document(workshop_id: int, document_id: int) -> Any:
    item = _managed(workshop_id)
    doc = db.get_or_404(WorkshopDocument, document_id)
    if doc.workshop_id != item.id:
        abort(404)
    run_use_case(ConfirmForm(), lambda: services.remove_document(current_user, doc),
                 success=_("The document is removed."))
    return _to_manage(item)


def _record_form(item: Workshop, part: str | None) -> forms.RoomRecordForm:
    form = forms.RoomRecordForm(formdata=request.form if part == "record" else None)
    form.organisation_id.choices = [SelectChoice("", _("No organisation (the room as a whole)"))] + [
        SelectChoice(o.id, o.display_name) for o in services.registered_organisations(item)]
    return form


def _save_in_room(item: Workshop, part: str | None, minutes: forms.MinutesForm, record: forms.RoomRecordForm) -> bool:
    """Saves the part of the room page that was posted: the minutes, or a record."""
    if part == "minutes":
        texts = {name: getattr(minutes, name).data or "" for name in ("minutes_ar", "minutes_fr", "minutes_en")}
        return bool(run_use_case(minutes, lambda: services.save_minutes(current_user, item, texts), success=_("Saved.")))
    if part == "record":
        return bool(run_use_case(record, lambda: services.record_in_room(
            current_user, item, organisation_id=record.organisation_id.data, kind=record.kind.data,
            title=record.title.data or "", body=record.body.data, language=record.language.data), success=_("Saved.")))
    return False


@bp.route("/workshops/<int:workshop_id>/room", methods=["GET", "POST"])
@redisplays_form
def in_the_room(workshop_id: int) -> Any:
    """Minutes written in the platform, and what was produced in the room."""
    item = _managed(workshop_id)
    part = request.form.get("part")
    minutes_form = forms.MinutesForm(obj=item if request.method == "GET" else None,
                                     formdata=request.form if part == "minutes" else None)
    record_form = _record_form(item, part)
    if _save_in_room(item, part, minutes_form, record_form):
        return redirect(url_for("workshops.in_the_room", workshop_id=item.id))
    return render_template("workshops/room.html", workshop=item, minutes_form=minutes_form, record_form=record_form,
                           records=services.room_records(item))


# --- registration --------------------------------------------------------------------------


def _registration_message(registration: Registration) -> tuple[str, str]:
    if registration.registration_status is RegistrationStatus.WAITLISTED:
        return (_("The workshop is full: your organisation is on the waiting list and will move up when a place "
                  "frees."), "warning")
    return _("Your organisation is registered. The facilitator will confirm."), "success"


@bp.route("/workshops/<int:workshop_id>/register", methods=["GET", "POST"])
@redisplays_form
def register(workshop_id: int) -> Any:
    item = db.get_or_404(Workshop, workshop_id)
    organisation = current_actor().organisation
    require(organisation is not None and can_register(current_actor(), (item, organisation)))
    form = forms.RegistrationForm()
    done = run_use_case(form, lambda: services.register(current_user, item, organisation, form.attendees.data))
    if done and done.value is not None:
        flash(*_registration_message(done.value))
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
    require(can_withdraw_registration(current_actor(), registration))
    run_use_case(ConfirmForm(), lambda: services.withdraw(current_user, registration),
                 success=_("Your organisation's registration is withdrawn."))
    return redirect(url_for("workshops.workshop", workshop_id=workshop_id))


@bp.route("/workshops/<int:workshop_id>/registrations/<int:registration_id>/decide", methods=["POST"])
def decide_registration(workshop_id: int, registration_id: int) -> Any:
    item = _managed(workshop_id)
    registration = _registration(workshop_id, registration_id)
    form = forms.RegistrationDecisionForm()
    run_use_case(form, lambda: services.decide_registration(current_user, registration, form.decision.data == "accept"),
                 success=_("The decision is recorded and the organisation is notified."))
    return _to_manage(item)


def _decided(outcome: services.Decisions) -> str:
    for registration, reason in outcome.refused:
        flash(_("Not decided for %(organisation)s: %(reason)s",
                organisation=isolate(registration.organisation.local_name), reason=reason), "warning")
    return ngettext("%(num)d decision is recorded and the organisation is notified.",
                    "%(num)d decisions are recorded and each organisation is notified.", len(outcome.decided))


@bp.route("/workshops/<int:workshop_id>/registrations/decide", methods=["POST"])
def decide_registrations(workshop_id: int) -> Any:
    """The registrations ticked in the table, accepted or declined at once: each through the
    same service as a single decision (its own audit entry, its own notification)."""
    item = _managed(workshop_id)
    decidable = [r for r in services.registrations_of(item) if r.is_decidable]
    form = forms.BulkDecisionForm()
    form.registrations.choices = [SelectChoice(r.id, r.organisation.display_name) for r in decidable]

    def chosen() -> list[Registration]:
        ticked = set(form.registrations.data or [])
        return [r for r in decidable if r.id in ticked]

    done = run_use_case(form, lambda: services.decide_registrations(current_user, chosen(),
                                                                    form.decision.data == "accept"),
                        success=_decided)
    if not done and done.error is None and form.is_submitted():
        problems = [message for field in (form.registrations, form.decision) for message in field.errors]
        flash(str(problems[0]) if problems else _("The page had expired. Please try again."), "error")
    return _to_manage(item)


@bp.route("/workshops/<int:workshop_id>/registrations/<int:registration_id>/reconsider", methods=["GET", "POST"])
@redisplays_form
def reconsider_registration(workshop_id: int, registration_id: int) -> Any:
    """Undo a decline: what will happen, said before it is done; then back to the registrations."""
    item = db.get_or_404(Workshop, workshop_id)
    registration = _registration(workshop_id, registration_id)
    require(can_reconsider_registration(current_actor(), registration))
    if registration.registration_status is not RegistrationStatus.DECLINED:
        flash(_("Only a declined registration can be reconsidered."), "info")
        return _to_manage(item)
    form = forms.ReconsiderForm()
    done = run_use_case(form, lambda: services.reconsider_registration(current_user, registration,
                                                                       form.decision.data == "accept"),
                        success=lambda r: _("The registration of %(organisation)s is now: %(status)s. "
                                            "The organisation is notified.",
                                            organisation=isolate(r.organisation.local_name),
                                            status=REGISTRATION_STATUS_LABELS[r.registration_status]))
    if done:
        return _to_manage(item)
    return render_template("workshops/reconsider.html", form=form, workshop=item, registration=registration,
                           places_taken=services.places_taken(item))


@bp.route("/workshops/<int:workshop_id>/attendance-sheet.<any(pdf, csv):file_format>")
def attendance_sheet_file(workshop_id: int, file_format: str) -> Any:
    """The sheet to sign in the room (PDF), or the same rows for a spreadsheet (CSV)."""
    item = db.get_or_404(Workshop, workshop_id)
    require(can_print_attendance_sheet(current_actor(), item))
    registrations = services.attending(item)
    # Names of people leave the platform: the audit log says who took them, and when.
    run_use_case(None, lambda: services.record_sheet_export(current_user, item, file_format))
    if file_format == "pdf":
        body, media_type = attendance_sheet.render_pdf(item, registrations), "application/pdf"
    else:
        body, media_type = attendance_sheet.render_csv(item, registrations), "text/csv"
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{attendance_sheet.filename(item, file_format)}"'
    return response


def _attendance_marks(form: MultiDict[str, str], registrations: list[Registration]) -> dict[int, tuple[bool, int | None]]:
    """Who came (`attended-<id>`) and how many people (`present-<id>`, kept within 0–1000)."""
    marks = {}
    for registration in registrations:
        present = form.get(f"present-{registration.id}", type=int)
        marks[registration.id] = (form.get(f"attended-{registration.id}") == "y",
                                  max(0, min(present, 1000)) if present is not None else None)
    return marks


@bp.route("/workshops/<int:workshop_id>/attendance", methods=["GET", "POST"])
def attendance(workshop_id: int) -> Any:
    item = _managed(workshop_id)
    form = ConfirmForm()
    accepted = [r for r in services.registrations_of(item) if r.registration_status is RegistrationStatus.ACCEPTED]
    if run_use_case(form, lambda: services.record_attendance(current_user, item, _attendance_marks(request.form, accepted)),
                    success=_("The attendance is saved.")):
        return _to_manage(item)
    return render_template("workshops/attendance.html", workshop=item, registrations=accepted, form=form)


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


def _consultation_form(item: Consultation | None) -> forms.ConsultationForm:
    form = edit_form(forms.ConsultationForm, item)
    form.voting_method.choices = [SelectChoice(info.id, info.label) for info in voting_methods().values()]
    if request.method == "GET" and item is not None and not form.restored:
        for phase in ("proposals_open_at", "deliberation_at", "voting_at", "closed_at"):
            getattr(form, phase).data = forms.to_local(getattr(item, phase))
    return form


@bp.route("/workshops/<int:workshop_id>/consultations/new", methods=["GET", "POST"])
@redisplays_form
def new_consultation(workshop_id: int) -> Any:
    return _save_consultation(_managed(workshop_id), None)


@bp.route("/consultations/new", methods=["GET", "POST"])
@redisplays_form
def new_national_consultation() -> Any:
    require(can_create_national_consultation(current_actor()))
    return _save_consultation(None, None)


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@redisplays_form
def edit_consultation(consultation_id: int) -> Any:
    item = _managed_consultation(consultation_id)
    return _save_consultation(item.workshop, item)


def _save_consultation(workshop: Workshop | None, item: Consultation | None) -> Any:
    form = _consultation_form(item)
    done = run_use_case(form, lambda: services.save_consultation(current_user, item, workshop, _consultation_data(form)),
                        success=_("The consultation is saved."))
    if done and done.value is not None:
        return redirect(url_for("workshops.consultation", consultation_id=done.value.id))
    return render_template("workshops/edit_consultation.html", form=form, workshop=workshop, consultation=item)


@bp.route("/consultations/<int:consultation_id>/move", methods=["GET", "POST"])
def move_phase(consultation_id: int) -> Any:
    """GET: what the move does, in plain words (who is notified, what becomes final), and the
    button; POST: the move. A page asked for another phase than the next one sends back."""
    item = _managed_consultation(consultation_id)
    back = url_for("workshops.consultation", consultation_id=item.id)
    if request.method == "POST":
        target = forms.phase_or_none(request.form.get("phase"))
        run_use_case(ConfirmForm(), lambda: services.move_phase(current_user, item, target),
                     success=lambda _done: _("The consultation is now in the phase: %(phase)s.",
                                             phase=PHASE_LABELS[item.current_phase]))
        return redirect(back)
    upcoming = services.next_phase(item)
    asked = forms.phase_or_none(request.args.get("phase")) or upcoming
    if upcoming is None or asked is not upcoming:
        flash(_("This consultation is no longer where that page left it: here is where it stands now."), "info")
        return redirect(back)
    return render_template("workshops/move_phase.html", consultation=item, target=upcoming, form=ConfirmForm(),
                           effects=presentation.MOVE_EFFECTS.get(upcoming, ()),
                           submit=presentation.move_button(upcoming), cancel_url=back,
                           notified=len(services.participant_representatives_of(item)),
                           scheduled=item.scheduled_at(upcoming))


# --- dashboard and themes ------------------------------------------------------------------


@bp.route("/facilitation")
def dashboard() -> Any:
    require(can_see_dashboard(current_actor()))
    mine = services.workshops_of_facilitator(current_user)
    consultations = services.consultations_of_facilitator(current_user)
    return render_template("workshops/dashboard.html", workshops=mine, consultations=consultations,
                           counts=services.registration_counts([w.id for w in mine]),
                           activity=dashboard_counters([c.id for c in consultations]), next_phase=services.next_phase)


@bp.route("/steering/themes", methods=["GET", "POST"])
@redisplays_form
def themes() -> Any:
    require(can_manage_themes(current_actor()))
    return _save_theme(forms.ThemeForm(), None)


@bp.route("/steering/themes/<int:theme_id>", methods=["GET", "POST"])
@redisplays_form
def edit_theme(theme_id: int) -> Any:
    require(can_manage_themes(current_actor()))
    theme = db.get_or_404(Theme, theme_id)
    form = edit_form(forms.ThemeForm, theme, active=theme.is_active)
    return _save_theme(form, theme)


def _save_theme(form: forms.ThemeForm, theme: Theme | None) -> Any:
    texts = {name: getattr(form, name).data or "" for name in (
        "name_ar", "name_fr", "name_en", "description_ar", "description_fr", "description_en")}
    done = run_use_case(form, lambda: services.save_theme(current_user, theme, texts, bool(form.active.data)),
                        success=_("The theme is saved."))
    if done:
        return redirect(url_for("workshops.themes"))
    template = "workshops/edit_theme.html" if theme else "workshops/themes.html"
    page = render_template(template, form=form, theme=theme, themes=services.all_themes())
    return (page, 400) if done.error else page

