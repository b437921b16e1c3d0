"""The session cookie is sent when the session changed, and otherwise at most once an hour to
push its expiry on (core.delivery): not re-signed with every page."""

from __future__ import annotations

import time

from tadamon.core import delivery


def _cookies(response) -> list[str]:
    return [header for header in response.headers.getlist("Set-Cookie") if header.startswith("tadamon_session=")]


def test_an_unchanged_session_is_not_sent_again_until_its_expiry_needs_pushing(app, client, login, create_user,
                                                                              monkeypatch):
    login(client, create_user(language="en"))
    with client.session_transaction() as session:
        session.permanent = True
    first = client.get("/workshops")
    assert len(_cookies(first)) == 1  # never signed by us yet: sent, with the time it was signed
    assert _cookies(client.get("/workshops")) == []  # nothing changed since
    assert _cookies(client.get("/organisations")) == []
    later = time.time() + delivery.REFRESH_SESSION_COOKIE_AFTER + 1
    monkeypatch.setattr(delivery.time, "time", lambda: later)  # an hour later
    refreshed = _cookies(client.get("/workshops"))
    assert len(refreshed) == 1 and "Expires=" in refreshed[0]
    assert _cookies(client.get("/workshops")) == []


def test_a_changed_session_is_sent_at_once(app, client, login, create_user):
    login(client, create_user(language="en"))
    client.get("/workshops")
    assert _cookies(client.get("/workshops")) == []
    logged_out = client.post("/account/logout")  # the session changes: the person is gone, a message waits
    assert len(_cookies(logged_out)) == 1
    with client.session_transaction() as session:
        assert "_user_id" not in session and session["_flashes"]
