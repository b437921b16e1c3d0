"""Who acts for which organisation: lookups loaded once per request (permissions reuse them)."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Integer, Select, bindparam, inspect, select
from sqlalchemy.orm import joinedload, lazyload, with_expression

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

    rows = _loaded_with_the_person(user)
    if rows is None:
        rows = [(member, bool(adheres)) for member, adheres
                in db.session.execute(_memberships_statement(), {"user_id": user.id}).unique()]
    found = {member.organisation_id: member for member, _adheres in rows}
    for member, adheres in rows:  # the permissions' "adheres to the current charter", asked on most pages
        remember_adherence(member.organisation_id, adheres)
    if cache is not None:
        cache[user.id] = found
    return found


def memberships_with_the_person() -> Any:
    """The logged-in person's memberships, their organisations and each one's adherence to the
    current charter, joined to the query that finds their session (accounts'
    `load_with_the_person`): who is reading comes in one statement, not two."""
    from tadamon.membership.services.charter import current_charter_adherence

    return joinedload(User.memberships).options(
        lazyload(OrganisationMember.user),
        joinedload(OrganisationMember.organisation).lazyload(Organisation.fields),
        with_expression(OrganisationMember.charter_adherence,
                        current_charter_adherence(OrganisationMember.organisation_id)))


def _loaded_with_the_person(user: User) -> list[tuple[OrganisationMember, bool]] | None:
    """`user`'s memberships with their adherence as the person's query loaded them, or None
    (another person, a collection expired by a commit, or memberships changed in this request)."""
    if has_request_context() and g.get(_CHANGED):
        return None
    loaded: list[OrganisationMember] | None = inspect(user).dict.get("memberships")
    if loaded is None or any(member.charter_adherence is None for member in loaded):
        return None
    return [(member, bool(member.charter_adherence)) for member in loaded]


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


_CHANGED = "tadamon_memberships_changed"


def forget_cached_memberships() -> None:
    """After a change to memberships within the request: they are read again from the database."""
    if has_request_context():
        g.pop("tadamon_memberships", None)
        g.setdefault(_CHANGED, True)


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
