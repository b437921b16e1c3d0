"""Who may write, co-sign, comment on, moderate and curate proposals.

Object-level: only a proposal's own organisation edits or withdraws it and decides on its
amendments; organisations take part only in consultations open to them.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import is_authenticated, rule
from tadamon.membership.permissions import can_take_part
from tadamon.workshops.models import Consultation, Participation, Phase
from tadamon.workshops.permissions import can_manage_consultation, can_manage_workshop


def participates(organisation: Any, consultation: Consultation) -> bool:
    """Is `organisation` among those the consultation is open to?"""
    if organisation is None:
        return False
    if consultation.participation == Participation.REGISTERED and consultation.workshop_id is not None:
        return organisation.id in _registered_ids(consultation.workshop_id)
    return True


def _registered_ids(workshop_id: int) -> frozenset[int]:
    """The organisations holding a place in the workshop, read once per request by its id: a
    proposal's page asks for each of its actions (co-sign, comment, amend…), one query each
    before, and loading the workshop itself cost three more (its facilitators and regions)."""
    from flask import g, has_request_context

    from tadamon.workshops import services as workshops

    if not has_request_context():
        return frozenset(workshops.registered_organisation_ids(workshop_id))
    cache = g.setdefault("tadamon_registered_ids", {})
    if workshop_id not in cache:
        cache[workshop_id] = frozenset(workshops.registered_organisation_ids(workshop_id))
    return cache[workshop_id]


def _takes_part(actor: Actor, consultation: Consultation) -> Any:
    organisation = actor.organisation
    if organisation is None or not can_take_part(actor, organisation) or not participates(organisation, consultation):
        return None
    return organisation


def _of_own_organisation(actor: Actor, proposal: Any) -> bool:
    if not is_authenticated(actor):
        return False
    from tadamon.membership import services as membership

    return membership.membership_of(actor.user, proposal.organisation) is not None


@rule("proposals.submit")
def can_submit(actor: Actor, consultation: Consultation) -> bool:
    return consultation.current_phase is Phase.PROPOSALS_OPEN and _takes_part(actor, consultation) is not None


@rule("proposals.record_from_room")
def can_record_from_room(actor: Actor, workshop: Any) -> bool:
    """A proposal made on paper in a workshop's room is typed in by that workshop's facilitators
    (or the steering group); the consultation's phase is checked by the service, with a message."""
    return can_manage_workshop(actor, workshop)


@rule("proposals.edit")
def can_edit(actor: Actor, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        _of_own_organisation(actor, proposal)
        and proposal.state in (ProposalState.DRAFT, ProposalState.PUBLISHED)
        and proposal.consultation.current_phase is Phase.PROPOSALS_OPEN
    )


@rule("proposals.withdraw")
def can_withdraw(actor: Actor, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        _of_own_organisation(actor, proposal)
        and proposal.state in (ProposalState.DRAFT, ProposalState.PUBLISHED)
        and proposal.consultation.current_phase in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION)
    )


def _another_taking_part(actor: Actor, proposal: Any) -> bool:
    """The actor's organisation takes part, is not the proposal's own, and the proposal is out."""
    organisation = _takes_part(actor, proposal.consultation)
    return organisation is not None and organisation.id != proposal.organisation_id and proposal.is_published


@rule("proposals.cosign")
def can_cosign(actor: Actor, proposal: Any) -> bool:
    return (
        _another_taking_part(actor, proposal)
        and proposal.consultation.current_phase in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION)
    )


@rule("proposals.comment")
def can_comment(actor: Actor, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        proposal.state == ProposalState.PUBLISHED
        and proposal.consultation.current_phase is Phase.DELIBERATION
        and _takes_part(actor, proposal.consultation) is not None
    )


@rule("proposals.report")
def can_report(actor: Actor, proposal: Any = None) -> bool:
    return is_authenticated(actor)


@rule("proposals.moderate")
def can_moderate(actor: Actor, proposal: Any) -> bool:
    return can_manage_consultation(actor, proposal.consultation)


@rule("proposals.moderation_queue")
def can_see_moderation_queue(actor: Actor, obj: Any = None) -> bool:
    """The queue lists the reports of the consultations one manages: facilitators see their
    workshops', the steering group all of them."""
    from tadamon.workshops.permissions import steering_or_facilitator

    return steering_or_facilitator(actor)


@rule("proposals.handle_report")
def can_handle_report(actor: Actor, report: Any) -> bool:
    return report is not None and report.resolved_at is None and can_moderate(actor, report.proposal)


@rule("proposals.curate")
def can_curate(actor: Actor, proposal: Any) -> bool:
    return can_manage_consultation(actor, proposal.consultation)


@rule("proposals.view")
def can_view(actor: Actor, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    if proposal.state == ProposalState.DRAFT:
        return _of_own_organisation(actor, proposal)
    return True


@rule("proposals.amend")
def can_amend(actor: Actor, proposal: Any) -> bool:
    return (
        _another_taking_part(actor, proposal)
        and proposal.consultation.amendments_allowed
        and proposal.consultation.current_phase is Phase.DELIBERATION
    )


@rule("proposals.decide_amendment")
def can_decide_amendment(actor: Actor, amendment: Any) -> bool:
    """Only the proposal's own organisation (a real platform let anyone accept)."""
    from tadamon.proposals.models import AmendmentState

    return amendment.state == AmendmentState.PENDING and _of_own_organisation(actor, amendment.proposal)


@rule("proposals.see_drafts")
def can_see_drafts(actor: Actor, organisation: Any = None) -> bool:
    """A person acting for an organisation sees its drafts (its own people write them
    together); `organisation` defaults to the one acted for."""
    organisation = organisation if organisation is not None else actor.organisation
    if not is_authenticated(actor) or organisation is None:
        return False
    from tadamon.membership import services as membership

    return membership.membership_of(actor.user, organisation) is not None
