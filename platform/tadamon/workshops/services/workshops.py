"""Workshops: creating and editing them, their facilitators, their stages and the public lists."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from tadamon.accounts.models import RoleAssignment, User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import label, notify, texts, topic
from tadamon.core.permissions import Role
from tadamon.core.persistence import rows_changed
from tadamon.core.texts import DescriptionTexts, TitleTexts, is_written, text_fields
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import representatives_of
from tadamon.membership.regions import REGION_CODES
from tadamon.workshops.models import (
    Theme,
    Workshop,
    WorkshopFormat,
    WorkshopRegion,
    WorkshopStatus,
)
from tadamon.workshops.services.common import WorkshopError, title_of
from tadamon.workshops.services.registrations import promote_waiting, registered_organisation_ids


@dataclass
class WorkshopData(TitleTexts, DescriptionTexts):
    theme_id: int | None = None
    is_national: bool = True
    regions: list[str] = field(default_factory=list)
    format: WorkshopFormat = WorkshopFormat.IN_PERSON
    venue: str = ""
    address: str = ""
    online_link: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class _Required:
    """The values a workshop cannot do without, once checked."""

    theme_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int


def _check_workshop(data: WorkshopData) -> _Required:
    if not is_written(data, "title"):
        raise WorkshopError(_l("Give the workshop a title in at least one language."), field="title_ar")
    if data.theme_id is None or db.session.get(Theme, data.theme_id) is None:
        raise WorkshopError(_l("Choose a theme."), field="theme_id")
    if data.starts_at is None or data.ends_at is None:
        raise WorkshopError(_l("Give the start and the end."), field="starts_at")
    if data.ends_at <= data.starts_at:
        raise WorkshopError(_l("The end must come after the start."), field="ends_at")
    if not data.capacity or data.capacity < 1:
        raise WorkshopError(_l("The capacity is at least one organisation."), field="capacity")
    fmt = WorkshopFormat(data.format)
    if fmt in (WorkshopFormat.ONLINE, WorkshopFormat.HYBRID) and not data.online_link:
        raise WorkshopError(_l("An online or hybrid workshop needs the link to join it."), field="online_link")
    if fmt in (WorkshopFormat.IN_PERSON, WorkshopFormat.HYBRID) and not (data.venue or data.address):
        raise WorkshopError(_l("A workshop in a room needs its venue or address."), field="venue")
    if not data.is_national:
        if not data.regions:
            raise WorkshopError(_l("Choose the regions of a regional workshop, or make it national."), field="regions")
        if any(code not in REGION_CODES for code in data.regions):
            raise WorkshopError(_l("Choose one of Morocco's twelve regions."), field="regions")
    return _Required(data.theme_id, data.starts_at, data.ends_at, data.capacity)


# What a calendar shows of a workshop: a change to any of them is a new revision of the event
# (iCalendar SEQUENCE), so calendar apps replace the copy they imported.
CALENDAR_FIELDS = ("starts_at", "ends_at", "venue", "address", "online_link", "format")


def _calendar_values(workshop: Workshop) -> tuple[Any, ...]:
    return tuple(getattr(workshop, name) for name in CALENDAR_FIELDS)


def _apply(workshop: Workshop, data: WorkshopData) -> None:
    """Checks `data` (a DomainError when wrong) and copies it onto the workshop."""
    required = _check_workshop(data)
    before = _calendar_values(workshop) if workshop.id is not None else None
    for name in (*text_fields("title"), *text_fields("description"), "venue", "address", "online_link"):
        setattr(workshop, name, (getattr(data, name) or "").strip())
    workshop.theme_id = required.theme_id
    workshop.is_national = data.is_national
    workshop.format = data.format
    workshop.starts_at = required.starts_at
    workshop.ends_at = required.ends_at
    workshop.capacity = required.capacity
    wanted = [] if data.is_national else sorted(set(data.regions))
    workshop.region_rows = [row for row in workshop.region_rows if row.region in wanted] + [
        WorkshopRegion(region=code) for code in wanted if code not in workshop.region_codes
    ]
    workshop.updated_at = utcnow()
    if before is not None and before != _calendar_values(workshop):
        workshop.schedule_revision = (workshop.schedule_revision or 0) + 1


def create_workshop(actor: User, data: WorkshopData) -> Workshop:
    workshop = Workshop(created_by_id=actor.id, status=WorkshopStatus.PLANNED)
    _apply(workshop, data)
    if actor.has_role(Role.FACILITATOR):
        workshop.facilitators.append(actor)
    db.session.add(workshop)
    db.session.flush()
    audit.record("workshop.created", "workshop", workshop.id, object_label=title_of(workshop),
                 after={"starts_at": data.starts_at, "capacity": data.capacity}, actor=actor)
    return workshop


def update_workshop(actor: User, workshop: Workshop, data: WorkshopData) -> None:
    before_capacity = workshop.capacity
    _apply(workshop, data)
    db.session.flush()
    if workshop.capacity > before_capacity:
        promote_waiting(workshop)
    audit.record("workshop.updated", "workshop", workshop.id, object_label=title_of(workshop),
                 before={"capacity": before_capacity}, after={"capacity": workshop.capacity}, actor=actor)


def facilitator_candidates() -> list[User]:
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.FACILITATOR.value, User.is_enabled.is_(True))
        .order_by(User.display_name)))


def set_facilitators(actor: User, workshop: Workshop, user_ids: list[int]) -> None:
    chosen = [user for user in facilitator_candidates() if user.id in set(user_ids)]
    before = sorted(user.email for user in workshop.facilitators)
    workshop.facilitators = chosen
    db.session.flush()
    audit.record("workshop.facilitators_changed", "workshop", workshop.id,
                 object_label=title_of(workshop),
                 before={"facilitators": before}, after={"facilitators": sorted(u.email for u in chosen)}, actor=actor)


def move_workshop_status(actor: User, workshop: Workshop, target: WorkshopStatus | None) -> None:
    """Moves a workshop one step forward: planned → registration open → in progress → closed.

    `target` is the stage asked for (None: not a stage); any other than the next is refused."""
    current = workshop.workshop_status
    if target is None or target is not workshop.next_status:
        raise WorkshopError(_l("The workshop can only move to its next stage."))
    if rows_changed(update(Workshop).where(Workshop.id == workshop.id, Workshop.status == current)
                    .values(status=target).execution_options(synchronize_session=False)) != 1:
        raise WorkshopError(_l("Someone changed this workshop meanwhile. Reload the page."))
    db.session.refresh(workshop)
    audit.record("workshop.status_changed", "workshop", workshop.id, object_label=title_of(workshop),
                 before={"status": current.value}, after={"status": target.value}, actor=actor)
    notify(representatives_of(registered_organisation_ids(workshop)), "workshops.status_changed",
           link=external_url("workshops.workshop", workshop_id=workshop.id),
           about=topic("workshop", workshop.id, texts(workshop, "title")),
           workshop=texts(workshop, "title"), status=label("workshop_status", target))


def workshops_query(*, when: str = "upcoming", theme_id: int | None = None, region: str = "",
                    fmt: str = "", now: datetime | None = None) -> Any:
    now = now or utcnow()
    query = select(Workshop)
    if when == "past":
        query = query.where(Workshop.ends_at < now).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    else:
        query = query.where(Workshop.ends_at >= now).order_by(Workshop.starts_at, Workshop.id)
    if theme_id:
        query = query.where(Workshop.theme_id == theme_id)
    if region:
        query = query.where(or_(Workshop.is_national.is_(True),
                                Workshop.region_rows.any(WorkshopRegion.region == region)))
    if fmt:
        query = query.where(Workshop.format == fmt)
    return query


def workshops_between(start: datetime, end: datetime) -> list[Workshop]:
    return list(db.session.scalars(
        select(Workshop).where(Workshop.starts_at < end, Workshop.ends_at >= start).order_by(Workshop.starts_at)))


def workshops_of_facilitator(user: User) -> list[Workshop]:
    from tadamon.workshops.models import workshop_facilitators

    query = select(Workshop)
    if not (user.has_role(Role.STEERING) or user.has_role(Role.ADMIN)):
        query = query.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
            workshop_facilitators.c.user_id == user.id)
    return list(db.session.scalars(query.order_by(Workshop.starts_at.desc())))
