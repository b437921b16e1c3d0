"""Choosing a language: core tells the accounts module through `on_language_chosen`."""

from __future__ import annotations

from tadamon.accounts.models import User
from tadamon.accounts.services import set_preferred_language
from tadamon.core.hooks import HOOKS
from tadamon.extensions import db


def test_accounts_declares_the_language_hook(app):
    assert set_preferred_language in HOOKS.on_language_chosen


def test_a_logged_in_person_keeps_the_chosen_language_on_the_account(client, create_user, login):
    user = create_user()
    login(client, user)
    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "tadamon_lang=en" in response.headers.get("Set-Cookie", "")
    assert db.session.get(User, user.id).preferred_language == "en"
