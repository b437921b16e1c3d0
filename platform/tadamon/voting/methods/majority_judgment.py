"""Majority judgment: each proposal gets a grade; ranked by median grade, ties broken as
Balinski and Laraki define it (the majority-value sequence). An ungraded proposal counts as
graded Reject, the lowest grade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.voting.methods import VoteError, choice, field_name
from tadamon.voting.tally import DEFAULT_GRADES
from tadamon.voting.tally import tally_majority_judgment as tally  # noqa: F401 - the method's pure tally

ID = "majority_judgment"
TEMPLATE = "voting/methods/majority_judgment.html"
FIELD_PREFIX = "grade"
# Worst first, as in the ballot file; the stored names are English, the labels translated.
GRADE_LABELS = [_l("Reject"), _l("Poor"), _l("Fair"), _l("Good"), _l("Very good"), _l("Excellent")]


def options(consultation: Any) -> dict[str, Any]:
    return {"grades": list(DEFAULT_GRADES)}


def parse(formdata: Any, candidates: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    grades: dict[str, int] = {}
    levels = len(settings["grades"])
    for candidate in candidates:
        value = choice(formdata, field_name("grade", candidate))
        if value == "":
            # An ungraded proposal is graded Reject, as the ballot tells the voter.
            value = "0"
        if value not in {str(level) for level in range(levels)}:
            raise VoteError(_l("Choose one of the grades."), field=field_name("grade", candidate))
        grades[candidate] = int(value)
    return {"grades": grades}


def prefill(ballot: dict[str, Any]) -> dict[str, Any]:
    return {candidate: str(grade) for candidate, grade in ballot.get("grades", {}).items()}
