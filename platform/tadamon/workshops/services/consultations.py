"""Consultations and their phases: compare-and-set moves, by hand or by schedule
(`advance_due_consultations`, the periodic task `move_due_phases`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.hooks import voting_methods
from tadamon.core.notifications import label, moment, notify, texts, topic
from tadamon.core.permissions import Role
from tadamon.core.persistence import rows_changed
from tadamon.core.texts import DescriptionTexts, is_written
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_of
from tadamon.workshops.models import (
    PHASE_ORDER,
    SCHEDULED_PHASES,
    Consultation,
    Participation,
    Phase,
    PhaseMove,
    Workshop,
)
from tadamon.workshops.services.common import WorkshopError
from tadamon.workshops.services.registrations import registered_organisation_ids


@dataclass
class ConsultationData(DescriptionTexts):
    question_ar: str = ""
    question_fr: str = ""
    question_en: str = ""
    participation: str = Participation.ALL_MEMBERS
    proposals_open_at: datetime | None = None
    deliberation_at: datetime | None = None
    voting_at: datetime | None = None
    closed_at: datetime | None = None
    amendments_allowed: bool = True
    voting_method: str = "approval"
    max_approvals: int | None = None
    quorum: float | None = None
    threshold: float | None = None
    secret_ballots: bool = False


VOTE_DEFINING = ("participation", "voting_method", "max_approvals", "quorum", "threshold", "secret_ballots")


def _check_consultation(data: ConsultationData, workshop: Workshop | None) -> None:
    if not is_written(data, "question"):
        raise WorkshopError(_l("Write the question in at least one language."), field="question_ar")
    if data.participation == Participation.REGISTERED and workshop is None:
        raise WorkshopError(_l("A national consultation is open to every member organisation."), field="participation")
    method = voting_methods().get(data.voting_method)
    if method is None:
        raise WorkshopError(_l("Choose a voting method."), field="voting_method")
    method.validate_settings({name: getattr(data, name) for name in method.settings})
    times = [(phase, getattr(data, f"{phase.value}_at")) for phase in SCHEDULED_PHASES]
    given = [(phase, moment) for phase, moment in times if moment is not None]
    for (_, earlier), (later_phase, later) in zip(given, given[1:], strict=False):
        if later <= earlier:
            raise WorkshopError(_l("Each phase must start after the previous one."), field=f"{later_phase.value}_at")


def _next_move_at(consultation: Consultation) -> datetime | None:
    index = PHASE_ORDER.index(consultation.current_phase)
    if index + 1 >= len(PHASE_ORDER):
        return None
    return consultation.scheduled_at(PHASE_ORDER[index + 1])


def save_consultation(actor: User, consultation: Consultation | None, workshop: Workshop | None,
                      data: ConsultationData) -> Consultation:
    _check_consultation(data, workshop)
    creating = consultation is None
    if consultation is None:
        consultation = Consultation(workshop_id=workshop.id if workshop else None, created_by_id=actor.id,
                                    phase=Phase.DRAFT)
        db.session.add(consultation)
    elif consultation.voting_has_opened:
        changed = [name for name in VOTE_DEFINING if getattr(consultation, name) != getattr(data, name)]
        if changed:
            raise WorkshopError(_l("Voting has opened: the settings that define the vote can no longer change."),
                                field=changed[0])
    for name, value in vars(data).items():
        setattr(consultation, name, value.strip() if isinstance(value, str) else value)
    consultation.next_move_at = _next_move_at(consultation)
    db.session.flush()
    audit.record("consultation.created" if creating else "consultation.updated", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 after={name: getattr(data, name) for name in VOTE_DEFINING}, actor=actor)
    return consultation


def next_phase(consultation: Consultation) -> Phase | None:
    index = PHASE_ORDER.index(consultation.current_phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def move_phase(actor: User | None, consultation: Consultation, target: Phase | None) -> None:
    """Moves to the next phase only (compare-and-set), logs it, and tells the participants.

    `target` is the phase asked for (None: not a phase); any other than the next is refused."""
    current = consultation.current_phase
    if target is None or next_phase(consultation) is not target:
        raise WorkshopError(_l("A consultation moves through its phases in order, one at a time."))
    if rows_changed(update(Consultation).where(Consultation.id == consultation.id, Consultation.phase == current)
                    .values(phase=target).execution_options(synchronize_session=False)) != 1:
        raise WorkshopError(_l("Someone moved this consultation meanwhile. Reload the page."))
    db.session.refresh(consultation)
    consultation.next_move_at = _next_move_at(consultation)
    from tadamon.core.hooks import run_on_phase_change

    run_on_phase_change(actor, consultation, current, target)
    db.session.add(PhaseMove(consultation_id=consultation.id, from_phase=current, to_phase=target,
                             moved_by_id=actor.id if actor else None))
    db.session.flush()
    audit.record("consultation.phase_changed", "consultation", consultation.id,
                 object_label=consultation.question_fr or consultation.question_ar,
                 before={"phase": current.value}, after={"phase": target.value,
                                                         "by": "schedule" if actor is None else "hand"},
                 actor=actor)
    link = external_url("workshops.consultation", consultation_id=consultation.id)
    about = topic("consultation", consultation.id, texts(consultation, "question"))
    if target is Phase.VOTING and consultation.closed_at is not None:
        # Voters need the closing time: it is in the message, on the consultation's clock.
        notify(participant_representatives_of(consultation), "consultations.voting_opened", link=link, about=about,
               question=texts(consultation, "question"), closes=moment(consultation.closed_at, consultation.time_zone))
        return
    notify(participant_representatives_of(consultation), "consultations.phase_changed", link=link, about=about,
           question=texts(consultation, "question"), phase=label("phase", target))


def participant_representatives_of(consultation: Consultation) -> list[User]:
    if consultation.participation == Participation.REGISTERED and consultation.workshop is not None:
        return representatives_of(registered_organisation_ids(consultation.workshop))
    return representatives_of(None)


def advance_due_consultations(now: datetime | None = None) -> int:
    """Moves every consultation whose scheduled time has come; returns how many moves."""
    now = now or utcnow()
    moves = 0
    due = db.session.scalars(select(Consultation).where(Consultation.next_move_at <= now)
                             .order_by(Consultation.next_move_at)).all()
    for consultation in due:
        while consultation.next_move_at is not None and consultation.next_move_at <= now:
            target = next_phase(consultation)
            if target is None:
                break
            try:
                # A savepoint per move: a refused move (moved by someone else meanwhile, or a
                # vote that cannot open) leaves the other consultations' moves in place.
                with db.session.begin_nested():
                    move_phase(None, consultation, target)
            except DomainError:
                db.session.refresh(consultation)
                break
            moves += 1
    return moves


def move_due_phases() -> int:
    """The periodic task: cheap when nothing is due (one indexed count)."""
    now = utcnow()
    due = db.session.scalar(select(func.count()).select_from(Consultation).where(Consultation.next_move_at <= now))
    return advance_due_consultations(now) if due else 0


def consultations_of_facilitator(user: User) -> list[Consultation]:
    from tadamon.workshops.models import workshop_facilitators

    query = select(Consultation).outerjoin(Workshop, Workshop.id == Consultation.workshop_id)
    if not (user.has_role(Role.STEERING) or user.has_role(Role.ADMIN)):
        query = query.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
            workshop_facilitators.c.user_id == user.id)
    # Each row names its workshop (identical questions are told apart by it): loaded with the list.
    query = query.options(selectinload(Consultation.workshop))
    return list(db.session.scalars(query.order_by(Consultation.id.desc())))
