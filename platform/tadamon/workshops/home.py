"""The workshops module's home-page blocks: open consultations and their next deadline,
upcoming workshops, the acting organisation's registrations, and the registrations waiting for
a facilitator. Two queries (the consultations, the workshops' blocks together), whatever the
number of workshops."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import String, cast, func, null, select
from sqlalchemy.orm import lazyload

from tadamon.core.actor import Actor
from tadamon.core.db import utcnow
from tadamon.core.hooks import HomeItem, HomeSection
from tadamon.core.i18n import localized
from tadamon.core.permissions import Role, has_role
from tadamon.core.short_lists import ShortList, short_lists
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


def _workshop_lists(actor: Actor) -> dict[str, ShortList]:
    """The workshop blocks this person sees, read together (`short_lists`): the upcoming
    workshops; the acting organisation's registrations (their status is the detail); for
    facilitators and the steering group, the workshops with registrations to decide (their
    count, as text, is the detail)."""
    no_detail = cast(null(), String).label("detail")
    lists = {"upcoming": ShortList(
        select(Workshop.id.label("id"), no_detail)
        .where(Workshop.starts_at >= utcnow() - timedelta(hours=12),
               Workshop.status.in_((WorkshopStatus.PLANNED, WorkshopStatus.REGISTRATION_OPEN,
                                    WorkshopStatus.IN_PROGRESS))),
        (Workshop.starts_at, Workshop.id), LIMIT)}
    if actor.organisation is not None:
        lists["registered"] = ShortList(
            select(Workshop.id.label("id"), cast(Registration.status, String).label("detail"))
            .join(Registration, Registration.workshop_id == Workshop.id)
            .where(Registration.organisation_id == actor.organisation.id,
                   Registration.status.in_((*HOLDING_PLACE, RegistrationStatus.WAITLISTED)),
                   Workshop.ends_at >= utcnow()),
            (Workshop.starts_at, Workshop.id), LIMIT)
    if is_steering(actor) or has_role(actor, Role.FACILITATOR):
        pending = (select(Workshop.id.label("id"), cast(func.count(Registration.id), String).label("detail"))
                   .join(Registration, Registration.workshop_id == Workshop.id)
                   .where(Registration.status == RegistrationStatus.PENDING, Workshop.status != WorkshopStatus.CLOSED)
                   .group_by(Workshop.id))
        if not is_steering(actor):
            pending = pending.join(workshop_facilitators, workshop_facilitators.c.workshop_id == Workshop.id).where(
                workshop_facilitators.c.user_id == actor.id)
        lists["to-decide"] = ShortList(pending, (Workshop.starts_at, Workshop.id), LIMIT)
    return lists


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
    found = short_lists(Workshop, _workshop_lists(actor))
    sections = [open_consultations(), upcoming_workshops(found["upcoming"]),
                my_registrations(found.get("registered", [])), registrations_to_decide(found.get("to-decide", []))]
    return [section for section in sections if section is not None]
