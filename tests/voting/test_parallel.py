"""One organisation, one current ballot, under parallel requests; a vote racing the close.

On SQLite here and on PostgreSQL when TEST_DATABASE_URL is set (CI runs both).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.proposals import services as proposals
from tadamon.voting import ledger, services
from tadamon.voting.models import Ballot, LedgerEntry, VotingRound
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Consultation, Phase
from tests import support
from tests.membership.test_parallel import logged_in_client, make_user
from tests.proposals.test_parallel import _organisation

BALLOTS = 50


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def _voting_consultation(app, secret=False):
    """A national approval vote with two proposals; returns ids of it, its voter and the steering."""
    with app.app_context():
        steering = make_user("steering@example.org", "steering")
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte"
        membership.save_principle(draft, None, {"title_fr": "Solidarité"})
        membership.publish_charter(steering, draft)
        voter, organisation = _organisation(steering, "voter@example.org", "Votante")
        consultation = workshops.save_consultation(steering, None, None, workshops.ConsultationData(
            question_fr="Q ?", max_approvals=1, secret_ballots=secret))
        workshops.move_phase(steering, consultation, Phase.PROPOSALS_OPEN)
        keys = []
        for title in ("Un fonds solidaire", "Une école numérique"):
            data = proposals.ProposalData(title=title, body=f"{title} pour les coopératives du réseau.")
            proposal = proposals.save_draft(consultation, organisation, voter, data)
            proposals.publish(proposal, voter, data)
            keys.append(f"p{proposal.id}")
        workshops.move_phase(steering, consultation, Phase.DELIBERATION)
        workshops.move_phase(steering, consultation, Phase.VOTING)
        db.session.commit()
        return consultation.id, voter.id, steering.id, keys


def _parallel(functions):
    barrier = Barrier(len(functions))

    def start(function):
        barrier.wait()
        return function()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(start, functions))


@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
def test_fifty_parallel_ballots_of_one_organisation_leave_one_current_ballot(live_app, secret):
    """Secret: fifty first ballots without a credential race for the roll's `has_voted`; one
    wins and gets the credential, the others are told how to recover."""
    consultation_id, voter_id, _, keys = _voting_consultation(live_app, secret)
    clients = [logged_in_client(live_app, voter_id) for _ in range(BALLOTS)]

    def cast(index):
        return lambda: clients[index].post(f"/consultations/{consultation_id}/vote",
                                           data={"approve": [keys[index % 2]]}).status_code

    statuses = _parallel([cast(i) for i in range(BALLOTS)])
    assert set(statuses) <= {302, 400} and statuses.count(302) >= 1
    if not secret and live_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The organisation's line on the roll, locked before its previous ballot is read, makes
        # its parallel ballots wait for one another: each replaces the one before, none is refused.
        assert statuses == [302] * BALLOTS
    with live_app.app_context():
        current = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.is_current.is_(True)))
        assert current == 1
        vote = db.session.scalar(select(VotingRound))
        # Every accepted ballot is in the chain, in one unbroken line.
        assert vote.ledger_length == statuses.count(302)
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == statuses.count(302)
        assert ledger.verify(vote) == []


def test_a_ballot_racing_the_close_is_either_counted_or_refused(live_app):
    consultation_id, voter_id, steering_id, keys = _voting_consultation(live_app)
    racers = 12
    clients = [logged_in_client(live_app, voter_id) for _ in range(racers)]

    def cast(index):
        return lambda: clients[index].post(f"/consultations/{consultation_id}/vote",
                                           data={"approve": [keys[index % 2]]}).status_code

    def close():
        with live_app.app_context():
            from tadamon.accounts.models import User

            workshops.move_phase(db.session.get(User, steering_id), db.session.get(Consultation, consultation_id),
                                 Phase.CLOSED)
            db.session.commit()
            return "closed"

    functions = [cast(i) for i in range(racers)]
    functions.insert(racers // 2, close)
    outcomes = _parallel(functions)
    statuses = [outcome for outcome in outcomes if outcome != "closed"]
    assert set(statuses) <= {302, 400}
    with live_app.app_context():
        vote = db.session.scalar(select(VotingRound))
        assert vote.closed_at is not None
        # Accepted ballots all precede the close: the published head is the chain's last entry.
        assert vote.ledger_length == statuses.count(302)
        assert vote.published_head == vote.ledger_head
        results = services.results_of(vote)
        assert results["participants"] == (1 if statuses.count(302) else 0)
        assert ledger.verify(vote) == []
        # After the close, a ballot is refused and nothing is appended.
    late = clients[0].post(f"/consultations/{consultation_id}/vote", data={"approve": [keys[0]]})
    assert late.status_code in (400, 403)
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == statuses.count(302)


def test_parallel_ballots_of_many_organisations_are_all_counted_in_one_chain(live_app):
    """Organisations voting at the same moment (the ledger's turn lasts only the append): every
    ballot is recorded once, at its own position, and the chain verifies."""
    from werkzeug.datastructures import MultiDict

    from tadamon.accounts.models import User
    from tadamon.membership.models import Organisation

    consultation_id, voter_id, steering_id, keys = _voting_consultation(live_app)
    with live_app.app_context():
        steering = db.session.get(User, steering_id)
        voters = [(voter_id, db.session.scalar(select(Organisation.id)))]
        for n in range(11):
            person, organisation = _organisation(steering, f"voter{n}@example.org", f"Votante {n}")
            voters.append((person.id, organisation.id))
        db.session.commit()
        # Registered after the vote opened: put on the roll as the opening would have.
        from tadamon.voting.models import EligibleOrganisation

        vote = db.session.scalar(select(VotingRound))
        db.session.add_all(EligibleOrganisation(round_id=vote.id, organisation_id=organisation_id)
                           for _, organisation_id in voters[1:])
        db.session.commit()

    def cast(person_id, organisation_id, key):
        def run():
            with live_app.app_context(), live_app.test_request_context("/", method="POST"):  # a write: BEGIN IMMEDIATE on SQLite
                services.cast_ballot(db.session.get(User, person_id), db.session.get(Consultation, consultation_id),
                                     db.session.get(Organisation, organisation_id), MultiDict({"approve": [key]}))
                db.session.commit()
                # On PostgreSQL the commit did not wait for the WAL's flush: the after_commit
                # hook waited for it (and forgot the connection) before the commit returned.
                assert services.DURABLE_AFTER_COMMIT not in db.session.info
                return "cast"
        return run

    # Each organisation votes twice: its second ballot replaces its first, whichever order.
    functions = [cast(person, organisation, keys[n % 2]) for person, organisation in voters for n in range(2)]
    assert _parallel(functions) == ["cast"] * len(functions)
    with live_app.app_context():
        vote = db.session.scalar(select(VotingRound))
        assert vote.ledger_length == len(functions)
        positions = db.session.scalars(select(LedgerEntry.position).order_by(LedgerEntry.position)).all()
        assert positions == list(range(1, len(functions) + 1))
        current = db.session.scalars(select(Ballot.organisation_id).where(Ballot.is_current.is_(True))).all()
        assert sorted(current) == sorted(organisation for _, organisation in voters)
        assert ledger.verify(vote) == []
        # Receipts: each organisation's entries form its own line in the chain, the second
        # replacing the first, and its current ballot's receipt is its last entry's hash.
        entries = [(entry.entry_hash, services.entry_data(entry)) for entry in services.receipts(vote)]
        for _, organisation_id in voters:
            mine = [(receipt, data) for receipt, data in entries if data["organisation"] == organisation_id]
            assert [data["replaces"] for _, data in mine] == [None, mine[0][0]]
            assert db.session.scalars(select(Ballot.receipt).where(
                Ballot.organisation_id == organisation_id, Ballot.is_current.is_(True))).all() == [mine[1][0]]
        if db.engine.dialect.name == "postgresql":
            # Only the ballots' own transactions commit without waiting for the flush: the
            # pooled connections they ran on are back to the server's setting.
            from sqlalchemy import text

            for _ in range(3):
                assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
                db.session.commit()


def test_a_ballot_commits_without_waiting_for_the_flush_then_waits_for_it(live_app):
    """PostgreSQL: the turn's own statement turns `synchronous_commit` off for the ballot's
    transaction (no SET of its own); once committed, the after_commit hook waits for the flush
    in one autocommit statement and gives the connection back as it found it."""
    from werkzeug.datastructures import MultiDict

    from tadamon.accounts.models import User
    from tadamon.membership.models import Organisation

    if not live_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL's commit without the flush")
    from sqlalchemy import event, text

    consultation_id, voter_id, _, keys = _voting_consultation(live_app)
    with live_app.app_context(), live_app.test_request_context("/", method="POST"):
        statements: list[str] = []

        def seen(_connection, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            services.cast_ballot(db.session.get(User, voter_id), db.session.get(Consultation, consultation_id),
                                 db.session.scalar(select(Organisation)), MultiDict({"approve": [keys[0]]}))
            assert not any(statement.startswith("SET") for statement in statements)
            assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "off"
            connection = db.session.info[services.DURABLE_AFTER_COMMIT]
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert services.DURABLE_AFTER_COMMIT not in db.session.info
        assert connection.autocommit is False
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
        assert db.session.scalar(select(VotingRound.ledger_length)) == 1
