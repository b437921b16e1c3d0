"""What the workshop pages show, computed outside the templates: the labels they name."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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


# What moving a consultation into each phase does, in plain words, for the confirmation page:
# what opens, and what becomes final.
MOVE_EFFECTS: dict[Phase, tuple[Any, ...]] = {
    Phase.PROPOSALS_OPEN: (
        _l("The consultation becomes visible to everyone, and the organisations taking part can submit "
           "proposals."),),
    Phase.DELIBERATION: (
        _l("Proposals can no longer be submitted or edited."),
        _l("The organisations taking part can discuss, co-sign and amend the published proposals."),),
    Phase.VOTING: (
        _l("The vote opens: each organisation taking part can cast one ballot."),
        _l("What becomes final: the proposals on the ballot, the voting method and its settings, and the list "
           "of organisations allowed to vote. An organisation accepted into the workshop later will not be able "
           "to vote."),),
    Phase.CLOSED: (
        _l("The vote closes: no ballot can be cast or changed any more."),
        _l("The results are counted now and become final. Until you publish them, only the facilitators and "
           "the steering group can read them."),),
    Phase.RESULTS_PUBLISHED: (
        _l("The results become public: everyone, visitors included, can read the ranking and the "
           "participation figures."),),
}
# The button of the confirmation page, where "Move to: <phase>" says too little.
MOVE_BUTTONS: dict[Phase, Any] = {
    Phase.VOTING: _l("Open the vote"),
    Phase.CLOSED: _l("Close the vote"),
    Phase.RESULTS_PUBLISHED: _l("Publish the results"),
}


def move_button(target: Phase) -> str:
    return str(MOVE_BUTTONS.get(target) or _("Move to: %(phase)s", phase=PHASE_LABELS[target]))
