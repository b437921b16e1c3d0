"""Score voting: each proposal scored 0–5, or left unscored.

Ranked by the mean of the scores it received (an unscored proposal does not pull its mean
down); the totals are shown beside the means. Equal means share a rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.voting.methods import VoteError, choice, field_name
from tadamon.voting.tally import tally_score as tally  # noqa: F401 - the method's pure tally

ID = "score"
TEMPLATE = "voting/methods/score.html"
FIELD_PREFIX = "score"
SCORES = range(0, 6)


def options(consultation: Any) -> dict[str, Any]:
    return {}


def parse(formdata: Any, candidates: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    scores: dict[str, int] = {}
    for candidate in candidates:
        value = choice(formdata, field_name("score", candidate))
        if value == "":
            continue
        if value not in {str(s) for s in SCORES}:
            raise VoteError(_l("A score is a whole number from 0 to 5."), field=field_name("score", candidate))
        scores[candidate] = int(value)
    return {"scores": scores}


def prefill(ballot: dict[str, Any]) -> dict[str, Any]:
    return {candidate: str(score) for candidate, score in ballot.get("scores", {}).items()}
