"""Proposals and deliberation."""

from __future__ import annotations

from tadamon.core.modules import Module, seed_from


def module() -> Module:
    from tadamon.proposals import home, permissions, presentation
    from tadamon.proposals.services import dashboard_counts, notify_new_comments, open_report_counts
    from tadamon.proposals.services.writing import stored_attachments
    from tadamon.proposals.views import bp

    return Module(name="proposals", blueprint=bp, permissions=permissions, labels=presentation.labels,
                  periodic=[notify_new_comments], dashboard_counters=[dashboard_counts, open_report_counts],
                  home_sections=[home.home_sections], seed=seed_from("tadamon.proposals.demo"),
                  stored_files=[stored_attachments])
