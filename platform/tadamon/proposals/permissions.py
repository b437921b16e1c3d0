"""Who may write, co-sign, comment on, moderate and curate proposals.

Object-level: only a proposal's own organisation edits or withdraws it and decides on its
amendments; organisations take part only in consultations open to them.
"""

from __future__ import annotations

from typing import Any

from tadamon.core.permissions import is_authenticated, rule
from tadamon.membership.permissions import can_take_part
from tadamon.workshops.models import Consultation, Participation, Phase
from tadamon.workshops.permissions import can_manage_consultation


def _acting(user: Any) -> Any:
    from tadamon.membership.views import acting_organisation

    return acting_organisation() if is_authenticated(user) else None


def participates(organisation: Any, consultation: Consultation) -> bool:
    """Is `organisation` among those the consultation is open to?"""
    if organisation is None:
        return False
    if consultation.participation == Participation.REGISTERED.value and consultation.workshop is not None:
        from tadamon.workshops import services as workshops

        return organisation.id in workshops._registered_organisation_ids(consultation.workshop)
    return True


def _takes_part(user: Any, consultation: Consultation) -> Any:
    organisation = _acting(user)
    if organisation is None or not can_take_part(user, organisation) or not participates(organisation, consultation):
        return None
    return organisation


def _of_own_organisation(user: Any, proposal: Any) -> bool:
    if not is_authenticated(user):
        return False
    from tadamon.membership import services as membership

    return membership.membership_of(user, proposal.organisation) is not None


@rule("proposals.submit")
def can_submit(user: Any, consultation: Consultation) -> bool:
    return consultation.current_phase is Phase.PROPOSALS_OPEN and _takes_part(user, consultation) is not None


@rule("proposals.edit")
def can_edit(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        _of_own_organisation(user, proposal)
        and proposal.state in (ProposalState.DRAFT.value, ProposalState.PUBLISHED.value)
        and proposal.consultation.current_phase is Phase.PROPOSALS_OPEN
    )


@rule("proposals.withdraw")
def can_withdraw(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        _of_own_organisation(user, proposal)
        and proposal.state in (ProposalState.DRAFT.value, ProposalState.PUBLISHED.value)
        and proposal.consultation.current_phase in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION)
    )


@rule("proposals.cosign")
def can_cosign(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    organisation = _takes_part(user, proposal.consultation)
    return (
        organisation is not None
        and organisation.id != proposal.organisation_id
        and proposal.state == ProposalState.PUBLISHED.value
        and proposal.consultation.current_phase in (Phase.PROPOSALS_OPEN, Phase.DELIBERATION)
    )


@rule("proposals.comment")
def can_comment(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    return (
        proposal.state == ProposalState.PUBLISHED.value
        and proposal.consultation.current_phase is Phase.DELIBERATION
        and _takes_part(user, proposal.consultation) is not None
    )


@rule("proposals.report")
def can_report(user: Any, proposal: Any = None) -> bool:
    return is_authenticated(user)


@rule("proposals.moderate")
def can_moderate(user: Any, proposal: Any) -> bool:
    return can_manage_consultation(user, proposal.consultation)


@rule("proposals.curate")
def can_curate(user: Any, proposal: Any) -> bool:
    return can_manage_consultation(user, proposal.consultation)


@rule("proposals.view")
def can_view(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    if proposal.state == ProposalState.DRAFT.value:
        return _of_own_organisation(user, proposal)
    return True


@rule("proposals.amend")
def can_amend(user: Any, proposal: Any) -> bool:
    from tadamon.proposals.models import ProposalState

    organisation = _takes_part(user, proposal.consultation)
    return (
        organisation is not None
        and organisation.id != proposal.organisation_id
        and proposal.state == ProposalState.PUBLISHED.value
        and proposal.consultation.amendments_allowed
        and proposal.consultation.current_phase is Phase.DELIBERATION
    )


@rule("proposals.decide_amendment")
def can_decide_amendment(user: Any, amendment: Any) -> bool:
    """Only the proposal's own organisation (a real platform let anyone accept)."""
    from tadamon.proposals.models import AmendmentState

    return amendment.state == AmendmentState.PENDING.value and _of_own_organisation(user, amendment.proposal)
