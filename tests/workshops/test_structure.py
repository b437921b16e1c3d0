"""The pieces the consolidation added to workshops: typed state columns, model properties,
the month calendar, form parsers, the withdraw rule and the template labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, func, inspect, select, text

from tadamon.core.actor import Actor
from tadamon.extensions import db
from tadamon.workshops import calendars, presentation, services
from tadamon.workshops.forms import phase_or_none, status_or_none
from tadamon.workshops.models import (
    Consultation,
    Phase,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopFormat,
    WorkshopStatus,
    string_enum,
)
from tadamon.workshops.permissions import can_withdraw_registration


class _Item:
    def __init__(self, starts_at: datetime, ends_at: datetime) -> None:
        self.starts_at, self.ends_at = starts_at, ends_at


def test_string_enum_keeps_a_plain_varchar_of_the_values():
    column_type = string_enum(WorkshopStatus, 20)
    assert isinstance(column_type, String) and column_type.length == 20
    assert column_type.enums == [status.value for status in WorkshopStatus]
    assert column_type.native_enum is False


def test_state_columns_read_back_as_enum_members_from_plain_strings(facilitator, open_workshop):
    workshop = open_workshop()
    stored = db.session.execute(text("SELECT status, format FROM workshops WHERE id = :id"), {"id": workshop.id}).one()
    assert (stored.status, stored.format) == ("registration_open", "in_person")
    db.session.expire_all()
    again = db.session.get(Workshop, workshop.id)
    assert again.status is WorkshopStatus.REGISTRATION_OPEN and again.format is WorkshopFormat.IN_PERSON
    assert db.session.scalar(select(func.count(Workshop.id)).where(Workshop.status == "registration_open")) == 1
    columns = {c["name"]: c["type"] for c in inspect(db.session.connection()).get_columns("workshops")}
    assert isinstance(columns["status"], String) and columns["status"].length == 20


def test_workshop_stages_and_registration_properties(facilitator, open_workshop):
    workshop = open_workshop()
    assert workshop.registration_is_open and workshop.next_status is WorkshopStatus.IN_PROGRESS
    workshop.status = WorkshopStatus.CLOSED
    assert workshop.next_status is None and not workshop.registration_is_open
    registration = Registration(status=RegistrationStatus.WAITLISTED)
    assert registration.is_current and registration.is_decidable
    registration.status = RegistrationStatus.DECLINED
    assert not registration.is_current and not registration.is_decidable
    registration.status = RegistrationStatus.WITHDRAWN
    assert not registration.is_current


def test_consultation_phase_properties():
    consultation = Consultation(phase=Phase.DRAFT)
    assert consultation.is_draft and not consultation.voting_has_opened
    consultation.phase = Phase.DELIBERATION
    assert not consultation.is_draft and not consultation.voting_has_opened
    for phase in (Phase.VOTING, Phase.CLOSED, Phase.RESULTS_PUBLISHED):
        consultation.phase = phase
        assert consultation.voting_has_opened


def test_form_values_become_members_or_none():
    assert status_or_none("in_progress") is WorkshopStatus.IN_PROGRESS
    assert status_or_none("flying") is None and status_or_none(None) is None
    assert phase_or_none("voting") is Phase.VOTING
    assert phase_or_none("") is None


def test_an_unknown_stage_or_phase_is_refused_with_the_domain_message(facilitator, open_workshop):
    workshop = open_workshop()
    with pytest.raises(services.WorkshopError):
        services.move_workshop_status(facilitator, workshop, None)
    consultation = services.save_consultation(facilitator, None, workshop, services.ConsultationData(question_fr="Q ?",
                                                                                             max_approvals=3))
    with pytest.raises(services.WorkshopError):
        services.move_phase(facilitator, consultation, None)
    assert consultation.current_phase is Phase.DRAFT


def test_month_lays_a_workshop_on_each_of_its_days():
    zone = ZoneInfo("Africa/Casablanca")
    start = datetime(2026, 1, 30, 9, tzinfo=UTC)
    spanning = _Item(start, start + timedelta(days=3))  # 30 January to 2 February
    month = calendars.month_of(2026, 2, zone, [spanning])
    assert month.first.isoformat() == "2026-02-01"
    assert sorted(day.day for day in month.by_day) == [1, 2]
    assert (month.previous.isoformat(), month.following.isoformat()) == ("2026-01-01", "2026-03-01")
    assert all(len(week) == 7 for week in month.weeks) and month.weeks[0][0].weekday() == 0
    first, following = calendars.month_bounds(2026, 12, zone)
    assert (first.month, following.year, following.month) == (12, 2027, 1)


def test_only_a_representative_of_the_registered_organisation_may_withdraw(members, open_workshop, create_user):
    workshop = open_workshop()
    representative, organisation = members[0]
    registration = services.register(representative, workshop, organisation, "")
    db.session.commit()
    assert can_withdraw_registration(Actor(representative, organisation), registration)
    assert not can_withdraw_registration(Actor(members[1][0], members[1][1]), registration)
    assert not can_withdraw_registration(Actor(None), registration)


def test_labels_name_regions_and_states(app):
    with app.test_request_context():
        labels = presentation.labels()
        assert set(labels) >= {"status_labels", "phase_labels", "room_labels", "methods", "region_names"}
        assert labels["region_names"](["XX"]) == []
        assert len(presentation.region_names(["TTA", "XX"])) == 1


def test_rows_changed_tells_who_was_first(facilitator, open_workshop):
    from sqlalchemy import update

    from tadamon.core.persistence import rows_changed

    workshop = open_workshop()
    move = update(Workshop).where(Workshop.id == workshop.id, Workshop.status == WorkshopStatus.REGISTRATION_OPEN) \
        .values(status=WorkshopStatus.IN_PROGRESS).execution_options(synchronize_session=False)
    assert rows_changed(move) == 1
    assert rows_changed(move) == 0  # the second move finds the stage already changed
    assert services.title_of(workshop) == "Atelier solidarité"
