"""The consultation's export pack: one ZIP with its parts, in the language asked, from the
command and from the page (steering group only, after close); `flask tally` on its ballots
gives its results again."""

from __future__ import annotations

import io
import json
import zipfile

from tadamon.extensions import db
from tadamon.proposals.models import Comment, CoSignature, Proposal
from tadamon.voting import pack, services
from tadamon.voting.tally import tally_document
from tests.voting.test_voting import _closed_vote_with_ballots


def _with_comments_and_signatures(consultation, members):
    proposals = db.session.query(Proposal).filter_by(consultation_id=consultation.id).order_by(Proposal.id).all()
    (_, first_organisation), (person, second_organisation), _third = members
    db.session.add(CoSignature(proposal_id=proposals[0].id, organisation_id=second_organisation.id,
                               person_id=person.id))
    db.session.add(Comment(proposal_id=proposals[0].id, organisation_id=second_organisation.id, author_id=person.id,
                           body="Un commentaire public", depth=0))
    db.session.add(Comment(proposal_id=proposals[0].id, organisation_id=first_organisation.id, author_id=person.id,
                           body="Un commentaire masqué", depth=0, hidden_at=consultation.created_at))
    db.session.commit()
    return proposals


def test_the_pack_holds_its_parts_and_its_ballots_tally_to_its_results(open_vote, members, client, login, app,
                                                                       tmp_path):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login)
    proposals = _with_comments_and_signatures(consultation, members)
    output = tmp_path / "pack.zip"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-pack", str(consultation.id), "--lang", "fr", "-o", str(output)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == sorted(pack.PARTS)
        parts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    documents = {name: json.loads(text) for name, text in parts.items() if name.endswith(".json")}
    listed = documents["proposals.json"]["proposals"]
    assert [p["id"] for p in listed] == [f"p{p.id}" for p in proposals]
    assert listed[0]["versions"] and listed[0]["co_signatories"][0]["organisation"]["fr"] == members[1][1].name_fr
    bodies = [c["body"] for c in documents["comments.json"]["comments"]]
    assert bodies == ["Un commentaire public"]
    vote = services.round_of(consultation)
    ledger = documents["ledger.json"]
    assert ledger["head"] == (vote.published_head or vote.ledger_head)
    assert ledger["definition_hash"] == vote.definition_hash and len(ledger["entries"]) == vote.ledger_length
    assert "organisation" not in parts["ballots.json"] and "organisation" not in parts["ledger.json"]
    published = documents["results.json"]
    assert published == services.results_of(vote)
    assert tally_document(documents["ballots.json"]).as_dict() == {k: published[k]
                                                                    for k in ("winners", "ranking", "details")}
    # The command line the README gives: `flask tally ballots.json`.
    ballots = tmp_path / "ballots.json"
    ballots.write_text(parts["ballots.json"], encoding="utf-8")
    line = json.loads(runner.invoke(args=["tally", str(ballots)]).output.strip())
    assert line["winners"] == published["winners"] and line["ranking"] == published["ranking"]
    assert "flask tally ballots.json" in parts["README.md"] and vote.definition_hash in parts["README.md"]


def test_the_pack_is_the_steering_groups_once_voting_closed(open_vote, members, client, login, steering):
    consultation, _keys = open_vote()
    steering_member = steering
    login(client, steering_member)
    assert client.get(f"/consultations/{consultation.id}/pack").status_code == 403  # still voting
    closed = _closed_vote_with_ballots(open_vote, members, client, login)
    login(client, members[0][0])
    assert client.get(f"/consultations/{closed.id}/pack").status_code == 403
    login(client, steering_member)
    response = client.get(f"/consultations/{closed.id}/pack?lang=ar")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert set(archive.namelist()) == set(pack.PARTS)
    assert f'href="/consultations/{closed.id}/pack"' in client.get(f"/consultations/{closed.id}").get_data(True)
