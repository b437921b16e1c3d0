"""Keeping events on their wall-clock time when a zone's rules change.

A workshop set for 09:00 Casablanca time must stay at 09:00 if Morocco changes its clocks
after it was typed (it did from 2026-09-20) and the `tzdata` package is upgraded: the instant
stored for it (used to sort, to filter and to close votes on time) is recomputed from the wall
time and zone kept beside it. Past events keep the instant they happened at."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tadamon.core.db import utcnow
from tadamon.core.times import ZONE_DATA_VERSION, instant_of
from tadamon.extensions import db
from tadamon.workshops.models import PHASE_ORDER, SCHEDULED_PHASES, Consultation, Phase, Workshop
from tadamon.workshops.services.consultations import next_phase

# Zone rules change only when the `tzdata` package is upgraded, which restarts the processes:
# each process re-pins once per (zone data version, database), at its first periodic run.
_refreshed: set[tuple[str, str]] = set()


def refresh_event_times(now: datetime | None = None) -> int:
    """Recomputes the instants of future workshops and of consultation phases not yet reached
    from their wall-clock times, by the zone rules in use. Returns how many events moved.

    Side effects: a moved workshop gets a new calendar revision (SEQUENCE) and `updated_at`;
    a moved consultation gets its `next_move_at` again, so votes close on the wall-clock time."""
    now = now or utcnow()
    moved = 0
    workshops = db.session.scalars(select(Workshop).where(Workshop.ends_at >= now)).all()
    for workshop in workshops:
        if workshop.starts_local is None or workshop.ends_local is None:
            continue
        starts = instant_of(workshop.starts_local, workshop.time_zone)
        ends = instant_of(workshop.ends_local, workshop.time_zone)
        if (starts, ends) != (workshop.starts_at, workshop.ends_at):
            workshop.starts_at, workshop.ends_at = starts, ends
            workshop.schedule_revision = (workshop.schedule_revision or 0) + 1
            workshop.updated_at = now
            moved += 1
    consultations = db.session.scalars(select(Consultation).where(
        Consultation.phase.not_in([Phase.CLOSED, Phase.RESULTS_PUBLISHED]))).all()
    for consultation in consultations:
        reached = PHASE_ORDER.index(consultation.current_phase)
        changed = False
        for phase in SCHEDULED_PHASES:
            wall = getattr(consultation, f"{phase.value}_local")
            if PHASE_ORDER.index(phase) <= reached or wall is None:
                continue
            instant = instant_of(wall, consultation.time_zone)
            if instant != getattr(consultation, f"{phase.value}_at"):
                setattr(consultation, f"{phase.value}_at", instant)
                changed = True
        if changed:
            following = next_phase(consultation)
            consultation.next_move_at = consultation.scheduled_at(following) if following else None
            moved += 1
    if moved:
        db.session.flush()
    return moved


def refresh_event_times_once() -> int:
    """The periodic task: re-pins once per process and zone data version (cheap afterwards).
    Runs before the phase moves, so a vote closes at its wall-clock time."""
    key = (ZONE_DATA_VERSION, str(db.engine.url))
    if key in _refreshed:
        return 0
    moved = refresh_event_times()
    _refreshed.add(key)
    return moved


def forget_refreshes() -> None:
    """Lets the next periodic run re-pin again (tests)."""
    _refreshed.clear()
