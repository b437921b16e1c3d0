"""Yes / no on each proposal: adopted when a quorum of the eligible organisations took part
(any ballot counts, abstentions included) and yes > threshold × (yes + no)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from tadamon.core.errors_domain import DomainError
from tadamon.voting.methods import common
from tadamon.voting.methods.base import (
    Figure,
    LevelMethodBase,
    Names,
    Segment,
    rotated,
)
from tadamon.voting.methods.common import Ballots, Result

VOTES = ("yes", "no", "abstain")
VOTE_LABELS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}


def counts_of(candidates: Sequence[str], ballots: Ballots) -> tuple[dict[str, dict[str, int]], int]:
    """Yes, no and abstain per candidate (absent = abstain), and how many ballots took part."""
    counts = {c: dict.fromkeys(VOTES, 0) for c in candidates}
    participants = 0
    for votes, weight in common.levels_given(ballots, "votes", counts, VOTES.__contains__,
                                             "vote", "yes, no or abstain"):
        participants += weight
        for candidate in candidates:
            counts[candidate][votes.get(candidate, "abstain")] += weight
    return counts, participants


def yes_share(counts: Mapping[str, int]) -> Fraction:
    decided = counts["yes"] + counts["no"]
    return Fraction(counts["yes"], decided) if decided else Fraction(0)


class YesNo(LevelMethodBase):
    id = "yes_no"
    label = _l("Yes / no on each proposal")
    explanation = _l("Each proposal is adopted when enough organisations take part and enough of them say yes.")
    settings: tuple[str, ...] = ("quorum", "threshold")
    template = "voting/methods/yes_no.html"
    prefix = "vote"
    vote_labels = VOTE_LABELS
    ballot_key = "votes"
    unset = "abstain"
    invalid = _l("Answer yes, no or abstain.")

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        for name in self.settings:
            value = settings.get(name)
            if value is None or not 0 < value <= 1:
                raise DomainError(_l("Give a share between 0 and 1, for example 0.5."), field=name)

    def options(self, consultation: Any) -> dict[str, Any]:
        return {"quorum": consultation.quorum if consultation.quorum is not None else 0.5,
                "threshold": consultation.threshold if consultation.threshold is not None else 0.5}

    def levels(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {vote: vote for vote in VOTES}

    def level_label(self, level: Any) -> str:
        return str(VOTE_LABELS[level])

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        quorum = float(options.get("quorum", 0.5))
        threshold = float(options.get("threshold", 0.5))
        counts, participants = counts_of(candidates, ballots)
        eligible = options.get("eligible")
        if eligible is None:
            eligible = participants
        quorum_met = eligible > 0 and participants >= quorum * eligible
        adopted = {c: quorum_met and counts[c]["yes"] > threshold * (counts[c]["yes"] + counts[c]["no"])
                   for c in candidates}
        share = {c: yes_share(counts[c]) for c in candidates}
        ranking = common.tiers_by(candidates, {c: (adopted[c], share[c]) for c in candidates})
        return Result([c for c in candidates if adopted[c]], ranking, {
            "counts": counts, "adopted": adopted, "participants": participants, "eligible": eligible,
            "quorum": quorum, "threshold": threshold, "quorum_met": quorum_met,
            "yes_share": {c: round(float(share[c]), 6) for c in candidates},
        })

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        counts = details["counts"][key]
        return Figure(_("%(yes)s yes, %(no)s no, %(abstain)s abstentions", yes=format_decimal(counts["yes"]),
                        no=format_decimal(counts["no"]), abstain=format_decimal(counts["abstain"])),
                      [Segment(counts[v], f"seg-{v}", str(VOTE_LABELS[v])) for v in VOTES],
                      adopted=bool(details["adopted"][key]))

    def legend(self) -> list[Segment]:
        return [Segment(0, f"seg-{v}", str(VOTE_LABELS[v])) for v in VOTES]

    def winners_sentence(self, results: Mapping[str, Any], names: Names) -> str:
        if not results["winners"]:
            return _("No proposal is adopted.")
        return _("Adopted: %(proposals)s.", proposals=names(results["winners"]))

    def verdict(self, details: Mapping[str, Any]) -> list[str]:
        eligible = details["eligible"]
        return [
            _("Quorum: %(participants)s of %(eligible)s eligible organisations took part (%(share)s); "
              "%(required)s was required: %(verdict)s.",
              participants=format_decimal(details["participants"]), eligible=format_decimal(eligible),
              share=format_percent(details["participants"] / eligible if eligible else 0),
              required=format_percent(details["quorum"]),
              verdict=_("met") if details["quorum_met"] else _("not met")),
            _("A proposal is adopted when yes is more than %(threshold)s of yes and no together.",
              threshold=format_percent(details["threshold"])),
        ]

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict({common.field_name(self.prefix, key): VOTES[(position + number) % 3 if position else 0]
                          for position, key in enumerate(rotated(candidates, number))})
