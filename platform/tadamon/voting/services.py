"""Opening, casting, closing and verifying a consultation's vote.

Concurrency: every ballot of a consultation locks its VotingRound row (SELECT … FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers already) before it checks the window
again and appends to the ledger; the ballot is prepared before (see `cast_ballot`), so the
lock lasts the append and the commit, and closing is a compare-and-set UPDATE of that same row. So a
ballot either commits before the close (and is counted) or sees the close and is refused;
the ledger's positions never fork. The one-current-ballot rule is a unique constraint besides.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    delete,
    event,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, load_only, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from tadamon.accounts.models import User
from tadamon.core import audit, page_cache
from tadamon.core.bidi import isolate
from tadamon.core.db import utcnow
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.mail import PreparedEmail, prepare_email
from tadamon.core.notifications import (
    PreparedNotifications,
    chosen_frequency,
    deliver,
    delivered,
    preferences_for,
    prepare_many,
    register_kind,
    rows_to_deliver,
    texts,
    topic,
)
from tadamon.core.persistence import insert_within, rows_changed
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import (
    CharterAdherence,
    MembershipState,
    Organisation,
    OrganisationMember,
    OrganisationRole,
)
from tadamon.proposals.models import Evaluation, Proposal, ProposalState
from tadamon.voting.methods import BallotError, Result, VoteError, get_method
from tadamon.voting.models import (
    GENESIS,
    Ballot,
    EligibleOrganisation,
    LedgerEntry,
    ListedBallot,
    VotingRound,
    random_ballot_id,
)
from tadamon.workshops.models import Consultation, Participation, Phase

DEFINITION_FORMAT = "tadamon-vote-definition/1"
ENTRY_FORMAT = "tadamon-ledger-entry/1"

# A secret ballot's receipt e-mail carries the organisation's voting credential: it is sent,
# never stored (no in-app notification, no outbox copy), see `_secret_receipt_emails`.
SECRET_RECEIPT_SUBJECT = _l("Your secret ballot is recorded: %(question)s")
SECRET_RECEIPT_TEXT = _l(
    "Your organisation's secret ballot on “%(question)s” is recorded. Its receipt is %(receipt)s: find it on "
    "the consultation's public list of receipts to check that it was counted. To change the ballot until voting "
    "closes, from another browser too, give this voting code: %(credential)s. Keep this e-mail: the platform does "
    "not keep the code, so that no one reading its database can tell how your organisation voted.")

RECEIPT = "voting.receipt"
# The stand-in for a ballot's receipt in its notifications and e-mails, rendered before the
# receipt is known (see `cast_ballot`), replaced by it in the turn. Random, so that no text a
# person types can hold it, and the same for every ballot of the process, so that a receipt's
# e-mail is the same message at every ballot of a consultation in a language and is rendered
# once (core.mail's `prepare_alike` keeps it). It never leaves the process.
RECEIPT_SLOT = secrets.token_hex(32)
register_kind(RECEIPT, subject=_l("Your ballot is recorded: %(question)s"),
              text=_l("Your organisation's ballot on “%(question)s” is recorded. Its receipt is %(receipt)s: "
                      "find it on the consultation's public list of receipts to check that it was counted."))


def canonical(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(previous_hash: str, canonical_entry: str) -> str:
    return sha256(previous_hash + canonical_entry)


def candidate_key(proposal_id: int) -> str:
    return f"p{proposal_id}"


def proposal_id_of(candidate: str) -> int:
    return int(candidate[1:])


# --- opening ---------------------------------------------------------------------------------


def candidates_of(consultation: Consultation) -> list[Proposal]:
    """What is put to the vote: published proposals the facilitators did not set aside."""
    return list(db.session.scalars(
        select(Proposal).where(
            Proposal.consultation_id == consultation.id,
            Proposal.state == ProposalState.PUBLISHED,
            Proposal.hidden_at.is_(None),  # hidden by the moderators after a report
            (Proposal.evaluation.is_(None)) | (Proposal.evaluation == Evaluation.ACCEPTED.value),
        ).order_by(Proposal.id)))


def eligible_organisations(consultation: Consultation) -> list[Organisation]:
    """Approved members adhering to the current charter and taking part in the consultation."""
    query = select(Organisation).where(Organisation.state == MembershipState.APPROVED).order_by(Organisation.id)
    charter = membership.current_charter()
    if charter is not None:  # no charter published yet: nothing to adhere to
        query = query.where(Organisation.id.in_(select(CharterAdherence.organisation_id)
                                                .where(CharterAdherence.charter_id == charter.id)))
    if consultation.participation == Participation.REGISTERED.value and consultation.workshop is not None:
        from tadamon.workshops import services as workshops

        query = query.where(Organisation.id.in_(workshops.registered_organisation_ids(consultation.workshop)))
    # One query for the whole roll, however many members the network has.
    return list(db.session.scalars(query))


def open_round(actor: User | None, consultation: Consultation) -> VotingRound:
    candidates = candidates_of(consultation)
    if not candidates:
        raise VoteError(_l("No proposal is put to the vote: publish or accept at least one before voting opens."))
    method = get_method(consultation.voting_method)
    roll = eligible_organisations(consultation)
    definition = {
        "format": DEFINITION_FORMAT,
        "consultation": consultation.id,
        "method": consultation.voting_method,
        "options": method.options(consultation),
        "secret": consultation.secret_ballots,
        "candidates": [{"id": candidate_key(p.id), "title": p.title, "version": p.version} for p in candidates],
        "eligible": [o.id for o in roll],
    }
    text = canonical(definition)
    vote = VotingRound(consultation_id=consultation.id, definition=text, definition_hash=sha256(text),
                       eligible_count=len(roll), ledger_head=GENESIS, ledger_length=0)
    db.session.add(vote)
    db.session.flush()
    db.session.add_all(EligibleOrganisation(round_id=vote.id, organisation_id=o.id, region=o.region,
                                            legal_form=o.legal_form) for o in roll)
    db.session.flush()
    audit.record("vote.opened", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 after={"definition_hash": vote.definition_hash, "eligible": len(roll),
                        "candidates": len(candidates)}, actor=actor)
    return vote


def round_of(consultation: Consultation) -> VotingRound | None:
    """The consultation's round. Asked several times by one page (the refusal, the ballot, the
    permissions): found once per request. A round, once opened, is never replaced; "no round yet"
    is not remembered (opening one in the same request must find it)."""
    found: dict[int, VotingRound] | None = g.setdefault("tadamon_rounds", {}) if has_request_context() else None
    if found is not None and consultation.id in found:
        return found[consultation.id]
    vote = db.session.scalar(select(VotingRound).where(VotingRound.consultation_id == consultation.id))
    if found is not None and vote is not None:
        found[consultation.id] = vote
    return vote


def round_for_results(consultation: Consultation) -> VotingRound | None:
    """The round, for a page that reads its results from their stored row: its definition (the
    whole roll's ids) and its tally are left unread, loaded only if the row is missing."""
    return db.session.scalar(select(VotingRound).options(defer(VotingRound.definition), defer(VotingRound.results))
                             .where(VotingRound.consultation_id == consultation.id))


def definition_of(vote: VotingRound) -> dict[str, Any]:
    """The round's definition (method, candidates, the frozen roll's ids), read-only. It never
    changes once the round is open and its hash is stored beside it, so each process parses it
    once (~0.2 ms for 2,000 organisations, asked several times by the ballot page) and a page
    whose round left it unloaded (`round_for_results`) does not load it again."""
    key = (vote.id, vote.definition_hash)
    parsed = _parsed_definitions.get(key)
    if parsed is None:
        text = vote.definition
        parsed = json.loads(text)
        if sha256(text) == vote.definition_hash:  # the definition the hash was written for
            if len(_parsed_definitions) >= 64:
                _parsed_definitions.clear()
            _parsed_definitions[key] = parsed
    return parsed


# (round id, definition hash): the definition parsed; a few rounds are open or shown at a time.
_parsed_definitions: dict[tuple[int, str], dict[str, Any]] = {}


def candidate_keys(vote: VotingRound) -> list[str]:
    return [c["id"] for c in definition_of(vote)["candidates"]]


# --- who may cast ----------------------------------------------------------------------------


def is_eligible(vote: VotingRound, organisation: Organisation | None) -> bool:
    if organisation is None:
        return False
    return db.session.get(EligibleOrganisation, (vote.id, organisation.id)) is not None


def may_cast_for(user: User, organisation: Organisation) -> bool:
    """A representative casts; any member does too when the organisation allows it."""
    from tadamon.membership.services import membership_of

    # The memberships the request loaded already (the layout's menu): no query of its own.
    return _membership_may_cast(membership_of(user, organisation), organisation)


def _membership_may_cast(membership: OrganisationMember | None, organisation: Organisation) -> bool:
    if membership is None:
        return False
    return membership.role == OrganisationRole.REPRESENTATIVE or organisation.members_may_vote


def window_is_open(consultation: Consultation, vote: VotingRound | None, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (vote is not None and vote.closed_at is None and consultation.current_phase is Phase.VOTING
            and (consultation.closed_at is None or now < consultation.closed_at))


def refusal(user: Any, consultation: Consultation, organisation: Organisation | None) -> Any:
    """Why this person cannot vote now, in words; None when they can."""
    vote = round_of(consultation)
    return _refusal_given(user, consultation, organisation, vote,
                          on_roll=lambda: vote is not None and is_eligible(vote, organisation),
                          may_cast=lambda: organisation is not None and may_cast_for(user, organisation))


def _refusal_given(user: Any, consultation: Consultation, organisation: Organisation | None,
                   vote: VotingRound | None, *, on_roll: Callable[[], bool], may_cast: Callable[[], bool]) -> Any:
    """`refusal`, with the roll and the permission asked only when the checks before them pass
    (each may cost a query; `cast_ballot` has both at hand already)."""
    if vote is None or not window_is_open(consultation, vote):
        return _l("Voting is not open for this consultation.")
    if not getattr(user, "is_authenticated", False):
        return _l("Log in to vote for your organisation.")
    if organisation is None:
        return _l("Choose the organisation you act for before voting.")
    if not on_roll():
        from tadamon.core.times import format_date

        # Since when: the roll was frozen at the opening, so joining later never adds an organisation.
        return _l("%(organisation)s is not on the list of organisations that may vote, frozen when voting opened "
                  "on %(date)s (approved members adhering to the current charter and taking part in the "
                  "consultation).", organisation=isolate(organisation.display_name),
                  date=isolate(format_date(vote.opened_at)))
    if not may_cast():
        return _l("Only a representative of %(organisation)s may vote for it (its representatives can allow "
                  "every member to vote).", organisation=isolate(organisation.display_name))
    return None


def consultation_notices(actor: Any, consultation: Consultation) -> list[Any]:
    """While a vote is open, why the reader's organisation cannot vote in it (the consultation
    page says so up front, in place of a "Vote" button leading to a refusal)."""
    if consultation.current_phase is not Phase.VOTING:
        return []
    reason = refusal(actor.user, consultation, actor.organisation)
    return [] if reason is None else [reason]


# --- casting ---------------------------------------------------------------------------------


def normalise_credential(credential: str | None) -> str:
    """A voting code as typed or pasted: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (credential or "").upper() if ch.isalnum())[:64]


def new_credential() -> str:
    """120 random bits, in groups of four base-32 characters, easy to copy from an e-mail."""
    code = base64.b32encode(secrets.token_bytes(15)).decode("ascii")
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def credential_hash(vote: VotingRound, organisation: Organisation, credential: str) -> str:
    """Binds the credential to its round and organisation, so that one organisation's code never
    opens another's ballot. Without the code (120 random bits, never stored), the hash cannot be
    matched to an organisation, whoever holds the database and the configuration."""
    return sha256(f"tadamon-credential/1:{vote.id}:{organisation.id}:{normalise_credential(credential)}")


def is_secret(vote: VotingRound) -> bool:
    return bool(definition_of(vote)["secret"])


def current_ballot(vote: VotingRound, organisation: Organisation, credential: str | None = None) -> Ballot | None:
    """The organisation's ballot that counts; for a secret vote, only with its credential."""
    if is_secret(vote):
        if not normalise_credential(credential):
            return None
        key = Ballot.credential_hash == credential_hash(vote, organisation, credential or "")
    else:
        key = Ballot.organisation_id == organisation.id
    return db.session.scalar(select(Ballot).where(Ballot.round_id == vote.id, key, Ballot.is_current.is_(True)))


def has_voted(vote: VotingRound, organisation: Organisation) -> bool:
    return bool(db.session.scalar(select(EligibleOrganisation.has_voted).where(
        EligibleOrganisation.round_id == vote.id, EligibleOrganisation.organisation_id == organisation.id)))


RECOVER = _l("Your organisation has already voted in this secret vote. To change its ballot, give the voting code "
             "from the receipt e-mail sent to the person who voted and to your organisation's representatives when "
             "it first voted. The platform does not keep that code: without it, the ballot cast stands.")


WRONG_CODE = _l("This voting code does not open your organisation's ballot in this vote. Copy it again from the "
                "receipt e-mail sent to the person who voted and to your organisation's representatives when it first "
                "voted. The platform does not keep that code: without it, the ballot cast stands.")


def _secret_previous(vote: VotingRound, organisation: Organisation, credential: str | None,
                     voted: bool | None = None) -> tuple[Ballot | None, str]:
    """The ballot a secret ballot replaces and the credential it is cast with. A first ballot
    takes the roll's `has_voted` by compare-and-set and gets a new credential: so an
    organisation never holds two credentials, even under parallel first ballots. `voted` is
    the roll's `has_voted` when the caller read it already."""
    previous = current_ballot(vote, organisation, credential)
    if previous is not None:
        return previous, normalise_credential(credential)
    if has_voted(vote, organisation) if voted is None else voted:
        raise VoteError(WRONG_CODE if normalise_credential(credential) else RECOVER)
    return None, new_credential()


def parse_ballot(vote: VotingRound, formdata: Any) -> dict[str, Any]:
    return _parse_ballot_of(definition_of(vote), formdata)


def _parse_ballot_of(definition: dict[str, Any], formdata: Any) -> dict[str, Any]:
    method = get_method(definition["method"])
    candidates = [c["id"] for c in definition["candidates"]]
    ballot = method.parse(formdata, candidates, definition["options"])
    try:  # the method's own tally is the final word on what a valid ballot is
        method.tally(candidates, [ballot], {**definition["options"], "eligible": 1})
    except BallotError:
        raise VoteError(_l("This ballot cannot be counted. Check your choices and try again.")) from None
    return ballot


@dataclass
class Cast:
    ballot: Ballot
    # The voting credential of a secret ballot (the one presented, or a new one at the first
    # ballot), for the browser's cookie; never stored. None for a public ballot.
    credential: str | None = None


SAME_MOMENT = _l("Another ballot of your organisation was being recorded at the same moment. "
                 "Reload the page to see which one counts.")


def ballot_subject(consultation_id: int, organisation: Organisation | None) -> tuple[
        Consultation | None, tuple[VotingRound | None, bool | None]]:
    """A ballot's consultation, its round and the organisation's line on the roll (as
    `_round_and_roll`), in one query: what a ballot's request loads before `cast_ballot`."""
    parameters = {"consultation_id": consultation_id}
    if organisation is not None:
        parameters["organisation_id"] = organisation.id
    row = db.session.execute(_ballot_subject_statement(organisation is not None), parameters).one_or_none()
    return (None, (None, None)) if row is None else (row[0], (row[1], row[2]))


# What a ballot's request leaves unread: the consultation's descriptions (any length, in three
# languages; neither the ballot nor its refusal shows them) and the round's results (none yet).
_UNREAD_BY_A_BALLOT = (defer(Consultation.description_ar), defer(Consultation.description_fr),
                       defer(Consultation.description_en), defer(VotingRound.results))


@functools.cache
def _ballot_subject_statement(with_organisation: bool) -> Select[Consultation, VotingRound, bool]:
    """`ballot_subject`'s query, built once with bound parameters (every ballot runs it; building
    it and its cache key cost about as much as running it)."""
    on_roll = (EligibleOrganisation.round_id == VotingRound.id) & (
        EligibleOrganisation.organisation_id == bindparam("organisation_id", type_=Integer) if with_organisation
        else false())
    return (select(Consultation, VotingRound, EligibleOrganisation.has_voted)
            .outerjoin(VotingRound, VotingRound.consultation_id == Consultation.id)
            .outerjoin(EligibleOrganisation, on_roll)
            .where(Consultation.id == bindparam("consultation_id", type_=Integer))
            .options(*_UNREAD_BY_A_BALLOT))


def _round_and_roll(consultation: Consultation, organisation: Organisation) -> tuple[VotingRound | None, bool | None]:
    """The consultation's round and the organisation's line on its roll (its `has_voted`; None
    when it is not on the roll), in one query."""
    row = db.session.execute(_round_and_roll_statement(), {"consultation_id": consultation.id,
                                                           "organisation_id": organisation.id}).one_or_none()
    return (None, None) if row is None else (row[0], row[1])


@functools.cache
def _round_and_roll_statement() -> Select[VotingRound, bool]:
    """`_round_and_roll`'s query, built once with bound parameters."""
    return (select(VotingRound, EligibleOrganisation.has_voted)
            .outerjoin(EligibleOrganisation, (EligibleOrganisation.round_id == VotingRound.id)
                       & (EligibleOrganisation.organisation_id == bindparam("organisation_id", type_=Integer)))
            .where(VotingRound.consultation_id == bindparam("consultation_id", type_=Integer))
            .options(defer(VotingRound.results)))


def cast_ballot(user: User, consultation: Consultation, organisation: Organisation, formdata: Any,
                now: datetime | None = None, credential: str | None = None,
                roll: tuple[VotingRound | None, bool | None] | None = None) -> Cast:
    """Records the organisation's ballot, replacing its previous one, and appends it to the ledger.

    For a secret vote, `credential` is the organisation's voting code: needed to replace its
    ballot (VoteError saying how to recover without it); a first ballot gets a new one, sent
    by e-mail only. The row keeps neither the organisation, the person nor the time.

    Ballots of a consultation append to one chain, so they take turns; the turn lasts only the
    append. Everything that does not depend on the chain's head is done first, without the
    lock: the round and the roll in one query, the permissions (the voter's membership, which a
    request loaded already), the ballot's parsing and validation, the credential, the
    organisation's people with its line on a public roll marked (one statement), the receipt's
    notifications and e-mails (rendered with a placeholder for the receipt), the entry's
    canonical text but its position and what it replaces. Then `_append` locks the round,
    re-checks the window, reads the head, marks the previous ballot replaced and writes the
    entry, the ballot and the head, in one statement on PostgreSQL, and the caller commits at
    once, which ends the turn (see `_append` for why the turn lasts until the commit). `roll`
    is the round and the organisation's line when the caller loaded them already
    (`ballot_subject`)."""
    now = now or utcnow()
    vote, voted = roll if roll is not None else _round_and_roll(consultation, organisation)
    if vote is None or not window_is_open(consultation, vote, now):
        raise VoteError(_l("Voting is closed: this ballot was not recorded."))
    # The voter's own membership: the one the request loaded already (the actor's), a query of
    # its own outside a request.
    reason = _refusal_given(user, consultation, organisation, vote, on_roll=lambda: voted is not None,
                            may_cast=lambda: may_cast_for(user, organisation))
    if reason is not None:
        raise VoteError(reason)
    definition = definition_of(vote)
    content = _parse_ballot_of(definition, formdata)
    secret, first_secret = bool(definition["secret"]), False
    # Allowed: the organisation's people (the receipt's recipients) and, for a public ballot,
    # its line on the roll marked, in one statement (see `_people_and_choices`).
    people, choices = _people_and_choices(organisation, None if secret else vote)
    if secret:
        # Replacing needs the credential of the current ballot; a first ballot gets a new one
        # (the roll's compare-and-set under the lock issues one per organisation).
        previous, credential = _secret_previous(vote, organisation, credential, voted=bool(voted))
        first_secret = previous is None
    else:
        credential = None
    keys = _keys(vote, organisation, user, credential, now)
    # A stand-in for the receipt, as long as one, replaced once the entry's hash is known.
    slot = RECEIPT_SLOT
    recipients = [user, *(m.user for m in people if m.is_representative)]
    prepared = _receipt_notifications(recipients, consultation, slot, credential, choices)
    ballot = Ballot(id=random_ballot_id(), round_id=vote.id, content=canonical(content), is_current=True,
                    receipt=slot, **keys)
    entry = {
        "format": ENTRY_FORMAT,
        "consultation": consultation.id,
        # No time for a secret ballot: the public order of the ledger is all it tells.
        "cast_at": None if secret else now.isoformat(timespec="microseconds"),
        "ballot": content,
        # A public ballot names its organisation; a secret one carries a random nonce instead,
        # so that equal ballots still get distinct receipts.
        "organisation": None if secret else organisation.id,
        "nonce": secrets.token_hex(16) if secret else None,
    }
    # No savepoint (its release would be one more round trip in the ledger's turn): a refusal
    # from here on leaves written rows, which the caller's rollback undoes, as every caller's
    # does on a VoteError (run_use_case, the API's run_write).
    try:
        _append(vote, organisation, ballot, entry, now, (slot, prepared), first_secret=first_secret)
    except IntegrityError:
        raise VoteError(SAME_MOMENT) from None
    return Cast(ballot, credential)


def _core() -> Any:
    """The session's connection: the ballot's writes run as plain Core statements, without the
    ORM's bulk-statement processing (they touch no object of the session; see `_append`)."""
    return db.session.connection()


def _replace_previous(vote_id: int, key: Any) -> str | None:
    """Marks the organisation's current ballot replaced; its receipt (None at a first ballot).
    SQLite's turn; PostgreSQL's does it within its statement (TURN_POSTGRESQL's `replaced`)."""
    replaced = _core().execute(
        update(Ballot).where(Ballot.round_id == vote_id, key, Ballot.is_current.is_(True))
        .values(is_current=None).returning(Ballot.receipt)).scalars().all()
    return replaced[0] if replaced else None


def _append(vote: VotingRound, organisation: Organisation, ballot: Ballot, entry: dict[str, Any],
            now: datetime, receipts: tuple[str, PreparedNotifications], *, first_secret: bool) -> str:
    """Writes the ballot, its ledger entry and its receipts (`receipts`: the notifications and
    e-mails prepared with a placeholder for the receipt, and the placeholder); returns the receipt.

    A public ballot has marked its line on the roll already (`_people_and_choices`): the row
    lock serialises the organisation's own ballots, a parallel one waits there, outside the
    turn, and starts its turn once this one is committed. Then the turn, `_turn` (one
    statement on PostgreSQL): the organisation's previous ballot marked replaced (read in the
    turn, after the line's lock, so a ballot of the organisation committed meanwhile is the one
    it replaces), the entry, the ballot and the head; and a first secret ballot's
    compare-and-set of its line.

    The turn lasts until the caller's commit, and must: the next entry hashes this one's hash,
    so it may only be read once this one is committed (PostgreSQL gives a row lock back at the
    end of the transaction, never earlier); the commit's cost, the WAL's flush, is the floor of
    a turn. Every ballot's row lock is taken in a turn (the replaced one), so a turn never waits
    for a ballot that waits for the round. A secret roll is marked in the turn: the roll's
    rewrite in neutral order locks the round, then the whole roll; a ballot locking its line
    first, then waiting for the round, would deadlock with it. So two ballots cast at once with
    one secret credential may clash (IntegrityError: the later is refused, saying so)."""
    secret = ballot.credential_hash is not None
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        _commit_without_waiting_for_the_flush()
    turn = _turn_postgresql if postgresql else _turn
    position, receipt = turn(vote, ballot, entry, now, receipts, by_credential=secret)
    # Written by Core statements, which the page cache's hook on the session's statements does
    # not see: the pages that show ballots and receipts are stale once this commits.
    db.session.info[page_cache.CHANGED] = True
    ballot.receipt = receipt
    # The session's round as the database now holds it, without a flush.
    set_committed_value(vote, "ledger_length", position)
    set_committed_value(vote, "ledger_head", receipt)
    if first_secret:
        _mark_voted(vote, organisation, first=True)
    return receipt


# Set on the session by a ballot's transaction: its commit did not wait for the WAL's flush,
# `_make_durable` waits for it once the commit is done (see `_commit_without_waiting_for_the_flush`).
DURABLE_AFTER_COMMIT = "tadamon_ballot_flush_after_commit"


def _commit_without_waiting_for_the_flush() -> None:
    """The ledger's turn ends at the commit; waiting there for the WAL's flush (0.5 to 4 ms on
    our machines, a disk's fsync) would hold every other ballot of the consultation that long.
    So the ballot's transaction commits without waiting (`synchronous_commit` off for it alone:
    the lock is given back as soon as the commit is recorded), and `_make_durable` waits for the
    flush after the commit, outside the turn, before the voter is told the receipt; the
    flushes of parallel ballots then share one fsync (PostgreSQL's group commit). The setting
    itself is made by the turn's statement (TURN_POSTGRESQL's `set_config`, local to the
    transaction: PostgreSQL reads it at the commit), not by a SET of its own, a round trip less.

    The chain stays whole: the WAL is written in order, and a ballot appends only after the
    one before it committed, so its commit record follows that one's; a flush that makes a
    ballot durable makes every ballot before it durable. A crash before the flush loses only
    the last ballots, whose voters were never answered, and never a ballot under a later one."""
    # The driver's connection, which the session still holds when its after_commit hooks run
    # (it gives its connections back after them): the flush is waited for on it, so a ballot
    # never needs a second connection from the pool.
    db.session.info[DURABLE_AFTER_COMMIT] = _core().connection.dbapi_connection


def _make_durable(session: Session) -> None:
    """After the commit of a ballot's transaction: waits until the WAL holding it is on disk. A
    transaction given an id commits with a synchronous flush of the WAL up to its own commit
    record, so up to the ballot's too: here one statement in autocommit (BEGIN, the id, COMMIT
    and its flush in one round trip, the connection's own `synchronous_commit` being on). Run on
    the driver's connection: the session may not emit SQL in its after_commit hook, and the
    connection is idle between its transactions."""
    connection = session.info.pop(DURABLE_AFTER_COMMIT, None)
    if connection is None:
        return
    from psycopg.pq import TransactionStatus  # set on PostgreSQL only

    # Idle: the session's commit was the database's. Not when the session committed a
    # savepoint inside a transaction of its caller's (the test suite's), which commits later.
    if connection.info.transaction_status == TransactionStatus.IDLE:
        connection.autocommit = True
        try:
            connection.execute("SELECT txid_current()")
        finally:
            # As SQLAlchemy handed it over (it sets autocommit itself only when asked to).
            connection.autocommit = False


def _forget_durable(session: Session, _previous: Any = None) -> None:
    session.info.pop(DURABLE_AFTER_COMMIT, None)


# First among the session's after_commit hooks: before a secret receipt's e-mail goes out.
event.listen(Session, "after_commit", _make_durable, insert=True)
event.listen(Session, "after_rollback", _forget_durable)


def _closed() -> VoteError:
    return VoteError(_l("Voting is closed: this ballot was not recorded."))


def _previous_key(ballot: Ballot, by_credential: bool) -> Any:
    """What names the ballot a new one replaces: its credential's hash (secret), else its organisation."""
    return (Ballot.credential_hash == ballot.credential_hash if by_credential
            else Ballot.organisation_id == ballot.organisation_id)


def _turn(vote: VotingRound, ballot: Ballot, entry: dict[str, Any], now: datetime,
          receipts: tuple[str, PreparedNotifications], *, by_credential: bool) -> tuple[int, str]:
    """The ledger's turn, statement by statement: the round locked with the consultation's
    phase and deadline as they are now (the window checked again: a close may have won the lock
    first), then the previous ballot marked replaced (`by_credential`: the one of the same
    credential, else of the same organisation), the ballot, the entry, the new head and the
    receipt's notifications and e-mails. Returns the position and the receipt."""
    row = _core().execute(
        select(VotingRound.ledger_length, VotingRound.ledger_head, VotingRound.closed_at,
               Consultation.phase, Consultation.closed_at.label("deadline"))
        .join(Consultation, Consultation.id == VotingRound.consultation_id)
        .where(VotingRound.id == vote.id).with_for_update(of=VotingRound)).one()
    if row.closed_at is not None or Phase(row.phase) is not Phase.VOTING \
            or (row.deadline is not None and now >= row.deadline):
        raise _closed()
    replaces = _replace_previous(vote.id, _previous_key(ballot, by_credential))
    position = row.ledger_length + 1
    text = canonical({**entry, "position": position, "replaces": replaces})
    receipt = chain_hash(row.ledger_head, text)
    _core().execute(insert(Ballot).values({**_ballot_row(ballot), "receipt": receipt}))
    _core().execute(insert(LedgerEntry).values(round_id=vote.id, position=position, previous_hash=row.ledger_head,
                                               canonical=text, entry_hash=receipt))
    _core().execute(update(VotingRound).where(VotingRound.id == vote.id)
                    .values(ledger_length=position, ledger_head=receipt))
    slot, prepared = receipts
    deliver(prepared, {slot: receipt})
    return position, receipt


# The turn on PostgreSQL, in one round trip: each round trip in the turn is a wait for the
# server and, on a busy machine, for the processor again, while every other ballot waits.
# The round's row is locked (FOR UPDATE waits for the ballot before, then reads the head it
# committed); the previous ballot of the same organisation (or credential: `{key}`) marked
# replaced, its receipt the entry's "replaces"; the entry's text completed with its position
# and that receipt, and hashed as `chain_hash` does; the entry, the ballot and the new head
# written. No row: the window had closed. The head's row also turns `synchronous_commit` off
# for the transaction (see `_commit_without_waiting_for_the_flush`); a refused ballot's
# transaction is rolled back. The receipt's notifications and e-mails are written by CTEs added
# to it (`_turn_statement`).
#
# `replaced` runs once `head` holds the round (its EXISTS is a one-time filter, evaluated before
# the ballots are read), so a ballot's row is only ever locked in a turn; its key is all
# constants, so that the planner reads the unique key's index, not the round's every ballot.
# The statement's CTEs share one snapshot, taken before the round's lock is granted: a public
# ballot's `replaced` sees the organisation's ballot committed just before because the ballot
# waited for its line on the roll first, in a statement before this one (`_people_and_choices`).
# The new ballot is inserted from `hashed`, which reads `replaced` to its end first: the
# previous ballot is no longer current when the new one meets the unique constraint.
TURN_POSTGRESQL = """
WITH head AS (
    SELECT v.id, v.ledger_length + 1 AS position, v.ledger_head AS previous,
           set_config('synchronous_commit', 'off', true) AS durability
    FROM voting_rounds AS v JOIN consultations AS c ON c.id = v.consultation_id
    WHERE v.id = :round_id AND v.closed_at IS NULL AND c.phase = :voting
          AND (c.closed_at IS NULL OR c.closed_at > CAST(:now AS timestamptz))
    FOR UPDATE OF v
), replaced AS (
    UPDATE ballots AS b SET is_current = NULL
    WHERE b.round_id = CAST(:round_id AS integer) AND {key} AND b.is_current = true AND EXISTS (SELECT FROM head)
    RETURNING b.receipt
), entry AS (
    SELECT id, position, previous,
           CAST(:before AS text) || position || ',"replaces":'
           || COALESCE('"' || (SELECT receipt FROM replaced) || '"', 'null') || '}}' AS canonical
    FROM head
), hashed AS (
    SELECT entry.*, encode(sha256(convert_to(previous || canonical, 'UTF8')), 'hex') AS receipt FROM entry
), appended AS (
    INSERT INTO ledger_entries (round_id, position, previous_hash, canonical, entry_hash)
    SELECT id, position, previous, canonical, receipt FROM hashed
), cast_ballot AS (
    INSERT INTO ballots (id, round_id, organisation_id, credential_hash, person_id, content, cast_at,
                         is_current, receipt)
    SELECT CAST(:id AS bigint), id, CAST(:organisation_id AS integer), CAST(:credential_hash AS varchar),
           CAST(:person_id AS integer), CAST(:content AS text), CAST(:cast_at AS timestamptz), true, receipt
    FROM hashed
)"""
TURN_POSTGRESQL_END = """
UPDATE voting_rounds AS v SET ledger_length = hashed.position, ledger_head = hashed.receipt
FROM hashed WHERE v.id = hashed.id
RETURNING hashed.position, hashed.receipt
"""
# The previous ballot's key in `replaced`: the bind parameter is the new ballot's own.
PREVIOUS_KEY = {False: "b.organisation_id = CAST(:organisation_id AS integer)",
                True: "b.credential_hash = CAST(:credential_hash AS varchar)"}


@functools.lru_cache(maxsize=16)
def _turn_statement(by_credential: bool, writes: tuple[str, ...]) -> Any:
    """TURN_POSTGRESQL with its previous ballot's key and the CTEs writing the receipt's rows
    (a few shapes: public or secret, with or without notifications, e-mails kept or not), each
    statement built once. Its runs of spaces and line breaks made one space (none is in a
    literal of its): psycopg parses a statement of up to 4,096 characters once per process,
    a longer one at each ballot."""
    statement = ",\n".join((TURN_POSTGRESQL.format(key=PREVIOUS_KEY[by_credential]), *writes)) + TURN_POSTGRESQL_END
    return sql(" ".join(statement.split()))


def _turn_postgresql(vote: VotingRound, ballot: Ballot, entry: dict[str, Any], now: datetime,
                     receipts: tuple[str, PreparedNotifications], *, by_credential: bool) -> tuple[int, str]:
    """`_turn` in one statement (TURN_POSTGRESQL); the entry's text is made here, but its
    position and what it replaces, which only the turn knows: "position" and "replaces" (a
    receipt or null) sort after every other key, so the text before them is made here, the
    rest in SQL (a stand-in for the position shows where the text is cut).

    The same statement writes the receipt's notifications and kept e-mails (`receipts`: their
    placeholder and them, rendered before the turn), the placeholder replaced by the receipt in
    SQL: so the turn is this one round trip and the commit, and not one more per table."""
    stand_in = -7_357_913
    before, after = canonical({**entry, "position": stand_in, "replaces": None}).rsplit(f":{stand_in},", 1)
    if after != '"replaces":null}':  # the SQL completes exactly this text (a check, not an assert: -OO)
        raise RuntimeError(f"the ledger entry's text ends unexpectedly: {after!r}")
    slot, prepared = receipts
    writes, parameters = [], {}
    for number, (table, rows) in enumerate(rows_to_deliver(prepared)):
        cte, values = insert_within(f"receipts_{number}", table, rows, source="hashed",
                                    placeholder=("slot", slot, "hashed.receipt"))
        writes.append(cte)
        parameters.update(values)
    row = _core().execute(_turn_statement(by_credential, tuple(writes)), {
        "round_id": vote.id, "voting": Phase.VOTING.value, "now": now, "before": before + ":", "slot": slot,
        **parameters, **{column: value for column, value in _ballot_row(ballot).items()
                         if column not in ("round_id", "is_current", "receipt")}}).one_or_none()
    if row is None:
        raise _closed()
    delivered(prepared, {slot: row.receipt})
    return row.position, row.receipt


def _ballot_row(ballot: Ballot) -> dict[str, Any]:
    return {column: getattr(ballot, column) for column in BALLOT_COLUMNS}


BALLOT_COLUMNS = ("id", "round_id", "organisation_id", "credential_hash", "person_id", "content", "cast_at",
                  "is_current", "receipt")


def _people_and_choices(organisation: Organisation, line_of: VotingRound | None = None) -> tuple[
        list[OrganisationMember], dict[int, str | None]]:
    """The organisation's people, as `membership.people_of` lists them, and how each chose to
    hear of a ballot's receipt (`core.notifications.chosen_frequency`), in one query.

    `line_of`: a public ballot's round, whose roll line of the organisation is marked voted in
    the same statement on PostgreSQL (a CTE: a round trip less), a statement before it on
    SQLite. The line's row lock serialises the organisation's own ballots until the commit,
    outside the ledger's turn: a parallel ballot of the organisation waits here, then sees
    this one committed (see `_append`)."""
    parameters = {"people_of": organisation.id}
    with_line = False
    if line_of is not None:
        parameters["line_round"] = line_of.id
        if db.session.get_bind().dialect.name == "postgresql":
            with_line = True
        else:
            _core().execute(_line_statement(), parameters)
    rows = db.session.execute(_people_statement(with_line), parameters).all()
    return [member for member, _ in rows], {member.user_id: choice for member, choice in rows}


@functools.cache
def _line_statement() -> Any:
    """The organisation's line on the roll marked voted, built once (bound parameters
    `line_round` and `people_of`: an UPDATE would take parameters named after its columns for
    values to set)."""
    return (update(EligibleOrganisation)
            .where(EligibleOrganisation.round_id == bindparam("line_round", type_=Integer),
                   EligibleOrganisation.organisation_id == bindparam("people_of", type_=Integer))
            .values(has_voted=true()))


@functools.cache
def _people_statement(with_line: bool) -> Select[Any]:
    """`_people_and_choices`' query, built once with bound parameters, with the line's UPDATE as
    a CTE (`with_line`, PostgreSQL): every ballot runs it."""
    query = (select(OrganisationMember, chosen_frequency(OrganisationMember.user_id, RECEIPT))
             .where(OrganisationMember.organisation_id == bindparam("people_of", type_=Integer))
             .order_by(OrganisationMember.role.desc(), OrganisationMember.joined_at))
    return query.add_cte(_line_statement().cte("line")) if with_line else query


def _receipt_notifications(recipients: list[User], consultation: Consultation, receipt: str,
                           credential: str | None, choices: dict[int, str | None]) -> PreparedNotifications:
    """The receipt for the person who voted and the organisation's representatives, rendered
    now with `receipt` (a placeholder) in it: in-app and by e-mail as each chose (`choices`,
    see `_people_and_choices`); a secret ballot's by e-mail only, with its credential (see
    `_secret_receipt_emails`)."""
    link = external_url("voting.receipts", consultation_id=consultation.id)
    if credential is not None:
        return PreparedNotifications(emails=_secret_receipt_emails(recipients, consultation, link, receipt,
                                                                   credential))
    params = {"question": texts(consultation, "question"), "receipt": receipt}
    return prepare_many(RECEIPT, [(recipients, params)], link=link,
                        about=topic("consultation", consultation.id, texts(consultation, "question")),
                        preferences=preferences_for(RECEIPT, choices))


def _keys(vote: VotingRound, organisation: Organisation, user: User, credential: str | None,
          now: datetime) -> dict[str, Any]:
    """What names a ballot's row: the organisation, person and time of a public ballot; only the
    credential's hash for a secret one."""
    if credential is None:
        return {"organisation_id": organisation.id, "person_id": user.id, "cast_at": now,
                "credential_hash": None}
    return {"organisation_id": None, "person_id": None, "cast_at": None,
            "credential_hash": credential_hash(vote, organisation, credential)}


def _mark_voted(vote: VotingRound, organisation: Organisation, *, first: bool) -> None:
    """The roll's `has_voted`, by compare-and-set: a first secret ballot that finds it already
    set lost a race with another first ballot of the same organisation, and is refused
    (IntegrityError is how the caller hears of a lost race)."""
    changed = _core().execute(update(EligibleOrganisation)
                              .where(EligibleOrganisation.round_id == vote.id,
                                     EligibleOrganisation.organisation_id == organisation.id,
                                     EligibleOrganisation.has_voted.is_(False))
                              .values(has_voted=True)).rowcount
    if first and changed != 1:
        raise IntegrityError("has_voted", None, Exception("a first secret ballot lost the race"))


def rewrite_roll_in_neutral_order(vote: VotingRound) -> None:
    """Rewrites a secret vote's roll in organisation order, so that a database dump cannot tell
    in which order organisations first voted.

    Why: PostgreSQL never updates a row in place. Setting `has_voted` writes a new row version
    wherever the table has room, so the physical order of the roll (the order of a `pg_dump`)
    follows the order of first ballots; lined up with the public ledger, whose order is the
    order of casting, it would tell which entry is whose. Deleted and re-inserted in
    organisation order, the roll says who voted and nothing of when. The caller holds the
    round's row lock (the close's compare-and-set, or SELECT … FOR UPDATE), like a ballot does,
    so no first ballot can slip between the delete and the insert."""
    columns = (EligibleOrganisation.organisation_id, EligibleOrganisation.region,
               EligibleOrganisation.legal_form, EligibleOrganisation.has_voted)
    rows = [row._asdict() for row in db.session.execute(
        select(*columns).where(EligibleOrganisation.round_id == vote.id)
        .order_by(EligibleOrganisation.organisation_id))]
    db.session.execute(delete(EligibleOrganisation).where(EligibleOrganisation.round_id == vote.id)
                       .execution_options(synchronize_session=False))
    if rows:
        db.session.execute(insert(EligibleOrganisation), [{"round_id": vote.id, **row} for row in rows])
    db.session.expire_all()


# Per process: the ledger length at which each open secret roll was last rewritten, so a tick
# rewrites (and locks) only a roll whose vote has moved since; a new first ballot lengthens the ledger.
_neutral_at_length: dict[int, int] = {}


def neutralise_open_secret_rolls() -> int:
    """The periodic task: while a secret vote is open, its roll is rewritten in organisation
    order at the first tick after new ballots, so a backup taken during the vote reveals at most
    the order of the first ballots cast since the last tick (the close rewrites it once more).
    Returns how many rolls it rewrote."""
    moved = [round_id for round_id, length in db.session.execute(
        select(VotingRound.id, VotingRound.ledger_length)
        .join(Consultation, Consultation.id == VotingRound.consultation_id)
        .where(VotingRound.closed_at.is_(None), Consultation.secret_ballots.is_(True)))
        if _neutral_at_length.get(round_id) != length]
    if not moved:
        return 0
    for vote in db.session.scalars(select(VotingRound).where(VotingRound.id.in_(moved), VotingRound.closed_at.is_(None))
                                   .order_by(VotingRound.id).with_for_update()):
        rewrite_roll_in_neutral_order(vote)
        _neutral_at_length[vote.id] = vote.ledger_length
    return len(moved)


def _secret_receipt_emails(recipients: list[User], consultation: Consultation, link: str, receipt: str,
                           credential: str) -> list[PreparedEmail]:
    """The receipt and the credential, by e-mail only: an in-app notification or an outbox copy
    would store them next to the person, and so link the organisation to its ballot."""
    seen: set[int] = set()
    emails = []
    for person in recipients:
        if person is None or person.id in seen:
            continue
        seen.add(person.id)
        question = pick_text(texts_of(consultation, "question"), person.preferred_language).text
        with force_locale(person.preferred_language):
            params = {"question": question, "receipt": receipt, "credential": credential}
            emails.append(prepare_email(person.email, "notification", language=person.preferred_language,
                                        keep_copy=False, subject=str(SECRET_RECEIPT_SUBJECT) % params, user=person,
                                        text=str(SECRET_RECEIPT_TEXT) % params, link=link))
    return emails


# --- closing ---------------------------------------------------------------------------------


def entry_data(entry: LedgerEntry) -> dict[str, Any]:
    """An entry's JSON object; {} when it is not one (a tampered entry)."""
    try:
        data = json.loads(entry.canonical)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def counted_ballots(entries: Iterable[LedgerEntry]) -> dict[str, dict[str, Any]]:
    """The ballots that count, by the ledger alone (every entry no later entry replaces), by receipt."""
    ballots = {entry.entry_hash: data for entry in entries
               if isinstance((data := entry_data(entry)).get("ballot"), dict)}
    replaced = {data["replaces"] for data in ballots.values() if data.get("replaces")}
    return {receipt: data["ballot"] for receipt, data in ballots.items() if receipt not in replaced}


def current_contents(vote: VotingRound) -> list[dict[str, Any]]:
    """The ballots that count, read from the ledger: the one source the close, the export and
    anyone's recount all tally (`verify-ledger` proves the `ballots` table agrees with it)."""
    return list(counted_ballots(receipts(vote)).values())


def tally_ballots(definition: dict[str, Any], ballots: Iterable[dict[str, Any]], eligible: int) -> Result:
    method = get_method(definition["method"])
    candidates = [c["id"] for c in definition["candidates"]]
    return method.tally(candidates, list(ballots), {**definition["options"], "eligible": eligible})


def close_round(actor: User | None, consultation: Consultation, now: datetime | None = None) -> bool:
    """Compare-and-set: the first close wins, computes the results and publishes the head."""
    vote = round_of(consultation)
    if vote is None:
        return False
    now = now or utcnow()
    # An UPDATE gives a CursorResult, which counts the rows it changed.
    closed = rows_changed(
        update(VotingRound).where(VotingRound.id == vote.id, VotingRound.closed_at.is_(None))
        .values(closed_at=now).execution_options(synchronize_session=False))
    if closed != 1:
        return False
    db.session.refresh(vote)  # after the UPDATE: every ballot committed before the close is seen
    definition = definition_of(vote)
    ballots = current_contents(vote)
    result = tally_ballots(definition, ballots, vote.eligible_count)
    vote.participants = len(ballots)
    vote.published_head = vote.ledger_head
    if is_secret(vote):
        rewrite_roll_in_neutral_order(vote)
        db.session.refresh(vote)
    vote.results = canonical({"method": definition["method"], "eligible": vote.eligible_count,
                              "participants": len(ballots), **result.as_dict()})
    db.session.flush()
    from tadamon.voting import results as stored  # the results module reads this one

    stored.store(vote)  # once: every page, export and API response reads this row from now on
    audit.record("vote.closed", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 after={"ledger_head": vote.published_head, "ballots": vote.ledger_length,
                        "participants": vote.participants, "definition_hash": vote.definition_hash}, actor=actor)
    return True


def on_phase_change(actor: User | None, consultation: Consultation, from_phase: Phase, to_phase: Phase) -> None:
    if to_phase is Phase.VOTING and round_of(consultation) is None:
        open_round(actor, consultation)
    elif to_phase is Phase.CLOSED:
        close_round(actor, consultation)
    elif to_phase is Phase.RESULTS_PUBLISHED:
        vote = round_of(consultation)
        if vote is not None:
            audit.record("vote.results_published", "consultation", consultation.id,
                         object_label=consultation.question_fr or consultation.question_ar,
                         after={"ledger_head": vote.published_head}, actor=actor)


# --- results ---------------------------------------------------------------------------------


@dataclass
class ParticipationCount:
    label_key: str
    eligible: int
    voted: int


def participation_by(vote: VotingRound, column: Any) -> list[ParticipationCount]:
    rows = db.session.execute(
        select(column, func.count(), func.sum(func.cast(EligibleOrganisation.has_voted, db.Integer)))
        .where(EligibleOrganisation.round_id == vote.id).group_by(column).order_by(column)).all()
    return [ParticipationCount(key or "", int(eligible), int(voted or 0)) for key, eligible, voted in rows]


def results_of(vote: VotingRound) -> dict[str, Any] | None:
    return json.loads(vote.results) if vote.results else None


# The order public ballots are listed in: by organisation (the listing stored at the close, too).
PUBLIC_BALLOTS_ORDER = (Organisation.name_fr, Organisation.name_ar, Organisation.id)


def _public_ballots_query(vote: VotingRound) -> Select[Organisation, str]:
    return (select(Organisation, Ballot.content).join(Ballot, Ballot.organisation_id == Organisation.id)
            .where(Ballot.round_id == vote.id, Ballot.is_current.is_(True))
            .order_by(*PUBLIC_BALLOTS_ORDER))


def public_ballots(vote: VotingRound) -> list[tuple[Organisation, dict[str, Any]]]:
    """Who voted for what: only for a closed vote with public ballots."""
    definition = definition_of(vote)
    if definition["secret"] or vote.closed_at is None:
        return []
    rows = db.session.execute(_public_ballots_query(vote)).all()
    return [(organisation, json.loads(content)) for organisation, content in rows]


# A national vote has thousands of public ballots: the results page shows them a page at a time
# (summarising 2,000 ballots took seconds per request), the open data and the pack hold them all.
# A page's cost is its rows' (each summarised, linked, isolated): 20 keep the page of a
# national vote within 1.5× of a local one's, whose dozen ballots fit on one page.
PUBLIC_BALLOTS_PER_PAGE = 20


@dataclass(frozen=True)
class BallotsPage:
    items: list[tuple[Organisation, dict[str, Any]]]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def public_ballots_page(vote: VotingRound, page: int, per_page: int = PUBLIC_BALLOTS_PER_PAGE, *,
                        listed: int | None = None) -> BallotsPage:
    """One page of `public_ballots`, in the same order (an empty page for a secret or open vote).
    `listed`: how many ballots the close numbered in that order (`ListedBallot`); the page is
    then a range of positions read through the primary key, and the total is known without a
    count, so a page costs the same whatever the number of ballots. Without it (a round whose
    listing the periodic task has not stored yet) the page is sorted and counted per request."""
    if listed is not None:
        pages = max(1, -(-listed // per_page))
        page = page if 1 <= page <= pages else 1  # past the last page: the first one
        if not listed:
            return BallotsPage([], 1, 1, 0)
        start = (page - 1) * per_page
        numbered = db.session.execute(
            select(Organisation, Ballot.content).join(Ballot, Ballot.organisation_id == Organisation.id)
            .join(ListedBallot, ListedBallot.ballot_id == Ballot.id)
            .where(ListedBallot.round_id == vote.id, ListedBallot.position > start,
                   ListedBallot.position <= start + per_page)
            .order_by(ListedBallot.position)).all()
        return BallotsPage([(organisation, json.loads(content)) for organisation, content in numbered], page, pages,
                           listed)
    definition = definition_of(vote)
    if definition["secret"] or vote.closed_at is None:
        return BallotsPage([], 1, 1, 0)
    page = max(page, 1)
    # The total comes with the rows (a window count), so a page costs one query.
    query = _public_ballots_query(vote).add_columns(func.count().over())
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
    if not rows and page > 1:  # past the last page: the first one
        return public_ballots_page(vote, 1, per_page)
    total = rows[0][2] if rows else 0
    return BallotsPage([(organisation, json.loads(content)) for organisation, content, _total in rows], page,
                       max(1, -(-total // per_page)), total)


def proposals_by_key(vote: VotingRound) -> dict[str, Proposal]:
    keys = candidate_keys(vote)
    rows = db.session.scalars(select(Proposal).where(Proposal.id.in_([proposal_id_of(k) for k in keys])))
    return {candidate_key(p.id): p for p in rows}


def linked_proposals(keys: list[str]) -> dict[str, Proposal]:
    """The proposals of these candidates, with only what a link to each needs (id, language);
    any other attribute raises rather than loading per row."""
    rows = db.session.scalars(select(Proposal).options(load_only(Proposal.id, Proposal.language, raiseload=True),
                                                       raiseload("*"))
                              .where(Proposal.id.in_([proposal_id_of(k) for k in keys])))
    return {candidate_key(p.id): p for p in rows}


def receipts(vote: VotingRound) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.round_id == vote.id)
                                   .order_by(LedgerEntry.position)))


def superseded_receipts(entries: Iterable[LedgerEntry]) -> set[str]:
    replaced = set()
    for entry in entries:
        previous = json.loads(entry.canonical).get("replaces")
        if previous:
            replaced.add(previous)
    return replaced


def ballot_counts(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """The facilitators' dashboard: organisations that voted, per consultation, in one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        select(VotingRound.consultation_id, func.count(Ballot.id)).join(Ballot, Ballot.round_id == VotingRound.id)
        .where(VotingRound.consultation_id.in_(consultation_ids), Ballot.is_current.is_(True))
        .group_by(VotingRound.consultation_id)).all()
    return {cid: {"ballots": int(count)} for cid, count in rows}


# --- voting rights ---------------------------------------------------------------------------


def set_voting_rights(actor: User, organisation: Organisation, allowed: bool) -> bool:
    """Lets every member of the organisation vote for it (`allowed`), or only its
    representatives; audited. Returns `allowed`."""
    before = organisation.members_may_vote
    organisation.members_may_vote = allowed
    audit.record("organisation.voting_rights", "organisation", organisation.id,
                 object_label=organisation.original_name, before={"members_may_vote": before},
                 after={"members_may_vote": allowed}, actor=actor)
    db.session.flush()
    return allowed
