"""A secret vote, read from the database: no table links an organisation (or person) to its
ballot, ballot ids are not in casting order, and the voting credential is never stored; while
revoting with the credential works and, without it, the organisation is told how to recover."""

from __future__ import annotations

import json

from sqlalchemy import inspect, select, text

from tadamon.core.mail import PENDING_KEY
from tadamon.extensions import db
from tadamon.voting import ledger, services
from tadamon.voting.models import Ballot, LedgerEntry
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.voting.test_voting import facilitator_of

LINKING = ("organisation_id", "person_id", "user_id", "actor_id", "recipient", "email")


def _dump():
    """Every row of every table, as (table, {column: value})."""
    for table in inspect(db.session.connection()).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')).mappings():  # noqa: S608 - our tables
            yield table, dict(row)


def _vote(client, consultation, key, value, **extra):
    return client.post(f"/consultations/{consultation.id}/vote", data={f"vote-{key}": value, **extra},
                       headers={"Accept-Language": "en"})


def _secret_vote_cast(open_vote, members, client, login, app):
    consultation, keys = open_vote("yes_no", secret=True)
    clients = []
    for index, (person, _) in enumerate(members):
        browser = app.test_client()
        login(browser, person)
        assert _vote(browser, consultation, keys[0], "yes").status_code == 302
        assert _vote(browser, consultation, keys[1], ("no", "abstain", "yes")[index]).status_code == 302
        clients.append(browser)
    for browser in clients:  # a third ballot each: nine ballots in all
        assert _vote(browser, consultation, keys[2], "no").status_code == 302
    return consultation, keys, clients


def test_no_table_links_an_organisation_to_a_secret_ballot(open_vote, members, client, login, app):
    consultation, _, clients = _secret_vote_cast(open_vote, members, client, login, app)
    vote = services.round_of(consultation)
    ballots = db.session.scalars(select(Ballot).where(Ballot.round_id == vote.id)).all()
    assert len(ballots) == 9
    contents = {b.content for b in ballots} | {b.receipt for b in ballots} | {b.credential_hash for b in ballots}
    credentials = {c.get_cookie(f"tadamon_vote_{o.id}", path=f"/consultations/{consultation.id}/").value
                   for c, (_, o) in zip(clients, members, strict=True)}
    assert len(credentials) == 3
    for table, row in _dump():
        values = [str(v) for v in row.values() if v is not None]
        for credential in credentials:
            assert not any(services.normalise_credential(credential) in services.normalise_credential(v)
                           for v in values), f"{table} stores a voting credential"
        if any(content in value for content in contents for value in values):
            named = {column: row[column] for column in row if column in LINKING and row[column] is not None}
            assert not named, f"{table} holds {named} next to a secret ballot"
        if table == "ballots" and row["round_id"] == vote.id:
            assert row["cast_at"] is None and row["organisation_id"] is None and row["person_id"] is None
    for entry in db.session.scalars(select(LedgerEntry)):
        assert '"cast_at":null' in entry.canonical and '"organisation":null' in entry.canonical
    # The order of casting, from the ledger, is not the order of the ids.
    position = {e.entry_hash: e.position for e in db.session.scalars(select(LedgerEntry))}
    by_id = [position[b.receipt] for b in sorted(ballots, key=lambda b: b.id)]
    assert by_id != sorted(by_id)
    assert ledger.verify(vote) == []
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.CLOSED)
    db.session.commit()
    assert services.results_of(vote)["participants"] == 3 and ledger.verify(vote) == []


def test_revoting_needs_the_credential_and_says_how_to_recover(open_vote, members, client, login, app):
    consultation, keys = open_vote("yes_no", secret=True)
    person, organisation = members[0]
    login(client, person)
    assert _vote(client, consultation, keys[0], "yes").status_code == 302
    credential = client.get_cookie(f"tadamon_vote_{organisation.id}", path=f"/consultations/{consultation.id}/").value
    page = client.get(f"/consultations/{consultation.id}/vote", headers={"Accept-Language": "en"}).get_data(True)
    assert credential in page  # shown to whoever holds it, prefilled
    assert _vote(client, consultation, keys[0], "no").status_code == 302

    person.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    other_browser = app.test_client()
    login(other_browser, person)
    page = other_browser.get(f"/consultations/{consultation.id}/vote",
                             headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "receipt e-mail" in page and credential not in page
    refused = _vote(other_browser, consultation, keys[0], "abstain")
    assert refused.status_code == 400 and "voting code from the receipt e-mail" in refused.get_data(as_text=True)
    wrong = _vote(other_browser, consultation, keys[0], "abstain", credential="AAAA-BBBB")
    assert wrong.status_code == 400 and "does not open your organisation" in wrong.get_data(as_text=True)
    # Another organisation's representative cannot use this organisation's code.
    stranger = app.test_client()
    login(stranger, members[1][0])
    strange = _vote(stranger, consultation, keys[0], "yes", credential=credential)
    assert strange.status_code == 302, strange.get_data(as_text=True)
    typed = _vote(other_browser, consultation, keys[0], "abstain", credential=credential.lower().replace("-", " "))
    assert typed.status_code == 302
    vote = services.round_of(consultation)
    current = db.session.scalars(select(Ballot).where(Ballot.round_id == vote.id, Ballot.is_current.is_(True))).all()
    assert sorted(json.loads(b.content)["votes"][keys[0]] for b in current) == ["abstain", "yes"]


def test_the_credential_is_emailed_never_stored(open_vote, members, app, outbox):
    consultation, keys = open_vote("yes_no", secret=True)
    person, organisation = members[0]
    app.config["MAIL_SERVER"] = "127.0.0.1"  # so that messages are queued to be sent
    try:
        from werkzeug.datastructures import MultiDict

        cast = services.cast_ballot(person, consultation, organisation, MultiDict({f"vote-{keys[0]}": "yes"}))
        # Kept as prepared, built into messages once the transaction commits.
        sent = [prepared.message() for prepared in db.session.info.pop(PENDING_KEY, [])]
    finally:
        app.config["MAIL_SERVER"] = ""
    assert cast.credential and sent
    assert all(cast.credential in message.get_body(("plain",)).get_content() for message in sent)
    assert not [m for m in outbox() if cast.ballot.receipt in m.text_body]
    assert not [row for table, row in _dump() if table == "notifications"
                and cast.ballot.receipt in str(row["params_json"])]
