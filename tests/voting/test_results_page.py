"""The results page costs the same whatever the size of the vote: the close numbers a public
vote's ballots in the page's order (`listed_ballots`) and stores the participation tables with
each language's view, so a page of ballots is a range of positions and nothing is sorted,
counted or formatted per request; a long ranking shows its first rows and links to the whole."""

from __future__ import annotations

import json

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, func, select, update

from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.voting import presentation, services
from tadamon.voting import results as stored
from tadamon.voting.models import Ballot, ListedBallot, VoteResult
from tadamon.workshops.models import Phase
from tests.voting.test_stored_results import workshops_move
from tests.voting.test_voting import _closed_vote_with_ballots

pytestmark = pytest.mark.usefixtures("charter")


def _page(client, consultation, query="", language="en"):
    response = client.get(f"/consultations/{consultation.id}/results{query}", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _no_sorting(monkeypatch):
    """Makes the per-request sort of the public ballots fail the test."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the public ballots were sorted in a request")

    monkeypatch.setattr(services, "_public_ballots_query", refuse)


def _listing(vote):
    return db.session.execute(select(ListedBallot.position, Organisation.name_fr, Ballot.is_current)
                              .join(Ballot, Ballot.id == ListedBallot.ballot_id)
                              .join(Organisation, Organisation.id == Ballot.organisation_id)
                              .where(ListedBallot.round_id == vote.id).order_by(ListedBallot.position)).all()


def test_the_close_lists_the_current_public_ballots_in_the_pages_order(open_vote, members, client, login,
                                                                      monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    listing = _listing(vote)
    # Every current ballot once, numbered from 1 without gaps, in the order of the sorted query.
    assert [position for position, _name, _current in listing] == [1, 2, 3]
    assert all(current for _position, _name, current in listing)
    assert [o.id for o, _ballot in services.public_ballots(vote)] == [
        db.session.scalar(select(Ballot.organisation_id).join(ListedBallot, ListedBallot.ballot_id == Ballot.id)
                          .where(ListedBallot.round_id == vote.id, ListedBallot.position == position))
        for position in (1, 2, 3)]
    assert db.session.get(VoteResult, vote.id).listed_ballots == 3
    _no_sorting(monkeypatch)
    body = _page(client.application.test_client(), consultation)
    table = body.split("How each organisation voted", 1)[1]
    assert all(organisation.display_name in table for _person, organisation in members)


def test_pages_of_listed_ballots_are_ranges_of_positions(open_vote, members, client, login, monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    _no_sorting(monkeypatch)
    pages = [services.public_ballots_page(vote, number, 2, listed=3) for number in (1, 2, 3)]
    assert [(page.page, page.pages, page.total, len(page.items)) for page in pages] == [
        (1, 2, 3, 2), (2, 2, 3, 1), (1, 2, 3, 2)]  # past the last page: the first one
    names = [organisation.id for page in pages[:2] for organisation, _ballot in page.items]
    assert len(set(names)) == 3


def test_a_secret_vote_lists_no_ballot(open_vote, members, client, login):
    consultation, keys = open_vote("yes_no", secret=True)
    for person, _organisation in members:
        login(client, person)
        client.post(f"/consultations/{consultation.id}/vote", data={f"vote-{keys[0]}": "yes"})
    workshops_move(consultation, Phase.CLOSED)
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    assert db.session.scalar(select(func.count()).select_from(ListedBallot)) == 0
    assert db.session.get(VoteResult, vote.id).listed_ballots == 0
    views = json.loads(db.session.get(VoteResult, vote.id).views)
    assert all(view["secret"] is True for view in views.values())
    body = _page(client, consultation)
    assert "How each organisation voted" not in body and "Secret" in body


def test_participation_is_stored_formatted_in_each_language(open_vote, members, client, login, monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    views = json.loads(db.session.get(VoteResult, vote.id).views)
    counts = stored.participation(vote)
    assert sum(count.voted for count in counts["region"]) == 3
    for language, view in views.items():
        with force_locale(language):
            assert view["participation"] == json.loads(json.dumps(presentation.frozen_participation(counts)))
    monkeypatch.setattr(services, "participation_by", lambda *_args: pytest.fail("participation counted in a request"))
    body = _page(client, consultation, language="fr")
    assert views["fr"]["participation"]["region"][0][0] in body


def test_a_row_stored_before_the_listing_is_read_sorted_then_stored_again(open_vote, members, client, login,
                                                                          monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    client = client.application.test_client()  # anonymous: no message of the votes cast above
    expected = _page(client, consultation)
    # As a row stored before this revision: no listing, no participation in its views.
    row = db.session.get(VoteResult, vote.id)
    row.views = services.canonical({language: {key: value for key, value in view.items()
                                               if key not in ("participation", "secret", "chart_top")}
                                    for language, view in json.loads(row.views).items()})
    db.session.execute(delete(ListedBallot))
    db.session.execute(update(VoteResult).values(listed_ballots=None))
    db.session.commit()
    assert _page(client, consultation) == expected  # sorted, counted and formatted per request meanwhile
    monkeypatch.setattr(stored, "_backfill_done", {})
    assert stored.store_missing_results() == 1
    assert stored.store_missing_results() == 0
    db.session.commit()
    assert db.session.get(VoteResult, vote.id).listed_ballots == 3 and len(_listing(vote)) == 3
    _no_sorting(monkeypatch)
    assert _page(client, consultation) == expected


def test_a_long_ranking_shows_its_first_rows_and_links_to_the_whole(open_vote, members, client, login,
                                                                   monkeypatch):
    monkeypatch.setattr(presentation, "RANKING_SHOWN", 2)
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="schulze")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    view = json.loads(db.session.get(VoteResult, vote.id).views)["en"]
    titles = [row["title"] for row in view["rows"]]
    assert len(titles) == 3 and view["chart_top"] and view["chart_top"] != view["chart"]
    anonymous = client.application.test_client()
    body = _page(anonymous, consultation)
    ranking = body.split("The ranking in figures", 1)[1].split("</table>", 1)[0]
    assert [title in ranking for title in titles] == [True, True, False]
    assert "Proposals shown: 2 of 3." in body and "ranking=all" in body
    assert "Pairwise preferences" not in body and "Full ranking and pairwise preferences" in body
    whole = _page(anonymous, consultation, "?ranking=all")
    ranking = whole.split("The ranking in figures", 1)[1].split("</table>", 1)[0]
    assert all(title in ranking for title in titles)
    assert "Pairwise preferences" in whole and "Proposals shown" not in whole
    # A short ranking is shown whole, as before.
    monkeypatch.setattr(presentation, "RANKING_SHOWN", 10)
    assert "Proposals shown" not in _page(anonymous, consultation) and "Pairwise preferences" in _page(
        anonymous, consultation)
