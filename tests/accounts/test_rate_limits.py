"""Log-in, registration and reset are throttled per account at one address and per address;
throttling never locks out anyone else, the attacked account's owner included."""

from __future__ import annotations

import pytest

from tadamon.extensions import limiter
from tests.conftest import PASSWORD


@pytest.fixture
def tight_limits(app, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ADDRESS", "6 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTER", "2 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_EMAIL", "2 per minute")
    limiter.reset()
    yield app
    limiter.reset()


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, email, password="wrong password here"):
    return client.post("/account/login", data={"email": email, "password": password})


def test_an_attacked_account_is_throttled_at_the_attackers_address_only(tight_limits, create_user):
    app = tight_limits
    create_user(email="target@example.org")
    create_user(email="other@example.org")
    attacker = client_at(app, "10.0.0.1")
    assert [attempt(attacker, "target@example.org").status_code for _ in range(4)] == [200, 200, 200, 429]
    # the owner, from another address, logs in with the right password
    assert attempt(client_at(app, "10.0.0.9"), "target@example.org", PASSWORD).status_code == 302
    # another account, even from the attacker's address, logs in normally
    assert attempt(attacker, "other@example.org", PASSWORD).status_code == 302


def test_one_address_is_throttled_across_accounts(tight_limits, create_user):
    client = client_at(tight_limits, "10.0.1.1")
    statuses = [attempt(client, f"guess{n}@example.org").status_code for n in range(7)]
    assert statuses[:6] == [200] * 6 and statuses[6] == 429
    assert attempt(client_at(tight_limits, "10.0.1.2"), "guess1@example.org").status_code == 200


def test_successful_log_ins_do_not_count(tight_limits, create_user):
    create_user(email="daily@example.org")
    client = client_at(tight_limits, "10.0.2.1")
    for _ in range(5):
        assert attempt(client, "daily@example.org", PASSWORD).status_code == 302
        client.post("/account/logout")


def test_throttled_page_is_translated(tight_limits):
    client = client_at(tight_limits, "10.0.3.1")
    for _ in range(3):
        attempt(client, "x@example.org")
    response = client.post(
        "/account/login", data={"email": "x@example.org", "password": "p"},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 429
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_registration_and_reset_requests_are_throttled(tight_limits):
    client = client_at(tight_limits, "10.0.4.1")
    data = {"display_name": "X", "email": "bad"}
    assert [client.post("/account/register", data=data).status_code for _ in range(3)] == [200, 200, 429]
    forgot = [client.post("/account/password/forgot", data={"email": "a@example.org"}).status_code
              for _ in range(3)]
    assert forgot == [200, 200, 429]
