"""Log-in throttling behind a trusted proxy: failures slow the attacker's address, never the
owner logging in with the right password from somewhere else (issue 13, OWASP ASVS V6)."""

from __future__ import annotations

import pyotp
import pytest

from tadamon import wiring
from tadamon.accounts.services import set_password
from tadamon.extensions import db, limiter
from tests.conftest import PASSWORD

WRONG = "wrong password here"


@pytest.fixture
def behind_proxy(app, monkeypatch):
    """The app behind one trusted proxy (TRUSTED_PROXIES=1, the real ProxyFix), tight limits."""
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per minute;5 per hour")
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ADDRESS", "6 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_TWO_FACTOR_ACCOUNT", "6 per minute")
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    wiring.trust_proxies(app)
    limiter.reset()
    yield app
    limiter.reset()


def from_address(app, address, *, peer="127.0.0.1"):
    """A client whose requests reach the app through the proxy at `peer`, which forwards
    for `address` (appended to whatever the client sent, as nginx does)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = peer
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def log_in(client, email, password=WRONG):
    return client.post("/account/login", data={"email": email, "password": password})


def test_many_failures_from_many_addresses_leave_the_owner_able_to_log_in(behind_proxy, create_user):
    create_user(email="owner@example.org")
    statuses = {log_in(from_address(behind_proxy, f"203.0.113.{n % 250}"), "owner@example.org").status_code
                for n in range(100)}
    assert statuses == {200}
    owner = from_address(behind_proxy, "198.51.100.7")
    response = log_in(owner, "owner@example.org", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_the_attackers_address_is_slowed_on_that_account_even_with_the_right_password(behind_proxy, create_user):
    create_user(email="target@example.org")
    attacker = from_address(behind_proxy, "203.0.113.9")
    assert [log_in(attacker, "target@example.org").status_code for _ in range(4)] == [200, 200, 200, 429]
    # Refused before the password is checked: a throttled guesser learns nothing.
    assert log_in(attacker, "target@example.org", PASSWORD).status_code == 429
    # The lock is on that account at that address: the owner elsewhere is not affected.
    assert log_in(from_address(behind_proxy, "198.51.100.8"), "target@example.org", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_slowed(behind_proxy, create_user):
    attacker = from_address(behind_proxy, "203.0.113.20")
    statuses = [log_in(attacker, f"guess{n}@example.org").status_code for n in range(7)]
    assert statuses == [200] * 6 + [429]
    create_user(email="innocent@example.org")
    assert log_in(from_address(behind_proxy, "203.0.113.21"), "innocent@example.org", PASSWORD).status_code == 302


def test_a_client_cannot_choose_its_address_by_sending_forwarded_for(behind_proxy):
    # The client writes its own X-Forwarded-For; the proxy appends the real address, and
    # only the last (the proxy's) entry is trusted.
    statuses = [log_in(from_address(behind_proxy, f"10.0.0.{n}, 203.0.113.30"), f"g{n}@example.org").status_code
                for n in range(7)]
    assert statuses[-1] == 429


def test_without_trusted_proxies_forwarded_for_is_ignored(app, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ADDRESS", "3 per minute")
    limiter.reset()
    statuses = [log_in(from_address(app, f"203.0.113.{n}", peer="192.0.2.1"), f"h{n}@example.org").status_code
                for n in range(4)]
    limiter.reset()
    assert statuses == [200, 200, 200, 429]


def test_an_ipv6_subscriber_counts_as_one_address(behind_proxy):
    statuses = [log_in(from_address(behind_proxy, f"2001:db8:1:2::{n:x}"), f"v{n}@example.org").status_code
                for n in range(7)]
    assert statuses[-1] == 429
    assert log_in(from_address(behind_proxy, "2001:db8:1:3::1"), "v@example.org").status_code == 200


def password_step(app, address, user):
    client = from_address(app, address)
    assert log_in(client, user.email, PASSWORD).status_code == 302
    return client


def send_code(client, code):
    return client.post("/account/login/two-factor", data={"code": code})


def wrong_code(user):
    right = pyotp.TOTP(user.totp_secret).now()
    return f"{(int(right) + 500_000) % 1_000_000:06d}"


def test_second_factor_guessing_is_bounded_per_account_whatever_the_address(behind_proxy, create_user):
    user = create_user(email="steward@example.org", two_factor=True)
    statuses = [send_code(password_step(behind_proxy, f"203.0.113.{40 + n}", user), wrong_code(user)).status_code
                for n in range(7)]
    assert statuses == [200] * 6 + [429]
    # A new password (the owner's answer to a leaked one) starts a new count.
    set_password(user, "a brand new passphrase for me")
    db.session.commit()
    client = from_address(behind_proxy, "198.51.100.9")
    assert log_in(client, user.email, "a brand new passphrase for me").status_code == 302
    right = send_code(client, pyotp.TOTP(user.totp_secret).now())
    assert right.status_code == 302


def test_the_owners_right_code_goes_through_after_a_few_failures_elsewhere(behind_proxy, create_user):
    user = create_user(email="facilitator@example.org", two_factor=True)
    attacker = password_step(behind_proxy, "203.0.113.60", user)
    assert [send_code(attacker, wrong_code(user)).status_code for _ in range(4)] == [200, 200, 200, 429]
    owner = password_step(behind_proxy, "198.51.100.10", user)
    assert send_code(owner, pyotp.TOTP(user.totp_secret).now()).status_code == 302
