"""A consultation's participation, for its facilitators and the steering group: which
organisations on the roll have voted and which have not (never how: for a secret vote, whether
it voted is on the roll already), by region and legal form; the workshop's registrations and
attendance by region. A fixed number of queries, whatever the size of the roll."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.voting import reminders
from tadamon.voting.models import EligibleOrganisation, VotingRound
from tadamon.voting.presentation import participation_rows
from tadamon.voting.services import ParticipationCount, round_of, window_is_open
from tadamon.workshops.models import Consultation, Registration, RegistrationStatus


@dataclass
class RegionAttendance:
    region: str
    registered: int = 0  # holding a place: accepted or waiting for the facilitator
    waitlisted: int = 0
    attended: int = 0


@dataclass
class ParticipationPage:
    consultation: Consultation
    vote: VotingRound | None
    voted: list[Organisation] = field(default_factory=list)
    not_voted: list[Organisation] = field(default_factory=list)
    by_region: list[tuple[str, int, int, str]] = field(default_factory=list)
    by_form: list[tuple[str, int, int, str]] = field(default_factory=list)
    attendance: list[tuple[str, RegionAttendance]] = field(default_factory=list)
    may_remind: bool = False
    next_reminder_at: datetime | None = None


def _counts(rows: list[EligibleOrganisation], key: str) -> list[ParticipationCount]:
    found: dict[str, ParticipationCount] = {}
    for row in rows:
        value = getattr(row, key) or ""
        count = found.setdefault(value, ParticipationCount(value, 0, 0))
        count.eligible += 1
        count.voted += int(bool(row.has_voted))
    return [found[value] for value in sorted(found)]


def _attendance(consultation: Consultation) -> list[tuple[str, RegionAttendance]]:
    from tadamon.membership.regions import REGIONS_BY_CODE

    if consultation.workshop_id is None:
        return []
    rows = db.session.execute(
        select(Organisation.region, Registration.status, func.count(),
               func.sum(func.cast(Registration.attended.is_(True), db.Integer)))
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.workshop_id == consultation.workshop_id)
        .group_by(Organisation.region, Registration.status)).all()
    regions: dict[str, RegionAttendance] = {}
    for region, status, count, attended in rows:
        entry = regions.setdefault(region or "", RegionAttendance(region or ""))
        if status in (RegistrationStatus.ACCEPTED, RegistrationStatus.PENDING):
            entry.registered += int(count)
        elif status == RegistrationStatus.WAITLISTED:
            entry.waitlisted += int(count)
        entry.attended += int(attended or 0)

    def name(code: str) -> Any:
        region = REGIONS_BY_CODE.get(code)
        return region.name() if region is not None else "—"

    return sorted(((str(name(code)), entry) for code, entry in regions.items()), key=lambda pair: pair[0])


def participation_page(consultation: Consultation) -> ParticipationPage:
    vote = round_of(consultation)
    page = ParticipationPage(consultation, vote, attendance=_attendance(consultation))
    if vote is None:
        return page
    roll = list(db.session.scalars(select(EligibleOrganisation).where(EligibleOrganisation.round_id == vote.id)))
    ordered = sorted(roll, key=lambda row: row.organisation.display_name.casefold())
    page.voted = [row.organisation for row in ordered if row.has_voted]
    page.not_voted = [row.organisation for row in ordered if not row.has_voted]
    page.by_region = participation_rows(_counts(roll, "region"), "region")
    page.by_form = participation_rows(_counts(roll, "legal_form"), "legal_form")
    page.next_reminder_at = reminders.next_manual_reminder(vote)
    page.may_remind = window_is_open(consultation, vote) and bool(page.not_voted) and page.next_reminder_at is None
    return page
