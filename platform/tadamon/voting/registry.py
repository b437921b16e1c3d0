"""The voting methods the platform knows, by id: what a consultation can choose.

Each method declares the settings it needs. The ballots, validations and tallies of each
method live in `voting/methods/` (the voting module); this registry is what consultations
store and show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.core.errors_domain import DomainError


@dataclass(frozen=True)
class MethodInfo:
    id: str
    label: object
    explanation: object
    settings: tuple[str, ...] = field(default_factory=tuple)

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        """Refuses a consultation's settings this method cannot run with (names the field)."""
        if "max_approvals" in self.settings and not settings.get("max_approvals"):
            raise DomainError(_l("Say how many proposals each organisation may support."), field="max_approvals")
        for name in ("quorum", "threshold"):
            if name in self.settings:
                value = settings.get(name)
                if value is None or not 0 < value <= 1:
                    raise DomainError(_l("Give a share between 0 and 1, for example 0.5."), field=name)


METHODS: dict[str, MethodInfo] = {
    info.id: info
    for info in (
        MethodInfo("approval", _l("Approval voting"),
                   _l("Each organisation supports up to a set number of proposals."), ("max_approvals",)),
        MethodInfo("score", _l("Score voting"),
                   _l("Each proposal is scored from 0 to 5; proposals are ranked by their mean score.")),
        MethodInfo("majority_judgment", _l("Majority judgment"),
                   _l("Each proposal gets a grade from Reject to Excellent; proposals are ranked by their median grade.")),
        MethodInfo("schulze", _l("Ranked choice (Schulze)"),
                   _l("Each organisation ranks the proposals; the Schulze method finds the order preferred by the majority.")),
        MethodInfo("yes_no", _l("Yes / no on each proposal"),
                   _l("Each proposal is adopted when enough organisations take part and enough of them say yes."),
                   ("quorum", "threshold")),
    )
}


def voting_methods() -> dict[str, MethodInfo]:
    """The catalogue the workshops module offers consultations (through core.hooks)."""
    return METHODS
