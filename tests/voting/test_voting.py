"""Casting, changing, refusing, closing, publishing, exporting and verifying a vote."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tadamon.core.db import utcnow
from tadamon.core.notifications import Notification
from tadamon.extensions import db
from tadamon.membership.models import OrganisationMember
from tadamon.voting import ledger, services
from tadamon.voting.models import Ballot, LedgerEntry, VotingRound
from tadamon.voting.tally import tally_document
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase


def _ballot_form(method, keys, choice):
    """Form fields for a ballot: `choice` is the method's natural shape."""
    if method == "approval":
        return {"approve": choice}
    prefix = {"score": "score", "majority_judgment": "grade", "schulze": "rank", "yes_no": "vote"}[method]
    return {f"{prefix}-{key}": str(value) for key, value in choice.items()}


BALLOTS = {
    # method: (first ballot, changed ballot, what the changed ballot is stored as)
    "approval": (lambda k: [k[0]], lambda k: [k[1], k[2]], lambda k: {"approvals": [k[1], k[2]]}),
    "score": (lambda k: {k[0]: 5}, lambda k: {k[1]: 4, k[2]: 0}, lambda k: {"scores": {k[1]: 4, k[2]: 0}}),
    "majority_judgment": (lambda k: {k[0]: 5, k[1]: 0, k[2]: 0}, lambda k: {k[0]: 1, k[1]: 5, k[2]: 3},
                          lambda k: {"grades": {k[0]: 1, k[1]: 5, k[2]: 3}}),
    "schulze": (lambda k: {k[0]: 1}, lambda k: {k[2]: 1, k[0]: 2, k[1]: 2},
                lambda k: {"ranking": [[k[2]], [k[0], k[1]]]}),
    "yes_no": (lambda k: {k[0]: "yes"}, lambda k: {k[0]: "no", k[1]: "yes", k[2]: "abstain"},
               lambda k: {"votes": {k[0]: "no", k[1]: "yes", k[2]: "abstain"}}),
}


def _current(consultation):
    vote = services.round_of(consultation)
    return db.session.scalars(select(Ballot).where(Ballot.round_id == vote.id, Ballot.is_current.is_(True))).all()


def test_opening_freezes_the_roll_and_the_definition(open_vote, members):
    consultation, keys = open_vote("approval")
    vote = services.round_of(consultation)
    definition = services.definition_of(vote)
    assert vote.eligible_count == 3
    assert definition["eligible"] == sorted(o.id for _, o in members)
    assert [c["id"] for c in definition["candidates"]] == keys
    assert definition["options"] == {"max_approvals": 2}
    assert vote.definition_hash == services.sha256(vote.definition) and len(vote.definition_hash) == 64


@pytest.mark.parametrize("method", list(BALLOTS))
def test_each_method_casts_changes_and_counts_the_last_ballot(method, open_vote, members, client, login, outbox):
    consultation, keys = open_vote(method)
    first, changed, stored = BALLOTS[method]
    person, organisation = members[0]
    login(client, person)
    page = client.get(f"/consultations/{consultation.id}/vote")
    assert page.status_code == 200
    assert services.round_of(consultation).definition_hash in page.get_data(as_text=True)

    response = client.post(f"/consultations/{consultation.id}/vote", data=_ballot_form(method, keys, first(keys)))
    assert response.status_code == 302
    first_receipt = _current(consultation)[0].receipt
    response = client.post(f"/consultations/{consultation.id}/vote", data=_ballot_form(method, keys, changed(keys)))
    assert response.status_code == 302
    ballots = _current(consultation)
    assert len(ballots) == 1 and json.loads(ballots[0].content) == stored(keys)
    assert ballots[0].receipt != first_receipt and ballots[0].person_id == person.id
    page = client.get(f"/consultations/{consultation.id}/vote").get_data(as_text=True)
    assert ballots[0].receipt in page
    # The receipt was emailed to the person who voted (on PostgreSQL the ledger's turn writes
    # the message and the notification, filling in the receipt: in the text, the HTML and the
    # in-app notification alike).
    mailed = [message for message in outbox() if ballots[0].receipt in message.text_body]
    assert mailed and ballots[0].receipt in mailed[0].html_body and mailed[0].recipient == person.email
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == person.id, Notification.params_json.contains(ballots[0].receipt))) == 1

    # The others vote; the facilitator closes; the results are the tally of the current ballots.
    for other_person, _ in members[1:]:
        login(client, other_person)
        assert client.post(f"/consultations/{consultation.id}/vote",
                           data=_ballot_form(method, keys, first(keys))).status_code == 302
    facilitator = facilitator_of(consultation)
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    db.session.commit()
    vote = services.round_of(consultation)
    results = services.results_of(vote)
    assert results["participants"] == 3 and vote.published_head == vote.ledger_head
    expected = services.tally_ballots(services.definition_of(vote), [stored(keys), *[
        json.loads(b.content) for b in _current(consultation) if b.organisation_id != organisation.id]], 3)
    assert results["winners"] == expected.winners and results["ranking"] == expected.ranking
    assert ledger.verify(vote) == []


def test_ballot_form_keeps_choices_and_explains_a_bad_ballot(open_vote, members, client, login):
    consultation, keys = open_vote("approval")
    login(client, members[1][0])  # who reads French
    response = client.post(f"/consultations/{consultation.id}/vote", data={"approve": keys})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "au plus 2" in body  # at most 2, in French
    assert body.count("checked") == 3  # what was ticked is still ticked
    assert _current(consultation) == []


def test_a_plain_member_votes_only_when_the_organisation_allows_it(open_vote, members, client, login, create_user):
    consultation, keys = open_vote("approval")
    representative, organisation = members[1]
    colleague = create_user(email="colleague@example.org", language="fr")
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=colleague.id, role="member"))
    db.session.commit()
    login(client, colleague)
    response = client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]})
    assert response.status_code == 400
    assert "Seul un représentant" in response.get_data(as_text=True)  # in the colleague's French
    assert client.get(f"/consultations/{consultation.id}/vote").status_code == 403

    login(client, representative)
    assert client.post(f"/organisations/{organisation.id}/voting-rights",
                       data={"members_may_vote": "yes"}).status_code == 302
    login(client, colleague)
    assert client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]}).status_code == 302
    assert len(_current(consultation)) == 1


def test_an_organisation_not_on_the_frozen_roll_is_refused(open_vote, client, login, create_user,
                                                          complete_application):
    consultation, keys = open_vote("approval")
    latecomer = create_user(email="late@example.org", language="en")
    complete_application(latecomer, name_ar="جمعية متأخرة", approved=True)  # approved after voting opened
    login(client, latecomer)
    page = client.get(f"/consultations/{consultation.id}/vote", headers={"Accept-Language": "en"})
    assert page.status_code == 403
    assert "not on the list of organisations that may vote" in page.get_data(as_text=True)
    response = client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]})
    assert response.status_code == 400 and _current(consultation) == []


def test_a_ballot_one_second_after_the_close_is_refused(open_vote, members, client, login):
    consultation, keys = open_vote("approval")
    consultation.closed_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    login(client, members[0][0])
    response = client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]},
                           headers={"Accept-Language": "en"})
    assert response.status_code in (400, 403)
    assert _current(consultation) == []
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_secret_ballots_keep_no_person_and_show_only_totals(open_vote, members, client, login):
    consultation, keys = open_vote("yes_no", secret=True)
    for person, _ in members:
        login(client, person)
        client.post(f"/consultations/{consultation.id}/vote", data={f"vote-{keys[0]}": "yes"})
    ballots = _current(consultation)
    assert len(ballots) == 3 and all(b.person_id is None for b in ballots)
    for entry in db.session.scalars(select(LedgerEntry)):
        assert json.loads(entry.canonical)["organisation"] is None
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.CLOSED)
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    page = client.get(f"/consultations/{consultation.id}/results", headers={"Accept-Language": "en"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Adopted:" in body
    assert "How each organisation voted" not in body


def test_public_ballots_are_shown_after_publication(open_vote, members, client, login):
    consultation, keys = open_vote("approval")
    login(client, members[0][0])
    client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[2]]})
    # Not before the close: no results page at all.
    assert client.get(f"/consultations/{consultation.id}/results").status_code == 403
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.CLOSED)
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    body = client.get(f"/consultations/{consultation.id}/results", headers={"Accept-Language": "ar"}).get_data(
        as_text=True)
    assert 'dir="rtl"' in body and "<svg" in body and "<table" in body
    assert members[0][1].display_name in body
    assert services.round_of(consultation).published_head in body
    # How anyone checks the count, named on the page.
    assert f"flask verify-ledger {consultation.id}" in body


def test_public_ballots_come_a_page_at_a_time(open_vote, members, client, login, monkeypatch):
    """A national vote has thousands of public ballots: the results page lists them by pages,
    every ballot on exactly one page, with links between pages."""
    consultation, keys = open_vote("approval")
    for person, organisation in members[:3]:
        login(client, person)
        client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]})
        client.get("/account/logout")
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.CLOSED)
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    monkeypatch.setattr(services, "PUBLIC_BALLOTS_PER_PAGE", 2)
    monkeypatch.setattr(services.public_ballots_page, "__defaults__", (2,))
    pages = [client.get(f"/consultations/{consultation.id}/results?page={number}",
                        headers={"Accept-Language": "en"}).get_data(as_text=True) for number in (1, 2)]
    names = [organisation.display_name for _person, organisation in members[:3]]
    tables = [page.split("How each organisation voted", 1)[1].split("</table>", 1)[0] for page in pages]
    assert [sum(name in table for name in names) for table in tables] == [2, 1]
    assert 'rel="next"' in pages[0] and 'rel="prev"' in pages[1]
    assert "Page 1 of 2" in pages[0]


def test_receipts_page_lists_and_checks_receipts(open_vote, members, client, login):
    consultation, keys = open_vote("approval")
    login(client, members[0][0])
    client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[0]]})
    client.post(f"/consultations/{consultation.id}/vote", data={"approve": [keys[1]]})
    client.get("/account/logout")
    first, second = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position)).all()
    anonymous = client.application.test_client()
    page = anonymous.get(f"/consultations/{consultation.id}/receipts?receipt={second.entry_hash}",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert first.entry_hash in page and "and it counts" in page
    page = anonymous.get(f"/consultations/{consultation.id}/receipts?receipt={first.entry_hash}",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "replaced it" in page
    page = anonymous.get(f"/consultations/{consultation.id}/receipts?receipt=abc",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No ballot has this receipt" in page


def _closed_vote_with_ballots(open_vote, members, client, login, method="schulze"):
    consultation, keys = open_vote(method)
    choices = [{keys[0]: 1, keys[1]: 2}, {keys[1]: 1}, {keys[2]: 1, keys[0]: 1}]
    for (person, _), choice in zip(members, choices, strict=True):
        login(client, person)
        assert client.post(f"/consultations/{consultation.id}/vote",
                           data=_ballot_form(method, keys, choice)).status_code == 302
    workshops.move_phase(facilitator_of(consultation), consultation, Phase.CLOSED)
    db.session.commit()
    return consultation


def test_export_then_tally_reproduces_the_results(open_vote, members, client, login, app, tmp_path):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login)
    runner = app.test_cli_runner()
    exported = tmp_path / "ballots.json"
    result = runner.invoke(args=["export-ballots", str(consultation.id), "--output", str(exported)])
    assert result.exit_code == 0, result.output
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "tadamon-ballots/1" and len(document["ballots"]) == 3
    assert "organisation" not in exported.read_text(encoding="utf-8")
    published = services.results_of(services.round_of(consultation))
    assert tally_document(document).as_dict() == {k: published[k] for k in ("winners", "ranking", "details")}
    result = runner.invoke(args=["tally", str(exported)])
    line = json.loads(result.output.strip())
    assert line["winners"] == published["winners"] and line["ranking"] == published["ranking"]


def test_verify_ledger_names_a_modified_a_removed_and_a_reordered_entry(open_vote, members, client, login, app):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-ledger", str(consultation.id)])
    assert result.exit_code == 0 and "chain intact" in result.output

    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position)).all()
    # One byte changed in the second entry.
    original = entries[1].canonical
    entries[1].canonical = original.replace('"format"', '"formaT"', 1)
    db.session.commit()
    result = runner.invoke(args=["verify-ledger", str(consultation.id)])
    assert result.exit_code == 1 and f"entry {entries[1].id} at position 2" in result.output
    assert "modified" in result.output
    entries[1].canonical = original
    db.session.commit()

    # The first entry removed.
    db.session.delete(entries[0])
    db.session.commit()
    result = runner.invoke(args=["verify-ledger", str(consultation.id)])
    assert result.exit_code == 1 and "removed" in result.output


def test_verify_ledger_names_reordered_entries(open_vote, members, client, login, app):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login)
    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position)).all()
    entries[0].position, entries[1].position = 100, 101
    db.session.flush()
    entries[0].position, entries[1].position = 2, 1
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["verify-ledger", str(consultation.id)])
    assert result.exit_code == 1 and "reordered" in result.output


def test_closing_twice_is_a_compare_and_set(open_vote):
    consultation, _ = open_vote("approval")
    assert services.close_round(None, consultation) is True
    assert services.close_round(None, consultation) is False
    assert db.session.scalar(select(func.count()).select_from(VotingRound)) == 1


def test_voting_cannot_open_without_a_proposal(facilitator):
    consultation = workshops.save_consultation(facilitator, None, None, workshops.ConsultationData(
        question_fr="Vide ?", max_approvals=1))
    for phase in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION):
        workshops.move_phase(facilitator, consultation, phase)
    with pytest.raises(services.VoteError):
        workshops.move_phase(facilitator, consultation, Phase.VOTING)


def facilitator_of(consultation):
    from tadamon.accounts.models import User

    return db.session.get(User, consultation.created_by_id)


def _queries(client, path):
    from sqlalchemy import event

    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_results_and_receipts_pages_do_not_query_per_ballot(open_vote, members, client, login):
    consultation, keys = open_vote("schulze")
    login(client, members[0][0])
    client.post(f"/consultations/{consultation.id}/vote", data={f"rank-{keys[0]}": "1"})
    facilitator = facilitator_of(consultation)
    login(client, facilitator)
    few = (_queries(client, f"/consultations/{consultation.id}/receipts"),)
    for person, _ in members[1:]:
        login(client, person)
        for rank in ("1", "2", "1"):
            client.post(f"/consultations/{consultation.id}/vote", data={f"rank-{keys[1]}": rank})
    login(client, facilitator)
    many = (_queries(client, f"/consultations/{consultation.id}/receipts"),)
    assert few == many
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    workshops.move_phase(facilitator, consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    results = _queries(client, f"/consultations/{consultation.id}/results")
    assert results <= 16


def test_can_cast_answers_for_the_actor_it_is_given(open_vote, members, create_user):
    from tadamon.core.actor import Actor
    from tadamon.voting.permissions import can_cast

    consultation, _keys = open_vote("approval")
    (first, first_organisation), (second, second_organisation) = members[0], members[1]
    colleague = create_user(email="colleague@example.org", language="fr")
    db.session.add(OrganisationMember(organisation_id=first_organisation.id, user_id=colleague.id, role="member"))
    db.session.flush()
    assert can_cast(Actor(first, first_organisation), consultation)
    assert can_cast(Actor(second, second_organisation), consultation)
    assert not can_cast(Actor(first, second_organisation), consultation)  # not its representative
    assert not can_cast(Actor(first, None), consultation)  # no organisation chosen
    assert not can_cast(Actor(colleague, first_organisation), consultation)  # a plain member, not allowed
    first_organisation.members_may_vote = True
    assert can_cast(Actor(colleague, first_organisation), consultation)
