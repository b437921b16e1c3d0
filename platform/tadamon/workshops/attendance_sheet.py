"""The attendance sheet of a workshop, to sign in the room: a printable PDF and a CSV of the
same rows, in the reader's language and direction.

One row per person the registered organisations said would attend (an organisation that
named no one gets one row to fill in by hand), and blank rows at the end of the PDF for the
people who come without being named. WeasyPrint, as the plan's PDF (`action_plan/exports.py`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _

from tadamon.core.i18n import LocalText, current_language, localized
from tadamon.workshops.models import (
    FORMAT_LABELS,
    REGISTRATION_STATUS_LABELS,
    Registration,
    RegistrationStatus,
    Workshop,
)

# Rows left blank at the end of the printed sheet, for people who come without being named.
BLANK_ROWS = 6
# A cell starting with one of these is a formula to a spreadsheet: prefix it with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SheetRow:
    organisation: LocalText
    person: str
    status: str
    accepted: bool


def _neutralise(value: str) -> str:
    """A spreadsheet never runs what a member typed (CSV/formula injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def rows_of(registrations: list[Registration]) -> list[SheetRow]:
    rows: list[SheetRow] = []
    for registration in registrations:
        people = [line.strip() for line in registration.attendees.splitlines() if line.strip()] or [""]
        status = str(REGISTRATION_STATUS_LABELS[registration.registration_status])
        accepted = registration.registration_status is RegistrationStatus.ACCEPTED
        rows.extend(SheetRow(registration.organisation.local_name, person, status, accepted) for person in people)
    return rows


def filename(workshop: Workshop, extension: str) -> str:
    return f"attendance-workshop-{workshop.id}.{extension}"


def place_of(workshop: Workshop) -> str:
    """Where the workshop is, in one line: venue and address, or its format when it has none."""
    place = ", ".join(part for part in (workshop.venue, workshop.address) if part)
    return place or str(FORMAT_LABELS[workshop.workshop_format])


def render_csv(workshop: Workshop, registrations: list[Registration]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Organisation"), _("Person"), _("Registration"), _("Signature")])
    for row in rows_of(registrations):
        writer.writerow([_neutralise(row.organisation.text), _neutralise(row.person), row.status, ""])
    # A byte-order mark so that spreadsheet programs read the Arabic as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_pdf(workshop: Workshop, registrations: list[Registration]) -> bytes:
    from weasyprint import HTML

    language = current_language()
    html = render_template("workshops/attendance_sheet_pdf.html", workshop=workshop, rows=rows_of(registrations),
                           title=localized(workshop, "title")[0], place=place_of(workshop),
                           blank_rows=range(BLANK_ROWS), language=language, rtl=language == "ar")
    return HTML(string=html, base_url=current_app.root_path).write_pdf()
