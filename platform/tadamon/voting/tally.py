"""Pure tallies of the five voting methods: ballots in, results out, no database.

The ballot file format (`tadamon-ballots/1`) is documented in README.md. Every tally returns
`winners` (the co-winners under the method's definition, ties not broken), `ranking` (tiers,
best first) and method-specific `details`. Pairwise counts are vectorised with NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "tadamon-ballots/1"
DEFAULT_GRADES = ["Reject", "Poor", "Fair", "Good", "Very good", "Excellent"]


class BallotError(ValueError):
    """A ballot or a ballot file that does not follow the format; the message says why."""


@dataclass
class Result:
    winners: list[str]
    ranking: list[list[str]]
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"winners": self.winners, "ranking": self.ranking, "details": self.details}


def _count(ballot: dict[str, Any]) -> int:
    count = ballot.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BallotError(f"'count' must be a whole number of at least 1, not {count!r}")
    return count


class _Numbered:
    """Iterates ballots, and prefixes any BallotError raised while handling one with its number."""

    def __init__(self, ballots: Iterable[dict[str, Any]]) -> None:
        self.ballots = ballots

    def __iter__(self) -> Any:
        for number, ballot in enumerate(self.ballots, 1):
            if not isinstance(ballot, dict):
                raise BallotError(f"ballot {number}: a ballot must be an object")
            self.number = number
            yield ballot


def _numbered(function: Any) -> Any:
    def wrapper(candidates: Sequence[str], ballots: Iterable[dict[str, Any]], options: dict[str, Any]) -> Result:
        numbered = _Numbered(ballots)
        try:
            return function(candidates, numbered, options)
        except BallotError as error:
            number = getattr(numbered, "number", None)
            if number is not None and not str(error).startswith("ballot "):
                raise BallotError(f"ballot {number}: {error}") from None
            raise

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def _tiers_from_scores(candidates: Sequence[str], keys: dict[str, Any], reverse: bool = True) -> list[list[str]]:
    """Groups candidates with equal keys into tiers, best first (candidate order inside)."""
    ordered = sorted(candidates, key=lambda c: keys[c], reverse=reverse)
    tiers: list[list[str]] = []
    for candidate in ordered:
        if tiers and keys[tiers[-1][0]] == keys[candidate]:
            tiers[-1].append(candidate)
        else:
            tiers.append([candidate])
    return [sorted(tier, key=list(candidates).index) for tier in tiers]


# --- approval ----------------------------------------------------------------------------------


@_numbered
def tally_approval(candidates: Sequence[str], ballots: Iterable[dict[str, Any]], options: dict[str, Any]) -> Result:
    limit = options.get("max_approvals")
    totals = dict.fromkeys(candidates, 0)
    for ballot in ballots:
        approvals = ballot.get("approvals", [])
        if not isinstance(approvals, list) or len(set(approvals)) != len(approvals):
            raise BallotError("'approvals' must be a list of distinct candidates")
        if limit is not None and len(approvals) > limit:
            raise BallotError(f"a ballot approves {len(approvals)} candidates, more than max_approvals={limit}")
        count = _count(ballot)
        for candidate in approvals:
            if candidate not in totals:
                raise BallotError(f"unknown candidate {candidate!r}")
            totals[candidate] += count
    ranking = _tiers_from_scores(candidates, totals)
    best = max(totals.values(), default=0)
    winners = [c for c in candidates if totals[c] == best] if candidates else []
    return Result(winners, ranking, {"approvals": totals})


# --- score -------------------------------------------------------------------------------------


@_numbered
def tally_score(candidates: Sequence[str], ballots: Iterable[dict[str, Any]], options: dict[str, Any]) -> Result:
    """Scores 0..5; ranked by mean score among the ballots that scored the candidate (absent =
    not scored), ties broken by nothing: equal means share a tier. Totals are in the details."""
    totals = dict.fromkeys(candidates, 0)
    scored = dict.fromkeys(candidates, 0)
    for ballot in ballots:
        scores = ballot.get("scores", {})
        if not isinstance(scores, dict):
            raise BallotError("'scores' must map candidates to scores")
        count = _count(ballot)
        for candidate, score in scores.items():
            if candidate not in totals:
                raise BallotError(f"unknown candidate {candidate!r}")
            if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 5:
                raise BallotError(f"score {score!r} for {candidate!r} is not a whole number from 0 to 5")
            totals[candidate] += score * count
            scored[candidate] += count
    means = {c: (totals[c] / scored[c] if scored[c] else 0.0) for c in candidates}
    # Compare means exactly as fractions (total × other's count), not as rounded floats.
    from fractions import Fraction

    exact = {c: (Fraction(totals[c], scored[c]) if scored[c] else Fraction(0)) for c in candidates}
    ranking = _tiers_from_scores(candidates, exact)
    winners = ranking[0] if ranking else []
    return Result(winners, ranking, {"mean": {c: round(means[c], 6) for c in candidates}, "total": totals,
                                     "scored_by": scored})


# --- majority judgment ---------------------------------------------------------------------------


def _lower_median(histogram: list[int]) -> int:
    """The lower median grade of a histogram (index 0 = worst)."""
    total = sum(histogram)
    position = (total + 1) // 2  # the lower median of an even count
    running = 0
    for grade, number in enumerate(histogram):
        running += number
        if running >= position:
            return grade
    return 0


def _removal_order(size: int) -> np.ndarray:
    """Positions, in a sorted list of `size` grades, of the successive lower medians when each
    is removed in turn (Balinski–Laraki): odd sizes go m, m-1, m+1, m-2, ...; even sizes
    m, m+1, m-1, m+2, ... where m is the lower median's position."""
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


def _majority_sequence(histogram: list[int], order: np.ndarray) -> tuple[int, ...]:
    """The majority-value sequence: majority grade, then the next once it is removed, ..."""
    grades = np.repeat(np.arange(len(histogram)), histogram)
    return tuple(grades[order].tolist())


@_numbered
def tally_majority_judgment(candidates: Sequence[str], ballots: Iterable[dict[str, Any]],
                            options: dict[str, Any]) -> Result:
    grades = options.get("grades") or DEFAULT_GRADES
    levels = len(grades)
    histograms = {c: [0] * levels for c in candidates}
    for ballot in ballots:
        given = ballot.get("grades", {})
        if not isinstance(given, dict):
            raise BallotError("'grades' must map candidates to grade indexes")
        count = _count(ballot)
        for candidate, grade in given.items():
            if candidate not in histograms:
                raise BallotError(f"unknown candidate {candidate!r}")
            if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade < levels:
                raise BallotError(f"grade {grade!r} for {candidate!r} is not an index into the {levels} grades")
        for candidate in candidates:
            histograms[candidate][given.get(candidate, 0)] += count  # absent = the worst grade
    order = _removal_order(sum(histograms[candidates[0]])) if candidates else np.zeros(0, dtype=np.int64)
    # Comparing these sequences lexicographically is the Balinski–Laraki ranking.
    keys = {c: _majority_sequence(histograms[c], order) for c in candidates}
    ordered = sorted(candidates, key=lambda c: keys[c], reverse=True)
    ranking: list[list[str]] = []
    for candidate in ordered:
        if ranking and keys[ranking[-1][0]] == keys[candidate]:
            ranking[-1].append(candidate)
        else:
            ranking.append([candidate])
    ranking = [sorted(tier, key=list(candidates).index) for tier in ranking]
    winners = ranking[0] if ranking else []
    majority = {c: grades[_lower_median(histograms[c])] if sum(histograms[c]) else grades[0] for c in candidates}
    return Result(winners, ranking, {"majority_grade": majority, "grades": grades,
                                     "histograms": histograms})


# --- Schulze -----------------------------------------------------------------------------------


def _rank_matrix(candidates: Sequence[str], ballots: Iterable[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(candidates)}
    rows, weights = [], []
    for ballot in ballots:
        tiers = ballot.get("ranking", [])
        if not isinstance(tiers, list) or not all(isinstance(tier, list) for tier in tiers):
            raise BallotError("'ranking' must be a list of tiers (lists of candidates), best first")
        ranks = np.full(len(candidates), len(tiers), dtype=np.int32)  # absent: below every tier
        seen: set[str] = set()
        for position, tier in enumerate(tiers):
            for candidate in tier:
                if candidate not in index:
                    raise BallotError(f"unknown candidate {candidate!r}")
                if candidate in seen:
                    raise BallotError(f"candidate {candidate!r} appears twice in a ranking")
                seen.add(candidate)
                ranks[index[candidate]] = position
        rows.append(ranks)
        weights.append(_count(ballot))
    if not rows:
        return np.zeros((0, len(candidates)), dtype=np.int32), np.zeros(0, dtype=np.int64)
    return np.vstack(rows), np.asarray(weights, dtype=np.int64)


def pairwise_preferences(ranks: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d[x, y] = number of ballots ranking x strictly above y.

    One row at a time: compare candidate x's rank with every other's across all ballots
    (a ballots × candidates boolean matrix) and weight it with one matrix-vector product.
    """
    size = ranks.shape[1]
    counts = np.zeros((size, size), dtype=np.int64)
    if ranks.shape[0] == 0:
        return counts
    float_weights = weights.astype(np.float64)
    for x in range(size):
        above = ranks[:, x][:, None] < ranks
        counts[x] = np.rint(float_weights @ above).astype(np.int64)
    return counts


@_numbered
def tally_schulze(candidates: Sequence[str], ballots: Iterable[dict[str, Any]], options: dict[str, Any]) -> Result:
    ranks, weights = _rank_matrix(candidates, ballots)
    d = pairwise_preferences(ranks, weights)
    # Link strength by winning votes (Schulze's original definition).
    p = np.where(d > d.T, d, 0)
    for k in range(len(candidates)):
        p = np.maximum(p, np.minimum(p[:, k][:, None], p[k, :][None, :]))
    beats = p > p.T
    winners = [c for i, c in enumerate(candidates) if not beats[:, i].any()]
    remaining = list(range(len(candidates)))
    ranking: list[list[str]] = []
    while remaining:
        tier = [i for i in remaining if not any(beats[j, i] for j in remaining)]
        if not tier:  # cannot happen (the Schulze relation is transitive); never loop forever
            tier = remaining[:]
        ranking.append([candidates[i] for i in tier])
        remaining = [i for i in remaining if i not in tier]
    names = list(candidates)
    return Result(winners, ranking, {
        "pairwise": {x: {y: int(d[i, j]) for j, y in enumerate(names) if i != j} for i, x in enumerate(names)},
        "strongest_paths": {x: {y: int(p[i, j]) for j, y in enumerate(names) if i != j} for i, x in enumerate(names)},
    })


# --- yes / no --------------------------------------------------------------------------------------


@_numbered
def tally_yes_no(candidates: Sequence[str], ballots: Iterable[dict[str, Any]], options: dict[str, Any]) -> Result:
    quorum = float(options.get("quorum", 0.5))
    threshold = float(options.get("threshold", 0.5))
    eligible = options.get("eligible")
    counts = {c: {"yes": 0, "no": 0, "abstain": 0} for c in candidates}
    participants = 0
    for ballot in ballots:
        votes = ballot.get("votes", {})
        if not isinstance(votes, dict):
            raise BallotError("'votes' must map candidates to yes, no or abstain")
        count = _count(ballot)
        participants += count
        for candidate, vote in votes.items():
            if candidate not in counts:
                raise BallotError(f"unknown candidate {candidate!r}")
            if vote not in ("yes", "no", "abstain"):
                raise BallotError(f"vote {vote!r} for {candidate!r} is not yes, no or abstain")
        for candidate in candidates:
            counts[candidate][votes.get(candidate, "abstain")] += count
    if eligible is None:
        eligible = participants
    quorum_met = eligible > 0 and participants >= quorum * eligible
    adopted = {
        c: quorum_met and counts[c]["yes"] > threshold * (counts[c]["yes"] + counts[c]["no"])
        for c in candidates
    }
    winners = [c for c in candidates if adopted[c]]
    from fractions import Fraction

    share = {c: (Fraction(counts[c]["yes"], counts[c]["yes"] + counts[c]["no"])
                 if counts[c]["yes"] + counts[c]["no"] else Fraction(0)) for c in candidates}
    keys = {c: (adopted[c], share[c]) for c in candidates}
    return Result(winners, _tiers_from_scores(candidates, keys), {
        "counts": counts, "adopted": adopted, "participants": participants, "eligible": eligible,
        "quorum": quorum, "threshold": threshold, "quorum_met": quorum_met,
        "yes_share": {c: (round(float(share[c]), 6) if not math.isnan(float(share[c])) else 0.0) for c in candidates},
    })


TALLIES = {
    "approval": tally_approval,
    "score": tally_score,
    "majority_judgment": tally_majority_judgment,
    "schulze": tally_schulze,
    "yes_no": tally_yes_no,
}


def tally_document(document: Any) -> Result:
    """Tallies one parsed ballot file; raises BallotError naming what is wrong."""
    if not isinstance(document, dict):
        raise BallotError("the file must hold one JSON object")
    if document.get("format") != FORMAT:
        raise BallotError(f"'format' must be {FORMAT!r}")
    method = document.get("method")
    if method not in TALLIES:
        raise BallotError(f"unknown method {method!r}; expected one of {', '.join(sorted(TALLIES))}")
    candidates = document.get("candidates")
    if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates) \
            or len(set(candidates)) != len(candidates):
        raise BallotError("'candidates' must be a list of distinct strings")
    options = document.get("options", {})
    if not isinstance(options, dict):
        raise BallotError("'options' must be an object")
    ballots = document.get("ballots")
    if not isinstance(ballots, list) or not all(isinstance(b, dict) for b in ballots):
        raise BallotError("'ballots' must be a list of objects")
    return TALLIES[method](candidates, ballots, options)
