"""Log-in, log-out, server-side sessions and the stash that survives an expired session."""

from __future__ import annotations

from sqlalchemy import func, select

from tadamon.accounts.models import UserSession
from tadamon.extensions import db
from tests.conftest import PASSWORD


def log_in(client, email, password=PASSWORD, **kwargs):
    return client.post("/account/login", data={"email": email, "password": password}, **kwargs)


def sessions_of(user):
    return db.session.scalar(select(func.count()).where(UserSession.user_id == user.id))


def test_log_in_and_out(client, create_user):
    user = create_user(email="amal@example.org")
    response = log_in(client, "AMAL@example.org")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert sessions_of(user) == 1
    client.post("/account/logout")
    assert sessions_of(user) == 0
    assert client.get("/account/").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_message(client, create_user):
    create_user(email="amal@example.org")
    wrong = log_in(client, "amal@example.org", "wrong password here").get_data(as_text=True)
    unknown = log_in(client, "nobody@example.org").get_data(as_text=True)
    message = "The email address or the password is not right."
    assert message in wrong and message in unknown
    assert 'value="amal@example.org"' in wrong


def test_unverified_account_is_told_to_confirm(client, create_user):
    create_user(email="new@example.org", verified=False)
    body = log_in(client, "new@example.org").get_data(as_text=True)
    assert "Please confirm your email address first" in body
    assert "/account/verify/resend" in body


def test_disabled_account_cannot_log_in(client, create_user):
    create_user(email="off@example.org", enabled=False)
    assert "has been disabled" in log_in(client, "off@example.org").get_data(as_text=True)


def test_session_id_changes_at_log_in(client, create_user):
    create_user(email="amal@example.org")
    client.get("/account/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, "amal@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session["sid"]
    client.post("/account/logout")
    log_in(client, "amal@example.org")
    with client.session_transaction() as session:
        assert session["sid"] != first


def test_log_out_ends_only_this_browser(app, create_user):
    create_user(email="amal@example.org")
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, "amal@example.org")
    log_in(laptop, "amal@example.org")
    phone.post("/account/logout")
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200


def test_a_stolen_cookie_is_useless_after_log_out(client, create_user):
    create_user(email="amal@example.org")
    log_in(client, "amal@example.org")
    cookie = client.get_cookie("tadamon_session").value
    client.post("/account/logout")
    client.set_cookie("tadamon_session", cookie)
    assert client.get("/account/").status_code == 302


def test_next_address_is_followed_only_on_this_site(client, create_user):
    create_user(email="amal@example.org")
    client.get("/account/login?next=/account/security")
    assert log_in(client, "amal@example.org").headers["Location"] == "/account/security"
    client.post("/account/logout")
    client.get("/account/login?next=https://evil.example/")
    assert log_in(client, "amal@example.org").headers["Location"] == "/"


def test_text_typed_in_an_expired_session_comes_back_after_log_in(client, create_user, login):
    user = create_user(email="amal@example.org", name="Amal")
    # The session expired: the person is no longer logged in but posts the profile form.
    long_name = "جمعية التضامن " * 5
    response = client.post(
        "/account/", data={"display_name": long_name.strip(), "preferred_language": "ar",
                           "timezone": "Africa/Casablanca"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    log_in(client, "amal@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert long_name.strip() in page
    assert "We kept what you typed" in page
    assert user.display_name == "Amal"  # nothing was saved behind the person's back


def test_another_site_cannot_plant_a_prefilled_form(client, create_user):
    create_user(email="amal@example.org", name="Amal")
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page"}):
        client.post("/account/", data={"display_name": "Planted by evil", "preferred_language": "ar",
                                       "timezone": "UTC"}, headers=headers)
        log_in(client, "amal@example.org")
        assert "Planted by evil" not in client.get("/account/").get_data(as_text=True)
        client.post("/account/logout", data={})


def test_text_survives_an_expired_session_from_a_browser_that_names_no_origin(client, create_user):
    """An old browser (or a privacy setting) sends neither Sec-Fetch-Site, Origin nor Referer:
    what was typed still comes back, with a request to read it through, and is not saved."""
    user = create_user(email="amal@example.org", name="Amal")
    long_name = "Association Tadamon pour le développement local de Tanger " * 2
    response = client.post("/account/", data={"display_name": long_name.strip(), "preferred_language": "en",
                                              "timezone": "Africa/Casablanca"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    log_in(client, "amal@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert long_name.strip() in page
    assert "did not say which page it came from" in page and "We kept what you typed" not in page
    assert user.display_name == "Amal"
