"""A facilitator in Casablanca sets a workshop for 09:00 and a vote closing at 18:00: pages,
emails, .ics files and the automatic close all say and do 09:00 and 18:00, before and after
Morocco's 2026-09-20 change and during Ramadan (issue 14; .ics findings of issue 16)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from tadamon.core import times
from tadamon.core.hooks import run_periodic
from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tadamon.workshops import services
from tadamon.workshops.forms import to_utc
from tadamon.workshops.models import Consultation, Phase, Registration, Workshop, WorkshopStatus
from tadamon.workshops.services.schedule import forget_refreshes, refresh_event_times
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.workshops.conftest import facilitator, members, theme  # noqa: F401

MONTHS = {"ar": {9: "شتنبر", 12: "دجنبر", 2: "فبراير", 3: "مارس"},
          "fr": {9: "septembre", 12: "décembre", 2: "février", 3: "mars"},
          "en": {9: "September", 12: "December", 2: "February", 3: "March"}}
# Typed in the form; the UTC instant each is on, by the rules in force (tzdata 2026f or later).
DAYS = [
    pytest.param("2026-09-15", datetime(2026, 9, 15, 8, 0, tzinfo=UTC), id="before-2026-09-20-utc+1"),
    pytest.param("2026-12-14", datetime(2026, 12, 14, 9, 0, tzinfo=UTC), id="after-2026-09-20-utc+0"),
    pytest.param("2026-03-01", datetime(2026, 3, 1, 9, 0, tzinfo=UTC), id="ramadan-2026-utc+0"),
    pytest.param("2027-02-22", datetime(2027, 2, 22, 9, 0, tzinfo=UTC), id="ramadan-2027"),
]


def workshop_form(theme, day, **overrides):
    data = {"title_fr": "Atelier horaires", "title_ar": "ورشة المواعيد", "title_en": "Timing workshop",
            "theme_id": str(theme.id), "scope": "national", "format": "hybrid", "venue": "Maison des associations",
            "address": "Casablanca", "online_link": "https://meet.example.org/tadamon-horaires",
            "starts_at": f"{day}T09:00", "ends_at": f"{day}T12:00", "capacity": "10"}
    data.update(overrides)
    return data


def create_workshop(client, login, facilitator, theme, day) -> Workshop:
    login(client, facilitator)
    response = client.post("/workshops/new", data=workshop_form(theme, day))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(Workshop).order_by(Workshop.id.desc())).first()


@pytest.mark.parametrize("day,instant", DAYS)
def test_a_workshop_typed_for_nine_is_at_nine_on_pages_and_in_calendars(app, client, login, facilitator, theme,
                                                                          day, instant):
    workshop = create_workshop(client, login, facilitator, theme, day)
    assert workshop.starts_at == instant
    assert workshop.starts_local == datetime.fromisoformat(f"{day}T09:00")
    month = int(day[5:7])
    visitor = app.test_client()
    for language in ("ar", "fr", "en"):
        page = visitor.get(f"/workshops/{workshop.id}", headers={"Accept-Language": language}).get_data(as_text=True)
        assert f'datetime="{day}T09:00' in page
        page = re.sub(r'datetime="[^"]*"', "", page)  # what a reader sees
        assert "09:00" in page and "12:00" in page and MONTHS[language][month] in page
        assert "08:00" not in page and "10:00" not in page
        # the form shows the time as it was typed
        edit = client.get(f"/workshops/{workshop.id}/edit").get_data(as_text=True)
        assert f'value="{day}T09:00"' in edit

        ics = visitor.get(f"/workshops/{workshop.id}.ics?lang={language}").data
        (event,) = Calendar.from_ical(ics).walk("VEVENT")
        assert event["dtstart"].params["TZID"] == "Africa/Casablanca"
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (9, 0)
        # a calendar app converts with the VTIMEZONE or its own zoneinfo: both give the same instant
        assert start.astimezone(times.zone("Africa/Casablanca")).hour == 9
        assert start.astimezone(UTC) == instant
        (vtimezone,) = Calendar.from_ical(ics).walk("VTIMEZONE")
        assert str(vtimezone["tzid"]) == "Africa/Casablanca"


def test_the_calendar_file_names_the_installation_revises_and_speaks_the_asked_language(
        app, client, login, facilitator, theme, members):
    workshop = create_workshop(client, login, facilitator, theme, "2026-12-14")
    visitor = app.test_client()

    def event(path, **headers):
        (item,) = Calendar.from_ical(visitor.get(path, headers=headers).data).walk("VEVENT")
        return item

    first = event(f"/workshops/{workshop.id}.ics")
    # unique per installation: the host of PUBLIC_BASE_URL
    host = app.config["PUBLIC_BASE_URL"].split("//")[1].split(":")[0].split("/")[0]
    assert str(first["uid"]) == f"workshop-{workshop.id}@{host}"
    assert first["sequence"] == 0 and "last-modified" in first
    # languages: ?lang= wins over Accept-Language (calendar servers send neither cookie nor a useful header)
    assert str(event(f"/workshops/{workshop.id}.ics?lang=fr", **{"Accept-Language": "ar"})["summary"]) == \
        "Atelier horaires"
    assert str(event(f"/workshops/{workshop.id}.ics?lang=en")["summary"]) == "Timing workshop"
    assert str(event(f"/workshops/{workshop.id}.ics?lang=ar")["summary"]) == "ورشة المواعيد"
    feed = Calendar.from_ical(visitor.get("/workshops/calendar.ics?lang=en").data)
    assert [str(item["summary"]) for item in feed.walk("VEVENT")] == ["Timing workshop"]
    # the online link only for those who may have it
    assert "meet.example.org" not in visitor.get(f"/workshops/{workshop.id}.ics").get_data(as_text=True)
    mine = event(f"/workshops/{workshop.id}.ics")  # anonymous
    assert "Maison des associations" in str(mine["location"])
    facilitator_event = Calendar.from_ical(client.get(f"/workshops/{workshop.id}.ics").data).walk("VEVENT")[0]
    assert "meet.example.org/tadamon-horaires" in str(facilitator_event["location"])
    assert str(facilitator_event["conference"]) == "https://meet.example.org/tadamon-horaires"
    # rescheduled to 10:00: a new revision, so calendars replace their copy
    client.post(f"/workshops/{workshop.id}/edit", data=workshop_form(theme, "2026-12-14", starts_at="2026-12-14T10:00"))
    moved = event(f"/workshops/{workshop.id}.ics")
    assert moved["sequence"] == 1 and moved.decoded("dtstart").hour == 10
    assert moved.decoded("last-modified") >= first.decoded("last-modified")
    # a change that no calendar shows (the capacity) is not a new revision
    client.post(f"/workshops/{workshop.id}/edit",
                data=workshop_form(theme, "2026-12-14", starts_at="2026-12-14T10:00", capacity="12"))
    assert event(f"/workshops/{workshop.id}.ics")["sequence"] == 1


def test_the_acceptance_email_says_nine_in_each_readers_language(app, client, login, facilitator, theme, members,
                                                                outbox):
    workshop = create_workshop(client, login, facilitator, theme, "2026-12-14")
    services.move_workshop_status(facilitator, workshop, WorkshopStatus.REGISTRATION_OPEN)
    db.session.commit()
    for representative, _ in members:  # they read Arabic, French and English
        own = app.test_client()
        login(own, representative)
        own.post(f"/workshops/{workshop.id}/register", data={"attendees": "Amina"})
    login(client, facilitator)
    for registration in db.session.scalars(select(Registration)).all():
        client.post(f"/workshops/{workshop.id}/registrations/{registration.id}/decide", data={"decision": "accept"})
    for (representative, _), language in zip(members, ("ar", "fr", "en"), strict=True):
        (message,) = [m for m in outbox(representative.email) if "09:00" in m.text_body]
        assert MONTHS[language][12] in message.text_body and "09:00" in message.html_body
        assert "08:00" not in message.text_body


def open_vote_closing_at(facilitator, members, closes: str) -> Consultation:
    """A national consultation whose vote closes at the wall-clock time `closes`, then opened."""
    consultation = services.save_consultation(facilitator, None, None, services.ConsultationData(
        question_ar="ما هي أولوياتنا؟", question_fr="Quelles priorités ?", question_en="Which priorities?",
        voting_method="approval", max_approvals=2, closed_at=to_utc(datetime.fromisoformat(closes))))
    services.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
    person, organisation = members[0]
    data = proposals.ProposalData(title="Un fonds solidaire", body="Un fonds solidaire pour les coopératives.",
                                  language="fr")
    proposals.publish(proposals.save_draft(consultation, organisation, person, data), person, data)
    services.move_phase(facilitator, consultation, Phase.DELIBERATION)
    services.move_phase(facilitator, consultation, Phase.VOTING)
    db.session.commit()
    return consultation


@pytest.mark.parametrize("closes,instant", [
    pytest.param("2026-12-16T18:00", datetime(2026, 12, 16, 18, 0, tzinfo=UTC), id="after-2026-09-20"),
    pytest.param("2027-02-20T18:00", datetime(2027, 2, 20, 18, 0, tzinfo=UTC), id="ramadan-2027"),
])
def test_a_vote_set_to_close_at_six_says_six_and_closes_at_six(app, login, facilitator, members, outbox,
                                                               closes, instant):
    consultation = open_vote_closing_at(facilitator, members, closes)
    assert consultation.closed_at == instant and consultation.next_move_at == instant
    month = int(closes[5:7])
    for (representative, organisation), language in zip(members, ("ar", "fr", "en"), strict=True):
        # the email that opens the vote
        opened = [m for m in outbox(representative.email) if "18:00" in m.text_body]
        assert opened and MONTHS[language][month] in opened[-1].text_body
        # the ballot page, for a voter of each language
        own = app.test_client()
        login(own, representative)
        ballot = own.get(f"/consultations/{consultation.id}/vote").get_data(as_text=True)
        assert "18:00" in ballot and MONTHS[language][month] in ballot and "17:00" not in ballot
        page = own.get(f"/consultations/{consultation.id}").get_data(as_text=True)
        assert "18:00" in page
    # the periodic close: still open a minute before 18:00 Casablanca time, closed at 18:00
    assert services.advance_due_consultations(instant - timedelta(minutes=1)) == 0
    assert consultation.current_phase is Phase.VOTING
    assert services.advance_due_consultations(instant) == 1
    assert consultation.current_phase is Phase.CLOSED


def test_when_the_zone_rules_change_events_stay_at_their_wall_clock_time(app, client, login, facilitator, theme,
                                                                       members):
    """Stored with older rules (UTC+1 all winter, as Debian's tzdata 2025b has it), a workshop
    at 09:00 and a vote closing at 18:00 come back to 09:00 and 18:00 with the rules in force."""
    workshop = create_workshop(client, login, facilitator, theme, "2026-12-14")
    consultation = open_vote_closing_at(facilitator, members, "2026-12-16T18:00")
    old_start, old_close = datetime(2026, 12, 14, 8, 0, tzinfo=UTC), datetime(2026, 12, 16, 17, 0, tzinfo=UTC)
    # what the old rules had stored (UPDATE statements: the wall times stay as typed)
    db.session.execute(update(Workshop).where(Workshop.id == workshop.id)
                       .values(starts_at=old_start, ends_at=old_start + timedelta(hours=3)))
    db.session.execute(update(Consultation).where(Consultation.id == consultation.id)
                       .values(closed_at=old_close, next_move_at=old_close))
    db.session.commit()
    db.session.expire_all()
    forget_refreshes()
    # the periodic work re-pins first, then closes votes: not at 17:00 any more
    with app.test_request_context():
        run_periodic()
    db.session.expire_all()
    workshop, consultation = db.session.get(Workshop, workshop.id), db.session.get(Consultation, consultation.id)
    assert workshop.starts_at == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    assert workshop.schedule_revision == 1
    assert consultation.closed_at == consultation.next_move_at == datetime(2026, 12, 16, 18, 0, tzinfo=UTC)
    assert services.advance_due_consultations(old_close) == 0
    (event,) = Calendar.from_ical(app.test_client().get(f"/workshops/{workshop.id}.ics").data).walk("VEVENT")
    assert event["sequence"] == 1 and event.decoded("dtstart").hour == 9
    # once pinned, nothing moves again
    assert refresh_event_times() == 0


@pytest.mark.parametrize("day,instant", DAYS)
def test_a_second_calendar_parser_reads_nine_from_the_zone_we_ship(app, client, login, facilitator, theme, members,
                                                                   day, instant):
    """vobject builds its own time zone from the file's VTIMEZONE (it never asks zoneinfo), so it
    checks the zone rules we write as a calendar application would read them."""
    import vobject

    # vobject keeps the first VTIMEZONE it met for a TZID in a process-wide registry: each file
    # must be read with its own (a VTIMEZONE covers only the span of its events).
    getattr(vobject.icalendar, "__tzidMap").clear()
    workshop = create_workshop(client, login, facilitator, theme, day)
    text = app.test_client().get(f"/workshops/{workshop.id}.ics").get_data(as_text=True)
    assert "DTSTART;TZID=Africa/Casablanca:" in text
    calendar = vobject.readOne(text)
    start = calendar.vevent.dtstart.value
    assert (start.hour, start.minute) == (9, 0)
    assert start.astimezone(UTC) == instant
    client.post(f"/workshops/{workshop.id}/edit", data=workshop_form(theme, day, starts_at=f"{day}T10:00"))
    getattr(vobject.icalendar, "__tzidMap").clear()
    moved = vobject.readOne(app.test_client().get(f"/workshops/{workshop.id}.ics").get_data(as_text=True))
    assert moved.vevent.sequence.value == "1" and moved.vevent.dtstart.value.hour == 10
