"""The results of a closed vote, computed once and stored (`VoteResult`), then only read.

A closed vote never changes (the close is a compare-and-set and its ledger is frozen), so its
tally and its presentation in each language (ranks, figures in words, the chart) are computed
at the close and stored. The results page, the action plan's source entries, the export pack
and the API read the stored row: no request re-tallies or re-formats a results table. So that
the results page costs the same whatever the size of the vote, the close also stores what the
page would otherwise count, sort or format per request: the participation tables (the roll is
frozen) in each language's view, and, for a public vote, its ballots numbered in the page's
order (`ListedBallot`). Rounds closed before the table (or the listing) existed get their row
from the periodic task; until then a reader computes it in memory (a read never writes, so a
GET never takes a write lock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale, get_locale
from sqlalchemy import delete, func, insert, literal, select

from tadamon.core.i18n import TEXT_LANGUAGES
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.voting import services
from tadamon.voting.models import (
    Ballot,
    EligibleOrganisation,
    ListedBallot,
    VoteResult,
    VotingRound,
)


@dataclass
class StoredResults:
    """A closed vote's results: the tally (`results_of`'s dict) and {language: view data};
    `listed`: how many public ballots are listed in order, None when not stored (a round
    closed before the listing existed, until the periodic task stores it)."""

    tally: dict[str, Any]
    views: dict[str, dict[str, Any]]
    ledger_head: str
    listed: int | None = None

    def view(self, language: str) -> dict[str, Any] | None:
        return self.views.get(language)


def compute(vote: VotingRound, tally: dict[str, Any]) -> StoredResults:
    """The views of `tally` in every language: the one place results are formatted."""
    from tadamon.voting import presentation

    proposals = services.proposals_by_key(vote)
    counts = participation(vote)
    secret = services.is_secret(vote)
    views = {}
    for code in TEXT_LANGUAGES:
        with force_locale(code):
            views[code] = {**presentation.freeze_view(presentation.results_view(tally, proposals)), "secret": secret,
                           "participation": presentation.frozen_participation(counts)}
    return StoredResults(tally, views, vote.published_head or vote.ledger_head)


def participation(vote: VotingRound) -> dict[str, list[services.ParticipationCount]]:
    """Participation by region and by legal form (two grouped reads of the roll)."""
    return {kind: services.participation_by(vote, column)
            for kind, column in (("region", EligibleOrganisation.region),
                                 ("legal_form", EligibleOrganisation.legal_form))}


def list_ballots(vote: VotingRound) -> int:
    """Numbers a closed public vote's current ballots in the results page's order, in one
    INSERT ... SELECT; returns how many. Lists nothing for a secret vote (its ballots name no
    organisation, and their order must tell nothing)."""
    db.session.execute(delete(ListedBallot).where(ListedBallot.round_id == vote.id))
    if services.is_secret(vote):
        return 0
    ordered = (select(literal(vote.id), func.row_number().over(order_by=services.PUBLIC_BALLOTS_ORDER), Ballot.id)
               .join(Organisation, Organisation.id == Ballot.organisation_id)
               .where(Ballot.round_id == vote.id, Ballot.is_current.is_(True)))
    db.session.execute(insert(ListedBallot).from_select(["round_id", "position", "ballot_id"], ordered))
    return int(db.session.scalar(select(func.count()).select_from(ListedBallot)
                                 .where(ListedBallot.round_id == vote.id)) or 0)


def store(vote: VotingRound) -> VoteResult | None:
    """Writes a closed vote's results row (at the close, or later for an older round), with its
    participation tables and its listed ballots. Flushes; None when the vote has no results yet."""
    tally = services.results_of(vote)
    if tally is None:
        return None
    computed = compute(vote, tally)
    row = db.session.get(VoteResult, vote.id) or VoteResult(round_id=vote.id)
    row.method, row.ledger_head = tally["method"], computed.ledger_head
    row.tally, row.views = services.canonical(tally), services.canonical(computed.views)
    row.listed_ballots = list_ballots(vote)
    db.session.add(row)
    db.session.flush()
    return row


def _read(row: VoteResult) -> StoredResults:
    return StoredResults(json.loads(row.tally), json.loads(row.views), row.ledger_head, row.listed_ballots)


def stored_results(vote: VotingRound) -> StoredResults | None:
    """The results of a closed vote, read from their row (one primary-key read); computed in
    memory for a round whose row the periodic task has not written yet. None before the close."""
    row = db.session.get(VoteResult, vote.id)
    if row is not None:
        return _read(row)
    tally = services.results_of(vote)
    return compute(vote, tally) if tally is not None else None


def rounds_with_results(consultation_ids: set[int]) -> tuple[dict[int, VotingRound], dict[int, StoredResults]]:
    """The votes of these consultations, by consultation id, and their stored results, by round
    id, in one query (the rounds outer-joined with their results: the action plan's sources).
    A closed round whose row the periodic task has not written yet is computed in memory."""
    if not consultation_ids:
        return {}, {}
    rows = db.session.execute(select(VotingRound, VoteResult)
                              .outerjoin(VoteResult, VoteResult.round_id == VotingRound.id)
                              .where(VotingRound.consultation_id.in_(consultation_ids))).all()
    rounds: dict[int, VotingRound] = {}
    found: dict[int, StoredResults] = {}
    for vote, row in rows:
        rounds[vote.consultation_id] = vote
        if vote.results is None:
            continue
        if row is not None:
            found[vote.id] = _read(row)
            continue
        tally = services.results_of(vote)
        if tally is not None:
            found[vote.id] = compute(vote, tally)
    return rounds, found


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "fr"


# Per process: set once a pass found every closed round stored. Rounds closing from then on are
# stored by their close, so the backfill never needs to look again (no query per tick).
_backfill_done: dict[str, bool] = {}


def store_missing_results() -> int:
    """The periodic task: writes the row of every closed round that has results but no row, or
    a row without its listed ballots (rounds closed before either was stored), a few per tick.
    Returns how many it wrote."""
    if _backfill_done.get("done"):
        return 0
    complete = select(VoteResult.round_id).where(VoteResult.listed_ballots.is_not(None))
    missing = db.session.scalars(
        select(VotingRound).where(VotingRound.results.is_not(None), VotingRound.id.not_in(complete))
        .order_by(VotingRound.id).limit(20)).all()
    for vote in missing:
        store(vote)
    if not missing:
        _backfill_done["done"] = True
    return len(missing)
