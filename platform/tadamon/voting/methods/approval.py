"""Approval voting: each organisation supports up to N proposals (N set per consultation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from tadamon.core.bidi import join
from tadamon.core.errors_domain import DomainError
from tadamon.voting.methods import common
from tadamon.voting.methods.base import Figure, MethodBase, Segment, Titles, VoteError, rotated
from tadamon.voting.methods.common import BallotError, Ballots, Result


class Approval(MethodBase):
    id = "approval"
    label = _l("Approval voting")
    explanation = _l("Each organisation supports up to a set number of proposals.")
    settings: tuple[str, ...] = ("max_approvals",)
    template = "voting/methods/approval.html"
    prefix = "approve"  # one checkbox list: every chosen candidate is a value of `approve`

    def validate_settings(self, settings: Mapping[str, Any]) -> None:
        if not settings.get("max_approvals"):
            raise DomainError(_l("Say how many proposals each organisation may support."), field="max_approvals")

    def options(self, consultation: Any) -> dict[str, Any]:
        return {"max_approvals": consultation.max_approvals or 1}

    def parse(self, formdata: Any, candidates: Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
        chosen = set(formdata.getlist(self.prefix))
        approvals = [c for c in candidates if c in chosen]  # in the candidates' order
        limit = options["max_approvals"]
        if len(approvals) > limit:
            raise VoteError(_l("You may support at most %(limit)s proposals; you chose %(count)s.",
                               limit=limit, count=len(approvals)))
        return {"approvals": approvals}

    def prefill(self, ballot: Mapping[str, Any]) -> dict[str, Any]:
        return dict.fromkeys(ballot.get("approvals", []), True)

    def typed(self, formdata: Any, candidates: Sequence[str]) -> dict[str, Any]:
        chosen = set(formdata.getlist(self.prefix))
        return {c: True for c in candidates if c in chosen}

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        limit = options.get("max_approvals")
        totals = dict.fromkeys(candidates, 0)
        for ballot in ballots:
            approvals = ballot.get("approvals", [])
            if not isinstance(approvals, list) or len(set(approvals)) != len(approvals):
                raise BallotError("'approvals' must be a list of distinct candidates")
            if limit is not None and len(approvals) > limit:
                raise BallotError(f"a ballot approves {len(approvals)} candidates, more than max_approvals={limit}")
            weight = common.count_of(ballot)
            for candidate in approvals:
                common.check_candidate(candidate, totals)
                totals[candidate] += weight
        best = max(totals.values(), default=0)
        winners = [c for c in candidates if totals[c] == best]
        return Result(winners, common.tiers_by(candidates, totals), {"approvals": totals})

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        count = details["approvals"][key]
        return Figure(_("%(count)s organisations support it", count=format_decimal(count)),
                      [Segment(count, "seg-yes", _("Support"))])

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        chosen = ballot.get("approvals", [])
        if not chosen:
            return _("Supports none")
        return _("Supports: %(proposals)s", proposals=join([title(key) for key in chosen], quoted=True))

    def sample_form(self, candidates: list[str], number: int) -> MultiDict[str, str]:
        return MultiDict([(self.prefix, key) for key in rotated(candidates, number)[:2]])
