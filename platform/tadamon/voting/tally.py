"""Tallying a ballot file (`tadamon-ballots/1`, documented in README.md): the format's checks,
then the method's own pure tally, found in the registry. No database.

Every tally returns `winners` (the co-winners under the method's definition, ties not
broken), `ranking` (tiers, best first) and method-specific `details`.
"""

from __future__ import annotations

from typing import Any

from tadamon.voting.methods import REGISTRY, BallotError, Result

FORMAT = "tadamon-ballots/1"

__all__ = ["FORMAT", "BallotError", "Result", "tally_document"]


def _field(document: dict[str, Any], name: str, valid: Any, problem: str, default: Any = None) -> Any:
    value = document.get(name, default)
    if not valid(value):
        raise BallotError(problem)
    return value


def _distinct_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(c, str) for c in value) and len(set(value)) == len(value)


def tally_document(document: Any) -> Result:
    """Tallies one parsed ballot file; raises BallotError naming what is wrong."""
    if not isinstance(document, dict):
        raise BallotError("the file must hold one JSON object")
    if document.get("format") != FORMAT:
        raise BallotError(f"'format' must be {FORMAT!r}")
    method = document.get("method")
    if not isinstance(method, str) or method not in REGISTRY:
        raise BallotError(f"unknown method {method!r}; expected one of {', '.join(sorted(REGISTRY))}")
    candidates = _field(document, "candidates", _distinct_strings, "'candidates' must be a list of distinct strings")
    options = _field(document, "options", lambda v: isinstance(v, dict), "'options' must be an object", {})
    ballots = _field(document, "ballots", lambda v: isinstance(v, list) and all(isinstance(b, dict) for b in v),
                     "'ballots' must be a list of objects")
    return REGISTRY[method].tally(candidates, ballots, options)
