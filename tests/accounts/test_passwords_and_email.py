"""Password reset, password change, email change: single-use tokens and ended sessions."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from tadamon.accounts.models import AccountToken, User, UserSession
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tests.conftest import PASSWORD

NEW = "sunrise over the atlas mountains"


def link_in(message):
    return re.search(r"http://localhost(/account/\S+)", message.text_body).group(1)


def log_in(client, email, password=PASSWORD):
    return client.post("/account/login", data={"email": email, "password": password})


def test_password_reset_by_emailed_single_use_token(app, client, create_user, outbox):
    user = create_user(email="rachid@example.org", language="fr")
    other_browser = app.test_client()
    log_in(other_browser, "rachid@example.org")
    response = client.post("/account/password/forgot", data={"email": "rachid@example.org"})
    assert response.status_code == 200
    (message,) = outbox(to="rachid@example.org")
    assert message.language == "fr"
    link = link_in(message)
    assert client.get(link).status_code == 200
    assert client.post(link, data={"password": NEW}).status_code == 302
    assert log_in(client, "rachid@example.org", NEW).status_code == 302
    # every other session ended with the reset
    assert other_browser.get("/account/").status_code == 302
    # the token is single-use
    replay = app.test_client().post(link, data={"password": "another long passphrase here"})
    assert replay.status_code == 400
    assert "already been used" in replay.get_data(as_text=True)
    assert user.password_hash


def test_reset_of_an_unknown_address_says_the_same_and_sends_nothing(client, outbox):
    response = client.post("/account/password/forgot", data={"email": "ghost@example.org"})
    assert response.status_code == 200
    assert "ghost@example.org" in response.get_data(as_text=True)
    assert outbox() == []


def test_expired_reset_token_is_refused(client, create_user, outbox):
    create_user(email="rachid@example.org")
    client.post("/account/password/forgot", data={"email": "rachid@example.org"})
    link = link_in(outbox()[-1])
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_weak_new_password_is_refused_at_reset(client, create_user, outbox):
    create_user(email="rachid@example.org")
    client.post("/account/password/forgot", data={"email": "rachid@example.org"})
    link = link_in(outbox()[-1])
    body = client.post(link, data={"password": "azerty123"}).get_data(as_text=True)
    assert "too common or too easy to guess" in body
    # the token was not spent on a refused password
    assert client.post(link, data={"password": NEW}).status_code == 302


def test_change_password_ends_other_sessions_and_notifies(app, client, create_user, outbox):
    user = create_user(email="rachid@example.org")
    other = app.test_client()
    log_in(client, "rachid@example.org")
    log_in(other, "rachid@example.org")
    wrong = client.post(
        "/account/security/password", data={"current_password": "nope nope nope", "new_password": NEW}
    )
    assert wrong.status_code == 400
    assert "Your current password is not right." in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/security/password", data={"current_password": PASSWORD, "new_password": NEW}
    )
    assert ok.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 1
    assert outbox(to="rachid@example.org")[-1].subject


def test_email_change_is_confirmed_from_the_new_address(client, create_user, login, outbox):
    user = create_user(email="old@example.org")
    login(client, user)
    response = client.post(
        "/account/security/email", data={"new_email": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert user.email == "old@example.org"
    link = link_in(outbox(to="new@example.org")[-1])
    assert client.get(link).status_code == 302
    assert db.session.get(User, user.id).email == "new@example.org"
    assert outbox(to="old@example.org"), "the old address is told of the change"


def test_email_change_to_a_taken_address_is_refused(client, create_user, login):
    create_user(email="taken@example.org")
    login(client, create_user(email="me@example.org"))
    response = client.post(
        "/account/security/email", data={"new_email": "taken@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Another account already uses this email address." in response.get_data(as_text=True)


def test_end_other_sessions(app, client, create_user):
    create_user(email="me@example.org")
    other = app.test_client()
    log_in(client, "me@example.org")
    log_in(other, "me@example.org")
    client.post("/account/security/sessions/end-others")
    assert client.get("/account/security").status_code == 200
    assert other.get("/account/").status_code == 302


def test_profile_update_changes_language(client, create_user, login):
    user = create_user()
    login(client, user)
    response = client.post(
        "/account/",
        data={"display_name": "Nouveau Nom", "preferred_language": "fr", "timezone": "Europe/Paris"},
    )
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page
    assert user.display_name == "Nouveau Nom"


def test_profile_refuses_an_unknown_language(client, create_user, login):
    login(client, create_user())
    response = client.post(
        "/account/", data={"display_name": "Name", "preferred_language": "xx", "timezone": "UTC"}
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
