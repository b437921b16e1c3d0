"""What the workshop pages show, computed outside the templates: the labels they name."""

from __future__ import annotations

from typing import Any

from tadamon.core.hooks import voting_methods
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.workshops.models import (
    DOCUMENT_KIND_LABELS,
    FORMAT_LABELS,
    PARTICIPATION_LABELS,
    PHASE_ACTIVITIES,
    PHASE_LABELS,
    REGISTRATION_STATUS_LABELS,
    ROOM_RECORD_LABELS,
    WORKSHOP_STATUS_LABELS,
    Phase,
    RegistrationStatus,
    WorkshopFormat,
    WorkshopStatus,
)


def region_names(codes: list[str]) -> list[str]:
    """The names of the known regions among `codes`, in the page's language."""
    return [REGIONS_BY_CODE[code].name() for code in codes if code in REGIONS_BY_CODE]


def labels() -> dict[str, Any]:
    """The module's template labels: registered once as its blueprint's context processor."""
    return {
        "region_names": region_names, "regions": REGIONS_BY_CODE, "methods": voting_methods(),
        "format_labels": FORMAT_LABELS, "status_labels": WORKSHOP_STATUS_LABELS,
        "registration_labels": REGISTRATION_STATUS_LABELS, "phase_labels": PHASE_LABELS,
        "phase_activities": PHASE_ACTIVITIES, "document_labels": DOCUMENT_KIND_LABELS,
        "participation_labels": PARTICIPATION_LABELS, "room_labels": ROOM_RECORD_LABELS,
        "Phase": Phase, "WorkshopStatus": WorkshopStatus, "RegistrationStatus": RegistrationStatus,
        "WorkshopFormat": WorkshopFormat,
    }
