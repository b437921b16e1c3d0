"""One source of truth for the count: any row of `ballots` or `ledger_entries` changed, added or
deleted by SQL makes `flask verify-ledger` exit 1 and name it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tadamon.extensions import db
from tadamon.voting.models import Ballot, LedgerEntry
from tests.voting.test_voting import _closed_vote_with_ballots


@pytest.fixture
def closed(open_vote, members, client, login, app):
    consultation = _closed_vote_with_ballots(open_vote, members, client, login)
    runner = app.test_cli_runner()

    def verify():
        db.session.commit()
        db.session.expire_all()
        return runner.invoke(args=["verify-ledger", str(consultation.id)])

    assert verify().exit_code == 0
    return consultation, verify


def _first_ballot():
    return db.session.scalars(select(Ballot).order_by(Ballot.receipt)).first()


def test_an_edited_ballot_row_is_named(closed):
    _, verify = closed
    row = _first_ballot()
    db.session.execute(text("UPDATE ballots SET content = :c WHERE id = :id"),
                       {"c": row.content.replace("1", "2", 1) if "1" in row.content else "{}", "id": row.id})
    result = verify()
    assert result.exit_code == 1
    assert f"ballot row {row.id} (receipt {row.receipt}): its content differs" in result.output


def test_a_ballot_row_marked_replaced_is_named(closed):
    _, verify = closed
    row = _first_ballot()
    db.session.execute(text("UPDATE ballots SET is_current = NULL WHERE id = :id"), {"id": row.id})
    result = verify()
    assert result.exit_code == 1 and f"ballot row {row.id}" in result.output and "marked replaced" in result.output


def test_an_added_ballot_row_is_named(closed):
    _, verify = closed
    row = _first_ballot()
    # A copy of a row under another receipt (replaced, so that no constraint stops it).
    columns = ", ".join(c.name for c in Ballot.__table__.columns if c.name not in ("id", "receipt", "is_current"))
    db.session.execute(text(f"INSERT INTO ballots (id, receipt, is_current, {columns}) "  # noqa: S608 - our names
                            f"SELECT 987654321, :receipt, NULL, {columns} FROM ballots WHERE id = :id"),
                       {"id": row.id, "receipt": "f" * 64})
    result = verify()
    assert result.exit_code == 1 and f"ballot row 987654321 (receipt {'f' * 64}) is not in the ledger" in result.output


def test_a_deleted_ballot_row_is_named(closed):
    _, verify = closed
    row = _first_ballot()
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.entry_hash == row.receipt))
    entry_id, position, receipt = entry.id, entry.position, row.receipt
    db.session.execute(text("DELETE FROM ballots WHERE id = :id"), {"id": row.id})
    result = verify()
    assert result.exit_code == 1
    assert (f"ledger entry {entry_id} at position {position} (receipt {receipt}) has no ballot row"
            in result.output)


def test_an_edited_ledger_entry_is_named(closed):
    _, verify = closed
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position)).first()
    db.session.execute(text("UPDATE ledger_entries SET canonical = replace(canonical, '\"format\"', '\"formaT\"') "
                            "WHERE id = :id"), {"id": entry.id})
    result = verify()
    assert result.exit_code == 1 and f"entry {entry.id} at position 1: its content does not match" in result.output


def test_an_added_ledger_entry_is_named(closed):
    _, verify = closed
    last = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position.desc())).first()
    db.session.execute(text("INSERT INTO ledger_entries (round_id, position, previous_hash, canonical, entry_hash) "
                            "VALUES (:round, :position, :previous, :canonical, :hash)"),
                       {"round": last.round_id, "position": last.position + 1, "previous": last.entry_hash,
                        "canonical": last.canonical, "hash": "e" * 64})
    result = verify()
    assert result.exit_code == 1 and f"position {last.position + 1}" in result.output
    assert f"ledger entry {'e' * 64}" in result.output or "has no ballot row" in result.output


def test_a_deleted_ledger_entry_is_named(closed):
    _, verify = closed
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.position.desc())).first()
    row = db.session.scalar(select(Ballot).where(Ballot.receipt == entry.entry_hash))
    named = f"ballot row {row.id} (receipt {row.receipt}) is not in the ledger"
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": entry.id})
    result = verify()
    assert result.exit_code == 1 and named in result.output
