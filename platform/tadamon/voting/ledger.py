"""The ledger, read back: the anonymised ballot export and the verification of the chain.

`verify` recomputes the hash chain and the tally from the database alone; `flask
verify-ledger` prints what it finds and `flask export-ballots` writes `export_document`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.extensions import db
from tadamon.voting import services
from tadamon.voting.methods import BallotError, VoteError
from tadamon.voting.models import GENESIS, Ballot, LedgerEntry, VotingRound
from tadamon.voting.services import (
    canonical,
    chain_hash,
    current_contents,
    definition_of,
    receipts,
    results_of,
    tally_ballots,
)
from tadamon.voting.tally import FORMAT


def export_document(vote: VotingRound) -> dict[str, Any]:
    """The anonymised ballots of a closed vote, in the tadamon-ballots/1 format. Sorted by
    their own text, so nothing of the order of casting (nor who cast) survives."""
    if vote.closed_at is None:
        raise VoteError(_l("Ballots are exported once voting has closed."))
    definition = definition_of(vote)
    ballots = sorted(current_contents(vote), key=canonical)
    return {"format": FORMAT, "method": definition["method"],
            "candidates": [c["id"] for c in definition["candidates"]],
            "options": {**definition["options"], "eligible": vote.eligible_count},
            "ballots": ballots}


@dataclass
class Problem:
    position: int | None
    entry_id: int | None
    message: str


def _entry_problems(entry: LedgerEntry, previous: str, expected_position: int) -> list[Problem]:
    """What does not hold in one entry, given the hash before it and the position it should have."""
    found = []
    if entry.position != expected_position:
        kind = "removed" if entry.position > expected_position else "inserted or reordered"
        found.append(f"entry {entry.id}: position {entry.position} where {expected_position} was expected "
                     f"(an entry was {kind})")
    if entry.previous_hash != previous:
        found.append(f"entry {entry.id} at position {entry.position}: its previous hash does not match the entry "
                     "before it (an entry was removed, inserted or reordered)")
    if chain_hash(entry.previous_hash, entry.canonical) != entry.entry_hash:
        found.append(f"entry {entry.id} at position {entry.position}: its content does not match its hash "
                     "(the entry was modified)")
    recorded = services.entry_data(entry).get("position")
    if recorded not in (None, entry.position):
        found.append(f"entry {entry.id}: it was recorded at position {recorded}, it now stands at "
                     f"{entry.position} (entries were reordered)")
    return [Problem(entry.position, entry.id, message) for message in found]


def _chain_problems(vote: VotingRound, entries: list[LedgerEntry]) -> list[Problem]:
    """The chain, entry by entry, then its length and its head."""
    problems: list[Problem] = []
    previous, expected_position = GENESIS, 1
    for entry in entries:
        problems += _entry_problems(entry, previous, expected_position)
        previous, expected_position = entry.entry_hash, entry.position + 1
    if vote.ledger_length != len(entries):
        problems.append(Problem(None, None, f"the ledger holds {len(entries)} entries, the vote recorded "
                                            f"{vote.ledger_length}"))
    head = vote.published_head or vote.ledger_head
    if entries and entries[-1].entry_hash != head:
        problems.append(Problem(entries[-1].position, entries[-1].id,
                                f"the last entry's hash {entries[-1].entry_hash} is not the published head {head}"))
    return problems


def counted_by_ledger(entries: Iterable[LedgerEntry]) -> dict[str, dict[str, Any]]:
    """The ballots that count, by the ledger alone (every entry no later entry replaces), by receipt."""
    return services.counted_ballots(entries)


def _row_problems(row: Ballot, entry: dict[str, Any] | None, counts: bool) -> list[str]:
    """What does not hold between one row of `ballots` and the ledger entry of its receipt."""
    name = f"ballot row {row.id} (receipt {row.receipt})"
    if entry is None:
        return [f"{name} is not in the ledger (the row was added or its receipt changed)"]
    found = []
    if canonical(entry.get("ballot")) != row.content:
        found.append(f"{name}: its content differs from the ledger's (the row was modified)")
    if bool(row.is_current) != counts:
        found.append(f"{name}: it is marked {'current' if row.is_current else 'replaced'}, the ledger says "
                     f"{'current' if counts else 'replaced'} (the row was modified)")
    if entry.get("organisation") is not None and entry["organisation"] != row.organisation_id:
        found.append(f"{name}: its organisation differs from the ledger's (the row was modified)")
    return found


def _ballot_problems(vote: VotingRound, entries: list[LedgerEntry], counted: dict[str, Any]) -> list[Problem]:
    """The `ballots` table against the ledger, entry by entry: every ballot entry has exactly one
    row, with the same content, current exactly when no later entry replaces it; and no row
    stands outside the ledger. So the table the ballot page reads cannot drift from the ledger
    that the tally, the export and the public recount read."""
    by_receipt = {entry.entry_hash: services.entry_data(entry) for entry in entries
                  if isinstance(services.entry_data(entry).get("ballot"), dict)}
    rows = list(db.session.scalars(select(Ballot).where(Ballot.round_id == vote.id).order_by(Ballot.receipt)))
    problems = [Problem(None, row.id, message) for row in rows
                for message in _row_problems(row, by_receipt.get(row.receipt), row.receipt in counted)]
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.receipt] = seen.get(row.receipt, 0) + 1
    problems += [Problem(None, None, f"ledger entry {receipt} has {count} ballot rows, one was expected")
                 for receipt, count in sorted(seen.items()) if count > 1 and receipt in by_receipt]
    entry_ids = {entry.entry_hash: entry for entry in entries}
    return problems + [Problem(entry_ids[receipt].position, entry_ids[receipt].id,
                               f"ledger entry {entry_ids[receipt].id} at position {entry_ids[receipt].position} "
                               f"(receipt {receipt}) has no ballot row (the row was deleted)")
                       for receipt in sorted(set(by_receipt) - set(seen))]


def _tally_problems(vote: VotingRound, counted: list[dict[str, Any]]) -> list[Problem]:
    """The tally of the ledger's ballots against the published results (once there are results)."""
    stored = results_of(vote)
    if stored is None:
        return []
    try:
        # Parsed from the row itself, never from the processes' parsed copies: verification reads what is stored.
        recomputed = tally_ballots(json.loads(vote.definition), counted, vote.eligible_count).as_dict()
    except BallotError as error:
        return [Problem(None, None, f"the ledger's ballots cannot be tallied: {error}")]
    published = {key: stored[key] for key in ("winners", "ranking", "details")}
    if canonical(recomputed) != canonical(published):
        return [Problem(None, None, "the tally of the ledger's ballots differs from the published results")]
    return []


def verify(vote: VotingRound) -> list[Problem]:
    """Recomputes the chain and the tally; names every entry that was modified, removed,
    inserted or moved, and any difference with the ballots and the published results."""
    entries = receipts(vote)
    counted = counted_by_ledger(entries)
    return (_chain_problems(vote, entries) + _ballot_problems(vote, entries, counted)
            + _tally_problems(vote, list(counted.values())))
