"""Account pages: register, verify, log in (with TOTP), log out, reset, profile, security."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_url, login_user, logout_user

from tadamon.accounts import forms, services
from tadamon.accounts.models import TokenPurpose, User, token_digest
from tadamon.accounts.permissions import can_manage_own_account
from tadamon.accounts.throttling import throttle_code_step, throttle_password_step, typed_account
from tadamon.core import stash
from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.forms import ConfirmForm, redisplays_form
from tadamon.core.i18n import current_language
from tadamon.core.member_pages import register_page_audience
from tadamon.core.permissions import require
from tadamon.core.urls import came_from, safe_next
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")

SESSION_ID_KEY = "sid"
PENDING_TWO_FACTOR_KEY = "pending_two_factor_user"
PENDING_TWO_FACTOR_SINCE_KEY = "pending_two_factor_since"
PENDING_TWO_FACTOR_SECONDS = 300
PENDING_TOTP_SECRET_KEY = "pending_totp_secret"  # noqa: S105 - a session key name
# Kept across the session reset at log-in: where to go next, and a stashed form.
CARRIED_ACROSS_LOGIN = (stash.SESSION_KEY, stash.UNCHECKED_KEY, "next")


def _limit(name: str) -> str:
    return current_app.config[name]


def _submitted_email_key() -> str:
    """Emails sent per address typed: one inbox is not flooded from many machines."""
    return f"account:{typed_account()}"


def _fresh_session() -> None:
    """A new session at log-in: nothing set before log-in survives but what we carry."""
    carried = {key: session[key] for key in CARRIED_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(carried)


def _begin_session(user: User) -> None:
    _fresh_session()
    session[SESSION_ID_KEY] = services.start_session(
        user, ip_address=request.remote_addr, user_agent=request.user_agent.string
    )
    session.permanent = True
    login_user(user)


def _after_login_target() -> str:
    return safe_next(request.args.get("next") or session.pop("next", None), url_for("core.home"))


def _token_problem(message: Any, **context: Any) -> Any:
    return render_template("accounts/token_problem.html", message=message, form=forms.EmailOnlyForm(),
                           **context), 400


def _use_link(token: str, purpose: TokenPurpose, operation: Callable[[], Any], success: str) -> Any | None:
    """Runs `operation` for a valid emailed link (None), or the problem page (400) for another."""
    try:
        services.peek_token(token, purpose)
    except services.InvalidToken as error:
        return _token_problem(error.message)
    run_use_case(None, operation, success=success)
    return None


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_REGISTER"), methods=["POST"])
@redisplays_form
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = forms.RegistrationForm()
    if request.method == "GET" and not form.restored:
        form.preferred_language.data = current_language()
    registered = run_use_case(form, lambda: services.register_user(**form.details()))
    if registered.value is not None:
        return render_template("accounts/check_email.html", email=registered.value)
    return render_template("accounts/register.html", form=form)


@bp.route("/verify/<token>", methods=["GET"])
@public
def verify_email(token: str) -> Any:
    problem = _use_link(token, TokenPurpose.VERIFY_EMAIL, lambda: services.verify_email(token),
                        _("Thank you: your email address is confirmed. You can now log in."))
    return problem or redirect(url_for("accounts.login"))


@bp.route("/verify/resend", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"])
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"], key_func=_submitted_email_key)
@redisplays_form
def resend_verification() -> Any:
    form = forms.EmailOnlyForm()
    if run_use_case(form, lambda: services.resend_verification(form.email.data), success=_(
            "If an account with this address waits for confirmation, we sent it a new link.")):
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend_verification.html", form=form)


def _continue_login(user: User) -> Any:
    """After the password: the second factor when the account has one, else the session."""
    if user.two_factor_enabled:
        _fresh_session()
        session[PENDING_TWO_FACTOR_KEY] = user.id
        session[PENDING_TWO_FACTOR_SINCE_KEY] = int(time.time())
        return redirect(url_for("accounts.two_factor"))
    run_use_case(None, lambda: _begin_session(user))
    return redirect(_after_login_target())


@bp.route("/login", methods=["GET", "POST"])
@public
@throttle_password_step
@redisplays_form
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_after_login_target())
    form = forms.LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["next"] = safe_next(request.args["next"], url_for("core.home"))

    def log_in() -> User:
        user = services.authenticate(form.email.data, form.password.data)
        _keep_carried_text(form)
        return user

    authenticated = run_use_case(form, log_in)
    if authenticated.value is not None:
        return _continue_login(authenticated.value)
    return render_template("accounts/login.html", form=form, carrying=bool(form.carried.data),
                           show_resend=isinstance(authenticated.error, services.EmailNotVerified))


def session_needed() -> Any:
    """Flask-Login's answer to a visitor who must log in first.

    A POST from an expired session gets the log-in page at once, carrying what was typed in
    hidden fields: nothing is written before the person logs in, and after it the form comes
    back filled. Anything else goes to the log-in page with the address to come back to."""
    fields = stash.fields_to_keep(request.form) if request.method == "POST" and request.form else []
    if not fields:
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(login_url("accounts.login", next_url=request.url))
    form = forms.LoginForm(formdata=None, carried=json.dumps(fields, ensure_ascii=False),
                           carried_path=request.path, carried_checked="1" if stash.post_origin() == "same" else "")
    return render_template("accounts/login.html", form=form, carrying=True), 401


def _keep_carried_text(form: forms.LoginForm) -> None:
    """After a successful log-in: stashes what the expired session typed, for its form's
    address (a path of this site only), and comes back there."""
    path = safe_next(form.carried_path.data, "")
    if not form.carried.data or not path:
        return
    try:
        fields = json.loads(form.carried.data)
    except ValueError:
        return
    if isinstance(fields, list) and all(isinstance(f, list) and len(f) == 2 and all(isinstance(v, str) for v in f)
                                        for f in fields):
        stash.stash_submission(path, [(key, value) for key, value in fields],
                               origin_checked=form.carried_checked.data == "1")
        session["next"] = path


def _pending_user() -> User | None:
    """Who passed the password step, for five minutes: then it starts again."""
    user_id = session.get(PENDING_TWO_FACTOR_KEY)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or time.time() - session.get(PENDING_TWO_FACTOR_SINCE_KEY, 0) > PENDING_TWO_FACTOR_SECONDS:
        session.pop(PENDING_TWO_FACTOR_KEY, None)
        return None
    return user


def _finish_login(user: User, code: str) -> None:
    services.check_totp(user, code)
    session.pop(PENDING_TWO_FACTOR_KEY, None)
    _begin_session(user)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
@throttle_code_step(_pending_user)
@redisplays_form
def two_factor() -> Any:
    user = _pending_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    form = forms.TwoFactorForm()
    if run_use_case(form, lambda: _finish_login(user, form.code.data)):
        return redirect(_after_login_target())
    return render_template("accounts/two_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if not run_use_case(ConfirmForm(), lambda: services.end_session(session.get(SESSION_ID_KEY))):
        flash(_("Please try logging out again."), "error")
        return redirect(url_for("core.home"))
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("core.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"])
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"], key_func=_submitted_email_key)
@redisplays_form
def forgot_password() -> Any:
    form = forms.EmailOnlyForm()
    if run_use_case(form, lambda: services.request_password_reset(form.email.data)):
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"])
@redisplays_form
def reset_password(token: str) -> Any:
    try:
        services.peek_token(token, TokenPurpose.RESET_PASSWORD)
    except services.InvalidToken as error:
        return _token_problem(error.message, reset=True)
    form = forms.ResetPasswordForm()
    if not run_use_case(form, lambda: services.reset_password(token, form.password.data)):
        return render_template("accounts/reset_password.html", form=form)
    logout_user()
    session.clear()  # the message goes in the new session
    flash(_("Your password is changed. You can log in with it now."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/email/confirm/<token>", methods=["GET"])
@public
def confirm_email_change(token: str) -> Any:
    problem = _use_link(token, TokenPurpose.CHANGE_EMAIL, lambda: services.confirm_email_change(token),
                        _("Your new email address is confirmed."))
    return problem or redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))


# --- the logged-in person's own account --------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@redisplays_form
def profile() -> Any:
    require(can_manage_own_account(current_actor()))
    form = forms.ProfileForm(obj=current_user._get_current_object())
    if run_use_case(form, lambda: services.update_profile(current_user, **form.details()),
                    success=_("Your profile is saved.")):
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


def _profile_audience() -> tuple[Any, ...] | None:
    """Whom the account page is the same for: this person (the form shows their details), come
    from the same page (its "Cancel" goes back there)."""
    return ("person", current_actor().id, came_from(url_for("core.home")))


register_page_audience("accounts.profile", _profile_audience)


@bp.route("/security", methods=["GET"])
def security() -> Any:
    require(can_manage_own_account(current_actor()))
    return _security_page()


def _current_session_hash() -> str | None:
    sid = session.get(SESSION_ID_KEY)
    return token_digest(sid) if sid else None


def _security_page(**forms_given: Any) -> Any:
    context = {
        "password_form": forms_given.get("password_form") or forms.ChangePasswordForm(formdata=None),
        "email_form": forms_given.get("email_form") or forms.ChangeEmailForm(formdata=None),
        "sessions": services.list_sessions(current_user),
        "current_session_hash": _current_session_hash(),
        "end_sessions_form": ConfirmForm(formdata=None),
        "requires_two_factor": services.requires_two_factor(current_user),
    }
    return render_template("accounts/security.html", **context)


@bp.route("/security/password", methods=["POST"])
@redisplays_form
def change_password() -> Any:
    require(can_manage_own_account(current_actor()))
    form = forms.ChangePasswordForm()
    if run_use_case(form, lambda: services.change_password(
            current_user, current_password=form.current_password.data, new_password=form.new_password.data,
            keep_session_id=session.get(SESSION_ID_KEY)),
            success=_("Your password is changed. Your other sessions are logged out.")):
        return redirect(url_for("accounts.security"))
    return _security_page(password_form=form), 400


@bp.route("/security/email", methods=["POST"])
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL"), methods=["POST"])
@redisplays_form
def change_email() -> Any:
    require(can_manage_own_account(current_actor()))
    form = forms.ChangeEmailForm()
    if run_use_case(form, lambda: services.request_email_change(
            current_user, new_email=form.new_email.data, password=form.password.data),
            success=_("We sent a confirmation link to your new address. Your email changes when you follow it.")):
        return redirect(url_for("accounts.security"))
    return _security_page(email_form=form), 400


@bp.route("/security/sessions/end-others", methods=["POST"])
def end_other_sessions() -> Any:
    require(can_manage_own_account(current_actor()))
    run_use_case(ConfirmForm(), lambda: services.end_other_sessions(current_user, session.get(SESSION_ID_KEY)),
                 success=_("Your other sessions are logged out."))
    return redirect(url_for("accounts.security"))


def _pending_totp_secret() -> str:
    """The secret shown while setting up, kept in the session until a code confirms it."""
    secret = session.get(PENDING_TOTP_SECRET_KEY)
    if not secret:
        secret = session[PENDING_TOTP_SECRET_KEY] = services.new_totp_secret()
    return str(secret)


@bp.route("/security/two-factor", methods=["GET", "POST"])
@redisplays_form
def two_factor_setup() -> Any:
    require(can_manage_own_account(current_actor()))
    if current_user.two_factor_enabled:
        return _two_factor_manage()
    secret = _pending_totp_secret()
    form = forms.TwoFactorForm()
    if run_use_case(form, lambda: services.enable_totp(current_user, secret=secret, code=form.code.data), success=_(
            "Two-factor authentication is on. You will be asked for a code at each log-in.")):
        session.pop(PENDING_TOTP_SECRET_KEY, None)
        return redirect(url_for("accounts.security"))
    uri = services.totp_provisioning_uri(current_user, secret)
    return render_template("accounts/two_factor_setup.html", form=form, secret=secret, uri=uri,
                           qr_svg=_qr_svg(uri), required=services.requires_two_factor(current_user))


def _two_factor_manage() -> Any:
    form = forms.TwoFactorForm()
    if run_use_case(form, lambda: services.disable_totp(current_user, code=form.code.data),
                    success=_("Two-factor authentication is off.")):
        return redirect(url_for("accounts.security"))
    return render_template("accounts/two_factor_manage.html", form=form,
                           required=services.requires_two_factor(current_user))


def _qr_svg(uri: str) -> str:
    # Imported here: only the two-factor set-up page draws a QR code (segno is ~1 MB per worker).
    import segno

    buffer = BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
        title=_("QR code to scan with an authenticator app"),
    )
    return buffer.getvalue().decode("utf-8")
