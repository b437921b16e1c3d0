"""Registration and email verification, including every kind of bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tests import support

STRONG = "olive tree by the blue sea"


def register(client, language="en", **fields):
    data = {
        "display_name": "Hind Zayani",
        "email": "hind@example.org",
        "password": STRONG,
        "preferred_language": "ar",
        "consent": "y",
        **fields,
    }
    return client.post(
        "/account/register", data=data, headers={"Accept-Language": language}
    )


def link_from(message):
    return re.search(r"http://localhost(/account/\S+)", message.text_body).group(1)


def test_registration_sends_a_verification_email_in_the_chosen_language(client, outbox):
    response = register(client)
    assert response.status_code == 200
    assert b"hind@example.org" in response.data
    (message,) = outbox(to="hind@example.org")
    assert message.language == "ar"
    assert 'dir="rtl"' in message.html_body and 'lang="ar"' in message.html_body
    assert "/account/verify/" in message.text_body
    user = db.session.scalar(select(User).where(User.email == "hind@example.org"))
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")


def test_verification_link_confirms_once(client, outbox):
    register(client)
    link = link_from(outbox()[-1])
    first = client.get(link)
    assert first.status_code == 302 and first.headers["Location"].endswith("/account/login")
    assert db.session.scalar(select(User.email_verified_at).where(User.email == "hind@example.org"))
    again = client.get(link, headers={"Accept-Language": "fr"})
    assert again.status_code == 400
    assert "déjà été utilisé" in again.get_data(as_text=True)


def test_wrong_verification_token_gets_a_clear_message(client):
    response = client.get("/account/verify/not-a-token", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": "", "email": "", "password": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Enter an email address such as name@example.org."),
        ({"email": "a" * 490 + "@example.org"}, "An email address has at most 254 characters."),
        ({"password": "short"}, "Use at least 8 characters."),
        ({"password": "password123"}, "too common or too easy to guess"),
        ({"password": "hind2026", "email": "hind@example.org"}, "too common or too easy to guess"),
        ({"consent": ""}, "Please accept the privacy notice"),
    ],
)
def test_bad_input_gets_a_message_and_keeps_what_was_typed(client, fields, message):
    response = register(client, **{"display_name": "هدى الزياني", **fields})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert 'aria-invalid="true"' in body
    assert 'class="error-summary"' in body
    if fields.get("display_name", None) != "":
        assert 'value="هدى الزياني"' in body
    if "email" in fields and fields["email"]:
        assert fields["email"] in body
    assert db.session.scalar(select(User).where(User.display_name == "هدى الزياني")) is None


def test_bad_input_messages_are_in_the_users_language(client):
    body = register(client, language="ar", email="broken").get_data(as_text=True)
    assert 'dir="rtl"' in body
    assert "Enter an email address" not in body
    assert "أدخل" in body
    body = register(client, language="fr", email="broken").get_data(as_text=True)
    assert "Enter an email address" not in body and 'lang="fr"' in body


def test_a_known_address_gets_the_same_answer_and_its_owner_an_email(client, outbox, create_user):
    create_user(email="taken@example.org", name="Hind Owner")
    known = register(client, email="  Taken@Example.org ")
    unknown = register(client, email="new@example.org")
    assert known.status_code == unknown.status_code == 200
    page = known.get_data(as_text=True)
    assert support.without_csrf_tokens(page.replace("taken@example.org", "new@example.org")) == \
        support.without_csrf_tokens(unknown.get_data(as_text=True))
    (message,) = outbox(to="taken@example.org")
    assert "Someone tried to create a Tadamon account with your email address" in message.text_body
    assert "http://localhost/account/login" in message.text_body
    assert "http://localhost/account/password/forgot" in message.text_body
    assert "/account/verify/" not in message.text_body
    owners = db.session.scalars(select(User).where(User.email == "taken@example.org")).all()
    assert [owner.display_name for owner in owners] == ["Hind Owner"]


def test_password_reset_answers_alike_for_known_and_unknown_addresses(client, outbox, create_user):
    create_user(email="known@example.org")
    known = client.post("/account/password/forgot", data={"email": "known@example.org"})
    unknown = client.post("/account/password/forgot", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("known@example.org", "unknown@example.org")
            == unknown.get_data(as_text=True))
    assert [m.recipient for m in outbox()] == ["known@example.org"]


def test_password_is_never_echoed_back(client):
    response = register(client, email="broken", password="my secret words here")
    assert "my secret words here" not in response.get_data(as_text=True)


def test_logged_in_person_is_sent_home_from_registration(client, create_user, login):
    login(client, create_user())
    assert client.get("/account/register").status_code == 302


def test_resend_verification_sends_a_new_link_and_reveals_nothing(client, outbox, create_user):
    create_user(email="late@example.org", verified=False)
    for email in ("late@example.org", "nobody@example.org"):
        response = client.post("/account/verify/resend", data={"email": email})
        assert response.status_code == 302
    assert [m.recipient for m in outbox()] == ["late@example.org"]
