"""TOTP: available to everyone, required for privileged roles, never accepted twice."""

from __future__ import annotations

import pyotp

from tadamon.core.permissions import Role
from tests.conftest import PASSWORD


def log_in(client, email, password=PASSWORD):
    return client.post("/account/login", data={"email": email, "password": password})


def test_log_in_asks_for_a_code_when_two_factor_is_on(client, create_user):
    user = create_user(email="s@example.org", roles=[Role.STEERING])
    response = log_in(client, "s@example.org")
    assert response.headers["Location"].endswith("/account/login/two-factor")
    assert client.get("/account/").status_code == 302  # not logged in yet
    bad = client.post("/account/login/two-factor", data={"code": "000000"})
    assert "This code is not right" in bad.get_data(as_text=True)
    code = pyotp.TOTP(user.totp_secret).now()
    assert client.post("/account/login/two-factor", data={"code": code}).status_code == 302
    assert client.get("/admin/audit").status_code == 200


def test_a_code_is_never_accepted_twice(app, create_user):
    user = create_user(email="s@example.org", roles=[Role.STEERING])
    first, second = app.test_client(), app.test_client()
    code = pyotp.TOTP(user.totp_secret).now()
    log_in(first, "s@example.org")
    assert first.post("/account/login/two-factor", data={"code": code}).status_code == 302
    log_in(second, "s@example.org")
    replay = second.post("/account/login/two-factor", data={"code": code})
    assert replay.status_code == 200 and "This code is not right" in replay.get_data(as_text=True)


def test_privileged_role_without_two_factor_must_set_it_up(client, create_user, login):
    user = create_user(roles=[Role.FACILITATOR], two_factor=False)
    login(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/security/two-factor")
    page = client.get("/account/security/two-factor").get_data(as_text=True)
    assert "<svg" in page
    with client.session_transaction() as session:
        secret = session["pending_totp_secret"]
    response = client.post(
        "/account/security/two-factor", data={"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert user.two_factor_enabled


def test_ordinary_user_may_turn_two_factor_on_and_off(client, create_user, login):
    user = create_user()
    login(client, user)
    client.get("/account/security/two-factor")
    with client.session_transaction() as session:
        secret = session["pending_totp_secret"]
    totp = pyotp.TOTP(secret)
    client.post("/account/security/two-factor", data={"code": totp.now()})
    assert user.two_factor_enabled
    # the same code cannot switch it off again (replay); the next time-step's can
    response = client.post("/account/security/two-factor", data={"code": totp.now()})
    assert user.two_factor_enabled
    assert response.status_code == 200
    next_code = totp.at(totp.timecode(__import__("datetime").datetime.now()) * 30 + 30)
    client.post("/account/security/two-factor", data={"code": next_code})
    assert not user.two_factor_enabled


def test_a_role_that_requires_two_factor_cannot_turn_it_off(client, create_user, login):
    user = create_user(roles=[Role.ADMIN])
    login(client, user)
    page = client.get("/account/security/two-factor").get_data(as_text=True)
    assert "cannot be turned off" in page
    code = pyotp.TOTP(user.totp_secret).now()
    client.post("/account/security/two-factor", data={"code": code})
    assert user.two_factor_enabled
