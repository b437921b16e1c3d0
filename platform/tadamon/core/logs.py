"""Logs an operator can follow: a request id on every line, one access line per request, and
JSON lines in production.

Every request gets an id: the `X-Request-Id` nginx sends (`proxy_set_header X-Request-Id
$request_id`), when it is well-formed, else a new one. It is echoed in the response's
`X-Request-Id`, shown on the error page (a person can quote it), and attached to every log
record written during the request, so the proxy's line, the application's lines and a
person's report meet on one id.

LOG_FORMAT=json (production's default) writes one JSON object per line: time, level, logger,
message, and for records of a request request_id, method, endpoint, status, duration_ms,
user_id and remote_addr. A person appears by their account id, never by e-mail or name, and
the access line names the endpoint, not the path: paths carry tokens (password resets,
invitations, unsubscribe links) that must not outlive the request in a log file.

Only the standard `logging` module: a formatter and a filter are a few lines, and a library
(python-json-logger) would add a dependency for what `json.dumps` does.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

ACCESS_LOG = logging.getLogger("tadamon.access")

HEADER = "X-Request-Id"
# nginx's $request_id is 32 hex digits; a UUID has dashes. Anything else (too long, spaces,
# quotes, line breaks) could forge log lines or bloat them: it is replaced.
WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")

ENVIRON_ID = "tadamon.request_id"
ENVIRON_START = "tadamon.request_start"

# The request's fields a record carries; `extra={...}` of the same name wins.
CONTEXT_FIELDS = ("request_id", "method", "endpoint", "status", "duration_ms", "user_id", "remote_addr")
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def request_id() -> str:
    """This request's id: the incoming header when well-formed, else a new one (made once)."""
    environ = request.environ
    if ENVIRON_ID not in environ:
        incoming = request.headers.get(HEADER, "")
        environ[ENVIRON_ID] = incoming if WELL_FORMED.match(incoming) else uuid.uuid4().hex
    return str(environ[ENVIRON_ID])


def _user_id() -> int | None:
    # Only a user already loaded: logging must never query the database (nor recurse into it).
    user = g.get("_login_user")
    return getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", False) else None


class RequestContextFilter(logging.Filter):
    """Adds the request's id and details to records written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            values = {"request_id": request_id(), "method": request.method, "endpoint": request.endpoint,
                      "user_id": _user_id(), "remote_addr": request.remote_addr}
            for name, value in values.items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields without a value are left out."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                document[name] = value
        # Fields a caller passed with `extra=` beyond the request's (job ids, counts).
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in document and name not in CONTEXT_FIELDS:
                document[name] = value if isinstance(value, int | float | str | bool) else str(value)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.tadamon = True  # type: ignore[attr-defined]  # ours: replaced, never added twice
    return handler


def configure_logging(app: Flask) -> None:
    """Sends every logger's records (the application's, SQLAlchemy's, RQ's) through one handler
    on the root logger, in LOG_FORMAT, at LOG_LEVEL and above."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "tadamon", False)]:
        root.removeHandler(handler)
    root.addHandler(make_handler(app.config["LOG_FORMAT"]))
    root.setLevel(app.config["LOG_LEVEL"])
    # Flask's own handler on the app's logger would print application records a second time.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)


def _start() -> None:
    request.environ.setdefault(ENVIRON_START, time.perf_counter())
    request_id()


def _finish(response: Response) -> Response:
    """The response header, the latency metric and the access line."""
    from tadamon.core.metrics import observe_request

    response.headers[HEADER] = request_id()
    started = request.environ.get(ENVIRON_START)
    seconds = time.perf_counter() - started if started is not None else 0.0
    observe_request(request.endpoint, request.method, response.status_code, seconds)
    if current_app.config["ACCESS_LOG"]:
        ACCESS_LOG.info("%s %s %s", request.method, request.endpoint or "-", response.status_code,
                        extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
    return response


def init_app(app: Flask) -> None:
    if app.config["LOG_CONFIGURE"]:
        configure_logging(app)
    # First of the before_request hooks: one that answers early (the log-in gate, a 400 for
    # unstorable input) must not leave its request without an id or a start time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
