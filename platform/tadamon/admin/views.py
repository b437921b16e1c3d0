"""Administration pages: users and roles; the audit log for admins and the steering group."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from tadamon.accounts import services as account_services
from tadamon.accounts.models import User
from tadamon.admin import services
from tadamon.admin.forms import ROLE_LABELS, AuditFilterForm, UserRolesForm, UserSearchForm
from tadamon.admin.permissions import can_manage_users, can_view_audit_log
from tadamon.core.actor import current_actor
from tadamon.core.audit import AuditEntry
from tadamon.core.errors_domain import DomainError
from tadamon.core.forms import redisplays_form
from tadamon.core.permissions import Role, require
from tadamon.core.urls import page_arg
from tadamon.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.app_template_filter("role_label")
def role_label(role: Role) -> str:
    return str(ROLE_LABELS.get(Role(role), role))

PER_PAGE = 25


def _page() -> int:
    return page_arg()


@bp.route("/users")
def users() -> Any:
    require(can_manage_users(current_actor()))
    form = UserSearchForm(request.args)
    form.role.choices = [SelectChoice("", _("Any role"))] + [
        SelectChoice(role.value, ROLE_LABELS[role]) for role in Role
    ]
    form.validate()
    page = db.paginate(
        services.users_query(form.q.data, form.role.data or None),
        page=_page(), per_page=PER_PAGE, error_out=False,
    )
    return render_template("admin/users.html", form=form, page=page, role_labels=ROLE_LABELS)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@redisplays_form
def edit_user(user_id: int) -> Any:
    require(can_manage_users(current_actor()))
    user = db.get_or_404(User, user_id)
    form = UserRolesForm()
    if request.method == "GET":
        for role in Role:
            getattr(form, role.value).data = user.has_role(role)
        form.enabled.data = user.is_enabled
    if form.validate_on_submit():
        try:
            account_services.set_roles(current_user, user, form.selected_roles())
            account_services.set_enabled(current_user, user, form.enabled.data)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The account of %(name)s is saved.", name=user.display_name), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/edit_user.html", form=form, user=user)


@bp.route("/audit")
def audit_log() -> Any:
    require(can_view_audit_log(current_actor()))
    form = AuditFilterForm(request.args)
    object_types = db.session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    form.object_type.choices = [SelectChoice("", _("Any object"))] + [
        SelectChoice(kind, kind) for kind in object_types
    ]
    valid = form.validate()
    query = services.audit_query(
        action=form.action.data if valid else None,
        actor=form.actor.data if valid else None,
        object_type=form.object_type.data or None if valid else None,
        since=form.since.data if valid else None,
        until=form.until.data if valid else None,
    )
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/audit_log.html", form=form, page=page)
