"""Request ids and structured logs: one id per request, in the response, on every log line and
on the error page; JSON lines with the request's details and no personal data."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from tadamon.core import logs
from tadamon.core.auth import public


@pytest.fixture
def json_lines(app, monkeypatch):
    """The application's root handler in JSON, writing to a buffer: `read()` → parsed lines."""
    root = logging.getLogger()
    level = root.level
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    logs.configure_logging(app)
    handler = next(h for h in root.handlers if getattr(h, "tadamon", False))
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_each_request_gets_an_id_in_the_response_and_in_its_json_access_line(client, json_lines,
                                                                              create_user, login):
    user = create_user(email="secret.person@example.org", name="Secret Name")
    login(client, user)
    response = client.get("/privacy?token=abc123")
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = [line for line in json_lines() if line.get("request_id") == request_id]
    access = [line for line in lines if line["logger"] == "tadamon.access"]
    assert len(access) == 1
    line = access[0]
    assert line["level"] == "INFO" and line["method"] == "GET" and line["endpoint"] == "core.privacy"
    assert line["status"] == 200 and isinstance(line["duration_ms"], float)
    assert line["user_id"] == user.id and line["remote_addr"] == "127.0.0.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    text = json.dumps(json_lines())
    # No e-mail, no name, no path (paths carry tokens).
    assert "secret.person" not in text and "Secret Name" not in text and "abc123" not in text
    assert client.get("/privacy").headers["X-Request-Id"] != request_id


def test_a_well_formed_incoming_id_is_kept_and_a_malformed_one_replaced(client, json_lines):
    nginx_id = "6f1c2a9e0b7d4c3e8a5f1b2c3d4e5f60"
    response = client.get("/privacy", headers={"X-Request-Id": nginx_id})
    assert response.headers["X-Request-Id"] == nginx_id
    assert any(line.get("request_id") == nginx_id for line in json_lines())
    for malformed in ("short", "a" * 200, 'abcdefgh" injected', "abcdefgh\tlevel=ERROR", "../../../../etc"):
        replaced = client.get("/privacy", headers={"X-Request-Id": malformed}).headers["X-Request-Id"]
        assert replaced != malformed and re.fullmatch(r"[0-9a-f]{32}", replaced)
    # Even a request answered before any view (the log-in gate) has its id and its line.
    response = client.get("/account/security", headers={"X-Request-Id": "gate-1234-5678"})
    assert response.status_code == 302 and response.headers["X-Request-Id"] == "gate-1234-5678"
    assert any(line.get("request_id") == "gate-1234-5678" and line.get("status") == 302 for line in json_lines())


def test_an_exception_is_logged_with_the_request_id_the_error_page_shows(app, client, json_lines, monkeypatch):
    def broken() -> str:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "core.privacy", public(broken))
    response = client.get("/privacy", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    page = response.get_data(as_text=True)
    assert f'<code dir="ltr" class="request-id">{request_id}</code>' in page
    errors = [line for line in json_lines() if line["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == request_id
    assert "the disk is on fire" in errors[0]["exception"] and errors[0]["endpoint"] == "core.privacy"
    access = [line for line in json_lines() if line["logger"] == "tadamon.access"]
    assert access[-1]["request_id"] == request_id and access[-1]["status"] == 500


def test_caplog_sees_the_request_id_on_the_application_records(client, caplog):
    """Without the application's handler (tests), records still carry the id through the filter
    on whichever handler formats them; here pytest's own handler with the filter."""
    caplog.handler.addFilter(logs.RequestContextFilter())
    with caplog.at_level(logging.INFO, logger="tadamon.access"):
        response = client.get("/privacy")
    records = [r for r in caplog.records if r.name == "tadamon.access"]
    assert records and records[-1].request_id == response.headers["X-Request-Id"]


def test_text_format_in_development_and_json_in_production(monkeypatch):
    from pathlib import Path

    from tadamon.config import ConfigurationError, load_config

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert load_config(Path("/tmp"), {"ENV": "development"})["LOG_FORMAT"] == "text"
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config(Path("/tmp"), {"ENV": "production"})["LOG_FORMAT"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        load_config(Path("/tmp"), {"ENV": "development"})


def test_a_record_outside_a_request_is_one_json_line_too():
    handler = logs.make_handler("json")
    buffer = io.StringIO()
    handler.setStream(buffer)
    record = logging.LogRecord("tadamon.jobs", logging.WARNING, __file__, 1, "job %s failed", ("e1",), None)
    handler.handle(record)
    line = json.loads(buffer.getvalue())
    assert line["message"] == "job e1 failed" and line["level"] == "WARNING" and "request_id" not in line
