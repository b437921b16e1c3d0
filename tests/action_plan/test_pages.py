"""The plan's pages: query counts that do not grow with the plan, filters, the working plan,
and bad input answered with a message, never a 500."""

from __future__ import annotations

from sqlalchemy import event

from tadamon.action_plan import services
from tadamon.extensions import db


def _queries(client, path):
    db.session.expire_all()  # every page starts from a cold session, as in production
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (path, response.status_code)
    # The test harness's own savepoints are not the page's queries.
    return len([statement for statement in seen if not statement.startswith(("SAVEPOINT", "RELEASE"))])


def _grow(make_action, ids, members, steering, count):
    actions = [make_action(ids[i % 3: i % 3 + 1]) for i in range(count)]
    for action in actions:
        person, organisation = members[action.id % 3]
        services.decide_commitment(steering, services.volunteer(person, organisation, action, "lead", ""), True)
    db.session.commit()
    return actions


def test_query_counts_do_not_grow_with_the_plan(results, members, steering, make_action, client, login):
    _consultation, ids = results
    login(client, steering)
    first = _grow(make_action, ids, members, steering, 2)
    for _version in range(2):
        services.publish_version(steering, services.submit_for_review(steering))
        db.session.commit()
    pages = ["/plan", "/plan?status=planned", f"/plan/actions/{first[0].id}", "/plan/working", "/plan/board",
             "/plan/versions", "/plan/versions/{number}/diff"]
    small = {page: _queries(client, page.format(number=2)) for page in pages}
    _grow(make_action, ids, members, steering, 8)
    services.publish_version(steering, services.submit_for_review(steering))
    db.session.commit()
    large = {page: _queries(client, page.format(number=3)) for page in pages}
    assert large == small


def test_filters_and_bad_input(results, steering, make_action, client, login):
    _consultation, ids = results
    national = make_action(ids[:1], title_fr="Action nationale")
    make_action(ids[1:2], title_fr="Action régionale", territory_scope="regions", regions=["DTA"],
                status="in_progress", progress=40)
    services.publish_version(steering, services.submit_for_review(steering))
    db.session.commit()
    assert "Action régionale" not in client.get("/plan?region=national").get_data(as_text=True)
    page = client.get("/plan?region=DTA&status=in_progress").get_data(as_text=True)
    assert "Action régionale" in page and "Action nationale" not in page
    assert "1 of 2 actions shown" in page
    for path in ("/plan?theme=" + "x" * 5000, "/plan?status=%00", "/plan/versions/99999999999999",
                 "/plan/actions/99999999999999", "/plan/exports/" + "a" * 300, "/plan/actions/new?proposal=x"):
        assert client.get(path).status_code in (200, 302, 400, 404), path  # a NUL gets the 400 page
    login(client, steering)
    assert client.get("/plan/actions/new?proposal=abc").status_code == 302  # back to the board
    response = client.post("/plan/actions/new", data={"proposal": str(ids[0]), "title_fr": "",
                                                      "territory_scope": "regions", "regions": ["XXX"],
                                                      "progress": "250", "budget_estimate": "beaucoup",
                                                      "milestones-0-due_on": "31/02/2027"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for message in ("Enter a whole number from 0 to 100.", "Enter a number, for example 1500 or 12.5.",
                    "Enter a date, for example 2027-03-14."):
        assert message in text
    response = client.post(f"/plan/actions/{national.id}/edit", data={
        "title_ar": "", "title_fr": "", "title_en": "", "territory_scope": "national", "status": "planned",
        "progress": "0", "description_fr": "Un long texte " * 200})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Give the action a title in at least one language." in text and "Un long texte Un long texte" in text
