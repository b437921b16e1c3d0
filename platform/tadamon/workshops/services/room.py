"""In the room: a workshop's documents, its minutes and what was produced there."""
from __future__ import annotations

from collections.abc import Iterator
from io import IOBase
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User
from tadamon.core import audit, uploads
from tadamon.extensions import db
from tadamon.workshops.models import (
    DocumentKind,
    RoomRecord,
    Workshop,
    WorkshopDocument,
)
from tadamon.workshops.services.common import WorkshopError, title_of
from tadamon.workshops.services.registrations import registered_organisation_ids

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def attach_document(actor: User, workshop: Workshop, upload: FileStorage, kind: str, title: str) -> WorkshopDocument:
    if kind not in set(DocumentKind):
        raise WorkshopError(_l("Choose what kind of document this is."), field="kind")
    data = uploads.read_limited(cast(IOBase, upload.stream), DOCUMENT_MAX_BYTES)
    if len(data) > DOCUMENT_MAX_BYTES:
        raise WorkshopError(_l("Documents are at most 10 MB."), field="document")
    file_type = uploads.sniff(data) if data else None
    if file_type not in uploads.DOCUMENT_KINDS:
        raise WorkshopError(_l("Send a PDF or an office document (Word, Excel, PowerPoint or OpenDocument)."), field="document")
    stored = uploads.store(data, folder="workshops", kind=file_type)
    document = WorkshopDocument(
        workshop_id=workshop.id, kind=kind, title=title.strip()[:200], stored_name=stored.stored_name,
        file_type=stored.kind, original_filename=(upload.filename or f"document.{file_type}")[-255:],
        size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("workshop.document_added", "workshop", workshop.id, object_label=document.original_filename,
                 after={"kind": kind, "size": stored.size_bytes}, actor=actor)
    return document


def remove_document(actor: User, document: WorkshopDocument) -> None:
    uploads.delete_after_commit(document_key(document))
    audit.record("workshop.document_removed", "workshop", document.workshop_id,
                 object_label=document.original_filename, before={"kind": document.kind}, actor=actor)
    db.session.delete(document)
    db.session.flush()


def document_key(document: WorkshopDocument) -> str:
    return uploads.upload_key("workshops", document.stored_name)


def stored_documents() -> Iterator[tuple[str, str]]:
    """Every workshop document's (label, storage key), for `flask storage check`."""
    rows = db.session.execute(select(WorkshopDocument.workshop_id, WorkshopDocument.id, WorkshopDocument.stored_name)
                              .order_by(WorkshopDocument.id))
    for workshop_id, document_id, stored_name in rows:
        yield f"document {document_id} of workshop {workshop_id}", uploads.upload_key("workshops", stored_name)


def save_minutes(actor: User, workshop: Workshop, texts: dict[str, str]) -> None:
    for key, value in texts.items():
        setattr(workshop, key, value.strip())
    db.session.flush()
    audit.record("workshop.minutes_written", "workshop", workshop.id,
                 object_label=title_of(workshop),
                 after={key: len(value) for key, value in texts.items()}, actor=actor)


def record_in_room(actor: User, workshop: Workshop, *, organisation_id: int | None, kind: str, title: str,
                   body: str, language: str) -> RoomRecord:
    """Records what was produced in the room, on behalf of a registered organisation."""
    if kind not in ("paper_proposal", "discussion_notes"):
        raise WorkshopError(_l("Choose what you are recording."), field="kind")
    if not body.strip():
        raise WorkshopError(_l("Write what was produced in the room."), field="body")
    if organisation_id is not None and organisation_id not in registered_organisation_ids(workshop):
        raise WorkshopError(_l("Choose an organisation registered in this workshop."), field="organisation_id")
    record = RoomRecord(workshop_id=workshop.id, organisation_id=organisation_id, kind=kind, title=title.strip(),
                        body=body.strip(), language=language, recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record("workshop.recorded_in_room", "workshop", workshop.id,
                 object_label=title_of(workshop),
                 after={"kind": kind, "organisation_id": organisation_id}, actor=actor)
    return record


def room_records(workshop: Workshop) -> list[RoomRecord]:
    return list(db.session.scalars(select(RoomRecord).where(RoomRecord.workshop_id == workshop.id)
                                   .order_by(RoomRecord.recorded_at, RoomRecord.id)))
