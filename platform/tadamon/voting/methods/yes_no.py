"""Yes / no on each proposal: adopted when a quorum of the eligible organisations took part
(any ballot counts, abstentions included) and yes > threshold × (yes + no)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.voting.methods import VoteError, choice, field_name
from tadamon.voting.tally import tally_yes_no as tally  # noqa: F401 - the method's pure tally

ID = "yes_no"
TEMPLATE = "voting/methods/yes_no.html"
FIELD_PREFIX = "vote"
VOTES = ("yes", "no", "abstain")
VOTE_LABELS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}


def options(consultation: Any) -> dict[str, Any]:
    return {"quorum": consultation.quorum if consultation.quorum is not None else 0.5,
            "threshold": consultation.threshold if consultation.threshold is not None else 0.5}


def parse(formdata: Any, candidates: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    votes: dict[str, str] = {}
    for candidate in candidates:
        value = choice(formdata, field_name("vote", candidate)) or "abstain"
        if value not in VOTES:
            raise VoteError(_l("Answer yes, no or abstain."), field=field_name("vote", candidate))
        votes[candidate] = value
    return {"votes": votes}


def prefill(ballot: dict[str, Any]) -> dict[str, Any]:
    return dict(ballot.get("votes", {}))
