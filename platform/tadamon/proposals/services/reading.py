"""A proposal read for its page: the proposal and its few small rows in one query, with what the
reader's organisation needs for its permissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.services import current_charter_adherence, remember_adherence
from tadamon.proposals.models import Lineage, Proposal


def load_for_page(proposal_id: int, organisation: Organisation | None) -> Proposal | None:
    """The proposal with its co-authors, attachments, room origin and lineage (each step with
    its source's room origin) joined to its row: these are a handful of rows at most (five
    attachments, the organisations and steps of a merge), so one query carries them all. With
    an acting organisation, its adherence to the current charter comes in the same query (the
    page's permissions ask it)."""
    columns: list[Any] = [Proposal]
    if organisation is not None:
        columns.append(current_charter_adherence(organisation.id))
    row = db.session.execute(
        select(*columns).where(Proposal.id == proposal_id).options(
            joinedload(Proposal.coauthor_rows), joinedload(Proposal.attachment_rows),
            joinedload(Proposal.room_origin_row),
            joinedload(Proposal.lineage_steps).joinedload(Lineage.source).joinedload(Proposal.room_origin_row)),
    ).unique().first()
    if row is None:
        return None
    if organisation is not None:
        remember_adherence(organisation.id, row[1])
    return row[0]
