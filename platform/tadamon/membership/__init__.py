"""Membership: the charter, organisations applying and deciding, people acting for them."""

from __future__ import annotations

from flask import Flask

from tadamon.core.modules import Module, seed_from


def _setup(app: Flask) -> None:
    from tadamon.accounts.services import load_with_the_person
    from tadamon.core.actor import set_organisation_resolver
    from tadamon.membership.acting import resolve_organisation
    from tadamon.membership.services.memberships import memberships_with_the_person

    set_organisation_resolver(resolve_organisation)
    load_with_the_person(memberships_with_the_person)


def module() -> Module:
    from tadamon.membership import home, permissions
    from tadamon.membership.acting import organisations_for
    from tadamon.membership.labels import labels
    from tadamon.membership.services.statutes import stored_statutes
    from tadamon.membership.views import bp

    return Module(name="membership", blueprint=bp, permissions=permissions, labels=labels,
                  organisations_of=[organisations_for], home_sections=[home.home_sections], seed=seed_from("tadamon.membership.demo"),
                  stored_files=[stored_statutes], setup=_setup)
