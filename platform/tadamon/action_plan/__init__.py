"""The shared action plan: from the results to actions, carried by organisations, tracked,
published in immutable versions and exported in three languages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.action_plan import permissions  # noqa: F401 - registers the rules
    from tadamon.action_plan.cli import export_plan_command
    from tadamon.action_plan.jobs import purge_expired_exports
    from tadamon.action_plan.views import bp
    from tadamon.core.extension_points import register_periodic

    register_periodic(purge_expired_exports)
    app.cli.add_command(export_plan_command)
    app.register_blueprint(bp)
