"""Writing: drafts kept on the server, publishing and versions, withdrawal, attachments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core.db import utcnow
from tadamon.core.persistence import add_unless_duplicate
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.membership.regions import REGION_CODES
from tadamon.proposals import similarity
from tadamon.proposals.models import (
    Attachment,
    Proposal,
    ProposalState,
    ProposalVersion,
)
from tadamon.proposals.services.common import (
    BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    ProposalError,
    add_timeline_event,
)
from tadamon.workshops.models import Consultation


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


@dataclass(frozen=True)
class Kept:
    """What a submit of the writing page kept: the proposal, and the attachment refused, if any."""

    proposal: Proposal
    refused_attachment: ProposalError | None = None


def keep_writing(consultation: Consultation, organisation: Organisation, author: User, data: ProposalData,
                 proposal: Proposal | None, upload: Any = None) -> Kept:
    """What every submit of the writing page keeps at once, valid or not: a draft's text (nothing
    typed is ever lost) and a valid attachment. A refused attachment is undone alone (a savepoint)
    and returned, so the text is kept all the same."""
    if proposal is None or proposal.is_draft:
        proposal = save_draft(consultation, organisation, author, data, proposal)
    if upload is None:
        return Kept(proposal)
    try:
        with db.session.begin_nested():
            attach(proposal, upload, author)
    except ProposalError as error:
        return Kept(proposal, error)
    return Kept(proposal)


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
    add_timeline_event(proposal, "published" if first_time else "edited", author, str(proposal.version))
    if refresh_similar:
        similarity.refresh(proposal)


def withdraw(proposal: Proposal, actor: User) -> None:
    if proposal.state not in (ProposalState.DRAFT, ProposalState.PUBLISHED):
        raise ProposalError(_l("This proposal can no longer be changed."))
    proposal.state = ProposalState.WITHDRAWN
    add_timeline_event(proposal, "withdrawn", actor)
    similarity.refresh(proposal)


def versions(proposal: Proposal) -> list[ProposalVersion]:
    return list(db.session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
                                   .order_by(ProposalVersion.number.desc())))


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


def attachment_key(item: Attachment) -> str:
    from tadamon.core import uploads

    return uploads.upload_key("proposals", item.stored_name)


def stored_attachments() -> Iterator[tuple[str, str]]:
    """Every attachment's (label, storage key), for `flask storage check`."""
    from tadamon.core import uploads

    rows = db.session.execute(select(Attachment.proposal_id, Attachment.id, Attachment.stored_name)
                              .order_by(Attachment.id))
    for proposal_id, attachment_id, stored_name in rows:
        yield (f"attachment {attachment_id} of proposal {proposal_id}",
               uploads.upload_key("proposals", stored_name))


def remove_attachment(item: Attachment) -> None:
    from tadamon.core import uploads

    uploads.delete_after_commit(attachment_key(item))
    db.session.delete(item)
    db.session.flush()
