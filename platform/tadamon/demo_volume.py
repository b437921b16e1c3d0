"""The demo's volume (`flask demo --scale N`, N ≥ 2), inserted in bulk on top of the demo.

Per unit of scale: 200 organisations (each with a representative), 1,000 proposals, 10,000
comments, 2,000 ballots and 20 plan actions; scale 10 gives a network of ~2,000 organisations.
The module seeds (`<module>/demo.py`) go through the services one object at a time, which is
right for a story of a few dozen objects and far too slow for 100,000 comments (hours): this
writes lists of rows with SQLAlchemy Core's executemany instead, and keeps the data what the
services would have made. Consultations are copied from the demo's consultations in the same
phase (their dates agree with the phase, so the scheduler leaves them be); each vote's ballots
are chained in Python exactly as `voting.services.cast_ballot` chains one (so `flask
verify-ledger` passes), then the round is closed through the service (its results computed
from the ledger); the plan's actions go through the plan's own service (200 at most).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from tadamon.core.db import utcnow
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db

# What one unit of scale adds up to (the totals at scale N are N times these).
UNIT = {"organisations": 200, "proposals": 1_000, "comments": 10_000, "ballots": 2_000, "plan actions": 20}
# Ten votes whatever the scale: their rolls grow with the network, so their ballots do too.
VOTE_PHASES = ("results_published",) * 4 + ("closed",) * 3 + ("voting",) * 3
# Proposals per consultation outside the votes (a long list, as a big network's would be).
PER_CONSULTATION = 250
CHUNK = 5_000


def _insert(table: Table, rows: Sequence[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """executemany in chunks; the new ids in the rows' order when asked."""
    new_ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        if ids:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            new_ids += db.session.scalars(statement, list(part)).all()
        else:
            db.session.execute(insert(table), list(part))
    return new_ids


def _table(model: type[Any]) -> Table:
    """A model's Table (typed as the FromClause it is declared as)."""
    return cast(Table, model.__table__)


def _count(table: Table) -> int:
    return int(db.session.scalar(select(func.count()).select_from(table)) or 0)


def grow(scale: int, password_hash: str, report: Callable[[str], None] | None = None) -> dict[str, float]:
    """Brings the demo to `scale` units; returns the seconds each kind took (and reports them)."""
    timings: dict[str, float] = {}

    def timed(kind: str, step: Callable[[], int]) -> None:
        started = time.perf_counter()
        added = step()
        db.session.flush()
        timings[kind] = time.perf_counter() - started
        if report is not None:
            report(f"{kind}: {added:,} added in {timings[kind]:.1f} s")

    db.session.flush()
    people = _representatives()  # organisation id -> its representative's user id
    timed("organisations", lambda: _organisations(scale, password_hash, people))
    votes: list[int] = []
    timed("proposals", lambda: _proposals(scale, people, votes))
    timed("comments", lambda: _comments(scale, people))
    timed("ballots", lambda: _ballots(scale, people, votes))
    timed("plan actions", lambda: _actions(scale, votes))
    return timings


# --- organisations ---------------------------------------------------------------------------


def _representatives() -> dict[int, int]:
    """The demo's approved organisations and one representative of each, but the featured
    member's: its vote in an open consultation is left for the visitor to cast."""
    from tadamon.membership import models as m
    from tadamon.membership.demo import featured_organisation

    featured = featured_organisation()
    rows = db.session.execute(select(m.OrganisationMember.organisation_id, m.OrganisationMember.user_id)
                              .join(m.Organisation, m.Organisation.id == m.OrganisationMember.organisation_id)
                              .where(m.OrganisationMember.role == "representative",
                                     m.Organisation.state == m.MembershipState.APPROVED.value)
                              .order_by(m.OrganisationMember.id))
    people: dict[int, int] = {}
    for organisation_id, user_id in rows:
        if featured is None or organisation_id != featured.id:
            people.setdefault(organisation_id, user_id)
    return people


def _organisations(scale: int, password_hash: str, people: dict[int, int]) -> int:
    from tadamon.accounts.models import User
    from tadamon.membership import models as m
    from tadamon.membership.demo import KINDS, LEGAL_FORMS, PROVINCES, THEMES
    from tadamon.membership.regions import REGIONS
    from tadamon.membership.services.charter import current_charter

    organisations = _table(m.Organisation)
    start = _count(organisations)
    wanted = max(0, UNIT["organisations"] * scale - start)
    now = utcnow()
    rows = []
    for index in range(start, start + wanted):
        kind, theme, region = KINDS[index % 5], THEMES[(index // 5) % len(THEMES)], REGIONS[index % len(REGIONS)]
        name_ar = f"{kind[0]} {theme[0]} {region.ar.split(' - ')[0]} {index // 50 + 1}"
        name_fr = f"{kind[1]} {theme[1]} {region.fr.split('-')[0]} {index // 50 + 1}"
        rows.append({
            "name_ar": name_ar, "name_fr": name_fr, "search_name": normalize_for_search(f"{name_ar} {name_fr}"),
            "legal_form": LEGAL_FORMS[index % 5].value, "registration_number": f"RC-{10000 + index}",
            "year_founded": 1985 + index % 38, "region": region.code, "province": PROVINCES[region.code],
            "description_ar": "منظمة تعمل من أجل التضامن والتنمية المحلية في جهتها.",
            "description_fr": "Organisation engagée pour la solidarité et le développement local dans sa région.",
            "members_count": 20 + index * 3 % 400, "volunteers_count": 5 + index % 60, "staff_count": index % 12,
            "contact_email": f"contact{index}@org.demo.tadamon.ma", "state": m.MembershipState.APPROVED.value,
            "submitted_at": now, "approved_at": now, "created_at": now})
    ids = _insert(organisations, rows, ids=True)
    fields = list(db.session.scalars(select(m.FieldOfAction.id).order_by(m.FieldOfAction.id)))
    charter = current_charter()
    _insert(m.organisation_fields, [{"organisation_id": oid, "field_id": field} for n, oid in enumerate(ids)
             for field in {fields[n % len(fields)], fields[(n * 3 + 1) % len(fields)]}] if fields else [])
    _insert(_table(m.MembershipEvent), [{"organisation_id": oid, "from_state": None, "to_state": "approved",
                                           "occurred_at": now} for oid in ids])
    if charter is not None:
        _insert(_table(m.CharterAdherence), [{"organisation_id": oid, "charter_id": charter.id,
                                                "adhered_at": now} for oid in ids])
    # One representative each: the people who write, comment and vote below.
    users = _insert(_table(User), [{
        "email": f"representative{index}@org.demo.tadamon.ma", "display_name": f"Représentant·e {index}",
        "password_hash": password_hash, "preferred_language": ("ar", "fr", "en")[index % 3],
        "email_verified_at": now, "privacy_consent_at": now, "password_changed_at": now, "created_at": now}
        for index in range(start, start + wanted)], ids=True)
    _insert(_table(m.OrganisationMember), [{"organisation_id": oid, "user_id": uid, "role": "representative",
                                              "joined_at": now} for oid, uid in zip(ids, users, strict=True)])
    people.update(zip(ids, users, strict=True))
    return wanted


# --- consultations, proposals, co-signatures -------------------------------------------------


def _copy_consultations(phases: Sequence[str], label: str) -> list[int]:
    """New consultations, each a copy of the demo's consultation in the same phase (dates and
    all), open to all members and voted by approval."""
    from tadamon.workshops.models import Consultation

    table = _table(Consultation)
    templates: dict[str, dict[str, Any]] = {}  # phase -> the first consultation's row
    for template in db.session.execute(select(table).order_by(table.c.id)).mappings():
        templates.setdefault(template["phase"], {**template})
    rows: list[dict[str, Any]] = []
    for number, phase in enumerate(phases, 1):
        row = {**templates[phase], "participation": "all_members", "voting_method": "approval",
               "max_approvals": 3, "secret_ballots": False, "created_at": utcnow()}
        row.pop("id")
        for language in ("ar", "fr", "en"):
            question = row[f"question_{language}"] or templates[phase]["question_fr"]
            row[f"question_{language}"] = f"{question} — {label} {number}"[:300]
        rows.append(row)
    return _insert(table, rows, ids=True)


def _proposals(scale: int, people: dict[int, int], votes: list[int]) -> int:
    from tadamon.proposals.demo import TEXTS
    from tadamon.proposals.models import CoSignature, Proposal, ProposalVersion, TimelineEvent

    proposals = _table(Proposal)
    wanted = max(0, UNIT["proposals"] * scale - _count(proposals))
    # The votes' candidates: few in a vote still open, enough in the published ones for the
    # plan's actions (each comes from one proposal of a published vote).
    sizes = [8 + 5 * scale if phase == "results_published" else 8 for phase in VOTE_PHASES]
    votes += _copy_consultations(["voting"] * len(VOTE_PHASES), "vote")
    rest = max(0, wanted - sum(sizes))
    open_phases = [("deliberation", "proposals_open")[n % 2] for n in range(-(-rest // PER_CONSULTATION))]
    others = _copy_consultations(open_phases, "volume") if open_phases else []
    places = [cid for cid, size in zip(votes, sizes, strict=True) for _ in range(size)]
    places += [others[n // PER_CONSULTATION] for n in range(rest)]
    texts = [text for group in TEXTS.values() for text in group]
    organisations = sorted(people)
    now = utcnow()
    rows = []
    for n, consultation_id in enumerate(places):
        language, title, body = texts[n % len(texts)]
        organisation = organisations[n % len(organisations)]
        title = f"{title} ({n + 1})"[:200]
        rows.append({"consultation_id": consultation_id, "organisation_id": organisation,
                     "author_id": people[organisation], "state": "published", "title": title, "body": body,
                     "language": language, "search_text": normalize_for_search(f"{title} {body}"),
                     "created_at": now, "published_at": now, "updated_at": now, "version": 1,
                     "cosignature_count": 2, "comment_count": 0, "territory_scope": "national"})
    ids = _insert(proposals, rows, ids=True)
    _insert(_table(ProposalVersion), [{"proposal_id": pid, "number": 1, "title": row["title"], "body": row["body"],
                                         "created_at": now, "created_by_id": row["author_id"], "reason": "edit"}
                                        for pid, row in zip(ids, rows, strict=True)])
    _insert(_table(TimelineEvent), [{"proposal_id": pid, "kind": "published", "detail": "1",
                                       "actor_id": row["author_id"], "at": now}
                                      for pid, row in zip(ids, rows, strict=True)])
    count = len(organisations)
    _insert(_table(CoSignature), [
        {"proposal_id": pid, "organisation_id": other, "person_id": people[other], "created_at": now}
        for n, pid in enumerate(ids) for other in (organisations[(n + 1) % count], organisations[(n + 2) % count])])
    return len(ids)


# --- comments --------------------------------------------------------------------------------


def _comments(scale: int, people: dict[int, int]) -> int:
    """On the published proposals of the volume's consultations past their proposal phase."""
    from tadamon.proposals.demo import COMMENTS
    from tadamon.proposals.models import Comment, Proposal
    from tadamon.workshops.models import Consultation

    comments = _table(Comment)
    wanted = max(0, UNIT["comments"] * scale - _count(comments))
    targets = db.session.execute(
        select(Proposal.id, Proposal.organisation_id).join(Consultation, Consultation.id == Proposal.consultation_id)
        .where(Proposal.author_id.in_(set(people.values())), Consultation.phase != "proposals_open")
        .order_by(Proposal.id)).all()
    if not targets or not wanted:
        return 0
    organisations = sorted(people)
    now = utcnow()
    rows = []
    for n in range(wanted):
        proposal_id, author_organisation = targets[n % len(targets)]
        organisation = organisations[(n * 7 + 3) % len(organisations)]
        if organisation == author_organisation:
            organisation = organisations[(n * 7 + 4) % len(organisations)]
        stance, body = COMMENTS[n % len(COMMENTS)]
        # Already told of (notified_at): the scheduler's digest must not mail 100,000 comments.
        rows.append({"proposal_id": proposal_id, "organisation_id": organisation, "author_id": people[organisation],
                     "stance": stance, "body": body, "depth": 0, "created_at": now, "notified_at": now})
    _insert(comments, rows)
    # The proposals' comment counts, as the service keeps them.
    counts = select(func.count()).where(Comment.proposal_id == Proposal.id).scalar_subquery()
    db.session.execute(update(Proposal).where(Proposal.id.in_([t[0] for t in targets])).values(comment_count=counts)
                       .execution_options(synchronize_session=False))
    return wanted


# --- votes: the ledger chained in Python, then closed through the service --------------------


def _ballots(scale: int, people: dict[int, int], votes: list[int]) -> int:
    from tadamon.voting import services
    from tadamon.voting.methods import get_method
    from tadamon.voting.models import Ballot, EligibleOrganisation, LedgerEntry, random_ballot_id
    from tadamon.workshops.models import Consultation, Phase

    wanted = max(0, UNIT["ballots"] * scale - _count(_table(Ballot)))
    per_vote = -(-wanted // len(votes)) if votes else 0
    added = 0
    for consultation_id, phase in zip(votes, VOTE_PHASES, strict=True):
        consultation = db.session.get_one(Consultation, consultation_id)
        vote = services.open_round(None, consultation)
        keys = services.candidate_keys(vote)
        method = get_method(services.definition_of(vote)["method"])
        voters = [oid for oid in services.definition_of(vote)["eligible"] if oid in people]
        # Nine in ten vote; one in five of those changes its mind (a second ballot replaces the first).
        casting = [oid for n, oid in enumerate(voters) if n % 10 != 9]
        casts = list(itertools.islice(itertools.chain(casting, casting[: len(casting) // 5]),
                                      min(per_vote, wanted - added)))
        head, position, now = vote.ledger_head, vote.ledger_length, utcnow()
        entries: list[dict[str, Any]] = []
        ballots: list[dict[str, Any]] = []
        last: dict[int, dict[str, Any]] = {}  # organisation -> its latest ballot row
        for n, organisation in enumerate(casts):
            content = services.parse_ballot(vote, method.sample_form(keys, n + (len(casts) if organisation in last else 0)))
            position += 1
            previous = last.get(organisation)
            entry = {"format": services.ENTRY_FORMAT, "consultation": consultation_id, "position": position,
                     "cast_at": now.isoformat(timespec="microseconds"), "ballot": content,
                     "organisation": organisation, "nonce": None, "replaces": previous["receipt"] if previous else None}
            text = services.canonical(entry)
            entry_hash = services.chain_hash(head, text)
            entries.append({"round_id": vote.id, "position": position, "previous_hash": head, "canonical": text,
                            "entry_hash": entry_hash})
            if previous is not None:
                previous["is_current"] = None
            ballot = {"id": random_ballot_id(), "round_id": vote.id, "organisation_id": organisation,
                      "credential_hash": None, "person_id": people[organisation], "content": services.canonical(content),
                      "cast_at": now, "is_current": True, "receipt": entry_hash}
            ballots.append(ballot)
            last[organisation] = ballot
            head = entry_hash
        _insert(_table(LedgerEntry), entries)
        _insert(_table(Ballot), ballots)
        for start in range(0, len(last), 900):  # SQLite's bound-parameter limit
            db.session.execute(update(EligibleOrganisation).where(
                EligibleOrganisation.round_id == vote.id,
                EligibleOrganisation.organisation_id.in_(list(last)[start:start + 900])).values(has_voted=True)
                .execution_options(synchronize_session=False))
        vote.ledger_head, vote.ledger_length = head, position
        added += len(ballots)
        db.session.flush()
        if phase != "voting":
            services.close_round(None, consultation)
            consultation.phase = Phase(phase)
            db.session.flush()
    return added


# --- the plan's actions ----------------------------------------------------------------------


def _actions(scale: int, votes: list[int]) -> int:
    """Through the plan's service: one action per leading proposal of the published votes."""
    from tadamon.action_plan.demo import demo_action, steering_account
    from tadamon.action_plan.models import Action
    from tadamon.voting import services as voting
    from tadamon.workshops.models import Consultation

    wanted = max(0, UNIT["plan actions"] * scale - _count(_table(Action)))
    steering = steering_account()
    proposal_ids = []
    for consultation_id, phase in zip(votes, VOTE_PHASES, strict=True):
        if phase == "results_published":
            vote = voting.round_of(db.session.get_one(Consultation, consultation_id))
            if vote is not None:
                proposal_ids += [voting.proposal_id_of(key) for key in voting.candidate_keys(vote)]
    for number, proposal_id in enumerate(proposal_ids[:wanted]):
        demo_action(steering, [proposal_id], number)
    return min(wanted, len(proposal_ids))
