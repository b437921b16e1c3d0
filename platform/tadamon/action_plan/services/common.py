"""What every use-case of the plan shares: its domain error, its languages, the public
decision trail and the compare-and-set helper."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from tadamon.accounts.models import User
from tadamon.action_plan.models import Action, Decision
from tadamon.core.errors_domain import DomainError
from tadamon.core.i18n import TEXT_LANGUAGES
from tadamon.extensions import db

LANGUAGES = TEXT_LANGUAGES


class PlanError(DomainError):
    pass


def iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def record_decision(kind: str, actor: User | None, *, action: Action | None = None, proposal_id: int | None = None,
                    **detail: Any) -> None:
    """Adds a step to the public decision trail of `action` (or of a candidate `proposal_id`)."""
    db.session.add(Decision(action_id=action.id if action is not None else None, proposal_id=proposal_id, kind=kind,
                            detail=json.dumps(detail, ensure_ascii=False, default=str),
                            by_id=getattr(actor, "id", None)))


def action_label(action: Action) -> str:
    """The name the audit log keeps for an action (French first: the log's working language)."""
    return action.title_fr or action.title_ar or action.title_en
