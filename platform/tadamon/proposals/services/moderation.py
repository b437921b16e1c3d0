"""Reports and the moderation queue: a member reports a proposal or a comment, the moderators
(the consultation's facilitators, or the steering group) see what is open, and hide the content
or keep it with a reason; the reporters and the author are told, and every decision is audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select, update

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.core.persistence import rows_changed
from tadamon.extensions import db
from tadamon.proposals.models import Comment, Proposal, Report
from tadamon.proposals.services import events
from tadamon.proposals.services.common import ProposalError, add_timeline_event
from tadamon.proposals.services.deliberation import hide_comment
from tadamon.workshops.models import Consultation, workshop_facilitators

DECISIONS = ("hide", "keep")


def report(target_type: str, target_id: int, proposal: Proposal, reporter: User, reason: str) -> Report:
    """Records a report on the proposal or on one of its comments, and tells the moderators.
    Raises ProposalError when the reason is empty or the comment is not the proposal's."""
    reason = reason.strip()
    if not reason:
        raise ProposalError(_l("Say what is wrong, so the moderators can act."), field="reason")
    if target_type == "comment":
        comment = db.session.get(Comment, target_id)
        if comment is None or comment.proposal_id != proposal.id:
            raise ProposalError(_l("This comment does not belong to this proposal."))
    else:
        target_type, target_id = "proposal", proposal.id
    item = Report(target_type=target_type, target_id=target_id, proposal_id=proposal.id,
                  reporter_id=reporter.id, reason=reason[:2000])
    db.session.add(item)
    db.session.flush()
    events.report_received(proposal, reporter)
    return item


@dataclass
class OpenCase:
    """The open reports on one piece of content, shown once in the queue."""

    target_type: str
    proposal: Proposal
    comment: Comment | None
    reports: list[Report] = field(default_factory=list)

    @property
    def first(self) -> Report:
        return self.reports[0]


def _managed_by(actor: User) -> ColumnElement[bool] | None:
    """The consultations whose reports `actor` handles, as a condition on Consultation (None:
    all of them, for the steering group, which manages national consultations and every workshop)."""
    if actor.has_role(Role.STEERING) or actor.has_role(Role.ADMIN):
        return None
    mine = select(workshop_facilitators.c.workshop_id).where(workshop_facilitators.c.user_id == actor.id)
    return Consultation.workshop_id.in_(mine)


def open_cases(actor: User) -> list[OpenCase]:
    """Open reports the actor may handle, grouped by reported content, oldest first. Two queries
    whatever the number of reports (the reports with their proposals, then the comments)."""
    condition = _managed_by(actor)
    query = (select(Report).join(Proposal, Proposal.id == Report.proposal_id)
             .join(Consultation, Consultation.id == Proposal.consultation_id)
             .where(Report.resolved_at.is_(None)).order_by(Report.created_at, Report.id))
    if condition is not None:
        query = query.where(condition)
    reports = list(db.session.scalars(query))
    comment_ids = {r.target_id for r in reports if r.target_type == "comment"}
    comments = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))} \
        if comment_ids else {}
    cases: dict[tuple[str, int], OpenCase] = {}
    for item in reports:
        key = (item.target_type, item.target_id)
        if key not in cases:
            cases[key] = OpenCase(item.target_type, item.proposal, comments.get(item.target_id)
                                  if item.target_type == "comment" else None)
        cases[key].reports.append(item)
    return list(cases.values())


def hide_proposal(actor: User, proposal: Proposal, reason: str) -> None:
    proposal.hidden_at = utcnow()
    proposal.hidden_reason = reason
    proposal.hidden_by_id = actor.id
    db.session.flush()
    audit.record("moderation.proposal_hidden", "proposal", proposal.id, object_label=proposal.title,
                 after={"reason": reason}, actor=actor)
    add_timeline_event(proposal, "proposal_hidden", actor, reason)


def handle_report(actor: User, item: Report, decision: str, reason: str) -> int:
    """Hides or keeps the reported content with a reason; closes every open report on the same
    content (the first moderator's decision stands: a second one is refused). Tells the
    reporters and the author's organisation; audited. Returns how many reports it closed."""
    reason = reason.strip()
    if decision not in DECISIONS:
        raise ProposalError(_l("Choose to hide the content or to keep it."), field="decision")
    if not reason:
        raise ProposalError(_l("Give the reason for your decision: the reporter and the author read it."),
                            field="reason")
    same_content = (Report.target_type == item.target_type, Report.target_id == item.target_id,
                    Report.proposal_id == item.proposal_id)
    reports = list(db.session.scalars(select(Report).where(*same_content, Report.resolved_at.is_(None))))
    closed = rows_changed(update(Report).where(*same_content, Report.resolved_at.is_(None))
                          .values(resolved_at=utcnow(), decision=decision, decision_reason=reason,
                                  resolved_by_id=actor.id).execution_options(synchronize_session=False))
    if closed == 0:
        raise ProposalError(_l("This report has already been handled."))
    proposal = item.proposal
    if decision == "hide":
        if item.target_type == "comment":
            comment = db.session.get(Comment, item.target_id)
            if comment is not None and comment.hidden_at is None:
                hide_comment(actor, comment, reason)
        elif proposal.hidden_at is None:
            hide_proposal(actor, proposal, reason)
    audit.record("moderation.report_handled", item.target_type, item.target_id, object_label=proposal.title,
                 after={"decision": decision, "reason": reason, "reports": [r.id for r in reports],
                        "proposal": proposal.id}, actor=actor)
    events.report_handled(actor, reports, proposal, events.author_organisations(item, proposal), decision, reason)
    db.session.flush()
    return closed


def open_report_counts(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """The facilitators' dashboard: open reports per consultation, in one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        select(Proposal.consultation_id, func.count(Report.id)).join(Report, Report.proposal_id == Proposal.id)
        .where(Proposal.consultation_id.in_(consultation_ids), Report.resolved_at.is_(None))
        .group_by(Proposal.consultation_id)).all()
    return {cid: {"reports": int(count)} for cid, count in rows}

