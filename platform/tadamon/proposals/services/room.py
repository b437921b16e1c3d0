"""Proposals made on paper in a workshop's room: a facilitator types one in, and it becomes at
once a published proposal of one of the workshop's consultations, on behalf of the organisation
that made it, with its provenance (workshop, facilitator, day) kept and shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.notifications import notify, register_kind, texts, topic
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.times import MOROCCO, wall_of
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import MembershipState, Organisation
from tadamon.membership.queries import representatives_of
from tadamon.proposals.models import Lineage, Proposal, RoomOrigin
from tadamon.proposals.permissions import participates
from tadamon.proposals.services.common import ProposalError, add_timeline_event
from tadamon.proposals.services.writing import ProposalData, publish, save_draft
from tadamon.workshops.models import Consultation, Phase, RoomRecord, Workshop
from tadamon.workshops.services import registered_organisation_ids

register_kind(
    "proposals.recorded_in_room",
    # Translators: an organisation's representatives are told that a proposal it made on paper
    # at a workshop was typed in by a facilitator and published in its name.
    subject=_l("Your proposal made in the room is published: “%(title)s”"),
    text=_l("%(facilitator)s typed in “%(title)s”, the proposal %(organisation)s made on paper at the workshop "
            "%(workshop)s, and published it on its behalf in the consultation “%(question)s”. Your organisation "
            "can edit or withdraw it like any of its proposals."),
)


@dataclass(frozen=True)
class PaperProposal:
    """What the facilitator typed from the paper, and where it goes."""

    consultation_id: int | None
    organisation_id: int | None
    made_on: date | None
    data: ProposalData
    room_record_id: int | None = None


def workshop_days(workshop: Workshop) -> tuple[date, date]:
    """The first and last day of the workshop, on its own clock."""
    starts = workshop.starts_local or wall_of(workshop.starts_at, workshop.time_zone or MOROCCO)
    ends = workshop.ends_local or wall_of(workshop.ends_at, workshop.time_zone or MOROCCO)
    return starts.date(), ends.date()


def day_of_note(workshop: Workshop, record: RoomRecord) -> date:
    """The workshop's day a room note was written on (its first day, for a note typed later)."""
    first, last = workshop_days(workshop)
    day = wall_of(record.recorded_at, workshop.time_zone or MOROCCO).date()
    return day if first <= day <= last else first


def consultations_for_room(workshop: Workshop) -> list[Consultation]:
    """The workshop's consultations a facilitator may choose from (drafts are not shown yet)."""
    return [item for item in workshop.consultations if not item.is_draft]


def organisations_for_room(workshop: Workshop) -> tuple[list[Organisation], list[Organisation]]:
    """The organisations a paper proposal may be recorded for: those registered in the
    workshop first, then every other approved member."""
    registered_ids = set(registered_organisation_ids(workshop))
    approved = list(db.session.scalars(select(Organisation).where(Organisation.state == MembershipState.APPROVED)
                                       .order_by(Organisation.id)))
    return ([o for o in approved if o.id in registered_ids], [o for o in approved if o.id not in registered_ids])


def paper_record(workshop: Workshop, record_id: int | None) -> RoomRecord | None:
    """A paper proposal noted on the workshop's room page, or None."""
    if record_id is None:
        return None
    record = db.session.get(RoomRecord, record_id)
    if record is None or record.workshop_id != workshop.id or record.kind != "paper_proposal":
        return None
    return record


def proposal_of_record(record: RoomRecord) -> Proposal | None:
    """The proposal a room note already became, if any."""
    return db.session.scalar(select(Proposal).join(RoomOrigin, RoomOrigin.proposal_id == Proposal.id)
                             .where(RoomOrigin.room_record_id == record.id))


def _consultation(workshop: Workshop, consultation_id: int | None) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id) if consultation_id is not None else None
    if consultation is None or consultation.workshop_id != workshop.id:
        raise ProposalError(_l("Choose one of this workshop's consultations."), field="consultation_id")
    if consultation.current_phase is not Phase.PROPOSALS_OPEN:
        raise ProposalError(_l("This consultation is not taking proposals now: choose one in its proposals phase."),
                            field="consultation_id")
    return consultation


def _organisation(consultation: Consultation, organisation_id: int | None) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id) if organisation_id is not None else None
    if organisation is None or organisation.membership_state is not MembershipState.APPROVED:
        raise ProposalError(_l("Choose a member organisation."), field="organisation_id")
    if not participates(organisation, consultation):
        raise ProposalError(_l("This consultation is open only to the organisations registered in the workshop."),
                            field="organisation_id")
    return organisation


def _made_on(workshop: Workshop, made_on: date | None) -> date:
    first, last = workshop_days(workshop)
    if made_on is None or not first <= made_on <= last:
        raise ProposalError(_l("Give a day of the workshop."), field="made_on")
    return made_on


def record_from_room(actor: User, workshop: Workshop, paper: PaperProposal) -> Proposal:
    """Publishes a proposal made on paper in `workshop`'s room, on behalf of its organisation.

    Goes through the proposals' own writing services (the same checks, the first version, the
    timeline, similar proposals), then keeps the provenance (`RoomOrigin`, `recorded_by`),
    records it in the audit log and tells the organisation's representatives, who then edit
    or withdraw it like any of their proposals.

    Raises ProposalError (naming the field) when the consultation is not the workshop's or not
    taking proposals, the organisation is not a member taking part, the day is not one of the
    workshop's, the text is too short, or the room note was already made a proposal.
    """
    consultation = _consultation(workshop, paper.consultation_id)
    organisation = _organisation(consultation, paper.organisation_id)
    made_on = _made_on(workshop, paper.made_on)
    record = paper_record(workshop, paper.room_record_id)
    data = ProposalData(**{**vars(paper.data), "draft_key": "",
                           "theme_id": paper.data.theme_id or workshop.theme_id})
    proposal = save_draft(consultation, organisation, actor, data, refresh_similar=False)
    # Its organisation's people wrote it, on paper; `recorded_by` names who typed it in.
    proposal.author_id = None
    proposal.recorded_by_id = actor.id
    origin = RoomOrigin(proposal_id=proposal.id, workshop_id=workshop.id, facilitator_id=actor.id, made_on=made_on,
                        room_record_id=record.id if record is not None else None)
    if not add_unless_duplicate(origin):
        raise ProposalError(_l("This note of the room is already a proposal."))
    add_timeline_event(proposal, "recorded_in_room", actor)
    publish(proposal, actor, data)
    audit.record("proposal.recorded_in_room", "proposal", proposal.id, object_label=proposal.title, actor=actor,
                 after={"workshop_id": workshop.id, "consultation_id": consultation.id,
                        "organisation_id": organisation.id, "made_on": made_on.isoformat(),
                        "room_record_id": origin.room_record_id})
    notify(representatives_of([organisation.id]), "proposals.recorded_in_room",
           link=external_url("proposals.show", proposal_id=proposal.id), title=proposal.title,
           about=topic("consultation", consultation.id, texts(consultation, "question")),
           facilitator=actor.display_name, organisation=organisation.display_name,
           workshop=texts(workshop, "title"), question=texts(consultation, "question"))
    return proposal


def room_origin(proposal: Proposal) -> RoomOrigin | None:
    return db.session.get(RoomOrigin, proposal.id)


def room_origins(proposal_ids: list[int]) -> dict[int, RoomOrigin]:
    if not proposal_ids:
        return {}
    return {item.proposal_id: item for item in db.session.scalars(
        select(RoomOrigin).where(RoomOrigin.proposal_id.in_(proposal_ids)))}


def carry_origin(source: Proposal, part: Proposal) -> None:
    """A split's part keeps where its original was made (the room note stays with the original)."""
    origin = room_origin(source)
    if origin is not None:
        db.session.add(RoomOrigin(proposal_id=part.id, workshop_id=origin.workshop_id,
                                  facilitator_id=origin.facilitator_id, made_on=origin.made_on,
                                  recorded_at=origin.recorded_at))


def origins_in_lineage(steps: list[Lineage]) -> dict[int, RoomOrigin]:
    """The room origins of the proposals a lineage came from (merged sources, split originals)."""
    return room_origins([step.source_id for step in steps])
