"""A real database dump after a secret vote does not tell in which order organisations voted.

The ledger is public and in casting order; if the roll's rows came out of a dump in the order
organisations first voted, the two lined up would link each organisation to its ballot. On
PostgreSQL an UPDATE writes a new row version, so `has_voted` would do exactly that: this test
reads a real `pg_dump` (or SQLite's own dump) taken during the vote, after a periodic tick and
after the close.
"""

from __future__ import annotations

import sqlite3
import subprocess
from urllib.parse import parse_qs

import pytest
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import Organisation
from tadamon.proposals import services as proposals
from tadamon.voting import ledger, services
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Consultation, Phase
from tests import support
from tests.membership.test_parallel import make_user
from tests.proposals.test_parallel import _organisation

# Casting order, as indexes of the organisations in creation (id) order: not the id order.
CASTING_ORDER = (4, 1, 5, 0, 3)


@pytest.fixture
def live_app(tmp_path):
    with support.committed_app(tmp_path) as app:
        yield app


def _roll_as_dumped(app) -> list[tuple[int, int, bool]]:
    """(round, organisation, has_voted) of every roll row, in the order a dump writes them."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as connection:
            lines = [line for line in connection.iterdump() if line.startswith('INSERT INTO "eligible_organisations"')]
        rows = [line.split("VALUES(", 1)[1].rstrip(");").split(",") for line in lines]
        return [(int(r[0]), int(r[1]), r[4] == "1") for r in rows]
    options = parse_qs(f"x={url.query.get('options', '')}")["x"][0]
    schema = options.split("search_path=", 1)[1]
    dump = subprocess.run(  # noqa: S603 - our own arguments
        ["pg_dump", "--data-only", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", "-d", url.database or "postgres",
         "-t", f'"{schema}".eligible_organisations'],
        check=True, capture_output=True, text=True, timeout=60).stdout
    body = dump.split("FROM stdin;\n", 1)[1].split("\n\\.", 1)[0]
    rows = [line.split("\t") for line in body.splitlines()]
    return [(int(r[0]), int(r[1]), r[4] == "t") for r in rows]


def _voted_in_dump_order(app, round_id: int) -> list[int]:
    return [organisation for round_, organisation, voted in _roll_as_dumped(app) if round_ == round_id and voted]


def test_a_dump_does_not_tell_the_order_of_first_ballots(live_app):
    with live_app.app_context():
        steering = make_user("steering@example.org", "steering")
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte"
        membership.save_principle(draft, None, {"title_fr": "Solidarité"})
        membership.publish_charter(steering, draft)
        members = [_organisation(steering, f"voter{i}@example.org", f"Association {i}") for i in range(6)]
        consultation = workshops.save_consultation(steering, None, None, workshops.ConsultationData(
            question_fr="Q ?", max_approvals=1, secret_ballots=True))
        workshops.move_phase(steering, consultation, Phase.PROPOSALS_OPEN)
        keys = []
        for title in ("Un fonds solidaire", "Une école numérique"):
            data = proposals.ProposalData(title=title, body=f"{title} pour les coopératives du réseau.")
            proposal = proposals.save_draft(consultation, members[0][1], members[0][0], data)
            proposals.publish(proposal, members[0][0], data)
            keys.append(f"p{proposal.id}")
        workshops.move_phase(steering, consultation, Phase.DELIBERATION)
        workshops.move_phase(steering, consultation, Phase.VOTING)
        db.session.commit()
        consultation_id, steering_id = consultation.id, steering.id
        organisation_ids = [organisation.id for _, organisation in members]
        late_voter = (members[2][0].id, members[2][1].id)
        for number, index in enumerate(CASTING_ORDER):
            person, organisation = members[index]
            services.cast_ballot(person, db.session.get(Consultation, consultation_id), organisation,
                                 MultiDict({"approve": [keys[number % 2]]}))
            db.session.commit()
        round_id = services.round_of(db.session.get(Consultation, consultation_id)).id
    casting = [organisation_ids[index] for index in CASTING_ORDER]
    neutral = sorted(casting)

    if make_url(live_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        # What the test guards against: before any rewrite, PostgreSQL's dump lists the roll's
        # updated rows in the order the organisations voted.
        assert _voted_in_dump_order(live_app, round_id) == casting

    with live_app.app_context():  # a periodic tick while the vote is open
        assert services.neutralise_open_secret_rolls() == 1
        db.session.commit()
    assert _voted_in_dump_order(live_app, round_id) == neutral

    with live_app.app_context():  # a late ballot after the tick, then the close
        person = db.session.get(User, late_voter[0])
        organisation = db.session.get(Organisation, late_voter[1])
        services.cast_ballot(person, db.session.get(Consultation, consultation_id), organisation,
                             MultiDict({"approve": [keys[0]]}))
        db.session.commit()
        workshops.move_phase(db.session.get(User, steering_id), db.session.get(Consultation, consultation_id),
                             Phase.CLOSED)
        db.session.commit()
        vote = services.round_of(db.session.get(Consultation, consultation_id))
        assert vote.participants == 6 and ledger.verify(vote) == []
        assert services.has_voted(vote, organisation)
    assert _voted_in_dump_order(live_app, round_id) == sorted([*casting, organisation_ids[2]])
    # Every organisation is still on the roll, each once, in organisation order.
    assert [o for r, o, _ in _roll_as_dumped(live_app) if r == round_id] == sorted(organisation_ids)
