"""Pages that belong to no feature: home, language switch, privacy notice, health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select, text
from werkzeug.wrappers import Response

from tadamon.core.auth import public
from tadamon.core.hooks import home_sections, run_on_language_chosen
from tadamon.core.i18n import LOCALE_COOKIE
from tadamon.core.mail import OutboxMessage
from tadamon.core.urls import safe_next
from tadamon.core.use_case import run_use_case
from tadamon.extensions import csrf, db

bp = Blueprint("core", __name__)
dev_bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.route("/")
@public
def home() -> Any:
    """The network's life (open consultations, workshops, results, the plan) and, for a
    logged-in person, what needs them first: every block comes from a feature module's hook."""
    from tadamon.core.actor import current_actor

    sections = home_sections(current_actor())
    return render_template("core/home.html", attention=[s for s in sections if s.attention],
                           network=[s for s in sections if not s.attention])


@bp.route("/privacy")
@public
def privacy() -> Any:
    return render_template("core/privacy.html")


@bp.route("/language", methods=["POST"])
@public
def set_language() -> Any:
    """Remembers the chosen language: on the account, and in a cookie for visitors.

    A language switch carries no secret and changes nothing shared, but it is still a
    POST with a CSRF token like every other change.
    """
    language = request.form.get("language", "")
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("core.home"))))
    if language in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            run_use_case(None, lambda: run_on_language_chosen(current_user, language))
        _remember_language(response, language)
    return response


def _remember_language(response: Response, language: str) -> None:
    """For a year, in a cookie: visitors have no account to keep it on."""
    response.set_cookie(
        LOCALE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
    )


@bp.route("/healthz")
@public
@csrf.exempt
def health() -> Any:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@dev_bp.before_request
def _only_administrators() -> None:
    """The outbox holds live links (verification, reset, invitations) and receipts: it exists
    only where SHOW_OUTBOX_PAGE=1 turned it on, and only administrators see it. The address a
    request comes from is no proof (behind a proxy on the same machine, everyone is 127.0.0.1)."""
    from flask import abort

    from tadamon.core.permissions import Role, has_role

    if not has_role(current_user, Role.ADMIN):
        abort(404)


@dev_bp.route("/outbox")
def outbox() -> Any:
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    return render_template("core/outbox.html", messages=messages)


@dev_bp.route("/outbox/<int:message_id>")
def outbox_message(message_id: int) -> Any:
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("core/outbox_message.html", message=message)


@bp.route("/notifications", methods=["GET", "POST"])
def notifications() -> Any:
    from tadamon.core import notifications as notes
    from tadamon.core.forms import ConfirmForm

    form = ConfirmForm()
    if run_use_case(form, lambda: notes.mark_all_read(current_user)):
        return redirect(url_for("core.notifications"))
    return render_template("core/notifications.html", items=notes.recent(current_user), form=form)
