"""Generated input for every form and every query-string page (issue 13, item 9).

The forms are found the way a person finds them: every page of the url_map (filled with the
demo's ids) is visited as the administrator and as a member, and each `<form>` it shows is
kept, with its fields and the values it offers. Hypothesis then sends each form, and each
query-string page, values mixing offered choices, text in Arabic and other scripts, huge and
negative numbers, control characters and a marker tag. Nothing may answer 5xx, and the
marker never comes back unescaped. 25 examples per form in `make test`; `make fuzz` sets
TADAMON_FUZZ_EXAMPLES=200. SQLite, and PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tests.core.world import Form, client_of, demo_world, forms_on, route_values, rules, url_of

EXAMPLES = int(os.environ.get("TADAMON_FUZZ_EXAMPLES", "25"))
MARKER = "<x-fuzz-7f3>"
# Forms whose submit ends the fuzzing client's own session: the next example would be anonymous.
SESSION_ENDING = ("/account/logout", "/account/security/sessions/end-others")
AS = ("admin@demo.tadamon.ma", "member@demo.tadamon.ma")

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300).map(lambda s: s + MARKER),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "2147483648", "1e309", "NaN", "0x1",
                     "2026-13-45", "١٢٣", "تضامن" * 50, "a\x00b", "\u202e", MARKER, "x" * 40_000]),
)


def _values(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    def field(name: str) -> st.SearchStrategy[Any]:
        offered = [value for value in form.fields.get(name, []) if value is not None]
        if form.kinds.get(name) == "file":
            return st.just(None)
        choices = st.sampled_from(offered) if offered else text
        return st.one_of(choices, choices, text, st.lists(st.one_of(choices, text), max_size=3))

    return st.fixed_dictionaries({name: field(name) for name in form.kinds})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with demo_world(tmp_path_factory.mktemp("fuzz")) as app:
        yield app


def _pages(world: Flask) -> list[str]:
    values = route_values(world)
    with world.app_context():
        # Not the administrator's own account: a generated form could disable it.
        values["user_id"] = db.session.scalar(select(func.max(User.id)))
        db.session.remove()
    return [url_of(rule, values) for rule in rules(world, "GET")
            if not rule.rule.startswith(("/static", "/account/logout", "/healthz"))]


@pytest.fixture(scope="module")
def forms(world: Flask) -> list[tuple[str, Form, str]]:
    """(who, form, method) for each distinct form action the pages show."""
    found: dict[tuple[str, str], tuple[str, Form, str]] = {}
    pages = _pages(world)
    for email in AS:
        client = client_of(world, email)
        for page in pages:
            response = client.get(page)
            if response.status_code != 200 or "html" not in (response.content_type or ""):
                continue
            html = response.get_data(as_text=True)
            for form in forms_on(html, page):
                found.setdefault((form.action, "POST"), (email, form, "POST"))
            for form in forms_on(html, page, "GET"):
                found.setdefault((form.action, "GET"), (email, form, "GET"))
    return [item for item in found.values() if not item[1].action.startswith(SESSION_ENDING)]


def _check(world: Flask, email: str, form: Form, method: str, data: dict[str, Any]) -> None:
    client = client_of(world, email)
    if method == "GET":
        query = {name: value for name, value in data.items() if value is not None}
        response = client.get(form.action, query_string=query, follow_redirects=True)
    else:
        payload = {name: value for name, value in data.items() if value is not None}
        response = client.post(form.action, data=payload, follow_redirects=True,
                               content_type="multipart/form-data" if form.multipart else None)
    page = response.get_data(as_text=True)
    assert response.status_code < 500, (method, form.action, data)
    assert MARKER not in page, ("unescaped", method, form.action)


def _fuzz(world: Flask, forms: list[tuple[str, Form, str]], method: str, part: int = 0, parts: int = 1) -> int:
    chosen = [item for item in forms if item[2] == method][part::parts]
    for email, form, _method in chosen:
        _fuzz_one(world, email, form, method)
    return len(chosen)


def _fuzz_one(world: Flask, email: str, form: Form, method: str) -> None:
    @SETTINGS
    @given(data=_values(form))
    def run(data: dict[str, Any]) -> None:
        _check(world, email, form, method, data)

    run()


@pytest.mark.parametrize("part", [0, 1])  # two halves, so that two workers share them
def test_every_post_form_survives_generated_input(world: Flask, forms: list[tuple[str, Form, str]], part: int) -> None:
    assert _fuzz(world, forms, "POST", part, 2) >= 20  # the demo's pages show about 60 forms


def test_every_query_string_page_survives_generated_input(world: Flask, forms: list[tuple[str, Form, str]]) -> None:
    assert _fuzz(world, forms, "GET") >= 5
