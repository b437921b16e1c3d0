"""Majority judgment: each proposal gets a grade; ranked by median grade, ties broken as
Balinski and Laraki define it (the majority-value sequence). An ungraded proposal counts as
graded Reject, the lowest grade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from tadamon.voting.methods import common
from tadamon.voting.methods.base import Figure, LevelMethodBase, Segment, rotated
from tadamon.voting.methods.common import Ballots, Result

if TYPE_CHECKING:  # numpy is imported where a count runs: web workers start without it
    import numpy as np

# Worst first, as in the ballot file; the stored names are English, the labels translated.
DEFAULT_GRADES = ["Reject", "Poor", "Fair", "Good", "Very good", "Excellent"]
GRADE_LABELS = [_l("Reject"), _l("Poor"), _l("Fair"), _l("Good"), _l("Very good"), _l("Excellent")]


def lower_median(histogram: list[int]) -> int:
    """The lower median grade of a histogram (index 0 = worst)."""
    position = (sum(histogram) + 1) // 2  # the lower median of an even count
    running = 0
    for grade, number in enumerate(histogram):
        running += number
        if running >= position:
            return grade
    return 0


def removal_order(size: int) -> np.ndarray:
    """Positions, in a sorted list of `size` grades, of the successive lower medians when each
    is removed in turn (Balinski–Laraki): odd sizes go m, m-1, m+1, m-2, ...; even sizes
    m, m+1, m-1, m+2, ... where m is the lower median's position."""
    import numpy as np

    middle = (size - 1) // 2
    order = [middle]
    below, above = middle - 1, middle + 1
    take_below = size % 2 == 1
    while len(order) < size:
        if (take_below and below >= 0) or above >= size:
            order.append(below)
            below -= 1
        else:
            order.append(above)
            above += 1
        take_below = not take_below
    return np.asarray(order, dtype=np.int64)


def majority_sequence(histogram: list[int], order: np.ndarray) -> tuple[int, ...]:
    """The majority-value sequence: majority grade, then the next once it is removed, ..."""
    import numpy as np

    grades = np.repeat(np.arange(len(histogram)), histogram)
    return tuple(grades[order].tolist())


def histograms_of(candidates: Sequence[str], ballots: Ballots, levels: int) -> dict[str, list[int]]:
    """How many ballots gave each candidate each grade (an absent grade is the worst)."""
    histograms = {c: [0] * levels for c in candidates}

    def is_grade(value: Any) -> bool:
        return common.is_whole(value) and 0 <= value < levels

    for given, weight in common.levels_given(ballots, "grades", histograms, is_grade,
                                             "grade", f"an index into the {levels} grades"):
        for candidate in candidates:
            histograms[candidate][given.get(candidate, 0)] += weight
    return histograms


class MajorityJudgment(LevelMethodBase):
    id = "majority_judgment"
    label = _l("Majority judgment")
    explanation = _l("Each proposal gets a grade from Reject to Excellent; proposals are ranked by their median grade.")
    template = "voting/methods/majority_judgment.html"
    prefix = "grade"
    grade_labels = GRADE_LABELS
    ballot_key = "grades"
    unset = "0"  # an ungraded proposal is graded Reject, as the ballot tells the voter
    invalid = _l("Choose one of the grades.")

    def options(self, consultation: Any) -> dict[str, Any]:
        return {"grades": list(DEFAULT_GRADES)}

    def levels(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {str(level): level for level in range(len(options["grades"]))}

    def level_label(self, level: Any) -> str:
        return str(GRADE_LABELS[level])

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        import numpy as np

        grades = options.get("grades") or DEFAULT_GRADES
        histograms = histograms_of(candidates, ballots, len(grades))
        order = removal_order(sum(histograms[candidates[0]])) if candidates else np.zeros(0, dtype=np.int64)
        # Comparing these sequences lexicographically is the Balinski–Laraki ranking.
        keys = {c: majority_sequence(histograms[c], order) for c in candidates}
        ranking = common.tiers_by(candidates, keys)
        majority = {c: grades[lower_median(histograms[c])] if sum(histograms[c]) else grades[0] for c in candidates}
        return Result(ranking[0] if ranking else [], ranking,
                      {"majority_grade": majority, "grades": grades, "histograms": histograms})

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        grade = details["grades"].index(details["majority_grade"][key])
        return Figure(_("majority grade: %(grade)s", grade=GRADE_LABELS[grade]),
                      [Segment(count, f"seg-grade-{level}", str(GRADE_LABELS[level]))
                       for level, count in enumerate(details["histograms"][key])])

    def legend(self) -> list[Segment]:
        return [Segment(0, f"seg-grade-{level}", str(label)) for level, label in enumerate(GRADE_LABELS)]

    def how_counted(self) -> list[str]:
        return [_("Ranked by the majority grade (the median); ties are broken by removing median grades one "
                  "at a time, as Balinski and Laraki define it. An ungraded proposal counts as Reject.")]

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict({common.field_name(self.prefix, key): str(max(0, 5 - position - number % 2))
                          for position, key in enumerate(rotated(candidates, number))})
