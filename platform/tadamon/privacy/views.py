"""Privacy pages: my data (ask, follow, download), delete my account, an organisation's data
and erasure, and the administrators' register of requests."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from tadamon.core import stash
from tadamon.core.actor import current_actor
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.i18n import current_language
from tadamon.core.permissions import require
from tadamon.core.storage import send
from tadamon.core.urls import page_arg
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.privacy import forms, services
from tadamon.privacy.models import (
    ANSWER_WITHIN,
    KIND_LABELS,
    STATE_LABELS,
    DataRequest,
    RequestKind,
)
from tadamon.privacy.permissions import (
    can_delete_own_account,
    can_follow_request,
    can_process_requests,
    can_request_organisation_data,
    can_request_own_data,
)

bp = Blueprint("privacy", __name__, template_folder="templates")

PER_PAGE = 25


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS,
            "answer_days": ANSWER_WITHIN.days, "export_days": services.export_lifetime().days}


def _own_request(request_id: int) -> DataRequest:
    """The request, for its requester only: anyone else gets a 404, as if it did not exist."""
    item = db.session.get(DataRequest, request_id)
    if item is None or not can_follow_request(current_actor(), item):
        abort(404)
    return item


def _start(item: DataRequest) -> Any:
    services.start(item)
    return redirect(url_for("privacy.request_status", request_id=item.id))


# --- my data ---------------------------------------------------------------------------------


@bp.route("/account/data")
def my_data() -> Any:
    require(can_request_own_data(current_actor()))
    from tadamon.membership.services import organisations_of

    represented = [o for o in organisations_of(current_user)
                   if can_request_organisation_data(current_actor(), o)]
    return render_template("privacy/my_data.html", requests=services.requests_of(current_user),
                           form=ConfirmForm(formdata=None), represented=represented)


@bp.route("/account/data/request", methods=["POST"])
def request_my_data() -> Any:
    require(can_request_own_data(current_actor()))
    asked = run_use_case(ConfirmForm(), lambda: services.request_export(current_user, current_language()))
    if not asked.value:
        return redirect(url_for("privacy.my_data"))
    return _start(asked.value)


@bp.route("/account/data/<int:request_id>")
def request_status(request_id: int) -> Any:
    item = _own_request(request_id)
    return render_template("privacy/status.html", item=item)


@bp.route("/account/data/<int:request_id>/download")
def download(request_id: int) -> Any:
    item = _own_request(request_id)
    if not item.is_ready or item.file_key is None:
        abort(404)
    key, name = item.file_key, item.file_name
    run_use_case(None, lambda: services.record_download(current_user, item))
    response = send(key, mimetype="application/zip", download_name=name)
    if response is None:
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- delete my account -----------------------------------------------------------------------


@bp.route("/account/delete", methods=["GET", "POST"])
@redisplays_form
def delete_account() -> Any:
    require(can_delete_own_account(current_actor()))
    form = forms.DeleteAccountForm()
    user = current_user._get_current_object()
    blocking = services.organisations_left_without_representative(user)
    done = run_use_case(form, lambda: services.erase_account(
        user, password=form.password.data, code=form.code.data or "",
        stash_tokens=[session.get(stash.SESSION_KEY) or ""]))
    if done:
        logout_user()
        session.clear()
        flash(_("Your account is deleted. Thank you for taking part."), "success")
        return redirect(url_for("core.home"))
    return render_template("privacy/delete_account.html", form=form, blocking=blocking,
                           two_factor=user.two_factor_enabled), 400 if request.method == "POST" else 200


# --- an organisation's data ------------------------------------------------------------------


def _represented(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    require(can_request_organisation_data(current_actor(), organisation))
    return organisation


@bp.route("/organisations/<int:organisation_id>/data")
def organisation_data(organisation_id: int) -> Any:
    organisation = _represented(organisation_id)
    return render_template("privacy/organisation_data.html", organisation=organisation,
                           requests=services.requests_of(current_user, organisation), form=ConfirmForm(formdata=None))


@bp.route("/organisations/<int:organisation_id>/data/request", methods=["POST"])
def request_organisation_data(organisation_id: int) -> Any:
    organisation = _represented(organisation_id)
    asked = run_use_case(ConfirmForm(), lambda: services.request_export(
        current_user, current_language(), organisation))
    if not asked.value:
        return redirect(url_for("privacy.organisation_data", organisation_id=organisation.id))
    return _start(asked.value)


@bp.route("/organisations/<int:organisation_id>/data/erasure", methods=["POST"])
def request_organisation_erasure(organisation_id: int) -> Any:
    organisation = _represented(organisation_id)
    run_use_case(ConfirmForm(), lambda: services.request_organisation_erasure(
        current_user, organisation, current_language()),
        success=_("Your request is recorded. The administrators answer within 30 days."))
    return redirect(url_for("privacy.organisation_data", organisation_id=organisation.id))


# --- the administrators' register ----------------------------------------------------------


@bp.route("/admin/data-requests")
def register() -> Any:
    require(can_process_requests(current_actor()))
    shown = request.args.get("state", "")
    shown = shown if shown in ("open", "overdue") else ""
    page = db.paginate(services.register_query(shown), page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template("privacy/register.html", page=page, counts=services.register_counts(), shown=shown,
                           form=ConfirmForm(formdata=None), erasure=RequestKind.ORGANISATION_ERASURE)


@bp.route("/admin/data-requests/<int:request_id>/process", methods=["POST"])
def process(request_id: int) -> Any:
    require(can_process_requests(current_actor()))
    item = db.get_or_404(DataRequest, request_id)
    if run_use_case(ConfirmForm(), lambda: services.process_request(current_user, item),
                    success=_("The request is processed.")) and item.request_kind is not RequestKind.ORGANISATION_ERASURE:
        services.start(item)
    return redirect(url_for("privacy.register"))


@bp.route("/admin/data-requests/<int:request_id>/refuse", methods=["GET", "POST"])
@redisplays_form
def refuse(request_id: int) -> Any:
    require(can_process_requests(current_actor()))
    item = db.get_or_404(DataRequest, request_id)
    form = forms.RefuseForm()
    if run_use_case(form, lambda: services.refuse_request(current_user, item, form.reason.data),
                    success=_("The request is refused; the requester can read why.")):
        return redirect(url_for("privacy.register"))
    return render_template("privacy/refuse.html", form=form, item=item), 400 if request.method == "POST" else 200
