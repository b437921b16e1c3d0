"""Membership: the charter, organisations applying and deciding, people acting for them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.core.templating import ORGANISATION_PROVIDERS
    from tadamon.membership import permissions  # noqa: F401 - registers the rules
    from tadamon.membership.services import organisations_of
    from tadamon.membership.views import bp

    if organisations_of not in ORGANISATION_PROVIDERS:
        ORGANISATION_PROVIDERS.append(organisations_of)

    app.register_blueprint(bp)
