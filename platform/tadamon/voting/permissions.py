"""Who may vote, see results and allow an organisation's members to vote.

`voting.cast` is object-level: the person acts for an organisation on the vote's frozen roll,
as its representative (or as any member, when the organisation allows it), while the window
is open. The reason for a refusal is given in words by `services.refusal`.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, rule
from tadamon.membership.permissions import can_manage_people
from tadamon.workshops.models import Consultation, Phase
from tadamon.workshops.permissions import can_manage_consultation


@rule("voting.cast")
def can_cast(actor: Actor, consultation: Consultation) -> bool:
    from tadamon.voting import services

    return services.refusal(actor.user, consultation, actor.organisation) is None


@rule("voting.view_results")
def can_view_results(actor: Actor, consultation: Consultation) -> bool:
    """Everyone once published; the consultation's facilitators as soon as voting closed."""
    if consultation.current_phase is Phase.RESULTS_PUBLISHED:
        return True
    return consultation.current_phase is Phase.CLOSED and can_manage_consultation(actor, consultation)


@rule("voting.view_participation")
def can_view_participation(actor: Actor, consultation: Consultation) -> bool:
    """Which organisations voted (never how): the consultation's facilitators and the steering group."""
    return can_manage_consultation(actor, consultation)


@rule("voting.send_reminder")
def can_send_reminder(actor: Actor, consultation: Consultation) -> bool:
    """The service says why it refuses (voting not open, the last reminder too recent)."""
    return can_manage_consultation(actor, consultation) and consultation.current_phase is Phase.VOTING


@rule("voting.view_receipts")
def can_view_receipts(actor: Actor, consultation: Consultation) -> bool:
    return consultation.current_phase in (Phase.VOTING, Phase.CLOSED, Phase.RESULTS_PUBLISHED)


@rule("voting.set_voting_rights")
def can_set_voting_rights(actor: Actor, organisation: Any) -> bool:
    return can_manage_people(actor, organisation)


@rule("voting.export_pack")
def can_export_pack(actor: Actor, consultation: Consultation) -> bool:
    """The consultation's export pack: the steering group's, once voting has closed."""
    return has_role(actor, Role.STEERING) and consultation.current_phase in (Phase.CLOSED, Phase.RESULTS_PUBLISHED)
