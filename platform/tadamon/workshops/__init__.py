"""Workshops and consultations: themes, the calendar, registration, phases."""

from __future__ import annotations

from tadamon.core.modules import Module, seed_from


def module() -> Module:
    from tadamon.workshops import home, permissions, presentation
    from tadamon.workshops.services import give_back_places, move_due_phases, profile_section
    from tadamon.workshops.services.reminders import check_remind_day_before
    from tadamon.workshops.services.room import stored_documents
    from tadamon.workshops.services.schedule import refresh_event_times_once
    from tadamon.workshops.views import bp

    return Module(name="workshops", blueprint=bp, permissions=permissions, labels=presentation.labels,
                  periodic=[refresh_event_times_once, move_due_phases, check_remind_day_before], profile_sections=[profile_section],
                  on_leave=[give_back_places], home_sections=[home.home_sections], seed=seed_from("tadamon.workshops.demo"),
                  stored_files=[stored_documents])
