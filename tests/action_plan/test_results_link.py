"""An action links to its vote's results only where the reader may open them: a vote closed but
not yet published answers 403, so its action shows no link."""

from __future__ import annotations

from tadamon.extensions import db
from tadamon.workshops.models import Phase


def test_the_results_link_follows_the_results_permission(results, make_action, members, client, login):
    consultation, ids = results
    action = make_action(ids[:1])
    link = f'href="/consultations/{consultation.id}/results"'
    person, _organisation = members[0]
    login(client, person)
    assert link in client.get(f"/plan/actions/{action.id}").get_data(as_text=True)
    consultation.phase = Phase.CLOSED  # as if the results were not published yet
    db.session.commit()
    page = client.get(f"/plan/actions/{action.id}").get_data(as_text=True)
    assert link not in page
    assert client.get(f"/consultations/{consultation.id}/results").status_code == 403
