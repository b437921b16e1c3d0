"""What changed between two versions of the plan: actions added, removed and changed, matched
by their stable ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tadamon.action_plan.services.snapshot import canonical

DIFFED_FIELDS = ("title", "description", "objectives", "theme", "territory", "lead", "partners", "starts_on",
                 "ends_on", "milestones", "indicators", "budget", "status", "progress", "sources")


@dataclass
class ActionChange:
    action: dict[str, Any]
    fields: list[str]
    before: dict[str, Any] | None = None


@dataclass
class PlanDiff:
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ActionChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> PlanDiff:
    """Actions added, removed and changed (with the names of the fields that changed),
    matched by their stable ids."""
    before = {a["id"]: a for a in (old or {}).get("actions", [])}
    after = {a["id"]: a for a in new.get("actions", [])}
    changed = []
    for key, action in after.items():
        if key in before:
            fields = [name for name in DIFFED_FIELDS if canonical(before[key].get(name)) != canonical(action.get(name))]
            if fields:
                changed.append(ActionChange(action=action, fields=fields, before=before[key]))
    return PlanDiff(added=[a for k, a in after.items() if k not in before],
                    removed=[a for k, a in before.items() if k not in after], changed=changed)
