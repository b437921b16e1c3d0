"""Workshops and consultations: themes, the calendar, registration, phases."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.core.extension_points import (
        register_on_leave,
        register_periodic,
        register_profile_section,
    )
    from tadamon.workshops import permissions  # noqa: F401 - registers the rules
    from tadamon.workshops.services import profile_section
    from tadamon.workshops.views import bp

    register_profile_section(profile_section)
    from tadamon.workshops.services import give_back_places

    register_on_leave(give_back_places)
    from tadamon.workshops.services import move_due_phases

    register_periodic(move_due_phases)

    app.register_blueprint(bp)
