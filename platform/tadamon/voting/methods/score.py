"""Score voting: each proposal scored 0–5, or left unscored.

Ranked by the mean of the scores it received (an unscored proposal does not pull its mean
down); the totals are shown beside the means. Equal means share a rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from tadamon.voting.methods import common
from tadamon.voting.methods.base import Figure, LevelMethodBase, Segment, Titles, rotated
from tadamon.voting.methods.common import Ballots, Result

SCORES = range(0, 6)


def is_score(value: Any) -> bool:
    return common.is_whole(value) and value in SCORES


class Score(LevelMethodBase):
    id = "score"
    label = _l("Score voting")
    explanation = _l("Each proposal is scored from 0 to 5; proposals are ranked by their mean score.")
    template = "voting/methods/score.html"
    prefix = "score"
    ballot_key = "scores"  # an unscored proposal is left out
    invalid = _l("A score is a whole number from 0 to 5.")

    def levels(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {str(score): score for score in SCORES}

    def level_label(self, level: Any) -> str:
        return format_decimal(level)

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        """Ranked by mean score among the ballots that scored the candidate (absent = not
        scored); equal means share a tier. Totals are in the details."""
        totals = dict.fromkeys(candidates, 0)
        scored = dict.fromkeys(candidates, 0)
        for scores, weight in common.levels_given(ballots, "scores", totals, is_score,
                                                  "score", "a whole number from 0 to 5"):
            for candidate, score in scores.items():
                totals[candidate] += score * weight
                scored[candidate] += weight
        # Compare means exactly as fractions, not as rounded floats.
        exact = {c: (Fraction(totals[c], scored[c]) if scored[c] else Fraction(0)) for c in candidates}
        ranking = common.tiers_by(candidates, exact)
        return Result(ranking[0] if ranking else [], ranking, {
            "mean": {c: round(float(exact[c]), 6) for c in candidates}, "total": totals, "scored_by": scored})

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        mean, total = details["mean"][key], details["total"][key]
        return Figure(_("mean %(mean)s out of 5, total %(total)s, scored by %(count)s",
                        mean=format_decimal(mean, format="0.##"), total=format_decimal(total),
                        count=format_decimal(details["scored_by"][key])),
                      [Segment(mean, "seg-yes", _("Mean score"))])

    def scale(self, results: Mapping[str, Any]) -> float:
        return 5.0

    def how_counted(self) -> list[str]:
        return [_("Ranked by the mean of the scores each proposal received; a proposal left unscored by an "
                  "organisation is not counted in its mean.")]

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        return super().summarise(ballot, title) or _("Scored none")

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict({common.field_name(self.prefix, key): str((5 - position + number) % 6)
                          for position, key in enumerate(rotated(candidates, number))})
