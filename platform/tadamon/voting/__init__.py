"""Voting: one organisation, one ballot; receipts, a hash-chained ledger, reproducible results."""

from __future__ import annotations

from tadamon.core.modules import Module, seed_from


def module() -> Module:
    from tadamon.voting import home, permissions
    from tadamon.voting.cli import (
        export_ballots_command,
        export_pack_command,
        verify_ledger_command,
    )
    from tadamon.voting.methods import all_methods
    from tadamon.voting.reminders import check_remind_before_close
    from tadamon.voting.results import store_missing_results
    from tadamon.voting.services import (
        ballot_counts,
        consultation_notices,
        neutralise_open_secret_rolls,
        on_phase_change,
    )
    from tadamon.voting.views import bp

    return Module(name="voting", blueprint=bp, permissions=permissions,
                  commands=[export_ballots_command, verify_ledger_command, export_pack_command],
                  on_phase_change=[on_phase_change], dashboard_counters=[ballot_counts], voting_methods=[all_methods],
                  periodic=[neutralise_open_secret_rolls, check_remind_before_close, store_missing_results], consultation_notices=[consultation_notices],
                  home_sections=[home.home_sections],
                  seed=seed_from("tadamon.voting.demo"))
