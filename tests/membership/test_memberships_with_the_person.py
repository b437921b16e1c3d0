"""Who is reading comes in one statement: the logged-in person's query (accounts) joins their
memberships, organisations and each one's adherence to the current charter (membership's
`load_with_the_person`); what it loaded is what the permissions are asked with."""

from __future__ import annotations

from tadamon.extensions import db
from tadamon.membership import services
from tests import support
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401


def _take_part_link(page: str, organisation_id: int) -> bool:
    return f'action="/membership/{organisation_id}/adhere"' in page


def test_the_organisations_and_their_adherence_come_with_the_person(app, create_user, login, steering,
                                                                   complete_application):
    representative = create_user()
    organisation = complete_application(representative, approved=True)
    client = app.test_client()
    login(client, representative)
    response, statements = support.page_statements(client, "/organisations")
    assert response.status_code == 200
    layout = [statement for statement in statements if "organisation_members" in statement]
    assert len(layout) == 1 and "user_sessions" in layout[0], statements  # memberships joined to the session
    page = response.get_data(as_text=True)
    assert organisation.display_name in page  # the acting organisation's box, from the joined rows

    # The adherence comes from the joined rows, as the charter's own query answers it.
    from sqlalchemy import event

    from tadamon.accounts.models import User
    from tadamon.accounts.services import find_user_session, start_session
    from tadamon.membership.services.memberships import memberships_by_organisation

    session_id = start_session(representative, ip_address=None, user_agent="test")
    db.session.commit()
    person_id, organisation_id, steering_id = representative.id, organisation.id, steering.id
    for adheres in (True, False):
        if not adheres:  # a new version of the charter, not yet adhered to
            draft = services.start_charter_draft(db.session.get(User, steering_id))
            services.save_principle(draft, None, {"title_fr": "Participation"})
            services.publish_charter(db.session.get(User, steering_id), draft)
            db.session.commit()
        db.session.expunge_all()  # as a request starts: nothing loaded yet
        with app.test_request_context():
            person = find_user_session(person_id, session_id)
            seen: list[str] = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                memberships = memberships_by_organisation(person)
                assert seen == []  # loaded with the person
                assert services.adheres_to_current_charter(memberships[organisation_id].organisation) is adheres
                assert seen == []  # remembered from the same rows
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)


def test_memberships_changed_in_the_request_are_read_again(app, create_user, charter, complete_application):
    from sqlalchemy import event

    from tadamon.membership.services.memberships import (
        forget_cached_memberships,
        memberships_by_organisation,
    )

    person = create_user()
    organisation = complete_application(person, approved=True)
    with app.test_request_context():
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert organisation.id in memberships_by_organisation(person)
            asked = len(seen)
            assert memberships_by_organisation(person)  # kept for the request
            assert len(seen) == asked
            forget_cached_memberships()
            assert organisation.id in memberships_by_organisation(person)
            assert len(seen) == asked + 1  # read again from the database, not from what was loaded
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
