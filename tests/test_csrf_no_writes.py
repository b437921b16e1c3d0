"""No state change before the CSRF check passes, on any route (issue 13, item 3).

Every POST route of the url_map, filled with real ids from the demo's data, is posted by the
administrator, steering, facilitator and member demo accounts (and anonymously) once without a token and once with another session's valid token,
with a body that would otherwise write (a proposal's fields, a comment, a reason...). After
each request every table must hold exactly what it held: same row count and same checksum
of its content. The CSRF check is on here (the other suites turn it off). SQLite, and
PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tadamon.extensions import db
from tests.core.world import (
    DEMO_PEOPLE,
    client_of,
    csrf_token_of,
    demo_world,
    route_values,
    rules,
    url_of,
)

# What a writing form would carry: enough for a proposal to publish, a comment to post, a
# decision to be taken, if only the token were right.
BODY = {
    "title": "CSRFMARK a title that would publish", "body": "CSRFMARK a body long enough to be published.",
    "language": "en", "territory_scope": "national", "action": "publish", "stance": "for",
    "reason": "CSRFMARK reason", "justification": "CSRFMARK why", "decision": "accept", "evaluation": "retained",
    "display_name": "CSRFMARK", "name_fr": "CSRFMARK", "title_fr": "CSRFMARK", "language_choice": "en",
    "draft_key": "csrf-draft-key", "withdraw": "0",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with demo_world(tmp_path_factory.mktemp("csrf"), WTF_CSRF_ENABLED=True) as app:
        yield app


def _fingerprints(app: Flask) -> dict[str, tuple[int, str]]:
    from tests.core.world import table_fingerprints

    with app.app_context():
        prints = table_fingerprints()
        db.session.remove()
    # The session rows of the clients this test logs in are its own doing, not the routes'.
    prints.pop("user_sessions")
    return prints


@pytest.mark.parametrize("email", [None, *DEMO_PEOPLE[:4]])
def test_no_post_route_writes_without_a_valid_token(world: Flask, email: str | None) -> None:
    values = route_values(world)
    victim = client_of(world, email)
    other = client_of(world, "member.en@demo.tadamon.ma")  # another session: its token is valid, not ours
    foreign_token = csrf_token_of(other)
    victim.get("/")  # whatever a first visit sets up happens before the reference is taken
    before = _fingerprints(world)
    changed = []
    for rule in rules(world, "POST"):
        url = url_of(rule, values)
        for token in (None, foreign_token):
            data = dict(BODY) if token is None else {**BODY, "csrf_token": token}
            response = victim.post(url, data=data)
            assert response.status_code < 500, (url, response.status_code)
        after = _fingerprints(world)  # once per route (both requests): the suite stays fast
        if after != before:
            changed.append((url, sorted(name for name in after if after[name] != before.get(name))))
            before = after
    assert changed == []
