"""Places where a feature adds to another's pages without the other importing it.

`ORGANISATION_PROFILE_SECTIONS`: callables `(organisation) -> (template, context) | None`,
rendered in order on an organisation's public profile (workshops add the workshops it
took part in; proposals and the action plan will add theirs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProfileSection = Callable[[Any], tuple[str, dict[str, Any]] | None]
ORGANISATION_PROFILE_SECTIONS: list[ProfileSection] = []


def register_profile_section(section: ProfileSection) -> None:
    if section not in ORGANISATION_PROFILE_SECTIONS:
        ORGANISATION_PROFILE_SECTIONS.append(section)


def profile_sections(organisation: Any) -> list[tuple[str, dict[str, Any]]]:
    sections = []
    for section in ORGANISATION_PROFILE_SECTIONS:
        rendered = section(organisation)
        if rendered is not None:
            sections.append(rendered)
    return sections


# Callables `(organisation, actor)` run when an organisation leaves the network (workshops
# give back its places).
ON_LEAVE: list[Callable[[Any, Any], None]] = []


def register_on_leave(hook: Callable[[Any, Any], None]) -> None:
    if hook not in ON_LEAVE:
        ON_LEAVE.append(hook)


def run_on_leave(organisation: Any, actor: Any) -> None:
    for hook in ON_LEAVE:
        hook(organisation, actor)


# Periodic work `() -> int` (how many things it did), run by `flask tick` and, at most every
# 30 seconds per process, by ordinary requests: phase moves, grouped comment notifications.
PERIODIC_TASKS: list[Callable[[], int]] = []


def register_periodic(task: Callable[[], int]) -> None:
    if task not in PERIODIC_TASKS:
        PERIODIC_TASKS.append(task)


# Callables `(consultation_ids) -> {consultation_id: {"label": count, ...}}` adding counters
# to the facilitators' dashboard (proposals and comments; ballots with the voting module).
DASHBOARD_COUNTERS: list[Callable[[list[int]], dict[int, dict[str, int]]]] = []


def register_dashboard_counter(counter: Callable[[list[int]], dict[int, dict[str, int]]]) -> None:
    if counter not in DASHBOARD_COUNTERS:
        DASHBOARD_COUNTERS.append(counter)


def dashboard_counters(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    merged: dict[int, dict[str, int]] = {}
    for counter in DASHBOARD_COUNTERS:
        for consultation_id, values in counter(consultation_ids).items():
            merged.setdefault(consultation_id, {}).update(values)
    return merged


# Callables `(actor, consultation, from_phase, to_phase)` run inside a phase move's transaction
# (the voting module freezes the roll when voting opens and closes it at the end). Raising a
# DomainError refuses the move.
ON_PHASE_CHANGE: list[Callable[[Any, Any, Any, Any], None]] = []


def register_on_phase_change(hook: Callable[[Any, Any, Any, Any], None]) -> None:
    if hook not in ON_PHASE_CHANGE:
        ON_PHASE_CHANGE.append(hook)


def run_on_phase_change(actor: Any, consultation: Any, from_phase: Any, to_phase: Any) -> None:
    for hook in ON_PHASE_CHANGE:
        hook(actor, consultation, from_phase, to_phase)
