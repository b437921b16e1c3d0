"""Ranked choice, counted by the Schulze method (winning votes).

Each organisation numbers the proposals it ranks: 1 for its first choice; equal numbers are
ties; unnumbered proposals rank below every numbered one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.voting.methods import VoteError, choice, field_name
from tadamon.voting.tally import tally_schulze as tally  # noqa: F401 - the method's pure tally

ID = "schulze"
TEMPLATE = "voting/methods/schulze.html"
FIELD_PREFIX = "rank"


def options(consultation: Any) -> dict[str, Any]:
    return {}


def parse(formdata: Any, candidates: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    numbered: dict[int, list[str]] = {}
    for candidate in candidates:
        value = choice(formdata, field_name("rank", candidate)).strip()
        if value == "":
            continue
        if not value.isdigit() or not 1 <= int(value) <= len(candidates):
            raise VoteError(_l("A rank is a number from 1 to %(count)s, or empty to leave the proposal unranked.",
                               count=len(candidates)), field=field_name("rank", candidate))
        numbered.setdefault(int(value), []).append(candidate)
    # Tiers best first; the numbers only order them (1, 1, 3 and 1, 1, 2 are the same ranking).
    return {"ranking": [numbered[number] for number in sorted(numbered)]}


def prefill(ballot: dict[str, Any]) -> dict[str, Any]:
    return {candidate: str(position) for position, tier in enumerate(ballot.get("ranking", []), 1)
            for candidate in tier}
