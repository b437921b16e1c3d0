"""Who acts for which organisation: lookups loaded once per request (permissions reuse them)."""

from __future__ import annotations

from functools import cache

from flask import g, has_request_context
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import (
    Organisation,
    OrganisationMember,
)


def memberships_by_organisation(user: User) -> dict[int, OrganisationMember]:
    """All of `user`'s memberships, loaded once per request (permission checks reuse them)."""
    cache: dict[int, dict[int, OrganisationMember]] | None = (
        g.setdefault("tadamon_memberships", {}) if has_request_context() else None
    )
    if cache is not None and user.id in cache:
        return cache[user.id]
    from tadamon.membership.services.charter import remember_adherence

    rows = db.session.execute(_memberships_statement(), {"user_id": user.id}).unique().all()
    found = {member.organisation_id: member for member, _adheres in rows}
    for member, adheres in rows:  # the permissions' "adheres to the current charter", asked on most pages
        remember_adherence(member.organisation_id, adheres)
    if cache is not None:
        cache[user.id] = found
    return found


@cache
def _memberships_statement() -> Select[OrganisationMember, bool]:
    """`memberships_by_organisation`'s query, built once with a bound parameter (every logged-in
    page runs it; building it and its cache key cost more than running it). With their
    organisations (the menu's choices, the acting organisation) in the same query; the member's
    user is the one asked about, already loaded, and the organisations' fields of action are left
    for the pages that show them. With each organisation's adherence to the current charter
    (taking part needs it: most pages' permissions ask it, a query of its own otherwise)."""
    from tadamon.membership.services.charter import current_charter_adherence

    return (select(OrganisationMember, current_charter_adherence(OrganisationMember.organisation_id))
            .where(OrganisationMember.user_id == bindparam("user_id", type_=Integer))
            .options(lazyload(OrganisationMember.user),
                     joinedload(OrganisationMember.organisation).lazyload(Organisation.fields)))


def forget_cached_memberships() -> None:
    if has_request_context():
        g.pop("tadamon_memberships", None)


def membership_of(user: User, organisation: Organisation) -> OrganisationMember | None:
    return memberships_by_organisation(user).get(organisation.id)


def organisations_of(user: User) -> list[Organisation]:
    memberships = memberships_by_organisation(user)
    if not memberships:
        return []
    return [memberships[key].organisation for key in sorted(memberships)]


def users_of(organisation: Organisation) -> list[User]:
    """Everyone who acts for `organisation` (whom its notifications go to)."""
    return list(
        db.session.scalars(
            select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id == organisation.id)
        )
    )
