"""A proposal read for its page: the proposal and its few small rows in one query, with what the
reader's organisation needs for its permissions."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from tadamon.membership.models import Organisation
from tadamon.membership.services import load_with_adherence, with_adherence
from tadamon.proposals.models import Lineage, Proposal, RoomOrigin
from tadamon.workshops.models import Workshop


def load_for_page(proposal_id: int, organisation: Organisation | None) -> Proposal | None:
    """The proposal with its co-authors, attachments, room origin and lineage (each step with
    its source's room origin) joined to its row: these are a handful of rows at most (five
    attachments, the organisations and steps of a merge), so one query carries them all. With
    an acting organisation, its adherence to the current charter comes in the same query (the
    page's permissions ask it)."""
    return load_with_adherence(_page_statement, {"proposal_id": proposal_id}, organisation)


@cache
def _page_statement() -> Select[Any]:
    """Built once, with bound parameters: building this many-table statement and its cache key
    costs more than running it."""
    proposal_id = bindparam("proposal_id", type_=Integer)
    return select(*with_adherence([Proposal])).where(Proposal.id == proposal_id).options(
        joinedload(Proposal.coauthor_rows), joinedload(Proposal.attachment_rows), _room_origin(Proposal),
        joinedload(Proposal.lineage_steps).options(
            joinedload(Lineage.source).options(lazyload(Proposal.consultation), _room_origin(Proposal)),
            joinedload(Lineage.target).options(lazyload(Proposal.consultation), lazyload(Proposal.organisation))))


def _room_origin(proposal: type[Proposal]) -> Any:
    """A room origin as the page shows it (the workshop's title, the facilitator's name): the
    workshop's theme and facilitators are left out of the join. Every table joined costs the
    database planning time (PostgreSQL plans a 25-table join in ~8 ms, longer than the
    queries it replaces)."""
    return joinedload(proposal.room_origin_row).joinedload(RoomOrigin.workshop).options(
        lazyload(Workshop.theme), lazyload(Workshop.facilitators))
