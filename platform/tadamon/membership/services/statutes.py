"""Statutes documents: checked by content, stored outside the static folder."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User
from tadamon.core import uploads
from tadamon.extensions import db
from tadamon.membership.models import (
    EDITABLE_STATES,
    Organisation,
    StatutesDocument,
)
from tadamon.membership.services.errors import MembershipError

STATUTES_MAX_BYTES = 5 * 1024 * 1024


def looks_like_pdf(head: bytes, tail: bytes) -> bool:
    """A PDF by its content: the %PDF- header, and an end-of-file marker near the end."""
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


def attach_statutes(organisation: Organisation, upload: FileStorage, user: User) -> StatutesDocument:
    """Stores the statutes PDF (5 MB at most, checked by content) outside the static folder."""
    if organisation.membership_state not in EDITABLE_STATES:
        raise MembershipError(_l("This application can no longer be changed."))
    data = upload.stream.read(STATUTES_MAX_BYTES + 1)
    if len(data) > STATUTES_MAX_BYTES:
        raise MembershipError(_l("The statutes must be a PDF of at most 5 MB."), field="statutes")
    if not data or not looks_like_pdf(data[:1024], data[-2048:]):
        raise MembershipError(_l("This file is not a PDF. Please send the statutes as a PDF document."), field="statutes")
    stored = uploads.store(data, folder="statutes", kind="pdf")
    previous = organisation.statutes
    if previous is not None:
        uploads.delete_after_commit(statutes_key(previous))
        db.session.delete(previous)
        db.session.flush()
    document = StatutesDocument(
        organisation_id=organisation.id, stored_name=stored.stored_name,
        original_filename=(upload.filename or "statutes.pdf")[-255:],
        size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    db.session.refresh(organisation)
    return document


def statutes_key(document: StatutesDocument) -> str:
    """Where the statutes are stored ("uploads/statutes/<stored_name>", as they always were)."""
    return uploads.upload_key("statutes", document.stored_name)


def stored_statutes() -> Iterator[tuple[str, str]]:
    """Every statutes document's (label, storage key), for `flask storage check`."""
    rows = db.session.execute(select(StatutesDocument.organisation_id, StatutesDocument.stored_name)
                              .order_by(StatutesDocument.id))
    for organisation_id, stored_name in rows:
        yield f"statutes of organisation {organisation_id}", uploads.upload_key("statutes", stored_name)
