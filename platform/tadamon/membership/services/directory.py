"""The public directory and the steering group's review queue: queries to paginate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tadamon.core.db import contains_words
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.membership.models import (
    FieldOfAction,
    MembershipState,
    Organisation,
)


def directory_query(*, search: str = "", region: str = "", field_id: int | None = None,
                    legal_form: str = "") -> Any:
    query = select(Organisation).where(Organisation.state == MembershipState.APPROVED)
    query = query.where(*contains_words(Organisation.search_name, normalize_for_search(search)))
    if region:
        query = query.where(Organisation.region == region)
    if legal_form:
        query = query.where(Organisation.legal_form == legal_form)
    if field_id:
        query = query.where(Organisation.fields.any(FieldOfAction.id == field_id))
    return query.order_by(Organisation.is_founding_member.desc(), Organisation.search_name, Organisation.id)


def members_per_region() -> dict[str, int]:
    rows = db.session.execute(
        select(Organisation.region, func.count()).where(Organisation.state == MembershipState.APPROVED)
        .group_by(Organisation.region)
    ).all()
    return {region: count for region, count in rows}


def review_queue_query(*, state: str = "", region: str = "", legal_form: str = "",
                       since: Any = None, until: Any = None) -> Any:
    query = select(Organisation).where(Organisation.state != MembershipState.DRAFT)
    if state:
        query = query.where(Organisation.state == state)
    if region:
        query = query.where(Organisation.region == region)
    if legal_form:
        query = query.where(Organisation.legal_form == legal_form)
    if since:
        query = query.where(Organisation.submitted_at >= since)
    if until:
        query = query.where(Organisation.submitted_at < until)
    return query.order_by(Organisation.submitted_at.desc().nulls_last(), Organisation.id.desc())
