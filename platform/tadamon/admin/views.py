"""Administration pages: users and roles; the audit log for admins and the steering group."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadamon.accounts import services as account_services
from tadamon.accounts.models import ERASED_NAME, User
from tadamon.admin import services
from tadamon.admin.forms import AuditFilterForm, UserRolesForm, UserSearchForm
from tadamon.admin.permissions import can_manage_users, can_view_audit_log
from tadamon.core.actor import current_actor
from tadamon.core.bidi import isolate
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.mail import OutboxMessage
from tadamon.core.permissions import Role, require
from tadamon.core.urls import page_arg
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

PER_PAGE = 25


@bp.app_template_filter("role_label")
def role_label(role: Role) -> str:
    return str(Role(role).label)


@bp.route("/users")
def users() -> Any:
    require(can_manage_users(current_actor()))
    form = UserSearchForm(request.args)
    form.validate()
    page = db.paginate(services.users_query(form.q.data, form.role.data or None),
                       page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", form=form, page=page, role_labels=Role.labels())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@redisplays_form
def edit_user(user_id: int) -> Any:
    require(can_manage_users(current_actor()))
    user = db.get_or_404(User, user_id)
    form = UserRolesForm()
    if request.method == "GET":
        form.show(user)
    if run_use_case(form, lambda: account_services.save_account(
            current_user, user, roles=form.selected_roles(), enabled=bool(form.enabled.data)),
            success=_("The account of %(name)s is saved.", name=isolate(user.display_name))):
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/edit_user.html", form=form, user=user)


@bp.route("/audit")
def audit_log() -> Any:
    require(can_view_audit_log(current_actor()))
    form = AuditFilterForm(request.args, object_types=services.audit_object_types())
    page = db.paginate(services.audit_query(**form.criteria()), page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("admin/audit_log.html", form=form, page=page,
                           erased=services.erased_people_in(page.items), erased_name=ERASED_NAME)


@bp.route("/mail")
def mail_queue() -> Any:
    """Outgoing email that failed or still waits, newest first, with the error it met."""
    require(can_manage_users(current_actor()))
    page = db.paginate(services.mail_problems_query(), page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/mail.html", page=page, counts=services.mail_counts(), form=ConfirmForm())


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
def retry_mail(message_id: int) -> Any:
    require(can_manage_users(current_actor()))
    message = db.get_or_404(OutboxMessage, message_id)
    run_use_case(ConfirmForm(), lambda: services.retry_mail(current_user, message),
                 success=_("The email is queued again."))
    return redirect(url_for("admin.mail_queue"))
