"""Voting: one organisation, one ballot; receipts, a hash-chained ledger, reproducible results."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.core.extension_points import register_dashboard_counter, register_on_phase_change
    from tadamon.voting import permissions  # noqa: F401 - registers the rules
    from tadamon.voting.cli import export_ballots_command, verify_ledger_command
    from tadamon.voting.services import ballot_counts, on_phase_change
    from tadamon.voting.views import bp

    register_on_phase_change(on_phase_change)
    register_dashboard_counter(ballot_counts)
    app.cli.add_command(export_ballots_command)
    app.cli.add_command(verify_ledger_command)
    app.register_blueprint(bp)
