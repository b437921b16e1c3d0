"""Ranked choice, counted by the Schulze method (winning votes).

Each organisation numbers the proposals it ranks: 1 for its first choice; equal numbers are
ties; unnumbered proposals rank below every numbered one. Pairwise counts are vectorised
with NumPy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from tadamon.voting.methods import common
from tadamon.voting.methods.base import Figure, MethodBase, Segment, Titles, VoteError, rotated
from tadamon.voting.methods.common import BallotError, Ballots, Result

if TYPE_CHECKING:  # numpy is imported where a count runs: web workers start without it
    import numpy as np


def rank_matrix(candidates: Sequence[str], ballots: Ballots) -> tuple[np.ndarray, np.ndarray]:
    """Each ballot's rank of each candidate (0 = first tier; unranked: below every tier), and its weight."""
    import numpy as np

    index = {c: i for i, c in enumerate(candidates)}
    rows, weights = [], []
    for ballot in ballots:
        tiers = ballot.get("ranking", [])
        if not isinstance(tiers, list) or not all(isinstance(tier, list) for tier in tiers):
            raise BallotError("'ranking' must be a list of tiers (lists of candidates), best first")
        ranks = np.full(len(candidates), len(tiers), dtype=np.int32)
        seen: set[str] = set()
        for position, tier in enumerate(tiers):
            for candidate in tier:
                common.check_candidate(candidate, index)
                if candidate in seen:
                    raise BallotError(f"candidate {candidate!r} appears twice in a ranking")
                seen.add(candidate)
                ranks[index[candidate]] = position
        rows.append(ranks)
        weights.append(common.count_of(ballot))
    if not rows:
        return np.zeros((0, len(candidates)), dtype=np.int32), np.zeros(0, dtype=np.int64)
    return np.vstack(rows), np.asarray(weights, dtype=np.int64)


def pairwise_preferences(ranks: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d[x, y] = number of ballots ranking x strictly above y.

    One row at a time: compare candidate x's rank with every other's across all ballots
    (a ballots × candidates boolean matrix) and weight it with one matrix-vector product.
    """
    import numpy as np

    size = ranks.shape[1]
    counts = np.zeros((size, size), dtype=np.int64)
    if ranks.shape[0] == 0:
        return counts
    float_weights = weights.astype(np.float64)
    for x in range(size):
        above = ranks[:, x][:, None] < ranks
        counts[x] = np.rint(float_weights @ above).astype(np.int64)
    return counts


def strongest_paths(d: np.ndarray) -> np.ndarray:
    """Link strength by winning votes (Schulze's original definition), widened Floyd–Warshall style."""
    import numpy as np

    p = np.where(d > d.T, d, 0)
    for k in range(d.shape[0]):
        p = np.maximum(p, np.minimum(p[:, k][:, None], p[k, :][None, :]))
    return p


def tiers_of(candidates: Sequence[str], beats: np.ndarray) -> list[list[str]]:
    """Tiers, best first: each holds the remaining candidates no remaining one beats."""
    remaining = list(range(len(candidates)))
    ranking: list[list[str]] = []
    while remaining:
        tier = [i for i in remaining if not any(beats[j, i] for j in remaining)]
        if not tier:  # cannot happen (the Schulze relation is transitive); never loop forever
            tier = remaining[:]
        ranking.append([candidates[i] for i in tier])
        remaining = [i for i in remaining if i not in tier]
    return ranking


def by_pair(names: Sequence[str], matrix: np.ndarray) -> dict[str, dict[str, int]]:
    return {x: {y: int(matrix[i, j]) for j, y in enumerate(names) if i != j} for i, x in enumerate(names)}


class Schulze(MethodBase):
    id = "schulze"
    label = _l("Ranked choice (Schulze)")
    explanation = _l("Each organisation ranks the proposals; the Schulze method finds the order preferred by the majority.")
    template = "voting/methods/schulze.html"
    prefix = "rank"

    def parse(self, formdata: Any, candidates: Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
        numbered: dict[int, list[str]] = {}
        for candidate, sent in self.sent(formdata, candidates).items():
            value = sent.strip()
            if value == "":
                continue
            if not value.isdigit() or not 1 <= int(value) <= len(candidates):
                raise VoteError(_l("A rank is a number from 1 to %(count)s, or empty to leave the proposal unranked.",
                                   count=len(candidates)))
            numbered.setdefault(int(value), []).append(candidate)
        # Tiers best first; the numbers only order them (1, 1, 3 and 1, 1, 2 are the same ranking).
        return {"ranking": [numbered[number] for number in sorted(numbered)]}

    def prefill(self, ballot: Mapping[str, Any]) -> dict[str, Any]:
        return {candidate: str(position) for position, tier in enumerate(ballot.get("ranking", []), 1)
                for candidate in tier}

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        d = pairwise_preferences(*rank_matrix(candidates, ballots))
        p = strongest_paths(d)
        beats = p > p.T
        winners = [c for i, c in enumerate(candidates) if not beats[:, i].any()]
        return Result(winners, tiers_of(candidates, beats),
                      {"pairwise": by_pair(candidates, d), "strongest_paths": by_pair(candidates, p)})

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        paths = details["strongest_paths"]
        beaten = sum(1 for other, strength in paths[key].items() if strength > paths[other][key])
        return Figure(_("beats %(count)s other proposals by the strongest paths", count=format_decimal(beaten)),
                      [Segment(beaten, "seg-yes", _("Proposals beaten"))])

    def scale(self, results: Mapping[str, Any]) -> float:
        return float(max(len(results["details"]["strongest_paths"]) - 1, 1))

    def how_counted(self) -> list[str]:
        return [_("Counted by the Schulze method: a proposal ranks above another when its strongest chain of "
                  "majorities over it is stronger (winning votes).")]

    def pairwise(self, details: Mapping[str, Any], keys: list[str]) -> list[tuple[str, list[str]]] | None:
        return [(key, [("—" if key == other else format_decimal(details["pairwise"][key][other])) for other in keys])
                for key in keys]

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        return "; ".join(f"{format_decimal(position)}. " + " = ".join(title(key) for key in tier)
                         for position, tier in enumerate(ballot.get("ranking", []), 1)) or _("Ranked none")

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict({common.field_name(self.prefix, key): str(position + 1)
                          for position, key in enumerate(rotated(candidates, number)[:3])})
