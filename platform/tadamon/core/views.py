"""Pages that belong to no feature: home, language switch, privacy notice, health check."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from tadamon.core.auth import public
from tadamon.core.forms import redisplays_form
from tadamon.core.hooks import home_sections, run_on_language_chosen
from tadamon.core.i18n import LOCALE_COOKIE
from tadamon.core.mail import OutboxMessage
from tadamon.core.member_pages import hand_to_part, handed_to_part, register_part
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
    hand_to_part("core.attention", [section for section in sections if section.attention])
    return render_template("core/home.html", network=[section for section in sections if not section.attention])


def attention_part() -> Markup:
    """The home page's "what needs you" blocks: the reader's own, written apart from the
    network's blocks, which every member reads alike (the page is kept per audience,
    core.member_pages). Within the request that rendered the page, its sections are reused."""
    from tadamon.core.actor import current_actor

    attention = handed_to_part("core.attention", lambda: [section for section in home_sections(current_actor())
                                                           if section.attention])
    return Markup(render_template("core/_attention.html", attention=attention))  # noqa: S704 - a template's output


def attention_audience() -> tuple[Any, ...] | None:
    """Whom the blocks are the same for: this person acting for this organisation, in this
    time zone (the blocks read the person's e-mail address and roles, the organisation's
    registrations, drafts and votes, and write dates in the reader's zone); the language and
    the content version are part of every kept part's key."""
    from flask_babel import get_timezone

    from tadamon.core.actor import current_actor

    actor = current_actor()
    if not actor.is_authenticated:
        return None
    return ("person", actor.user.id, actor.organisation.id if actor.organisation else None, str(get_timezone()))


def welcome_part() -> Markup:
    """The greeting and the link to the reader's drafts: their own, and cheap to write."""
    return Markup(render_template("core/_welcome.html"))  # noqa: S704 - a template's output


# Kept per person and organisation: each module's blocks cost a query, four to five in all.
register_part("core.attention", attention_part, audience=attention_audience)
register_part("core.welcome", welcome_part)


@bp.route("/privacy")
@public
def privacy() -> Any:
    return render_template("core/privacy.html")


@bp.route("/language", methods=["GET", "POST"])
@public
def set_language() -> Any:
    """Remembers the chosen language: on the account, and in a cookie for visitors.

    A logged-in person switches with a POST and its CSRF token, like every other change (it
    changes the account). A visitor switches with a GET form: its only effect is the browser's
    own language cookie, what following a link to the page in another language would give, so
    a forged link can at most change the language a visitor reads in. A visitor's page thus
    holds no per-visitor token and can be cached and shared whole (core.page_cache). A GET
    never changes an account.
    """
    values = request.form if request.method == "POST" else request.args
    language = values.get("language", "")
    response = make_response(redirect(safe_next(values.get("next"), url_for("core.home"))))
    if language in current_app.config["LANGUAGES"]:
        if request.method == "POST" and current_user.is_authenticated:
            run_use_case(None, lambda: run_on_language_chosen(current_user, language))
        _remember_language(response, language)
    response.headers["Cache-Control"] = "no-store"  # a redirect that sets a cookie: never kept
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
    """For the load balancer: 200 when every component this instance needs answers, else 503
    naming the one that does not (core/health.py)."""
    from tadamon.core.health import health_checks

    checks = health_checks()
    healthy = all(check["ok"] for check in checks.values())
    response = make_response({"status": "ok" if healthy else "fail", "checks": checks}, 200 if healthy else 503)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
@public
@csrf.exempt
def metrics() -> Any:
    """Prometheus' scrape (core/metrics.py): from METRICS_ALLOWED_NETWORKS or with the bearer
    METRICS_TOKEN, else 403. Plain text, no session, never cached."""
    from tadamon.core.metrics import CONTENT_TYPE, may_read, scrape

    if not may_read(request):
        response = make_response("forbidden\n", 403)
        response.mimetype = "text/plain"
    else:
        response = make_response(scrape(current_app._get_current_object()), 200)  # type: ignore[attr-defined]
        response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


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


# --- email choices: the account's settings, and unsubscribing from an email -------------------


def _shown_categories(user: Any) -> list[Any]:
    """Every category, and moderation only for those who moderate."""
    from tadamon.core.notifications import Category
    from tadamon.core.permissions import Role

    moderates = any(user.has_role(role) for role in (Role.ADMIN, Role.STEERING, Role.FACILITATOR))
    return [category for category in Category if category is not Category.MODERATION or moderates]


@bp.route("/account/notifications", methods=["GET", "POST"])
@redisplays_form
def notification_settings() -> Any:
    """How the person hears of each kind of event by email (in-app, they always do)."""
    from tadamon.core import notifications as notes
    from tadamon.core.forms import notification_settings_form

    categories = _shown_categories(current_user)
    form = notification_settings_form(categories, notes.Frequency)()
    current = notes.preferences_of(current_user)
    if request.method == "GET" and not form.restored:
        for category in categories:
            form[category.value].data = current[category].value
    if run_use_case(form, lambda: notes.set_preferences(current_user, {
            category: notes.Frequency(form[category.value].data) for category in categories}),
            success=_("Your email choices are saved.")):
        return redirect(url_for("core.notification_settings"))
    return render_template("core/notification_settings.html", form=form, categories=categories)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str) -> Any:
    """The link of every notification email, without logging in: GET shows a button, POST
    (the button, or a mail client's one-click request, RFC 8058) turns the emails off. The
    signed token is the credential, so the POST needs no CSRF token: a forged request could
    only stop emails the token was made to stop."""
    from tadamon.core import notifications as notes
    from tadamon.core.digests import person_class

    found = notes.read_unsubscribe_token(token)
    person = db.session.get(person_class(), found[0]) if found else None
    if found is None or person is None:
        return render_template("core/unsubscribe.html", invalid=True), 400
    scope = found[1]
    categories = notes.categories_of_scope(person, scope)
    if request.method == "POST":
        run_use_case(None, lambda: notes.unsubscribe(person, scope))
        return render_template("core/unsubscribe.html", done=True, categories=categories, scope=scope)
    return render_template("core/unsubscribe.html", categories=categories, scope=scope)
