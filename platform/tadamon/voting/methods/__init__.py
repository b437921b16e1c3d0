"""The voting methods: one class per method (`<id>.py`), one ballot template each
(`templates/voting/methods/<id>.html`), registered here in the order consultations offer them.

`base.py` says what a method is (`VotingMethod`) and holds the registry; `common.py` holds
what the pure tallies share. Adding a method: write its class and its template, and add it
to `BUILT_IN` below (or `register()` it from elsewhere, as the tests do).
"""

from __future__ import annotations

from tadamon.voting.methods.approval import Approval
from tadamon.voting.methods.base import (
    REGISTRY,
    Figure,
    MethodBase,
    Segment,
    VoteError,
    VotingMethod,
    all_methods,
    get_method,
    register,
    unregister,
)
from tadamon.voting.methods.common import BallotError, Result
from tadamon.voting.methods.majority_judgment import MajorityJudgment
from tadamon.voting.methods.schulze import Schulze
from tadamon.voting.methods.score import Score
from tadamon.voting.methods.yes_no import YesNo

BUILT_IN: tuple[VotingMethod, ...] = (Approval(), Score(), MajorityJudgment(), Schulze(), YesNo())
for _method in BUILT_IN:
    register(_method)

__all__ = ["REGISTRY", "BUILT_IN", "BallotError", "Figure", "MethodBase", "Result", "Segment", "VoteError",
           "VotingMethod", "all_methods", "get_method", "register", "unregister"]
