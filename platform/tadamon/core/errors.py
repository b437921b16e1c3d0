"""Error pages in the user's language, and CSRF failures that keep what was typed."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from tadamon.core.forms import REDISPLAYS_FORM_ATTRIBUTE

log = logging.getLogger(__name__)

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has moved.")),
    405: (_l("Method not allowed"), _l("This address cannot be used this way.")),
    413: (_l("File too large"), _l("What you sent is larger than the platform accepts. Please send a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried too many times. Please wait a little and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side. It has been recorded; please try again later.")),
}


UNSTORABLE_INPUT = _l(
    "What you sent contains an invisible control character (a “null” character) that the "
    "platform cannot store. Please remove it, for example by typing the text again, and send it again."
)


def render_error(code: int, explanation: Any = None) -> tuple[str, int]:
    from tadamon.core.logs import request_id

    title, default_explanation = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return (
        # The 500 page names the request's id: a person quoting it leads to the logged exception.
        render_template("errors/error.html", code=code, title=title,
                        explanation=explanation or default_explanation,
                        request_id=request_id() if code >= 500 else None),
        code,
    )


class UnstorableInput(BadRequest):
    """Raised (not rendered) so that a blueprint answering in another format (the API) says it
    its own way; the pages answer with the error page and this explanation."""

    detail = UNSTORABLE_INPUT


def _has_unstorable(value: str | None) -> bool:
    # PostgreSQL text refuses NUL (SQLite keeps it, and truncates it in places): it is never
    # typed on purpose, so it is refused at the door rather than checked in every service.
    return value is not None and "\x00" in value


def refuse_unstorable_input() -> Any:
    """`before_request`: a NUL in the path, a query or form value (name or value) or an
    uploaded file's name gets a 400 page in the reader's language, before any view or
    service sees it (otherwise a 500 on PostgreSQL, wherever the value reaches the database)."""
    texts: list[str | None] = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.method in ("POST", "PUT", "PATCH"):
        texts += [text for pair in request.form.items(multi=True) for text in pair]
        texts += [upload.filename for _name, upload in request.files.items(multi=True)]
    if any(_has_unstorable(text) for text in texts):
        raise UnstorableInput()
    return None


def handle_http_exception(error: HTTPException) -> Any:
    code = error.code or 500
    if isinstance(error, UnstorableInput):
        return render_error(400, UNSTORABLE_INPUT)
    if code not in ERROR_TEXTS:
        return error
    response = current_app.make_response(render_error(code))
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if code == 429:
        response.headers["Retry-After"] = "60"
    return response


def handle_csrf_error(error: CSRFError) -> Any:
    """An expired or missing token: show the form again with what was typed.

    Views marked `@redisplays_form` change state only through a validated FlaskForm,
    whose own CSRF check fails the same way, so calling the view again renders the form
    filled from the request with a message asking to submit again. Nothing is changed,
    and nothing typed is lost.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if (
        view is None
        or request.method != "POST"
        or not getattr(view, REDISPLAYS_FORM_ATTRIBUTE, False)
        or g.get("csrf_redispatched")
    ):
        return render_error(400)
    g.csrf_redispatched = True
    try:
        response = current_app.make_response(current_app.ensure_sync(view)(**(request.view_args or {})))
    except HTTPException as refusal:  # the view's own 403/404 still apply
        return handle_http_exception(refusal)
    if response.status_code == 200:
        response.status_code = 400
    return response


def handle_unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    # The endpoint, not the path (paths carry tokens); the log filter adds the request id.
    log.exception("unhandled error on %s %s", request.method, request.endpoint or "-")
    if current_app.debug or current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise error
    try:
        from tadamon.extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the error page must render whatever happened
        pass
    return render_error(500)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_input)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
