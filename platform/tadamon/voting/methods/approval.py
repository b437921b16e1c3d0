"""Approval voting: each organisation supports up to N proposals (N set per consultation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from tadamon.voting.methods import VoteError
from tadamon.voting.tally import tally_approval as tally  # noqa: F401 - the method's pure tally

ID = "approval"
TEMPLATE = "voting/methods/approval.html"
FIELD_PREFIX = "approve"


def options(consultation: Any) -> dict[str, Any]:
    return {"max_approvals": consultation.max_approvals or 1}


def parse(formdata: Any, candidates: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    chosen = [value for value in formdata.getlist("approve") if value in candidates]
    chosen = [c for c in candidates if c in set(chosen)]  # the ballot lists them in the candidates' order
    limit = settings["max_approvals"]
    if len(chosen) > limit:
        raise VoteError(_l("You may support at most %(limit)s proposals; you chose %(count)s.",
                           limit=limit, count=len(chosen)), field="approve")
    return {"approvals": chosen}


def prefill(ballot: dict[str, Any]) -> dict[str, Any]:
    return dict.fromkeys(ballot.get("approvals", []), True)
