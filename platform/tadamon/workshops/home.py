"""The workshops module's home-page blocks: open consultations and their next deadline,
upcoming workshops, the acting organisation's registrations, and the registrations waiting for
a facilitator. Two queries (the consultations, the workshops' blocks together), whatever the
number of workshops."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Integer, Select, String, bindparam, cast, func, null, select
from sqlalchemy.orm import lazyload

from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.i18n import localized
from tadamon.core.permissions import Role, has_role
from tadamon.core.short_lists import ShortList, read_short_lists, short_lists_statement
from tadamon.core.times import event_range_filter, format_datetime
from tadamon.extensions import db
from tadamon.membership.permissions import is_steering
from tadamon.workshops.models import (
    HOLDING_PLACE,
    PHASE_LABELS,
    REGISTRATION_STATUS_LABELS,
    WORKSHOP_STATUS_LABELS,
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
    workshop_facilitators,
)

LIMIT = 5
OPEN_PHASES = (Phase.PROPOSALS_OPEN, Phase.DELIBERATION, Phase.VOTING)


def _title(obj: object, field: str) -> tuple[str, str]:
    text, language = localized(obj, field)
    return text or "—", language


def open_consultations() -> HomeSection:
    rows = db.session.scalars(
        select(Consultation).where(Consultation.phase.in_(OPEN_PHASES))
        # The nearest deadline first; consultations moved by hand (no date) after them.
        .order_by(Consultation.next_move_at.is_(None), Consultation.next_move_at, Consultation.id.desc())
        .options(lazyload("*")).limit(LIMIT)).all()
    items = []
    for consultation in rows:
        title, language = _title(consultation, "question")
        phase = PHASE_LABELS[consultation.current_phase]
        detail = (_("%(phase)s, until %(date)s", phase=phase,
                    date=format_datetime(consultation.next_move_at, consultation.time_zone))
                  if consultation.next_move_at else str(phase))
        items.append(HomeItem(title, url_for("workshops.consultation", consultation_id=consultation.id), detail,
                              language))
    return HomeSection("open-consultations", _("Open consultations"), items, order=10,
                       empty=_("No consultation is open at the moment."))


@cache
def _workshop_statement(registered: bool, to_decide: bool, every_workshop: bool) -> Select[Any]:
    """The workshop blocks, read in one query (`short_lists`), built once per kind of person:
    the upcoming workshops; the acting organisation's registrations (`registered`; their status
    is the detail); for facilitators and the steering group, the workshops with registrations
    to decide (`to_decide`, of every workshop for the steering group; their count, as text, is
    the detail)."""
    no_detail = cast(null(), String).label("detail")
    lists = {"upcoming": ShortList(
        select(Workshop.id.label("id"), no_detail)
        .where(Workshop.starts_at >= bindparam("upcoming_since"),
               Workshop.status.in_((WorkshopStatus.PLANNED, WorkshopStatus.REGISTRATION_OPEN,
                                    WorkshopStatus.IN_PROGRESS))),
        (Workshop.starts_at, Workshop.id), LIMIT)}
    if registered:
        lists["registered"] = ShortList(
            select(Workshop.id.label("id"), cast(Registration.status, String).label("detail"))
            .join(Registration, Registration.workshop_id == Workshop.id)
            .where(Registration.organisation_id == bindparam("organisation_id", type_=Integer),
                   Registration.status.in_((*HOLDING_PLACE, RegistrationStatus.WAITLISTED)),
                   Workshop.ends_at >= bindparam("now")),
            (Workshop.starts_at, Workshop.id), LIMIT)
    if to_decide:
        pending = (select(Workshop.id.label("id"), cast(func.count(Registration.id), String).label("detail"))
                   .join(Registration, Registration.workshop_id == Workshop.id)
                   .where(Registration.status == RegistrationStatus.PENDING, Workshop.status != WorkshopStatus.CLOSED)
                   .group_by(Workshop.id))
        if not every_workshop:
            pending = pending.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
                workshop_facilitators.c.user_id == bindparam("person_id", type_=Integer))
        lists["to-decide"] = ShortList(pending, (Workshop.starts_at, Workshop.id), LIMIT)
    return short_lists_statement(Workshop, lists)


def upcoming_workshops(rows: list[tuple[Workshop, None]]) -> HomeSection:
    items = []
    for workshop, _none in rows:
        title, language = _title(workshop, "title")
        when = event_range_filter(workshop.starts_at, workshop.ends_at, workshop.time_zone)
        items.append(HomeItem(title, url_for("workshops.workshop", workshop_id=workshop.id),
                              _("%(when)s — %(status)s", when=when,
                                status=WORKSHOP_STATUS_LABELS[workshop.workshop_status]), language))
    return HomeSection("upcoming-workshops", _("Upcoming workshops"), items, order=20,
                       more_url=url_for("workshops.index"), more_label=_("Every workshop"),
                       empty=_("No workshop is planned yet."))


def my_registrations(rows: list[tuple[Workshop, str]]) -> HomeSection | None:
    if not rows:
        return None
    items = []
    for workshop, status in rows:
        title, language = _title(workshop, "title")
        when = event_range_filter(workshop.starts_at, workshop.ends_at, workshop.time_zone)
        items.append(HomeItem(title, url_for("workshops.workshop", workshop_id=workshop.id),
                              _("%(when)s — %(status)s", when=when,
                                status=REGISTRATION_STATUS_LABELS[RegistrationStatus(status)]), language))
    return HomeSection("my-registrations", _("Workshops your organisation is registered for"), items,
                       attention=True, order=20)


def registrations_to_decide(rows: list[tuple[Workshop, str]]) -> HomeSection | None:
    if not rows:
        return None
    items = []
    for workshop, waiting in rows:
        title, language = _title(workshop, "title")
        items.append(HomeItem(title, url_for("workshops.manage", workshop_id=workshop.id),
                              ngettext("%(num)d registration waiting for a decision",
                                       "%(num)d registrations waiting for a decision", int(waiting)), language))
    return HomeSection("registrations-to-decide", _("Registrations to decide"), items, attention=True, order=40)


def home_sections(actor: Actor) -> list[HomeSection]:
    """Two queries: the open consultations, and the workshop blocks together."""
    steering = is_steering(actor)
    statement = _workshop_statement(actor.organisation is not None, steering or has_role(actor, Role.FACILITATOR),
                                    steering)
    now = utcnow()
    found = read_short_lists(statement, {"upcoming_since": now - timedelta(hours=12), "now": now,
                                         "organisation_id": actor.organisation.id if actor.organisation else None,
                                         "person_id": actor.id})
    sections = [open_consultations(), upcoming_workshops(found.get("upcoming", [])),
                my_registrations(found.get("registered", [])), registrations_to_decide(found.get("to-decide", []))]
    return [section for section in sections if section is not None]
