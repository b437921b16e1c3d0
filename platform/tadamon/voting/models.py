"""The vote of a consultation: its frozen roll, its ballots and its hash-chained ledger.

One organisation, one current ballot: `Ballot.is_current` is True for the ballot that counts
and NULL for the ones it replaced, so a plain unique constraint on (round, organisation,
is_current) holds the invariant on SQLite and PostgreSQL alike (NULLs never collide).

A secret ballot names no organisation: its row is keyed by `credential_hash`, the SHA-256 of
the round, the organisation and a random voting credential that only the organisation holds
(its browser's cookie and the receipt e-mail; never stored here). A second unique constraint on
(round, credential_hash, is_current) keeps one current ballot per credential, and the roll's
`has_voted`, set by compare-and-set at the first ballot, issues one credential per organisation.
Ballot ids are random and secret ballots keep no time, so neither tells the order of casting.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadamon.core.db import utcnow
from tadamon.extensions import Model
from tadamon.membership.models import Organisation
from tadamon.workshops.models import Consultation

# The hash the chain starts from: 64 zeros, as in most hash chains.
GENESIS = "0" * 64


class VotingRound(Model):
    """Opened when a consultation enters its voting phase: the definition and the list of
    eligible organisations are frozen and hashed; the ledger's running head lives here so that
    every ballot of the consultation appends to it in turn (the row is locked while it does)."""

    __tablename__ = "voting_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Canonical JSON of the method, options, candidates, secrecy and eligible organisations.
    definition: Mapped[str] = mapped_column(Text)
    definition_hash: Mapped[str] = mapped_column(String(64))
    eligible_count: Mapped[int] = mapped_column(Integer, default=0)
    ledger_length: Mapped[int] = mapped_column(Integer, default=0)
    ledger_head: Mapped[str] = mapped_column(String(64), default=GENESIS)
    # Set once, by compare-and-set, when voting closes; the head published then.
    closed_at: Mapped[datetime | None] = mapped_column()
    published_head: Mapped[str | None] = mapped_column(String(64))
    participants: Mapped[int] = mapped_column(Integer, default=0)
    # The tally computed at close (JSON), shown once the facilitator publishes it.
    results: Mapped[str | None] = mapped_column(Text)
    # When a facilitator last reminded the organisations that have not voted (at most every 12 h).
    reminded_at: Mapped[datetime | None] = mapped_column()

    consultation: Mapped[Consultation] = relationship()


class EligibleOrganisation(Model):
    """One row per organisation on the frozen roll, with its region and legal form as they
    were then (participation is reported by both)."""

    __tablename__ = "eligible_organisations"

    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"),
                                                 primary_key=True)
    region: Mapped[str] = mapped_column(String(3), default="")
    legal_form: Mapped[str] = mapped_column(String(30), default="")
    has_voted: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


def random_ballot_id() -> int:
    """Random, not sequential: a ballot's id says nothing of when it was cast (53 bits, so that
    JavaScript and JSON readers keep it exact; a collision is as likely as guessing a key)."""
    return secrets.randbits(53) or 1


class Ballot(Model):
    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", "is_current", name="one_current_ballot_per_organisation"),
        UniqueConstraint("round_id", "credential_hash", "is_current", name="one_current_ballot_per_credential"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_ballot_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"), index=True)
    # The organisation of a public ballot; NULL for a secret one (keyed by its credential instead).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    credential_hash: Mapped[str | None] = mapped_column(String(64))
    # The person who cast it; NULL for a secret ballot (stored without the person).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Canonical JSON in the tadamon-ballots/1 shape, candidates named "p<proposal id>".
    content: Mapped[str] = mapped_column(Text)
    # NULL for a secret ballot: a time would line it up with the ledger and the roll.
    cast_at: Mapped[datetime | None] = mapped_column()
    is_current: Mapped[bool | None] = mapped_column(default=True)
    receipt: Mapped[str] = mapped_column(String(64), index=True)


class VoteResult(Model):
    """The results of a closed vote, computed once from the ledger and never again: the tally
    and, for each language, the results as the pages show them (ranks, figures in words, the
    chart). A closed vote cannot change, so every page, export and API response reads this row
    instead of re-tallying or re-formatting per request. `ledger_head` names the ledger it
    was computed from (the published head)."""

    __tablename__ = "vote_results"

    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(String(30))
    ledger_head: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Canonical JSON: the tally (as VotingRound.results), and {language: view} (see voting.presentation).
    tally: Mapped[str] = mapped_column(Text)
    views: Mapped[str] = mapped_column(Text)
    # How many public ballots `ListedBallot` lists in order (0 for a secret vote). NULL for a row
    # stored before the listing existed: the periodic task stores it again.
    listed_ballots: Mapped[int | None] = mapped_column(Integer)


class ListedBallot(Model):
    """A closed public vote's current ballots in the order the results page lists them (by the
    organisation's name at the close), numbered from 1 without gaps: a page of ballots is a
    range of positions read through the primary key, whatever the number of ballots, and the
    total is `VoteResult.listed_ballots`. Never written for a secret vote.

    `ballot_id` has no foreign key, on purpose: the check would lock each listed ballot (KEY
    SHARE) while the close holds the round, and a ballot racing the close holds its
    organisation's previous ballot (its `is_current` is in a unique key: FOR UPDATE) while it
    waits for the round: a deadlock (seen in tests/voting/test_parallel.py). The round's key
    cascades; ballots of a closed round are never deleted, and the page joins them by id."""

    __tablename__ = "listed_ballots"

    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(Model):
    """entry_hash = SHA-256(previous_hash ‖ canonical); positions count from 1 without gaps."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("round_id", "position", name="one_entry_per_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    previous_hash: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[str] = mapped_column(Text)
    entry_hash: Mapped[str] = mapped_column(String(64), index=True)
