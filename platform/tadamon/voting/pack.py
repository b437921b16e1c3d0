"""The consultation's export pack for the steering group: one ZIP holding the proposals with
their versions and co-signatories, the public comments, the results, the anonymised ballots
(tadamon-ballots/1: `flask tally ballots.json` gives the results again), the ledger with its
head and definition hash, and a README in the language chosen.

Built from the database in one read, after voting closed; nothing of who cast which ballot.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from tadamon.core.i18n import localized
from tadamon.proposals.models import (
    CoAuthor,
    Comment,
    CoSignature,
    Proposal,
    ProposalState,
    ProposalVersion,
)
from tadamon.voting import ledger, services
from tadamon.voting.methods import VoteError
from tadamon.voting.models import LedgerEntry, VotingRound
from tadamon.workshops.models import Consultation, Phase

PACK_FORMAT = "tadamon-consultation-pack/1"
PARTS = ("README.md", "proposals.json", "comments.json", "results.json", "ballots.json", "ledger.json")


def is_available(consultation: Consultation) -> bool:
    return consultation.current_phase in (Phase.CLOSED, Phase.RESULTS_PUBLISHED)


def file_name(consultation: Consultation, language: str) -> str:
    return f"tadamon-consultation-{consultation.id}-pack-{language}.zip"


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _names(organisation: Any) -> dict[str, str]:
    """An organisation's name in each language it has one in (the pack serves all readers)."""
    return {code: getattr(organisation, f"name_{code}") for code in ("ar", "fr", "en")
            if getattr(organisation, f"name_{code}")}


def _proposals(consultation: Consultation) -> list[dict[str, Any]]:
    proposals = db_scalars(select(Proposal).where(Proposal.consultation_id == consultation.id,
                                                  Proposal.state != ProposalState.DRAFT).order_by(Proposal.id))
    ids = [proposal.id for proposal in proposals]
    versions: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for version in db_scalars(select(ProposalVersion).where(ProposalVersion.proposal_id.in_(ids))
                              .order_by(ProposalVersion.proposal_id, ProposalVersion.number)):
        versions[version.proposal_id].append({"number": version.number, "title": version.title, "body": version.body,
                                              "reason": version.reason, "created_at": _when(version.created_at)})
    signatures: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for signature in db_scalars(select(CoSignature).where(CoSignature.proposal_id.in_(ids))
                                .order_by(CoSignature.proposal_id, CoSignature.created_at)):
        signatures[signature.proposal_id].append({"organisation": _names(signature.organisation),
                                                  "signed_at": _when(signature.created_at)})
    authors: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
    for author in db_scalars(select(CoAuthor).where(CoAuthor.proposal_id.in_(ids))):
        authors[author.proposal_id].append(_names(author.organisation))
    return [{"id": f"p{proposal.id}", "state": str(proposal.state.value), "title": proposal.title,
             "body": proposal.body, "language": proposal.language, "organisation": _names(proposal.organisation),
             "co_authors": authors[proposal.id], "published_at": _when(proposal.published_at),
             "merged_into": f"p{proposal.merged_into_id}" if proposal.merged_into_id else None,
             "versions": versions[proposal.id], "co_signatories": signatures[proposal.id]}
            for proposal in proposals]


def _comments(consultation: Consultation) -> list[dict[str, Any]]:
    """The comments readers see: hidden ones stay out."""
    comments = db_scalars(select(Comment).join(Proposal, Proposal.id == Comment.proposal_id)
                          .where(Proposal.consultation_id == consultation.id, Comment.hidden_at.is_(None))
                          .order_by(Comment.id))
    return [{"id": comment.id, "proposal": f"p{comment.proposal_id}", "reply_to": comment.parent_id,
             "organisation": _names(comment.organisation), "stance": str(comment.stance.value), "body": comment.body,
             "created_at": _when(comment.created_at)} for comment in comments]


def _ledger(vote: VotingRound) -> dict[str, Any]:
    entries = db_scalars(select(LedgerEntry).where(LedgerEntry.round_id == vote.id)
                         .order_by(LedgerEntry.position))
    return {"definition": json.loads(vote.definition), "definition_hash": vote.definition_hash,
            "head": vote.published_head or vote.ledger_head, "length": vote.ledger_length,
            # The chain as its public receipts: an entry's content could name who cast it.
            "entries": [{"position": entry.position, "previous_hash": entry.previous_hash,
                         "entry_hash": entry.entry_hash} for entry in entries]}


def db_scalars(statement: Any) -> list[Any]:
    from tadamon.extensions import db

    return list(db.session.scalars(statement))


def _readme(consultation: Consultation, vote: VotingRound, language: str) -> str:
    with force_locale(language):
        question = localized(consultation, "question", language)[0]
        lines = [
            f"# {_('Consultation export pack')}: {question}", "",
            _("This archive holds what the consultation produced, for the steering group's records."), "",
            f"- `proposals.json`: {_('the proposals, with their versions and co-signatories')}",
            f"- `comments.json`: {_('the public comments')}",
            f"- `results.json`: {_('the results, as published')}",
            f"- `ballots.json`: {_('the anonymised ballots (format tadamon-ballots/1)')}",
            f"- `ledger.json`: {_('the ledger: every entry, its head and the hash of the vote definition')}", "",
            _("To check the results: run `flask tally ballots.json`; it gives the results in results.json again."),
            "", f"{_('Ledger head')}: `{vote.published_head or vote.ledger_head}`",
            f"{_('Definition hash')}: `{vote.definition_hash}`", ""]
    return "\n".join(lines)


def build(consultation: Consultation, language: str) -> bytes:
    """The pack as ZIP bytes. Raises VoteError while voting is not closed (or never opened)."""
    vote = services.round_of(consultation)
    if vote is None or not is_available(consultation):
        raise VoteError(_("The export pack is ready once voting has closed."))
    ballots = ledger.export_document(vote)
    documents: dict[str, Any] = {
        "proposals.json": {"format": PACK_FORMAT, "consultation": consultation.id,
                           "proposals": _proposals(consultation)},
        "comments.json": {"format": PACK_FORMAT, "comments": _comments(consultation)},
        "results.json": services.results_of(vote),
        "ballots.json": ballots,
        "ledger.json": _ledger(vote),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", _readme(consultation, vote, language))
        for name, document in documents.items():
            archive.writestr(name, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    return buffer.getvalue()
