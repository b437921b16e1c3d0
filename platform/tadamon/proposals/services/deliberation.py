"""Deliberation: comments (two levels of replies), reports and moderation, amendments, and the
grouped notification of new comments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.notifications import register_kind
from tadamon.core.persistence import add_unless_duplicate, rows_changed
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.proposals import similarity
from tadamon.proposals.models import (
    Amendment,
    AmendmentState,
    CoAuthor,
    Comment,
    CoSignature,
    Proposal,
    ProposalVersion,
    Stance,
)
from tadamon.proposals.services import events
from tadamon.proposals.services.common import (
    BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    ProposalError,
    add_timeline_event,
)
from tadamon.proposals.services.support import recount


def add_comment(proposal: Proposal, organisation: Organisation, author: User, body: str, stance: str,
                parent: Comment | None = None) -> Comment:
    """Publishes a comment (or a reply to `parent`); a form sent twice publishes once (its
    submission key, claimed by core.use_case). Raises ProposalError."""
    body = body.strip()
    if not body:
        raise ProposalError(_l("Write your comment."), field="body")
    if stance not in set(Stance):
        raise ProposalError(_l("Choose for, against or neutral."), field="stance")
    depth = 0
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise ProposalError(_l("This reply does not belong to this proposal."))
        if parent.depth >= 2:
            raise ProposalError(_l("Replies go two levels deep: answer the comment above instead."))
        depth = parent.depth + 1
    comment = Comment(proposal_id=proposal.id, parent_id=parent.id if parent else None, depth=depth,
                      organisation_id=organisation.id, author_id=author.id, stance=stance, body=body)
    db.session.add(comment)
    db.session.flush()
    recount(proposal)
    return comment


def comment_thread(proposal: Proposal) -> list[tuple[Comment, int]]:
    """All comments in reading order (each followed by its replies), with their depth."""
    rows = list(db.session.scalars(select(Comment).where(Comment.proposal_id == proposal.id)
                                   .order_by(Comment.created_at, Comment.id)))
    children: dict[int | None, list[Comment]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[tuple[Comment, int]] = []

    def walk(parent_id: int | None) -> None:
        for child in children.get(parent_id, []):
            ordered.append((child, child.depth))
            walk(child.id)

    walk(None)
    return ordered


def hide_comment(actor: User, comment: Comment, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ProposalError(_l("Give the public reason for hiding it."), field="reason")
    comment.hidden_at = utcnow()
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    db.session.flush()
    proposal = db.session.get_one(Proposal, comment.proposal_id)
    recount(proposal)
    audit.record("moderation.comment_hidden", "comment", comment.id, object_label=comment.body[:80],
                 after={"reason": reason, "proposal": comment.proposal_id}, actor=actor)
    add_timeline_event(proposal, "comment_hidden", actor, reason)


def propose_amendment(proposal: Proposal, organisation: Organisation, author: User, *, title: str, body: str,
                      justification: str) -> Amendment:
    if len(title.strip()) < TITLE_MIN:
        raise ProposalError(_l("Give the proposal a title of at least 5 characters."), field="title")
    if len(body.strip()) < BODY_MIN:
        raise ProposalError(_l("Describe the proposal in at least 20 characters."), field="body")
    if not justification.strip():
        raise ProposalError(_l("Explain why you propose this change."), field="justification")
    amendment = Amendment(proposal_id=proposal.id, organisation_id=organisation.id, author_id=author.id,
                          title=title.strip()[:TITLE_MAX], body=body.strip(), justification=justification.strip())
    db.session.add(amendment)
    db.session.flush()
    add_timeline_event(proposal, "amendment_proposed", author, organisation.display_name)
    events.amendment_proposed(author, amendment, proposal)
    return amendment


def decide_amendment(actor: User, amendment: Amendment, accept: bool) -> None:
    """Accepting makes the amendment the proposal's new version and its organisation a co-author."""
    if rows_changed(update(Amendment).where(Amendment.id == amendment.id, Amendment.state == AmendmentState.PENDING)
                    .values(state=AmendmentState.ACCEPTED if accept else AmendmentState.REJECTED,
                            decided_at=utcnow(), decided_by_id=actor.id)
                    .execution_options(synchronize_session=False)) != 1:
        raise ProposalError(_l("This amendment has already been decided."))
    db.session.refresh(amendment)
    proposal = amendment.proposal
    if accept:
        proposal.title = amendment.title
        proposal.body = amendment.body
        proposal.search_text = normalize_for_search(f"{proposal.title} {proposal.body}")
        proposal.version += 1
        db.session.add(ProposalVersion(proposal_id=proposal.id, number=proposal.version, title=proposal.title,
                                       body=proposal.body, created_by_id=actor.id, reason="amendment"))
        if amendment.organisation_id != proposal.organisation_id:
            add_unless_duplicate(CoAuthor(proposal_id=proposal.id, organisation_id=amendment.organisation_id,
                                          reason="amendment"))
        similarity.refresh(proposal)
    add_timeline_event(proposal, "amendment_accepted" if accept else "amendment_rejected", actor,
              amendment.organisation.display_name)
    db.session.flush()
    events.amendment_decided(actor, amendment, proposal, accept)


def amendments_of(proposal: Proposal) -> list[Amendment]:
    return list(db.session.scalars(select(Amendment).where(Amendment.proposal_id == proposal.id)
                                   .order_by(Amendment.created_at, Amendment.id)))


register_kind(
    "proposals.new_comments",
    subject=_l("New comments on “%(title)s”"),
    text=_l("New comments on the proposal “%(title)s”: %(count)s."),
)


def notify_new_comments() -> int:
    """Tells each proposal's organisation and its co-signers about new comments, once per
    proposal for all the comments since the last time (not one email per comment)."""
    from datetime import timedelta

    from flask import current_app

    from tadamon.core.notifications import notify, texts, topic
    from tadamon.core.urls import external_url
    from tadamon.membership.models import OrganisationMember, OrganisationRole

    # A proposal's audience hears once its oldest unannounced comment is old enough: the
    # comments of that quarter of an hour arrive together.
    ready_before = utcnow() - timedelta(minutes=current_app.config["COMMENT_DIGEST_MINUTES"])
    pending = db.session.execute(
        select(Comment.proposal_id, func.count()).where(Comment.notified_at.is_(None), Comment.hidden_at.is_(None))
        .group_by(Comment.proposal_id).having(func.min(Comment.created_at) <= ready_before)).all()
    for proposal_id, count in pending:
        proposal = db.session.get_one(Proposal, proposal_id)
        organisation_ids = {proposal.organisation_id} | set(db.session.scalars(
            select(CoSignature.organisation_id).where(CoSignature.proposal_id == proposal_id)))
        people = db.session.scalars(
            select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id.in_(organisation_ids),
                   or_(OrganisationMember.organisation_id == proposal.organisation_id,
                       OrganisationMember.role == OrganisationRole.REPRESENTATIVE))).all()
        authors = set(db.session.scalars(select(Comment.author_id).where(
            Comment.proposal_id == proposal_id, Comment.notified_at.is_(None))))
        recipients = [person for person in people if person.id not in authors or count > 1]
        notify(recipients, "proposals.new_comments", link=external_url("proposals.show", proposal_id=proposal_id),
               about=topic("consultation", proposal.consultation_id, texts(proposal.consultation, "question")),
               title=proposal.title, count=count)
    if pending:
        db.session.execute(update(Comment).where(Comment.notified_at.is_(None),
                                                 Comment.proposal_id.in_([row[0] for row in pending]))
                           .values(notified_at=utcnow()).execution_options(synchronize_session=False))
    return len(pending)
