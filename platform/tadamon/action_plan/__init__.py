"""The shared action plan: from the results to actions, carried by organisations, tracked,
published in immutable versions and exported in three languages."""

from __future__ import annotations

from tadamon.core.modules import Module, seed_from


def module() -> Module:
    from tadamon.action_plan import home, permissions
    from tadamon.action_plan.cli import export_plan_command
    from tadamon.action_plan.jobs import purge_expired_exports, stored_exports
    from tadamon.action_plan.services.progress_due import check_remind_progress_due
    from tadamon.action_plan.views import bp, labels

    return Module(name="action_plan", blueprint=bp, permissions=permissions, labels=labels,
                  commands=[export_plan_command], periodic=[purge_expired_exports, check_remind_progress_due], home_sections=[home.home_sections],
                  seed=seed_from("tadamon.action_plan.demo"), stored_files=[stored_exports])
