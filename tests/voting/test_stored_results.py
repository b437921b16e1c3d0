"""The results of a closed vote are computed once, at the close, and stored (`vote_results`):
pages, the action plan and rounds closed before the table existed read that row, and no
request re-tallies or re-formats a results table."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select

from tadamon.action_plan import services as plan
from tadamon.extensions import db
from tadamon.voting import presentation, services
from tadamon.voting import results as stored
from tadamon.voting.models import VoteResult
from tadamon.workshops.models import Phase
from tests.action_plan.conftest import make_action, results  # noqa: F401
from tests.membership.conftest import steering  # noqa: F401
from tests.voting.test_voting import _closed_vote_with_ballots, facilitator_of
from tests.workshops.conftest import theme  # noqa: F401

pytestmark = pytest.mark.usefixtures("charter")


def _no_formatting(monkeypatch):
    """Makes any rebuilding of a results table fail the test."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a results table was rebuilt in a request")

    monkeypatch.setattr(presentation, "results_view", refuse)


def test_the_close_stores_the_tally_and_its_views_in_every_language(open_vote, members, client, login):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="schulze")
    vote = services.round_of(consultation)
    row = db.session.get(VoteResult, vote.id)
    assert row is not None and row.method == "schulze" and row.ledger_head == vote.published_head
    assert json.loads(row.tally) == services.results_of(vote)
    views = json.loads(row.views)
    assert set(views) == {"ar", "fr", "en"}
    keys = services.candidate_keys(vote)
    for view in views.values():
        assert sorted(r["key"] for r in view["rows"]) == sorted(keys)
    # Each language's figures were worded in that language.
    assert views["en"]["rows"][0]["figure"] != views["ar"]["rows"][0]["figure"]


def test_the_results_page_reads_the_stored_row(open_vote, members, client, login, monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    stored = json.loads(db.session.get(VoteResult, vote.id).views)
    _no_formatting(monkeypatch)
    anonymous = client.application.test_client()
    for language in ("ar", "fr", "en"):
        body = anonymous.get(f"/consultations/{consultation.id}/results",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        assert stored[language]["winners_sentence"] in body
        assert stored[language]["rows"][0]["figure"] in body
        assert "<svg" in body


def test_a_round_closed_before_the_table_is_computed_on_read_then_backfilled(open_vote, members, client, login,
                                                                            monkeypatch):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login, method="approval")
    workshops_move(consultation, Phase.RESULTS_PUBLISHED)
    vote = services.round_of(consultation)
    expected = json.loads(db.session.get(VoteResult, vote.id).views)
    db.session.execute(delete(VoteResult))
    db.session.commit()
    # Without its row a reader still gets the results (computed in memory: a read never writes).
    found = stored.stored_results(vote)
    assert found is not None and found.views == expected and found.tally == services.results_of(vote)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(VoteResult)) == 0
    # The periodic task writes it once; then reads never rebuild it.
    monkeypatch.setattr(stored, "_backfill_done", {})
    assert stored.store_missing_results() == 1
    assert stored.store_missing_results() == 0
    db.session.commit()
    assert json.loads(db.session.get(VoteResult, vote.id).views) == expected
    _no_formatting(monkeypatch)
    assert client.get(f"/consultations/{consultation.id}/results").status_code == 200


def test_an_action_reads_its_sources_results_from_the_stored_row(results, make_action, monkeypatch):  # noqa: F811
    consultation, ids = results
    action = make_action(ids[:2])
    vote = services.round_of(consultation)
    views = json.loads(db.session.get(VoteResult, vote.id).views)
    _no_formatting(monkeypatch)
    db.session.expire_all()
    entry = plan.serialise_action(action, plan.load_related([action]))
    for source in entry["sources"]:
        key = source["proposal"].replace("proposal-", "p")
        vote_entry = source["vote"]
        for language in ("ar", "fr", "en"):
            row = next(r for r in views[language]["rows"] if r["key"] == key)
            assert vote_entry["figure"][language] == row["figure"]
            assert vote_entry["rank"] == row["rank"]
        assert vote_entry["ledger_head"] == vote.published_head


def workshops_move(consultation, phase):
    from tadamon.workshops import services as workshops

    workshops.move_phase(facilitator_of(consultation), consultation, phase)
    db.session.commit()
