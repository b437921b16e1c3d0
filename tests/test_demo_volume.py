"""`flask demo --scale N`: the volume added in bulk grows with N, and stays valid data (the
constraints hold, every vote's ledger verifies, a closed vote's results can be published)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tadamon.demo_volume import UNIT, VOTE_PHASES
from tadamon.extensions import db


def _counts() -> dict[str, int]:
    tables = {"organisations": "organisations", "proposals": "proposals", "comments": "comments",
              "ballots": "ballots", "plan actions": "plan_actions"}
    return {kind: db.session.scalar(select(func.count()).select_from(db.metadata.tables[table]))
            for kind, table in tables.items()}


def test_scale_two_doubles_the_unit_with_a_verified_ledger_and_publishable_results(app):
    from tadamon.voting.models import LedgerEntry, VotingRound
    from tadamon.workshops.models import Consultation, Phase
    from tadamon.workshops.services.consultations import move_phase

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    story = _counts()
    # Scale 1 is the demo's story alone, far below one unit of volume.
    assert all(story[kind] < UNIT[kind] for kind in UNIT), story

    result = runner.invoke(args=["demo", "--scale", "2"])
    assert result.exit_code == 0, result.output
    assert _counts() == {kind: 2 * per_unit for kind, per_unit in UNIT.items()}
    # Each kind reports what it added and how long it took.
    for kind in UNIT:
        assert re.search(rf"{kind}: [\d,]+ added in [\d.]+ s", result.output), (kind, result.output)
    # Every ballot is a ledger entry, and every vote's chain, rows and tally verify.
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 2 * UNIT["ballots"]
    rounds = db.session.execute(select(VotingRound.consultation_id, VotingRound.ledger_length)).all()
    assert len(rounds) >= len(VOTE_PHASES)
    for consultation_id, length in rounds:
        verified = runner.invoke(args=["verify-ledger", str(consultation_id)])
        assert verified.exit_code == 0, verified.output
        assert f"{length} entries, chain intact" in verified.output and "tally reproduced" in verified.output
    # The bulk votes are of the network's size: most of the roll voted.
    largest = max(length for _, length in rounds)
    assert largest >= 0.8 * 2 * UNIT["organisations"]
    # A closed vote's results are computed, and the facilitators can publish them.
    closed = db.session.scalars(select(Consultation).where(Consultation.phase == Phase.CLOSED)
                                .order_by(Consultation.id.desc())).first()
    assert closed is not None
    vote = db.session.scalar(select(VotingRound).where(VotingRound.consultation_id == closed.id))
    assert vote is not None and vote.results and vote.published_head == vote.ledger_head
    move_phase(None, closed, Phase.RESULTS_PUBLISHED)
    db.session.flush()
    assert closed.current_phase is Phase.RESULTS_PUBLISHED
