"""Errors of the API as RFC 9457 problem details (`application/problem+json`), in the caller's
language: the same HTTP exceptions the views raise, answered as JSON instead of a page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, json
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from tadamon.core.errors import ERROR_TEXTS

PROBLEM_TYPE = "application/problem+json"

# The error pages' own titles where there is one (the same words in the browser and the API).
TITLES = {
    **{code: title for code, (title, _explanation) in ERROR_TEXTS.items()},
    401: _l("A valid access token is needed"),
    409: _l("This conflicts with the current state"),
    415: _l("Send JSON"),
    422: _l("Some values are not valid"),
}


class ProblemSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "What happened, in the caller's language"})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "More about this occurrence"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                            metadata={"description": "Per-field messages"})


def problem(status: int, detail: Any = None, errors: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    title = str(TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]))
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """The API blueprints' handler: webargs' 422 carries per-field messages in `data`."""
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    detail = data.get("message") or getattr(error, "detail", None)
    if error.code == 422 and errors is not None:
        detail = detail or _("Check the values named in errors.")
    headers = dict(data.get("headers") or {})
    if error.code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="tadamon"')
    if error.code == 405:
        response = error.get_response()
        allow = response.headers.get("Allow")
        if allow:
            headers["Allow"] = allow
    return problem(error.code or 500, detail, errors, headers)
