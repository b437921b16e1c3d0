"""Proposal use-cases: drafts, publishing and versions, withdrawal, co-signing, comments,
reports and moderation, evaluation and merges that keep every author, supporter and comment.

Co-signatures are one per organisation and proposal by a database constraint, inserted
without a prior check so parallel requests cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.notifications import register_kind
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.regions import REGION_CODES
from tadamon.proposals import similarity
from tadamon.proposals.models import (
    Amendment,
    AmendmentState,
    Attachment,
    CoAuthor,
    Comment,
    CoSignature,
    Evaluation,
    Lineage,
    Proposal,
    ProposalState,
    ProposalVersion,
    Report,
    Stance,
    TimelineEvent,
)
from tadamon.workshops.models import Consultation

TITLE_MIN, TITLE_MAX, BODY_MIN = 5, 200, 20


class ProposalError(DomainError):
    pass


@dataclass
class ProposalData:
    title: str = ""
    body: str = ""
    language: str = "ar"
    theme_id: int | None = None
    territory_scope: str = "national"
    territory_region: str = ""
    territory_province: str = ""
    beneficiaries: str = ""
    expected_impact: str = ""
    resources_needed: str = ""
    partners_sought: str = ""
    draft_key: str = ""


def _timeline(proposal: Proposal, kind: str, actor: User | None, detail: str = "") -> None:
    db.session.add(TimelineEvent(proposal_id=proposal.id, kind=kind, detail=detail,
                                 actor_id=actor.id if actor else None))


def _apply(proposal: Proposal, data: ProposalData) -> None:
    for name, value in vars(data).items():
        if name == "draft_key":  # set once, when the draft is created
            continue
        setattr(proposal, name, value.strip() if isinstance(value, str) else value)
    proposal.search_text = normalize_for_search(f"{proposal.title} {proposal.body}")
    proposal.updated_at = utcnow()


def _check_for_publishing(data: ProposalData) -> None:
    if len(data.title.strip()) < TITLE_MIN:
        raise ProposalError(_l("Give the proposal a title of at least 5 characters."), field="title")
    if len(data.body.strip()) < BODY_MIN:
        raise ProposalError(_l("Describe the proposal in at least 20 characters."), field="body")
    if data.territory_scope == "region" and data.territory_region not in REGION_CODES:
        raise ProposalError(_l("Choose one of Morocco's twelve regions."), field="territory_region")
    if data.territory_scope == "province" and not data.territory_province.strip():
        raise ProposalError(_l("Name the province."), field="territory_province")


def save_draft(consultation: Consultation, organisation: Organisation, author: User, data: ProposalData,
               proposal: Proposal | None = None, *, refresh_similar: bool = True) -> Proposal:
    """Keeps what was typed on the server, whatever its shape: nothing is ever lost."""
    if proposal is None:
        proposal = _draft_of_writing_page(consultation, organisation, author, data.draft_key)
    if proposal.state == ProposalState.DRAFT:
        _apply(proposal, data)
        # The length limits of the columns still hold for a draft.
        proposal.title = proposal.title[:TITLE_MAX]
    db.session.flush()
    if refresh_similar:
        similarity.refresh(proposal)
    return proposal


def _draft_of_writing_page(consultation: Consultation, organisation: Organisation, author: User,
                           draft_key: str) -> Proposal:
    """The draft a writing page already started, or a new one; a parallel request with the same
    key (the autosave script racing the submit) lands in the same row, by the unique key."""
    def existing() -> Proposal | None:
        if not draft_key:
            return None
        return db.session.scalar(select(Proposal).where(Proposal.organisation_id == organisation.id,
                                                        Proposal.draft_key == draft_key,
                                                        Proposal.consultation_id == consultation.id))

    found = existing()
    if found is not None:
        return found
    proposal = Proposal(consultation_id=consultation.id, organisation_id=organisation.id, author_id=author.id,
                        state=ProposalState.DRAFT, draft_key=draft_key or None)
    if add_unless_duplicate(proposal):
        return proposal
    found = existing()
    if found is None:  # the key belongs to another consultation's page: start afresh, unkeyed
        proposal = Proposal(consultation_id=consultation.id, organisation_id=organisation.id, author_id=author.id,
                            state=ProposalState.DRAFT)
        db.session.add(proposal)
        return proposal
    return found


def publish(proposal: Proposal, author: User, data: ProposalData, *, refresh_similar: bool = True) -> None:
    """Publishes a draft, or a new version of a published proposal."""
    _check_for_publishing(data)
    first_time = proposal.state == ProposalState.DRAFT
    if not first_time and proposal.state != ProposalState.PUBLISHED:
        raise ProposalError(_l("This proposal can no longer be changed."))
    _apply(proposal, data)
    proposal.state = ProposalState.PUBLISHED
    proposal.version += 1
    if first_time:
        proposal.published_at = utcnow()
    db.session.add(ProposalVersion(proposal_id=proposal.id, number=proposal.version, title=proposal.title,
                                   body=proposal.body, created_by_id=author.id, reason="edit"))
    db.session.flush()
    _timeline(proposal, "published" if first_time else "edited", author, str(proposal.version))
    if refresh_similar:
        similarity.refresh(proposal)


def withdraw(proposal: Proposal, actor: User) -> None:
    if proposal.state not in (ProposalState.DRAFT, ProposalState.PUBLISHED):
        raise ProposalError(_l("This proposal can no longer be changed."))
    proposal.state = ProposalState.WITHDRAWN
    _timeline(proposal, "withdrawn", actor)
    similarity.refresh(proposal)


def versions(proposal: Proposal) -> list[ProposalVersion]:
    return list(db.session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
                                   .order_by(ProposalVersion.number.desc())))


# --- co-signing ------------------------------------------------------------------------------


def cosign(proposal: Proposal, organisation: Organisation, person: User) -> bool:
    """Adds the organisation's co-signature; False when it had already co-signed."""
    if not add_unless_duplicate(CoSignature(proposal_id=proposal.id, organisation_id=organisation.id,
                                            person_id=person.id)):
        return False
    _recount(proposal)
    return True


def withdraw_cosignature(proposal: Proposal, organisation: Organisation) -> None:
    db.session.execute(CoSignature.__table__.delete().where(
        CoSignature.proposal_id == proposal.id, CoSignature.organisation_id == organisation.id))
    _recount(proposal)


def _recount(proposal: Proposal) -> None:
    """Counters from the rows themselves (never +1 in Python): parallel requests stay exact."""
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(
        cosignature_count=select(func.count()).select_from(CoSignature)
        .where(CoSignature.proposal_id == proposal.id).scalar_subquery(),
        comment_count=select(func.count()).select_from(Comment)
        .where(Comment.proposal_id == proposal.id, Comment.hidden_at.is_(None)).scalar_subquery(),
    ).execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(proposal)


def cosignatures(proposal: Proposal) -> list[CoSignature]:
    return list(db.session.scalars(select(CoSignature).where(CoSignature.proposal_id == proposal.id)
                                   .order_by(CoSignature.created_at)))


def has_cosigned(proposal: Proposal, organisation: Organisation | None) -> bool:
    if organisation is None:
        return False
    return db.session.scalar(select(func.count()).select_from(CoSignature).where(
        CoSignature.proposal_id == proposal.id, CoSignature.organisation_id == organisation.id)) > 0


# --- comments, reports, moderation -----------------------------------------------------------


def add_comment(proposal: Proposal, organisation: Organisation, author: User, body: str, stance: str,
                parent: Comment | None = None) -> Comment:
    body = body.strip()
    if not body:
        raise ProposalError(_l("Write your comment."), field="body")
    if stance not in {s.value for s in Stance}:
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
    _recount(proposal)
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


def report(target_type: str, target_id: int, proposal: Proposal, reporter: User, reason: str) -> Report:
    reason = reason.strip()
    if not reason:
        raise ProposalError(_l("Say what is wrong, so the moderators can act."), field="reason")
    item = Report(target_type=target_type, target_id=target_id, proposal_id=proposal.id,
                  reporter_id=reporter.id, reason=reason[:2000])
    db.session.add(item)
    db.session.flush()
    return item


def hide_comment(actor: User, comment: Comment, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ProposalError(_l("Give the public reason for hiding it."), field="reason")
    comment.hidden_at = utcnow()
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    db.session.flush()
    proposal = db.session.get(Proposal, comment.proposal_id)
    _recount(proposal)
    audit.record("moderation.comment_hidden", "comment", comment.id, object_label=comment.body[:80],
                 after={"reason": reason, "proposal": comment.proposal_id}, actor=actor)
    _timeline(proposal, "comment_hidden", actor, reason)


# --- curation --------------------------------------------------------------------------------


def evaluate(actor: User, proposal: Proposal, evaluation: str, answer: str) -> None:
    if evaluation not in {e.value for e in Evaluation}:
        raise ProposalError(_l("Choose an evaluation."), field="evaluation")
    if evaluation != Evaluation.ACCEPTED and not answer.strip():
        raise ProposalError(_l("Give the organisation a public answer."), field="answer")
    before = proposal.evaluation
    proposal.evaluation = evaluation
    proposal.evaluation_answer = answer.strip()
    db.session.flush()
    audit.record("proposal.evaluated", "proposal", proposal.id, object_label=proposal.title,
                 before={"evaluation": before}, after={"evaluation": evaluation, "answer": answer}, actor=actor)
    _timeline(proposal, f"evaluated_{evaluation}", actor, answer.strip())


def merge(actor: User, target: Proposal, sources: list[Proposal], reason: str) -> None:
    """Merges `sources` into `target`: authors become co-authors, co-signatures (one per
    organisation) and comments move over, the sources redirect, and the lineage is kept."""
    if not reason.strip():
        raise ProposalError(_l("Explain why these proposals are merged."), field="reason")
    sources = [s for s in sources if s.id != target.id]
    if not sources:
        raise ProposalError(_l("Choose at least one other proposal to merge."), field="sources")
    for source in [target, *sources]:
        if source.state != ProposalState.PUBLISHED or source.consultation_id != target.consultation_id:
            raise ProposalError(_l("Only published proposals of the same consultation can be merged."))
    for source in sources:
        organisations = {source.organisation_id} | set(db.session.scalars(
            select(CoAuthor.organisation_id).where(CoAuthor.proposal_id == source.id)))
        for organisation_id in organisations - {target.organisation_id}:
            add_unless_duplicate(CoAuthor(proposal_id=target.id, organisation_id=organisation_id, reason="merge"))
        for signature in cosignatures(source):
            if signature.organisation_id == target.organisation_id:
                continue
            # An organisation that had co-signed both keeps one co-signature.
            add_unless_duplicate(CoSignature(proposal_id=target.id, organisation_id=signature.organisation_id,
                                             person_id=signature.person_id, created_at=signature.created_at))
        db.session.execute(update(Comment).where(Comment.proposal_id == source.id)
                           .values(proposal_id=target.id).execution_options(synchronize_session=False))
        source.state = ProposalState.MERGED
        source.merged_into_id = target.id
        db.session.add(Lineage(kind="merge", source_id=source.id, target_id=target.id, reason=reason.strip(),
                               by_id=actor.id))
        _timeline(source, "merged_into", actor, reason.strip())
        _timeline(target, "merged_from", actor, reason.strip())
        similarity.refresh(source)
    target.version += 1
    db.session.add(ProposalVersion(proposal_id=target.id, number=target.version, title=target.title,
                                   body=target.body, created_by_id=actor.id, reason="merge"))
    db.session.flush()
    db.session.expire_all()
    _recount(target)
    audit.record("proposal.merged", "proposal", target.id, object_label=target.title,
                 after={"sources": [s.id for s in sources], "reason": reason.strip()}, actor=actor)


def lineage_of(proposal: Proposal) -> dict[str, list[Lineage]]:
    return {
        "from": list(db.session.scalars(select(Lineage).where(Lineage.target_id == proposal.id).order_by(Lineage.at))),
        "into": list(db.session.scalars(select(Lineage).where(Lineage.source_id == proposal.id).order_by(Lineage.at))),
    }


def coauthors(proposal: Proposal) -> list[CoAuthor]:
    return list(db.session.scalars(select(CoAuthor).where(CoAuthor.proposal_id == proposal.id)))


def timeline(proposal: Proposal) -> list[TimelineEvent]:
    return list(db.session.scalars(select(TimelineEvent).where(TimelineEvent.proposal_id == proposal.id)
                                   .order_by(TimelineEvent.at, TimelineEvent.id)))


# --- lists -----------------------------------------------------------------------------------

SORTS = ("recent", "cosigned", "discussed", "random")


def list_query(consultation: Consultation, *, search: str = "", theme_id: int | None = None, region: str = "",
               organisation_id: int | None = None, evaluation: str = "", sort: str = "recent", seed: int = 1) -> Any:
    query = select(Proposal).where(Proposal.consultation_id == consultation.id,
                                   Proposal.state == ProposalState.PUBLISHED)
    for word in normalize_for_search(search).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Proposal.search_text.like(f"%{escaped}%", escape="\\"))
    if theme_id:
        query = query.where(Proposal.theme_id == theme_id)
    if region:
        query = query.where(Proposal.territory_region == region)
    if organisation_id:
        query = query.where(Proposal.organisation_id == organisation_id)
    if evaluation:
        query = query.where(Proposal.evaluation == evaluation)
    if sort == "cosigned":
        return query.order_by(Proposal.cosignature_count.desc(), Proposal.id.desc())
    if sort == "discussed":
        return query.order_by(Proposal.comment_count.desc(), Proposal.id.desc())
    if sort == "random":
        # A stable shuffle per visitor: (id × seed) mod a prime, so no proposal is always first.
        return query.order_by((Proposal.id * seed) % 2147483629, Proposal.id)
    return query.order_by(Proposal.published_at.desc(), Proposal.id.desc())


# --- amendments ------------------------------------------------------------------------------


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
    _timeline(proposal, "amendment_proposed", author, organisation.display_name)
    return amendment


def decide_amendment(actor: User, amendment: Amendment, accept: bool) -> None:
    """Accepting makes the amendment the proposal's new version and its organisation a co-author."""
    claimed = db.session.execute(
        update(Amendment).where(Amendment.id == amendment.id, Amendment.state == AmendmentState.PENDING)
        .values(state=(AmendmentState.ACCEPTED if accept else AmendmentState.REJECTED).value,
                decided_at=utcnow(), decided_by_id=actor.id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
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
    _timeline(proposal, "amendment_accepted" if accept else "amendment_rejected", actor,
              amendment.organisation.display_name)
    db.session.flush()


def amendments_of(proposal: Proposal) -> list[Amendment]:
    return list(db.session.scalars(select(Amendment).where(Amendment.proposal_id == proposal.id)
                                   .order_by(Amendment.created_at, Amendment.id)))


# --- grouped notifications -----------------------------------------------------------------

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

    from tadamon.core.notifications import notify
    from tadamon.core.urls import external_url
    from tadamon.membership.models import OrganisationMember, OrganisationRole

    # A proposal's audience hears once its oldest unannounced comment is old enough: the
    # comments of that quarter of an hour arrive together.
    ready_before = utcnow() - timedelta(minutes=current_app.config["COMMENT_DIGEST_MINUTES"])
    pending = db.session.execute(
        select(Comment.proposal_id, func.count()).where(Comment.notified_at.is_(None), Comment.hidden_at.is_(None))
        .group_by(Comment.proposal_id).having(func.min(Comment.created_at) <= ready_before)).all()
    for proposal_id, count in pending:
        proposal = db.session.get(Proposal, proposal_id)
        organisation_ids = {proposal.organisation_id} | set(db.session.scalars(
            select(CoSignature.organisation_id).where(CoSignature.proposal_id == proposal_id)))
        people = db.session.scalars(
            select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id.in_(organisation_ids),
                   (OrganisationMember.organisation_id == proposal.organisation_id)
                   | (OrganisationMember.role == OrganisationRole.REPRESENTATIVE.value))).all()
        authors = set(db.session.scalars(select(Comment.author_id).where(
            Comment.proposal_id == proposal_id, Comment.notified_at.is_(None))))
        recipients = [person for person in people if person.id not in authors or count > 1]
        notify(recipients, "proposals.new_comments", link=external_url("proposals.show", proposal_id=proposal_id),
               title=proposal.title, count=count)
    if pending:
        db.session.execute(update(Comment).where(Comment.notified_at.is_(None),
                                                 Comment.proposal_id.in_([row[0] for row in pending]))
                           .values(notified_at=utcnow()).execution_options(synchronize_session=False))
    return len(pending)


# --- attachments -----------------------------------------------------------------------------

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_PROPOSAL = 5


def attach(proposal: Proposal, upload: Any, person: User) -> Attachment:
    from tadamon.core import uploads

    if len(attachments_of(proposal)) >= ATTACHMENTS_PER_PROPOSAL:
        raise ProposalError(_l("A proposal has at most 5 attachments."), field="attachment")
    data = uploads.read_limited(upload.stream, ATTACHMENT_MAX_BYTES)
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise ProposalError(_l("Attachments are at most 5 MB."), field="attachment")
    kind = uploads.sniff(data) if data else None
    if kind not in ("pdf", *uploads.IMAGE_KINDS):
        raise ProposalError(_l("Attach a PDF or an image (PNG, JPEG or WebP)."), field="attachment")
    stored = uploads.store(data, folder="proposals", kind=kind)
    item = Attachment(proposal_id=proposal.id, stored_name=stored.stored_name, file_type=kind,
                      original_filename=(upload.filename or f"attachment.{kind}")[-255:],
                      size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=person.id)
    db.session.add(item)
    db.session.flush()
    return item


def attachments_of(proposal: Proposal) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.proposal_id == proposal.id)
                                   .order_by(Attachment.id)))


def attachment_path(item: Attachment) -> Any:
    from tadamon.core import uploads

    return uploads.upload_folder("proposals") / item.stored_name


def remove_attachment(item: Attachment) -> None:
    from tadamon.core import uploads

    uploads.delete_after_commit(attachment_path(item))
    db.session.delete(item)
    db.session.flush()


# --- split -------------------------------------------------------------------------------------


def split(actor: User, proposal: Proposal, parts: list[tuple[str, str]], reason: str) -> list[Proposal]:
    """Splits a proposal into several: each part keeps the organisation, its co-authors and
    co-signatures; the original stays readable, marked split, with the lineage shown."""
    if not reason.strip():
        raise ProposalError(_l("Explain why this proposal is split."), field="reason")
    if proposal.state != ProposalState.PUBLISHED:
        raise ProposalError(_l("Only published proposals can be split."))
    for index, (title, body) in enumerate(parts):
        if len(title.strip()) < TITLE_MIN:
            raise ProposalError(_l("Give the proposal a title of at least 5 characters."), field=f"title_{index + 1}")
        if len(body.strip()) < BODY_MIN:
            raise ProposalError(_l("Describe the proposal in at least 20 characters."), field=f"body_{index + 1}")
    created = []
    for title, body in parts:
        part = Proposal(
            consultation_id=proposal.consultation_id, organisation_id=proposal.organisation_id,
            author_id=proposal.author_id, recorded_by_id=proposal.recorded_by_id, state=ProposalState.PUBLISHED,
            title=title.strip(), body=body.strip(), language=proposal.language, theme_id=proposal.theme_id,
            territory_scope=proposal.territory_scope, territory_region=proposal.territory_region,
            territory_province=proposal.territory_province, beneficiaries=proposal.beneficiaries,
            expected_impact=proposal.expected_impact, resources_needed=proposal.resources_needed,
            partners_sought=proposal.partners_sought, published_at=utcnow(), version=1,
            search_text=normalize_for_search(f"{title} {body}"))
        db.session.add(part)
        db.session.flush()
        db.session.add(ProposalVersion(proposal_id=part.id, number=1, title=part.title, body=part.body,
                                       created_by_id=actor.id, reason="split"))
        for coauthor in coauthors(proposal):
            add_unless_duplicate(CoAuthor(proposal_id=part.id, organisation_id=coauthor.organisation_id,
                                          reason=coauthor.reason))
        for signature in cosignatures(proposal):
            add_unless_duplicate(CoSignature(proposal_id=part.id, organisation_id=signature.organisation_id,
                                             person_id=signature.person_id, created_at=signature.created_at))
        db.session.add(Lineage(kind="split", source_id=proposal.id, target_id=part.id, reason=reason.strip(),
                               by_id=actor.id))
        _timeline(part, "split_from", actor, reason.strip())
        _recount(part)
        similarity.refresh(part)
        created.append(part)
    proposal.state = ProposalState.SPLIT
    _timeline(proposal, "split_into", actor, reason.strip())
    similarity.refresh(proposal)
    db.session.flush()
    audit.record("proposal.split", "proposal", proposal.id, object_label=proposal.title,
                 after={"parts": [p.id for p in created], "reason": reason.strip()}, actor=actor)
    return created


def dashboard_counts(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Published proposals and their visible comments per consultation, in one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        select(Proposal.consultation_id, func.count(), func.coalesce(func.sum(Proposal.comment_count), 0))
        .where(Proposal.consultation_id.in_(consultation_ids), Proposal.state == ProposalState.PUBLISHED)
        .group_by(Proposal.consultation_id)).all()
    return {cid: {"proposals": int(count), "comments": int(comments)} for cid, count, comments in rows}
