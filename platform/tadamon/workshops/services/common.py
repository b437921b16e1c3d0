"""What every workshop use-case shares: its domain error, its notification kinds and labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tadamon.core.errors_domain import DomainError
from tadamon.core.notifications import register_kind, register_labels
from tadamon.workshops.models import (
    PHASE_LABELS,
    REGISTRATION_STATUS_LABELS,
    WORKSHOP_STATUS_LABELS,
)

register_kind("workshops.status_changed", subject=_l("Workshop update: %(workshop)s"),
              text=_l("The workshop %(workshop)s is now: %(status)s."))
register_kind("workshops.registration_received", subject=_l("Registration received: %(workshop)s"),
              text=_l("%(organisation)s is registered for %(workshop)s: %(status)s."))
register_kind("workshops.registration_decided", subject=_l("Your registration to %(workshop)s"),
              text=_l("The registration of %(organisation)s to %(workshop)s is now: %(status)s."))
register_kind("workshops.registration_accepted", subject=_l("Your registration to %(workshop)s"),
              text=_l("The registration of %(organisation)s to %(workshop)s is accepted. The workshop starts on %(when)s."))
register_kind("workshops.registration_reconsidered", subject=_l("Your registration to %(workshop)s"),
              text=_l("The facilitators reconsidered the registration of %(organisation)s to %(workshop)s: "
                      "it is now %(status)s."))
register_kind("consultations.voting_opened", subject=_l("Voting is open: %(question)s"),
              text=_l("Voting on “%(question)s” is open until %(closes)s."))
register_kind("workshops.moved_up", subject=_l("A place is free for you: %(workshop)s"),
              text=_l("A place freed up: %(organisation)s moves from the waiting list into %(workshop)s."))
register_kind("consultations.phase_changed", subject=_l("Consultation update: %(question)s"),
              text=_l("The consultation “%(question)s” is now in the phase: %(phase)s."))

register_labels("workshop_status", WORKSHOP_STATUS_LABELS)
register_labels("registration_status", REGISTRATION_STATUS_LABELS)
register_labels("phase", PHASE_LABELS)


class WorkshopError(DomainError):
    pass


def title_of(workshop: object) -> str:
    """The label the audit log keeps for a workshop (French first, as the steering group reads it)."""
    return str(getattr(workshop, "title_fr", "") or getattr(workshop, "title_ar", ""))


