"""CSRF: every state-changing route refuses a request without a valid token, and a form
refused for an expired token comes back with everything that was typed."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import text

from tadamon.core.permissions import Role
from tadamon.extensions import db


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def _post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


# URL arguments that are not ids: any value the route accepts.
PLACEHOLDERS = {"token": "x", "decision": "confirm"}


def test_every_state_changing_route_needs_a_token(csrf_on, create_user, login):
    app = csrf_on
    admin = create_user(roles=[Role.ADMIN])
    rules = _post_rules(app)
    assert len(rules) >= 10
    audited = _audit_entries()
    for who in ("anonymous", "admin"):
        client = app.test_client()
        if who == "admin":
            login(client, admin)
        for rule in rules:
            with app.test_request_context():
                url = url_for(rule.endpoint, **{name: PLACEHOLDERS.get(name, admin.id)
                                                for name in rule.arguments})
            response = client.post(url, data={"display_name": "x", "email": "a@example.org"})
            if rule.rule.startswith("/api/v1/"):
                # The API's writes are exempt from CSRF because the session never authenticates
                # them: without a bearer token, even a logged-in browser's post is refused.
                assert response.status_code == 401, (who, rule.endpoint, response.status_code)
                assert response.mimetype == "application/problem+json"
                continue
            if who == "anonymous" and response.status_code == 302:
                # routes that need a log-in send the visitor to log in first
                assert "/account/login" in response.headers["Location"], rule.endpoint
                continue
            if who == "anonymous" and response.status_code == 401:
                # a post with typed text gets the log-in page, carrying the text (nothing written)
                assert 'action="/account/login"' in response.get_data(as_text=True), rule.endpoint
                continue
            if who == "admin" and rule.endpoint in {
                "accounts.register", "accounts.login", "accounts.two_factor"
            }:
                # a logged-in person (with no log-in pending) is sent on before any form is read
                assert response.status_code == 302
                continue
            # 400 for the missing token; a form re-shown after it may also be refused by
            # the view's own checks (403, or 404 for an object that does not exist)
            assert response.status_code in (400, 403, 404), (who, rule.endpoint, response.status_code)
    # nothing was changed by any of those requests: every change writes the audit log
    assert _audit_entries() == audited
    db.session.expire_all()
    assert admin.has_role(Role.ADMIN)


def _audit_entries() -> int:
    return db.session.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()


def test_language_switch_without_token_changes_nothing(csrf_on, create_user, login):
    user = create_user(language="en")
    client = csrf_on.test_client()
    login(client, user)
    response = client.post("/language", data={"language": "ar", "next": "/"})
    assert response.status_code == 400
    assert user.preferred_language == "en"


def test_logout_without_token_does_not_log_out(csrf_on, create_user, login):
    client = csrf_on.test_client()
    login(client, create_user())
    client.post("/account/logout")
    assert client.get("/account/").status_code == 200


def test_an_expired_token_keeps_everything_typed(csrf_on):
    client = csrf_on.test_client()
    name = "جمعية النخيل للتنمية المستدامة"
    response = client.post(
        "/account/register",
        data={"csrf_token": "expired-or-forged", "display_name": name,
              "email": "nakhil@example.org", "password": "palm trees in the oasis",
              "preferred_language": "ar", "consent": "y"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form had expired" in body
    assert f'value="{name}"' in body and 'value="nakhil@example.org"' in body
    assert 'name="csrf_token" type="hidden" value="' in body  # a fresh token to resubmit with


def test_a_valid_token_is_accepted(csrf_on):
    client = csrf_on.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/account/login", data={"csrf_token": token, "email": "x@example.org", "password": "y"}
    )
    assert response.status_code == 200
    assert "This form had expired" not in response.get_data(as_text=True)


def test_api_writes_are_exempt_from_csrf_only_because_the_cookie_is_ignored(csrf_on, create_user, login):
    """A cross-site post carrying a member's session cookie (and even a JSON body) writes nothing."""
    app = csrf_on
    client = app.test_client()
    login(client, create_user())
    audited = _audit_entries()
    for rule in _post_rules(app):
        if not rule.rule.startswith("/api/v1/"):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        for headers in ({}, {"Authorization": "Bearer tdm_forged"}, {"Authorization": "Basic eDp5"}):
            response = client.post(url, json={"title": "x", "body": "y"}, headers=headers)
            assert response.status_code == 401, (rule.endpoint, headers, response.status_code)
            assert "Set-Cookie" not in response.headers
    assert _audit_entries() == audited
