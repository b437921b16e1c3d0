"""What a voting method is (the `VotingMethod` protocol), the defaults most methods share
(`MethodBase`, and `LevelMethodBase` for methods that give each candidate a level), and the
one registry of methods by id.

A method is one class in `voting/methods/<id>.py` and one ballot template: its label and
explanation, the consultation settings it uses and their validation, the options frozen into
a vote's definition, how its ballot form is read back (`parse`, `prefill`, `typed`), its pure
`tally`, and how its results and ballots read (`figure`, `legend`, notes, `summarise`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from tadamon.core.errors_domain import DomainError
from tadamon.voting.methods.common import Ballots, Result, choice, count_numbered, field_name

# A candidate's key -> its title, as the results page shows it.
Titles = Callable[[str], str]
# A list of candidate keys -> their quoted titles, joined.
Names = Callable[[list[str]], str]


class VoteError(DomainError):
    """A ballot that cannot be accepted, or a vote that cannot be cast; the message says why.

    A ballot is accepted or refused as a whole: the ballot page shows the refusal once, above
    the ballot, under its form's `ballot` entry."""

    field = "ballot"


@dataclass
class Segment:
    """One coloured part of a result bar (or a legend entry when its value is 0)."""

    value: float
    css_class: str
    label: str


@dataclass
class Figure:
    """A candidate's result in words and bars (and, for methods that adopt, whether it is)."""

    text: str
    segments: list[Segment] = field(default_factory=list)
    adopted: bool | None = None


class VotingMethod(Protocol):
    id: str
    label: Any  # lazy strings: translated when shown
    explanation: Any
    settings: tuple[str, ...]  # the consultation's settings it uses, e.g. ("quorum", "threshold")
    template: str  # the ballot's fields, included in voting/ballot.html

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        """Refuses settings the method cannot run with: a DomainError naming the field."""

    def options(self, consultation: Any) -> dict[str, Any]:
        """The settings frozen into the vote's definition when voting opens."""

    def parse(self, formdata: Any, candidates: Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
        """The ballot form as a tadamon-ballots/1 ballot, or a VoteError saying what to fix."""

    def prefill(self, ballot: Mapping[str, Any]) -> dict[str, Any]:
        """The form's values (by candidate) for a ballot already cast."""

    def typed(self, formdata: Any, candidates: Sequence[str]) -> dict[str, Any]:
        """The form's values (by candidate) as sent, even when they do not validate."""

    def tally(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        """Pure: ballots in, `Result` out; a BallotError names a ballot that breaks the format."""

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        """One candidate's result in words and bars."""

    def scale(self, results: Mapping[str, Any]) -> float:
        """The value a full-length bar stands for."""

    def legend(self) -> list[Segment]:
        """What the bars' colours mean, when they mean more than one thing."""

    def winners_sentence(self, results: Mapping[str, Any], names: Names) -> str:
        """The results page's headline."""

    def verdict(self, details: Mapping[str, Any]) -> list[str]:
        """Notes shown before the ties: what decided the outcome."""

    def how_counted(self) -> list[str]:
        """Notes shown after the ties: how the method ranks."""

    def pairwise(self, details: Mapping[str, Any], keys: list[str]) -> list[tuple[str, list[str]]] | None:
        """A table of pairwise preferences, for methods that count them."""

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        """One public ballot in words."""

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        """A plausible ballot form for the demo data; organisations differ by their number."""


class MethodBase:
    """Defaults for a method: no settings, fields named `<prefix>-<candidate>`, bars scaled to
    the participants, no legend, no notes. A subclass sets the class attributes and writes
    `parse`, `prefill`, `count` (its tally, given numbered ballots) and `figure`."""

    id: str
    label: Any
    explanation: Any
    settings: tuple[str, ...] = ()
    template: str
    prefix: str  # the ballot form's inputs: `<prefix>-<candidate>`

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        return None

    def options(self, consultation: Any) -> dict[str, Any]:
        return {}

    def sent(self, formdata: Any, candidates: Sequence[str]) -> dict[str, str]:
        """Each candidate's input as sent ("" when absent)."""
        return {c: choice(formdata, field_name(self.prefix, c)) for c in candidates}

    def typed(self, formdata: Any, candidates: Sequence[str]) -> dict[str, Any]:
        return {c: value for c, value in self.sent(formdata, candidates).items() if value}

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        raise NotImplementedError

    def tally(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        return count_numbered(self.count, candidates, ballots, options)

    def scale(self, results: Mapping[str, Any]) -> float:
        return float(max(results["participants"], 1))

    def legend(self) -> list[Segment]:
        return []

    def winners_sentence(self, results: Mapping[str, Any], names: Names) -> str:
        winners = results["winners"]
        if not results["participants"]:
            return _("No organisation voted.")
        if len(winners) == 1:
            return _("%(proposal)s comes first.", proposal=names(winners))
        return _("%(proposals)s are tied for first place; the method does not break this tie.",
                 proposals=names(winners))

    def verdict(self, details: Mapping[str, Any]) -> list[str]:
        return []

    def how_counted(self) -> list[str]:
        return []

    def pairwise(self, details: Mapping[str, Any], keys: list[str]) -> list[tuple[str, list[str]]] | None:
        return None

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict()


class LevelMethodBase(MethodBase):
    """A method where each candidate gets one level from a short scale (a score, a grade, a
    yes/no): the ballot maps candidates to levels under `ballot_key`. A subclass names its
    `levels` (the values the form sends -> the values the ballot stores), what a candidate
    left without a level counts as (`unset`; "" leaves it out of the ballot), the refusal for
    a value off the scale (`invalid`), and how one level reads (`level_label`)."""

    ballot_key: str
    unset: str = ""
    invalid: Any  # a lazy string

    def levels(self, options: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def level_label(self, level: Any) -> str:
        raise NotImplementedError

    def parse(self, formdata: Any, candidates: Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
        levels = self.levels(options)
        given: dict[str, Any] = {}
        for candidate, sent in self.sent(formdata, candidates).items():
            value = sent or self.unset
            if not value:
                continue
            if value not in levels:
                raise VoteError(self.invalid)
            given[candidate] = levels[value]
        return {self.ballot_key: given}

    def prefill(self, ballot: Mapping[str, Any]) -> dict[str, Any]:
        return {candidate: str(level) for candidate, level in ballot.get(self.ballot_key, {}).items()}

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        return "; ".join(f"{title(key)}: {self.level_label(level)}"
                         for key, level in ballot.get(self.ballot_key, {}).items())


def rotated(candidates: list[str], number: int) -> list[str]:
    """The candidates starting at `number` (mod their count): sample ballots that differ."""
    start = number % len(candidates)
    return candidates[start:] + candidates[:start]


# --- the registry ----------------------------------------------------------------------------

REGISTRY: dict[str, VotingMethod] = {}


def register(method: VotingMethod) -> VotingMethod:
    """Adds a method (replacing one with the same id); the catalogue keeps the order of registration."""
    REGISTRY[method.id] = method
    return method


def unregister(method_id: str) -> None:
    REGISTRY.pop(method_id, None)


def get_method(method_id: str) -> VotingMethod:
    """The method with this id; LookupError when no method has it."""
    try:
        return REGISTRY[method_id]
    except KeyError:
        raise LookupError(f"unknown voting method {method_id!r}") from None


def all_methods() -> dict[str, VotingMethod]:
    """The catalogue the workshops module offers consultations (the `voting_methods` hook)."""
    return REGISTRY
