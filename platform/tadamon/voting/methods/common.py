"""What the tallies share, pure and database-free: the result shape, ballot errors, weights,
tiers of equal keys, and reading a ballot form's fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Ballots = Iterable[dict[str, Any]]


class BallotError(ValueError):
    """A ballot or a ballot file that does not follow the format; the message says why."""


@dataclass
class Result:
    winners: list[str]
    ranking: list[list[str]]
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"winners": self.winners, "ranking": self.ranking, "details": self.details}


def is_whole(value: Any) -> bool:
    """A whole number, as a ballot file writes one (JSON's true and false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool)


def count_of(ballot: Mapping[str, Any]) -> int:
    """How many identical ballots this one stands for (`count`, 1 when absent)."""
    count = ballot.get("count", 1)
    if not is_whole(count) or count < 1:
        raise BallotError(f"'count' must be a whole number of at least 1, not {count!r}")
    return count


class NumberedBallots:
    """Iterates ballots, remembering the number of the one being read (from 1)."""

    def __init__(self, ballots: Ballots) -> None:
        self.ballots = ballots
        self.number: int | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for number, ballot in enumerate(self.ballots, 1):
            if not isinstance(ballot, dict):
                raise BallotError(f"ballot {number}: a ballot must be an object")
            self.number = number
            yield ballot


def count_numbered(count: Callable[[Sequence[str], Ballots, dict[str, Any]], Result],
                   candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
    """Runs a method's count; a BallotError raised while reading a ballot names its number."""
    numbered = NumberedBallots(ballots)
    try:
        return count(candidates, numbered, options)
    except BallotError as error:
        if numbered.number is not None and not str(error).startswith("ballot "):
            raise BallotError(f"ballot {numbered.number}: {error}") from None
        raise


def tiers_by(candidates: Sequence[str], keys: Mapping[str, Any], reverse: bool = True) -> list[list[str]]:
    """Groups candidates with equal keys into tiers, best first (candidate order inside)."""
    ordered = sorted(candidates, key=lambda c: keys[c], reverse=reverse)
    tiers: list[list[str]] = []
    for candidate in ordered:
        if tiers and keys[tiers[-1][0]] == keys[candidate]:
            tiers[-1].append(candidate)
        else:
            tiers.append([candidate])
    order = list(candidates)
    return [sorted(tier, key=order.index) for tier in tiers]


def check_candidate(candidate: str, known: Mapping[str, Any]) -> None:
    if candidate not in known:
        raise BallotError(f"unknown candidate {candidate!r}")


def levels_given(ballots: Ballots, key: str, known: Mapping[str, Any], valid: Callable[[Any], bool],
                 level: str, scale: str) -> Iterator[tuple[dict[str, Any], int]]:
    """Each ballot's levels (candidate -> level, under `key`) and its weight, once every
    candidate is known and every level `valid`; errors call a level `level` and say what it
    must be (`scale`)."""
    for ballot in ballots:
        given = ballot.get(key, {})
        if not isinstance(given, dict):
            raise BallotError(f"'{key}' must map candidates to {level}s")
        weight = count_of(ballot)
        for candidate, value in given.items():
            check_candidate(candidate, known)
            if not valid(value):
                raise BallotError(f"{level} {value!r} for {candidate!r} is not {scale}")
        yield given, weight


def field_name(prefix: str, candidate: str) -> str:
    """The ballot form's input for one candidate: `<prefix>-<candidate>`."""
    return f"{prefix}-{candidate}"


def choice(formdata: Any, name: str) -> str:
    """The text sent for one input ("" when absent or not text)."""
    value = formdata.get(name, "")
    return value if isinstance(value, str) else ""
