"""Proposals and deliberation."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.core.extension_points import register_periodic
    from tadamon.proposals import permissions  # noqa: F401 - registers the rules
    from tadamon.proposals.services import notify_new_comments
    from tadamon.proposals.views import bp

    register_periodic(notify_new_comments)
    from tadamon.core.extension_points import register_dashboard_counter
    from tadamon.proposals.services import dashboard_counts

    register_dashboard_counter(dashboard_counts)

    app.register_blueprint(bp)
