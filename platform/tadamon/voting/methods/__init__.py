"""One module per voting method: its ballot form, its validation and its pure tally.

Each module exposes `ID`, `TEMPLATE` (the ballot form's fields), `options(consultation)`
(the settings frozen into the vote's definition), `parse(formdata, candidates, options)`
(the ballot in the tadamon-ballots/1 shape, or a VoteError saying what to fix), `prefill(ballot)`
(the form's values for a ballot already cast) and `tally(candidates, ballots, options)`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tadamon.core.errors_domain import DomainError


class VoteError(DomainError):
    """A ballot that cannot be accepted, or a vote that cannot be cast; the message says why."""


def field_name(prefix: str, candidate: str) -> str:
    return f"{prefix}-{candidate}"


def choice(formdata: Any, name: str) -> str:
    value = formdata.get(name, "")
    return value if isinstance(value, str) else ""


def _modules() -> dict[str, ModuleType]:
    from tadamon.voting.methods import approval, majority_judgment, schulze, score, yes_no

    return {module.ID: module for module in (approval, score, majority_judgment, schulze, yes_no)}


METHOD_MODULES: dict[str, ModuleType] = {}


def method(method_id: str) -> ModuleType:
    if not METHOD_MODULES:
        METHOD_MODULES.update(_modules())
    return METHOD_MODULES[method_id]
