"""What a person's (or an organisation's) data file holds, built as JSON documents and files.

Where the public API already describes a thing (an organisation, a proposal and its versions, a
comment, a ballot's receipt), the file uses the API's own serialisers (`api.schemas`), so the
two never disagree on what a field means. Everything else is read here, table by table.

Never in the file: password hashes, second-factor secrets, session or token hashes, API token
secrets, and anything about another person (their e-mail addresses are scrubbed even from audit
entries about what the person did).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import or_, select

from tadamon.accounts.models import User, UserSession
from tadamon.api import schemas
from tadamon.api.models import ApiToken
from tadamon.core.audit import AuditEntry
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.notifications import Notification, NotificationPreference
from tadamon.core.storage import storage
from tadamon.extensions import db
from tadamon.membership.models import (
    CharterAdherence,
    Invitation,
    MembershipEvent,
    Organisation,
    OrganisationMember,
    StatutesDocument,
)
from tadamon.proposals.models import (
    Amendment,
    Attachment,
    Comment,
    CoSignature,
    Proposal,
    ProposalVersion,
    RoomOrigin,
)
from tadamon.voting.models import Ballot, VotingRound
from tadamon.workshops.models import Registration, WorkshopDocument

EMAIL = re.compile(r"[^\s@\"'<>,;:]+@[^\s@\"'<>,;:]+")
Progress = Callable[[int], None]


@dataclass
class Bundle:
    """The documents (name → JSON value) and files (path in the ZIP → bytes) of one export."""

    documents: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _scrub(value: Any, keep: str) -> Any:
    """`value` with every e-mail address but `keep` replaced: audit entries name other people."""
    if isinstance(value, str):
        return EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() == keep.lower() else "[…]", value)
    if isinstance(value, list):
        return [_scrub(item, keep) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, keep) for key, item in value.items()}
    return value


def _picked(obj: object, name: str) -> str:
    return pick_text(texts_of(obj, name)).text


# --- the API's representations ----------------------------------------------------------------


def organisation_document(organisation: Organisation) -> dict[str, Any]:
    from tadamon.api.v1 import organisation_fields

    result: dict[str, Any] = schemas.Organisation().dump(organisation_fields(organisation))
    return result


def proposal_document(proposal: Proposal, versions: Iterable[ProposalVersion]) -> dict[str, Any]:
    """The API's proposal, with the versions this person or organisation wrote (drafts too)."""
    from tadamon.api.v1 import proposal_fields

    data = {**proposal_fields(proposal),
            "versions": [{"number": v.number, "title": v.title, "body": v.body, "created_at": v.created_at}
                         for v in versions], "cosigners": []}
    result: dict[str, Any] = schemas.ProposalDetail(exclude=("cosigners",)).dump(data)
    return result


def comment_document(comment: Comment) -> dict[str, Any]:
    result: dict[str, Any] = schemas.Comment().dump({
        "id": comment.id, "proposal_id": comment.proposal_id, "organisation_id": comment.organisation_id,
        "stance": comment.stance.value if hasattr(comment.stance, "value") else comment.stance,
        "body": comment.body, "created_at": comment.created_at})
    return result


def _versions_by(proposal_ids: list[int], author: User | None = None) -> dict[int, list[ProposalVersion]]:
    query = select(ProposalVersion).where(ProposalVersion.proposal_id.in_(proposal_ids))
    if author is not None:
        query = query.where(ProposalVersion.created_by_id == author.id)
    found: dict[int, list[ProposalVersion]] = {}
    for version in db.session.scalars(query.order_by(ProposalVersion.proposal_id, ProposalVersion.number)):
        found.setdefault(version.proposal_id, []).append(version)
    return found


def _registration(registration: Registration) -> dict[str, Any]:
    return {"workshop_id": registration.workshop_id, "workshop": _picked(registration.workshop, "title"),
            "organisation_id": registration.organisation_id, "status": str(registration.status),
            "attendees": registration.attendees, "registered_at": registration.created_at,
            "attended": registration.attended, "attendees_present": registration.attendees_present}


def _read(key: str) -> bytes | None:
    return storage().load(key)


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)[-120:] or "file"


# --- a person's data -----------------------------------------------------------------------


def person_bundle(user: User, progress: Progress) -> Bundle:
    """Everything Tadamon keeps about `user`, and the files they uploaded."""
    bundle = Bundle()
    preferences = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    bundle.documents["account.json"] = {
        "id": user.id, "name": user.display_name, "email": user.email,
        "preferred_language": user.preferred_language, "time_zone": user.timezone,
        "created_at": user.created_at, "email_verified_at": user.email_verified_at,
        "password_changed_at": user.password_changed_at, "two_factor_enabled": user.two_factor_enabled,
        "enabled": user.is_enabled,
        "platform_roles": [{"role": str(a.role), "granted_at": a.granted_at} for a in user.role_assignments],
        "email_preferences": {p.category: p.frequency for p in preferences},
    }
    memberships = list(db.session.scalars(select(OrganisationMember).where(OrganisationMember.user_id == user.id)))
    bundle.documents["organisations.json"] = [
        {"role": str(m.role), "joined_at": m.joined_at, "organisation": organisation_document(m.organisation)}
        for m in memberships]
    adherences = db.session.scalars(select(CharterAdherence).where(CharterAdherence.adhered_by_id == user.id))
    bundle.documents["consents.json"] = {
        "privacy_notice_accepted_at": user.privacy_consent_at,
        "charter_adherences": [{"organisation_id": a.organisation_id, "charter_version": a.charter.version,
                                "adhered_at": a.adhered_at} for a in adherences],
    }
    progress(30)
    bundle.documents["contributions.json"] = _contributions(user)
    progress(50)
    bundle.documents["notifications.json"] = [
        {"kind": n.kind, "text": n.text, "link": n.link, "created_at": n.created_at, "read_at": n.read_at}
        for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id))]
    bundle.documents["sessions.json"] = [
        {"started_at": s.created_at, "last_seen_at": s.last_seen_at, "ip_address": s.ip_address,
         "device": s.user_agent}
        for s in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                    .order_by(UserSession.id))]
    bundle.documents["api_tokens.json"] = [
        {"name": t.name, "organisation_id": t.organisation_id, "scopes": sorted(t.scope_set),
         "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}
        for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))]
    bundle.documents["audit.json"] = _audit_entries(user)
    progress(70)
    _uploads(user, bundle)
    return bundle


def _contributions(user: User) -> dict[str, Any]:
    authored = list(db.session.scalars(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id)))
    recorded = list(db.session.scalars(select(Proposal).where(Proposal.recorded_by_id == user.id)
                                       .order_by(Proposal.id)))
    edited_ids = set(db.session.scalars(select(ProposalVersion.proposal_id)
                                        .where(ProposalVersion.created_by_id == user.id)))
    mine = _versions_by(sorted(edited_ids), author=user)
    origins = db.session.scalars(select(RoomOrigin).where(RoomOrigin.facilitator_id == user.id))
    ballots = db.session.execute(select(Ballot, VotingRound.consultation_id).join(VotingRound)
                                 .where(Ballot.person_id == user.id).order_by(Ballot.cast_at))
    return {
        "proposals_authored": [proposal_document(p, _versions_by([p.id]).get(p.id, [])) for p in authored],
        "proposal_versions_written": [
            {"proposal_id": pid, "versions": [{"number": v.number, "title": v.title, "body": v.body,
                                               "created_at": v.created_at, "reason": v.reason} for v in items]}
            for pid, items in sorted(mine.items())],
        "paper_proposals_recorded": [proposal_document(p, []) for p in recorded],
        "room_proposals_facilitated": [{"proposal_id": o.proposal_id, "workshop_id": o.workshop_id,
                                        "made_on": o.made_on, "recorded_at": o.recorded_at} for o in origins],
        "comments": [comment_document(c) for c in db.session.scalars(
            select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))],
        "amendments": [{"proposal_id": a.proposal_id, "organisation_id": a.organisation_id, "title": a.title,
                        "body": a.body, "justification": a.justification, "state": str(a.state),
                        "created_at": a.created_at}
                       for a in db.session.scalars(select(Amendment).where(Amendment.author_id == user.id))],
        "cosignatures": [{"proposal_id": c.proposal_id, "on_behalf_of_organisation_id": c.organisation_id,
                          "cosigned_at": c.created_at}
                         for c in db.session.scalars(select(CoSignature).where(CoSignature.person_id == user.id))],
        "workshop_registrations": [_registration(r) for r in db.session.scalars(
            select(Registration).where(Registration.registered_by_id == user.id).order_by(Registration.id))],
        "ballots_cast": [{"consultation_id": consultation_id, "on_behalf_of_organisation_id": b.organisation_id,
                          "receipt": b.receipt, "cast_at": b.cast_at, "current": bool(b.is_current)}
                         for b, consultation_id in ballots],
    }


def _audit_entries(user: User) -> list[dict[str, Any]]:
    """What the log says the person did, and what others did to their account; another
    actor is not named, nor any other person's address."""
    entries = db.session.scalars(select(AuditEntry).where(or_(
        AuditEntry.actor_id == user.id,
        (AuditEntry.object_type == "user") & (AuditEntry.object_id == str(user.id)),
    )).order_by(AuditEntry.id))
    result = []
    for entry in entries:
        by_you = entry.actor_id == user.id
        result.append(_scrub({
            "occurred_at": entry.occurred_at, "by_you": by_you, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "object_label": entry.object_label,
            "before": entry.before, "after": entry.after, "ip_address": entry.ip_address if by_you else None,
        }, user.email))
    return result


def _uploads(user: User, bundle: Bundle) -> None:
    from tadamon.membership.services import statutes_key
    from tadamon.proposals.services import attachment_key
    from tadamon.workshops.services import document_key

    uploaded: list[dict[str, Any]] = []
    sources: list[tuple[str, Any, Callable[[Any], str]]] = [
        ("proposals", select(Attachment).where(Attachment.uploaded_by_id == user.id), attachment_key),
        ("statutes", select(StatutesDocument).where(StatutesDocument.uploaded_by_id == user.id), statutes_key),
        ("workshops", select(WorkshopDocument).where(WorkshopDocument.uploaded_by_id == user.id), document_key),
    ]
    for folder, query, key_of in sources:
        for item in db.session.scalars(query):
            data = _read(key_of(item))
            name = f"files/{folder}/{item.id}-{_safe_name(item.original_filename)}"
            if data is not None:
                bundle.files[name] = data
            uploaded.append({"file": name if data is not None else None, "original_name": item.original_filename,
                             "uploaded_at": item.uploaded_at, "sha256": item.sha256})
    bundle.documents["uploads.json"] = uploaded


# --- an organisation's data ------------------------------------------------------------------


def organisation_bundle(organisation: Organisation, progress: Progress) -> Bundle:
    """The organisation's profile (public and private fields), its people and their roles,
    its statutes, proposals, comments, co-signatures, ballots' receipts and registrations."""
    from tadamon.membership.services import statutes_key

    bundle = Bundle()
    bundle.documents["organisation.json"] = {
        **organisation_document(organisation),
        "legal_form": organisation.legal_form, "registration_number": organisation.registration_number,
        "state": str(organisation.state), "contact_email": organisation.contact_email,
        "contact_phone": organisation.contact_phone, "address": organisation.address,
        "social_links": organisation.social_links, "members_count": organisation.members_count,
        "volunteers_count": organisation.volunteers_count, "staff_count": organisation.staff_count,
        "is_founding_member": organisation.is_founding_member, "members_may_vote": organisation.members_may_vote,
        "created_at": organisation.created_at, "submitted_at": organisation.submitted_at,
        "history": [{"from": str(e.from_state) if e.from_state else None, "to": str(e.to_state),
                     "message": e.message, "at": e.occurred_at}
                    for e in db.session.scalars(select(MembershipEvent)
                                                .where(MembershipEvent.organisation_id == organisation.id)
                                                .order_by(MembershipEvent.id))],
        "charter_adherences": [{"charter_version": a.charter.version, "adhered_at": a.adhered_at}
                               for a in db.session.scalars(select(CharterAdherence).where(
                                   CharterAdherence.organisation_id == organisation.id))],
    }
    bundle.documents["members.json"] = [
        {"name": m.user.display_name, "role": str(m.role), "joined_at": m.joined_at}
        for m in db.session.scalars(select(OrganisationMember)
                                    .where(OrganisationMember.organisation_id == organisation.id)
                                    .order_by(OrganisationMember.id))]
    bundle.documents["invitations.json"] = [
        {"email": i.email, "role": str(i.role), "created_at": i.created_at, "expires_at": i.expires_at,
         "accepted_at": i.accepted_at, "revoked_at": i.revoked_at}
        for i in db.session.scalars(select(Invitation).where(Invitation.organisation_id == organisation.id))]
    progress(30)
    statutes = organisation.statutes
    if statutes is not None:
        data = _read(statutes_key(statutes))
        if data is not None:
            bundle.files[f"files/statutes/{_safe_name(statutes.original_filename)}"] = data
        bundle.documents["statutes.json"] = {"original_name": statutes.original_filename,
                                             "uploaded_at": statutes.uploaded_at, "sha256": statutes.sha256}
    proposals = list(db.session.scalars(select(Proposal).where(Proposal.organisation_id == organisation.id)
                                        .order_by(Proposal.id)))
    versions = _versions_by([p.id for p in proposals])
    bundle.documents["proposals.json"] = [proposal_document(p, versions.get(p.id, [])) for p in proposals]
    bundle.documents["comments.json"] = [comment_document(c) for c in db.session.scalars(
        select(Comment).where(Comment.organisation_id == organisation.id).order_by(Comment.id))]
    bundle.documents["cosignatures.json"] = [
        {"proposal_id": c.proposal_id, "cosigned_at": c.created_at}
        for c in db.session.scalars(select(CoSignature).where(CoSignature.organisation_id == organisation.id))]
    progress(60)
    receipts = db.session.execute(select(Ballot, VotingRound.consultation_id).join(VotingRound)
                                  .where(Ballot.organisation_id == organisation.id).order_by(Ballot.cast_at))
    bundle.documents["ballot_receipts.json"] = [
        {"consultation_id": consultation_id, "receipt": b.receipt, "cast_at": b.cast_at,
         "current": bool(b.is_current)} for b, consultation_id in receipts]
    bundle.documents["registrations.json"] = [_registration(r) for r in db.session.scalars(
        select(Registration).where(Registration.organisation_id == organisation.id).order_by(Registration.id))]
    return bundle


# --- the ZIP --------------------------------------------------------------------------------


def zip_bundle(bundle: Bundle, language: str, readme_template: str, **context: Any) -> bytes:
    """The ZIP: README.txt in `language` explaining each file, the JSON documents, the files."""
    with force_locale(language):
        readme = render_template(readme_template, documents=sorted(bundle.documents),
                                 files=sorted(bundle.files), **context)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        for name, value in sorted(bundle.documents.items()):
            archive.writestr(name, json.dumps(value, ensure_ascii=False, indent=2, default=_plain))
        for name, data in sorted(bundle.files.items()):
            archive.writestr(name, data)
    return buffer.getvalue()
